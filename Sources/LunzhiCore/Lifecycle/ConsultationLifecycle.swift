/// The life of a consultation (协商议事): planned → open → closed | cancelled.
public enum ConsultationState: String, Sendable, CaseIterable, Codable {
    case planned, open, closed, cancelled
}

public enum ConsultationAction: String, Sendable, CaseIterable {
    case table, open, position, decide, close, cancel
}

public enum ConsultationLifecycle {
    /// The state after `action` (most actions leave it as it is), or `WRONG_STATE`.
    public static func apply(_ action: ConsultationAction, to state: ConsultationState) throws(DomainError)
        -> ConsultationState
    {
        guard let next = transitions[state]?[action] else {
            let allowed = allowed(in: state)
            throw DomainError(
                .wrongState,
                "cannot \(action.rawValue) in a consultation that is \(state.rawValue); allowed: "
                    + (allowed.isEmpty ? "nothing (it is final)" : allowed.map(\.rawValue).joined(separator: ", ")),
                state: state.rawValue, allowed: allowed.map(\.rawValue))
        }
        return next
    }

    public static func allowed(in state: ConsultationState) -> [ConsultationAction] {
        ConsultationAction.allCases.filter { transitions[state]?[$0] != nil }
    }

    private static let transitions: [ConsultationState: [ConsultationAction: ConsultationState]] = [
        .planned: [.table: .planned, .open: .open, .cancel: .cancelled],
        .open: [.table: .open, .position: .open, .decide: .open, .close: .closed, .cancel: .cancelled],
        .closed: [:], .cancelled: [:],
    ]
}

/// Decides one tabled item from the members' positions.
///
/// Default rule (seed 000's 一致同意): adopted when at least `quorum` members (default: all) have
/// taken a position and nobody objects; rejected when any member objects. Under the silence rule
/// of a written procedure, once the response deadline has passed, members that did not answer are
/// taken as not objecting; silence never counts as agreement otherwise.
public struct ConsultationTally: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        case adopted(bySilence: Bool)
        case rejected(objectors: [String])
        /// Not decidable yet: these members have not taken a position.
        case waiting(missing: [String])
    }

    public var members: [String]
    public var quorum: Int?
    public var rule: ConsultationRule
    public var deadlinePassed: Bool
    /// Member code → stance.
    public var positions: [String: Stance]

    public init(
        members: [String], quorum: Int?, rule: ConsultationRule, deadlinePassed: Bool, positions: [String: Stance]
    ) {
        self.members = members
        self.quorum = quorum
        self.rule = rule
        self.deadlinePassed = deadlinePassed
        self.positions = positions
    }

    public var result: Result {
        let objectors = members.filter { positions[$0] == .object }
        if !objectors.isEmpty { return .rejected(objectors: objectors) }
        let missing = members.filter { positions[$0] == nil }
        if rule == .silence && deadlinePassed { return .adopted(bySilence: !missing.isEmpty) }
        let needed = rule == .consent && quorum == nil ? members.count : min(quorum ?? members.count, members.count)
        let answered = members.count - missing.count
        return answered >= needed ? .adopted(bySilence: false) : .waiting(missing: missing)
    }
}

/// Decides a case-by-case approval from its parties' answers: all grant → approved; any deny →
/// denied; otherwise pending.
public enum ApprovalState: String, Sendable, CaseIterable, Codable {
    case pending, approved, denied
}

public enum ApprovalAnswer: String, Sendable, CaseIterable, Codable {
    case grant, deny
}

public enum ApprovalTally {
    public static func state(answers: [String: ApprovalAnswer?]) -> ApprovalState {
        if answers.values.contains(where: { $0 == .deny }) { return .denied }
        if !answers.isEmpty && answers.values.allSatisfy({ $0 == .grant }) { return .approved }
        return .pending
    }
}
