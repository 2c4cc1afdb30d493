public import LunzhiOperations

/// The console's TLS: the servers' shared certificate holder (reloaded on SIGHUP).
public typealias ConsoleTLS = ServerTLS
