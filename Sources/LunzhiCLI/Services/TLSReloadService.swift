import Logging
import LunzhiOperations
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload lunzhi-console`) reads the certificate files again — the console's and
/// the web workspace's; open connections keep their sessions. Signals arrive through swift-service-lifecycle's `UnixSignalsSequence`,
/// which also keeps SIGHUP from ending the process when no TLS is configured.
struct TLSReloadService: Service {
    let certificates: [ServerTLS]
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            if certificates.isEmpty { logger.notice("SIGHUP: no TLS certificate to reload") }
            for tls in certificates {
                do {
                    try tls.reload()
                    logger.notice("reloaded the TLS certificate", metadata: ["certificate": "\(tls.files.certificate)"])
                } catch {
                    logger.error(
                        "TLS reload failed; keeping the old certificate",
                        metadata: ["certificate": "\(tls.files.certificate)", "error": "\(error)"])
                }
            }
        }
    }
}
