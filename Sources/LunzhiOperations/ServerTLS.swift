import NIOConcurrencyHelpers
public import NIOSSL

/// TLS for the servers (the console, the web workspace): a certificate and key (PEM files), and
/// optionally the CA that client certificates must chain to (mutual TLS, for provincial offices
/// connecting to the console across networks).
/// `reload()` (on SIGHUP) reads the files again; connections already open keep their session, new
/// ones get the new certificate. A reload that fails keeps the old context.
public final class ServerTLS: Sendable {
    public struct Files: Sendable, Equatable {
        public var certificate: String
        public var key: String
        /// When set, clients must present a certificate issued by this CA.
        public var clientCA: String?

        public init(certificate: String, key: String, clientCA: String? = nil) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
        }
    }

    public let files: Files
    private let current: NIOLockedValueBox<NIOSSLContext>

    public init(files: Files) throws {
        self.files = files
        self.current = NIOLockedValueBox(try Self.makeContext(files))
    }

    /// The context new connections use.
    public var context: NIOSSLContext { current.withLockedValue { $0 } }

    public func reload() throws {
        let fresh = try Self.makeContext(files)
        current.withLockedValue { $0 = fresh }
    }

    static func makeContext(_ files: Files) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        if let ca = files.clientCA {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            configuration.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// A client context: trust `ca` (else the system's roots), and present a certificate if given.
    public static func clientContext(ca: String?, certificate: String?, key: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let ca { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
        if let certificate, let key {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
