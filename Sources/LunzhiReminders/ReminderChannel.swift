import Foundation
import LunzhiCore

/// How one delivery on one channel ended.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Worth trying again later (a timeout, a 5xx, a temporary mail failure).
    case retry(String)
    /// Will not succeed by trying again (a 4xx other than 429): the reminder goes dead.
    case permanent(String)
}

/// A way of reaching a member: e-mail, webhook, file.
public protocol ReminderChannel: Sendable {
    /// The contact kind it serves (`email`, `webhook`, `file`).
    var kind: String { get }
    func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
}

/// Runs blocking work (file and process I/O) on Dispatch's threads, never on Swift's cooperative pool.
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// Appends one JSON line per delivery to a file: the default of Deploy/local.sh, so reminders are
/// visible without a mail server. Each line is written with one `write` to an O_APPEND file, so
/// lines from several daemons do not interleave.
///
/// A file contact's address is a **name**, never a path: the file is `NAME` inside the one
/// directory the operator configured (`--file-channel-dir`), opened relative to that directory
/// with `O_NOFOLLOW`, so neither `..`, a slash nor a symbolic link planted in the directory can
/// make the daemon write anywhere else. Without a directory the channel is off.
public struct FileChannel: ReminderChannel {
    public let kind = "file"
    public let directory: String?
    public init(directory: String?) { self.directory = directory }

    public func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
    {
        guard let directory else {
            return .permanent("file contacts are off: the daemon has no --file-channel-dir")
        }
        guard FileContactName.isValid(address) else {
            return .permanent("a file contact is a name inside --file-channel-dir, not \(address.prefix(80))")
        }
        let line = Array((message.json + "\n").utf8)
        return await offCooperativePool {
            let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dir >= 0 else { return .retry("cannot open --file-channel-dir \(directory): errno \(errno)") }
            defer { close(dir) }
            let fd = openat(dir, address, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
            guard fd >= 0 else { return .retry("cannot open \(address) in \(directory): errno \(errno)") }
            defer { close(fd) }
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            return written == line.count ? .delivered : .retry("short write to \(address): errno \(errno)")
        }
    }
}

/// E-mail through a sendmail-compatible program (`/usr/sbin/sendmail -t -i` by default; msmtp,
/// Postfix, Exim…). Lunzhi writes the message; the program speaks SMTP.
public struct SendmailChannel: ReminderChannel {
    public let kind = "email"
    public let command: [String]
    public let from: String

    public init(command: [String] = ["/usr/sbin/sendmail", "-t", "-i"], from: String = "lunzhi@localhost") {
        self.command = command
        self.from = from
    }

    public func deliver(_ reminder: ClaimedReminder, message: ReminderMessage, address: String, secret: String?) async
        -> DeliveryResult
    {
        guard !address.contains("\n"), !address.contains("\r"), address.contains("@") else {
            return .permanent("not an e-mail address: \(address.prefix(80))")
        }
        let mail = Self.compose(reminder, message: message, to: address, from: from)
        let command = self.command
        return await offCooperativePool { Self.run(command, input: Array(mail.utf8)) }
    }

    /// The message: UTF-8 subject as RFC 2047 words, base64 body, Message-ID from the key.
    static func compose(_ reminder: ClaimedReminder, message: ReminderMessage, to: String, from: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var subjectWords: [String] = []
        var chunk = ""
        for character in message.subject {
            if (chunk + String(character)).utf8.count > 45 {
                subjectWords.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { subjectWords.append(chunk) }
        let subject = subjectWords.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(
            separator: "\r\n ")
        let body = Data(message.body.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        return [
            "From: \(from)", "To: \(to)", "Subject: \(subject)", "Date: \(formatter.string(from: Date()))",
            "Message-ID: <\(reminder.keyHash)@lunzhi>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64", "X-Lunzhi-Reminder: \(reminder.idempotencyKey)", "", body, "",
        ].joined(separator: "\r\n")
    }

    /// Spawns the program, writes the message to its standard input, waits for it.
    static func run(_ command: [String], input: [UInt8]) -> DeliveryResult {
        guard let program = command.first else { return .permanent("no mail command configured") }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { return .retry("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        // Both ends of this pipe, and the daemon's sockets and other deliveries' pipes.
        SpawnActions.closeInherited(in: &actions)
        let argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        close(pipeFDs[0])
        guard spawned == 0 else {
            close(pipeFDs[1])
            return .retry("cannot run \(program): errno \(spawned)")
        }
        var offset = 0
        while offset < input.count {
            let n = input[offset...].withUnsafeBytes { write(pipeFDs[1], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }
        close(pipeFDs[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        if exited && code == 0 { return .delivered }
        return .retry("\(program) exited with status \(exited ? Int(code) : -Int(status & 0x7f))")
    }
}
