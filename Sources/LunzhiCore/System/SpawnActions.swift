#if canImport(Glibc)
public import Glibc
#endif
import Foundation

/// File actions for `posix_spawn` that keep a child from inheriting the parent's descriptors.
///
/// Sockets made by NIO (console connections, listeners, HTTP clients) and pipes are not
/// close-on-exec, so a child process inherited every one of them: a connection the parent closed
/// stayed open in the child (the peer never saw it end), and one delivery's sendmail held the
/// write end of another's standard input, which then never saw its end.
public enum SpawnActions {
    /// Adds actions closing every descriptor from `lowest` up in the child (after the actions
    /// added before it, so set up standard input and output first).
    public static func closeInherited(from lowest: Int32 = 3, in actions: inout posix_spawn_file_actions_t) {
        // glibc 2.34+; looked up at run time because its header hides it from Swift.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
            unsafeBitCast(symbol, to: CloseFrom.self)(&actions, lowest) == 0
        {
            return
        }
        // Older libc: close each descriptor open now (glibc ignores one closed in the meantime).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd >= lowest {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}
