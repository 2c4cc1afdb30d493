/// The life of an agenda item (议题), as a pure state machine.
///
/// draft → submitted → accepted (by the chair) → tabled → adopted | rejected | deferred (back to
/// accepted); submitted → returned (by the chair, with a reason) → revised and resubmitted;
/// withdrawn by the filer any time before it is tabled.
public enum ItemState: String, Sendable, CaseIterable, Codable {
    case draft, submitted, accepted, returned, withdrawn, tabled, adopted, rejected
}

public enum ItemAction: String, Sendable, CaseIterable {
    case submit, withdraw, accept, `return`, revise, table, adopt, reject, `defer`
}

public enum ItemLifecycle {
    /// The state after `action`, or `WRONG_STATE` naming the current state and what is allowed.
    public static func apply(_ action: ItemAction, to state: ItemState) throws(DomainError) -> ItemState {
        guard let next = transitions[state]?[action] else {
            throw DomainError(
                .wrongState,
                "cannot \(action.rawValue) an item that is \(state.rawValue); allowed: \(allowedText(state))",
                state: state.rawValue, allowed: allowed(in: state).map(\.rawValue))
        }
        return next
    }

    public static func allowed(in state: ItemState) -> [ItemAction] {
        ItemAction.allCases.filter { transitions[state]?[$0] != nil }
    }

    private static func allowedText(_ state: ItemState) -> String {
        let actions = allowed(in: state)
        return actions.isEmpty ? "nothing (it is final)" : actions.map(\.rawValue).joined(separator: ", ")
    }

    private static let transitions: [ItemState: [ItemAction: ItemState]] = [
        .draft: [.submit: .submitted, .withdraw: .withdrawn, .revise: .draft],
        .submitted: [.accept: .accepted, .return: .returned, .withdraw: .withdrawn],
        .returned: [.revise: .returned, .submit: .submitted, .withdraw: .withdrawn],
        .accepted: [.table: .tabled, .withdraw: .withdrawn],
        .tabled: [.adopt: .adopted, .reject: .rejected, .defer: .accepted],
        .adopted: [:], .rejected: [:], .withdrawn: [:],
    ]
}
