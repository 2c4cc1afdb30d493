/// Who may connect: the console's limits on connections, counted across every event loop.
///
/// - at most `maximumConnections` in all;
/// - connections not yet signed in may use all but `reservedForSignedIn` of them, so a flood of
///   idle unauthenticated connections leaves room for people who sign in;
/// - at most `maximumPerAddress` from one IP address (Unix-socket clients, whose access is the
///   socket file's permissions, are not counted per address);
/// - a connection that has not signed in within `authTimeout` is closed (ConsoleConnection).
struct ConsoleAdmission: Sendable {
    private(set) var total = 0
    private(set) var unauthenticated = 0
    private var byAddress: [String: Int] = [:]

    enum Refusal: Equatable {
        case full(Int)
        case preAuthenticationFull
        case perAddress(Int)
    }

    /// Admits a new (unauthenticated) connection, or says why not; on nil it is counted.
    mutating func admit(address: String?, limits: ConsoleServer.Configuration) -> Refusal? {
        guard total < limits.maximumConnections else { return .full(limits.maximumConnections) }
        guard unauthenticated < limits.maximumConnections - limits.reservedForSignedIn else {
            return .preAuthenticationFull
        }
        if let address {
            let count = byAddress[address, default: 0]
            guard count < limits.maximumPerAddress else { return .perAddress(limits.maximumPerAddress) }
            byAddress[address] = count + 1
        }
        total += 1
        unauthenticated += 1
        return nil
    }

    /// The connection signed in: it no longer counts against the pre-authentication share.
    mutating func signedIn() { unauthenticated -= 1 }

    mutating func release(address: String?, signedIn: Bool) {
        total -= 1
        if !signedIn { unauthenticated -= 1 }
        if let address {
            let count = byAddress[address, default: 1] - 1
            byAddress[address] = count > 0 ? count : nil
        }
    }
}
