import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import LunzhiOperations
import NIOCore
import PostgresLibPQ
import ServiceLifecycle

/// Keeps the console's caller cache in step with the database (LISTEN lunzhi_principals).
struct CallerCacheService: Service {
    let cache: CallerCache
    let configuration: PostgresConfiguration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await cache.follow(configuration) { [logger] availability in
                switch availability {
                case .off(let error):
                    logger.warning(
                        "caller cache off: cannot LISTEN lunzhi_principals; every read loads its caller",
                        metadata: ["error": "\(error)"])
                case .onAgain:
                    logger.notice("caller cache on again")
                }
            }
        }
    }
}
