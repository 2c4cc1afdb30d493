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

    public init(_ name: Name, _ message: String, state: String? = nil, allowed: [String] = []) {
        self.name = name
        self.message = message
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

    static func notFound(_ what: String, _ id: some CustomStringConvertible) -> DomainError {
        DomainError(.notFound, "\(what) \(id) does not exist")
    }

    static func invalid(_ message: String) -> DomainError { DomainError(.invalidArgument, message) }
}
