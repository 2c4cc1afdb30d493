/// A refusal by the domain, with a stable name that the console shows as is.
///
/// The name is an open struct (new names do not break callers); `message` says what a person
/// needs to act; for state errors `state` and `allowed` say where the object stands.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Name: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(stringLiteral value: String) { rawValue = value }
        public init(raw: String) { rawValue = raw }
        public var description: String { rawValue }

        // Permission
        public static let notChair: Name = "NOT_CHAIR"
        public static let notOwnMember: Name = "NOT_OWN_MEMBER"
        public static let notParty: Name = "NOT_PARTY"
        public static let forbidden: Name = "FORBIDDEN"
        public static let authFailed: Name = "AUTH_FAILED"
        // Existence
        public static let notFound: Name = "NOT_FOUND"
        public static let alreadyExists: Name = "ALREADY_EXISTS"
        // State and conflict
        public static let wrongState: Name = "WRONG_STATE"
        public static let termOverlap: Name = "TERM_OVERLAP"
        public static let deadlinePassed: Name = "DEADLINE_PASSED"
        public static let quorumNotMet: Name = "QUORUM_NOT_MET"
        public static let alreadyAnswered: Name = "ALREADY_ANSWERED"
        public static let notFuture: Name = "NOT_FUTURE"
        // Validation
        public static let justificationRequired: Name = "JUSTIFICATION_REQUIRED"
        public static let screenedIndustry: Name = "SCREENED_INDUSTRY"
        public static let invalidArgument: Name = "INVALID_ARGUMENT"
        public static let textTooLong: Name = "TEXT_TOO_LONG"
        public static let invalidText: Name = "INVALID_TEXT"
    }

    /// What kind of refusal, for mapping to protocol codes in one place.
    public enum Category: Sendable, Equatable { case permission, notFound, conflict, validation }

    public var name: Name
    public var message: String
    /// The object's current state, when the refusal is about state.
    public var state: String?
    /// The actions allowed in that state.
    public var allowed: [String]

    /// What the refusal says, as a catalogue template (`detail.<key>`) and its arguments, so that
    /// each reader gets it in their language (the web); nil for the few refusals said in English
    /// only (the console's own arguments).
    public var detail: Detail?

    public struct Detail: Sendable, Equatable {
        public let key: String
        public let arguments: [String: Argument]
    }

    /// One value in a detail: its text as the console and English say it, and optionally a
    /// catalogue term that says it in the reader's language (a state, a kind, an action).
    public struct Argument: Sendable, Equatable, ExpressibleByStringInterpolation {
        public let text: String
        public let term: String?
        /// How Chinese says it, when that is not a catalogue term (a list: `QH、NX`).
        public let zh: String?

        public init(_ text: String, term: String? = nil, zh: String? = nil) {
            self.text = text
            self.term = term
            self.zh = zh
        }
        public init(stringLiteral value: String) { self.init(value) }
        public init(stringInterpolation: DefaultStringInterpolation) { self.init(String(stringInterpolation: stringInterpolation)) }

        /// A value the catalogue names as `<kind>.<raw value>` (`state.withdrawn`).
        public static func term(_ kind: String, _ raw: String) -> Argument {
            Argument(raw, term: kind + "." + raw.replacingOccurrences(of: " ", with: "_"))
        }

        /// Members or items listed: `QH, NX` (or `QH or NX` with a conjunction) in English, `QH、NX`
        /// in Chinese.
        public static func list(_ items: [String], conjunction: String? = nil) -> Argument {
            Argument(items.joined(separator: conjunction.map { " \($0) " } ?? ", "), zh: items.joined(separator: "、"))
        }

        /// What someone may not do (`doing.accept_items`), said in English as given.
        static func doing(_ action: String) -> Argument { term("doing", action) }

        /// A field of a form or a command (`field.title`), said in English as given.
        public static func field(_ name: String) -> Argument { term("field", name) }
    }

    /// A refusal in English only (its words are not in the catalogue).
    public init(_ name: Name, _ message: String, state: String? = nil, allowed: [String] = []) {
        self.name = name
        self.message = message
        self.state = state
        self.allowed = allowed
    }

    /// A refusal whose words are the catalogue's `detail.<key>`: `message` is its English text.
    public init(
        _ name: Name, detail key: String, _ arguments: [String: Argument] = [:], state: String? = nil,
        allowed: [String] = []
    ) {
        self.name = name
        self.detail = Detail(key: key, arguments: arguments)
        self.message = Words(.en).fill("detail." + key, arguments)
        self.state = state
        self.allowed = allowed
    }

    public var category: Category {
        switch name {
        case .notChair, .notOwnMember, .notParty, .forbidden, .authFailed: .permission
        case .notFound: .notFound
        case .wrongState, .termOverlap, .deadlinePassed, .quorumNotMet, .alreadyAnswered, .notFuture, .alreadyExists:
            .conflict
        default: .validation
        }
    }

    public var description: String { "\(name) \(message)" }

    /// `<thing> <id> does not exist`; `thing` is a catalogue term (`thing.item`).
    static func notFound(_ thing: String, _ id: some CustomStringConvertible) -> DomainError {
        DomainError(.notFound, detail: "not_found", ["thing": .term("thing", thing), "id": "\(id)"])
    }

    static func invalid(_ key: String, _ arguments: [String: Argument] = [:]) -> DomainError {
        DomainError(.invalidArgument, detail: key, arguments)
    }
}
