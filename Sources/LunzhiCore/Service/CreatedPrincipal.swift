/// A principal just created, with its secret (shown only this once).
public struct CreatedPrincipal: Sendable {
    public var id: Int
    public var secret: String
    /// It needs a clerk of its member to confirm it (`confirmPrincipal`) before it can sign in.
    public var awaitingConfirmation: Bool
}
