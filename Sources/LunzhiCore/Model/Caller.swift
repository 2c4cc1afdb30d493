/// The principal making a request, with the roles the database grants it now.
public struct Caller: Sendable, Equatable {
    public struct Grant: Sendable, Equatable, Hashable {
        public var role: Role
        public var mechanism: String?
        public var member: String?
    }

    public var id: Int
    public var name: String
    public var grants: [Grant]

    public func isOperator() -> Bool { grants.contains { $0.role == .operator } }
    public func isAuditor() -> Bool { grants.contains { $0.role == .auditor } }

    /// The member this principal is a clerk of in a mechanism, if any.
    public func clerkMember(in mechanism: String) -> String? {
        grants.first { $0.role == .clerk && $0.mechanism == mechanism }?.member
    }

    /// The mechanisms this principal is a clerk in.
    public var clerkMechanisms: [String] { grants.filter { $0.role == .clerk }.compactMap(\.mechanism) }
}
