/// The reasons the service itself writes into audit events, in English as the chain seals them,
/// and how a reader's language says them. One place makes them and reads them back, so a page can
/// show a sealed event's reason in Chinese without changing a byte of the record.
public enum SystemReason: Equatable, Sendable {
    /// `consultation.table`: `item 3 tabled as 1`.
    case tabled(item: Int, ordinal: Int)
    /// `item.reject` by objection: `objected by QH, NX`.
    case objectedBy([String])
    /// `item.defer` when its consultation is cancelled: `consultation 4 cancelled`.
    case consultationCancelled(Int)
    /// `rotation.consent`: `consent of NX`.
    case consentOf(String)
    /// `consultation.convene` under the silence rule.
    case silenceRule

    static let silenceText = "written procedure under the silence rule, chosen by the chair"

    /// The English the audit event stores.
    public var text: String {
        switch self {
        case .tabled(let item, let ordinal): "item \(item) tabled as \(ordinal)"
        case .objectedBy(let members): "objected by \(members.joined(separator: ", "))"
        case .consultationCancelled(let id): "consultation \(id) cancelled"
        case .consentOf(let member): "consent of \(member)"
        case .silenceRule: Self.silenceText
        }
    }

    /// The reason a stored text is, or nil for a person's own words.
    public init?(text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if text == Self.silenceText {
            self = .silenceRule
        } else if words.count == 5, words[0] == "item", words[2] == "tabled", words[3] == "as",
            let item = Int(words[1]), let ordinal = Int(words[4])
        {
            self = .tabled(item: item, ordinal: ordinal)
        } else if text.hasPrefix("objected by "), text.count > 12 {
            self = .objectedBy(text.dropFirst(12).components(separatedBy: ", "))
        } else if words.count == 3, words[0] == "consultation", words[2] == "cancelled", let id = Int(words[1]) {
            self = .consultationCancelled(id)
        } else if words.count == 3, words[0] == "consent", words[1] == "of" {
            self = .consentOf(words[2])
        } else {
            return nil
        }
    }

    /// How `w`'s language says it (`reason.<key>` in the catalogue).
    public func said(_ w: Words) -> String {
        let (key, arguments): (String, [String: DomainError.Argument]) =
            switch self {
            case .tabled(let item, let ordinal): ("tabled", ["item": "\(item)", "ordinal": "\(ordinal)"])
            case .objectedBy(let members): ("objected_by", ["members": .list(members)])
            case .consultationCancelled(let id): ("consultation_cancelled", ["id": "\(id)"])
            case .consentOf(let member): ("consent_of", ["member": "\(member)"])
            case .silenceRule: ("silence_rule", [:])
            }
        return w.fill("reason." + key, arguments)
    }
}
