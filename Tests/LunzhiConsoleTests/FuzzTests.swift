import Foundation
import Logging
@testable import LunzhiConsole
import LunzhiCore
import PostgresLibPQ
import Testing

@Suite struct FuzzTests {
    /// 100,000 inputs — random bytes and random mutations of valid lines — through the parser and
    /// the dispatcher of a signed-out session: no crash, and every reply is well formed in both
    /// modes. (Signed out, so commands needing the database answer 401; lines starting with AUTH
    /// are skipped, as they would sleep in the sign-in throttle.)
    @Test func randomAndMutatedLinesAlwaysGetWellFormedReplies() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 connect_timeout=1"))
        let environment = ConsoleEnvironment(service: Cooperation(pool: pool), version: "fuzz")
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let dispatcher = ConsoleDispatcher(environment: environment, logger: logger)
        let seeds = [
            #"ITEM FILE category=policy track=regular title="陕西 \"议题\"" body="a\nb""#, "@t1 PING", "HELP ITEM",
            "CONSULT POSITION 1 2 reserve note=\"需报省政府\"",
            "APPROVAL REQUEST project=3 track=special ask=x parties=GS,SN",
            "CHAIR PLAN order=SN,GS from=2015 years=16", "FORMAT json",
            "PROJECT ADD name=x amount=12.5亿 industry=other source=west",
        ].map { Array($0.utf8) }
        var generator = SeededGenerator(seed: 20_261_122)
        var checked = 0
        for round in 0..<100_000 {
            var line: [UInt8]
            if round % 2 == 0 {
                line = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                line = seeds[Int.random(in: 0..<seeds.count, using: &generator)]
                for _ in 0..<Int.random(in: 1...6, using: &generator) where !line.isEmpty {
                    let at = Int.random(in: 0..<line.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: line[at] = UInt8.random(in: 0...255, using: &generator)
                    case 1: line.remove(at: at)
                    case 2:
                        line.insert(
                            [0x22, 0x5C, 0x3D, 0x20, 0x40, 0x00, 0xE4][Int.random(in: 0..<7, using: &generator)], at: at
                        )
                    default: line += line[at...].prefix(8)
                    }
                }
            }
            line.removeAll { $0 == 0x0A }
            if line.count > 2, line.last == 0x0D { line.removeLast() }
            let upper = String(decoding: line.prefix(5), as: UTF8.self).uppercased()
            if upper.hasPrefix("AUTH")
                || upper.hasPrefix("@") && String(decoding: line, as: UTF8.self).uppercased().contains(" AUTH")
            {
                continue
            }
            let session = SessionState(remoteAddress: "fuzz")
            let (reply, tag) = await dispatcher.handle(line, session: session)
            let text = reply.text(tag: tag)
            #expect(isWellFormed(text), "\(line) → \(text)")
            let json = reply.json(tag: tag)
            #expect(json.hasSuffix("\r\n") && !json.dropLast(2).contains("\n"))
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "\(json)")
            #expect(
                reply.code == 200 || reply.code == 221 || reply.code == 400 || reply.code == 401 || reply.code == 404,
                "\(text)")
            checked += 1
        }
        #expect(checked > 95_000)
        await pool.close()
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
