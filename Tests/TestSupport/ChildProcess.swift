public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid` on its own pid.
///
/// The tests used Foundation's `Process`, and fresh-clone CI runs crashed inside `Process.run()`
/// (SIGSEGV in a `memcpy`) and, in the same runs, read exit statuses that could not be right (0
/// for a run stopped by SIGINT, a normal exit for a run killed with SIGKILL). This starts the
/// child with an explicit argument and environment list built here, every signal at its default
/// disposition and none blocked (a test thread may block or ignore signals, and both survive
/// `exec`), only the descriptors it is given, and one owner of its exit status.
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable, Equatable {
        case exit
        case uncaughtSignal
    }

    /// Where the child's standard output and error go.
    public enum Output {
        /// Both streams into one pipe, read through `output`.
        case pipe
        /// Each stream into its own file (created or truncated).
        case files(stdout: URL, stderr: URL)
    }

    public struct LaunchFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public let processIdentifier: pid_t
    /// The read end of the output pipe (for `.pipe`); it reaches end of file when the child
    /// and everything it started have closed their ends.
    public let output: FileHandle?

    private let lock = NSLock()
    private var waitStatus: Int32?

    private static let launching = NSLock()

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module hides.
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    private init(processIdentifier: pid_t, output: FileHandle?) {
        self.processIdentifier = processIdentifier
        self.output = output
    }

    /// Starts `executable` with `arguments` and exactly `environment` (nil: this process's).
    public static func start(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil, output: Output = .pipe
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Descriptors opened here are close-on-exec: another test's child started at the same
        // moment never inherits them (a leaked pipe end would keep a reader from ever seeing EOF).
        // (pipe2 is not visible to Swift here: `launching` keeps the moment between pipe() and
        // fcntl() and every spawn apart.)
        launching.lock()
        defer { launching.unlock() }
        var opened: [Int32] = []
        defer { for descriptor in opened { close(descriptor) } }
        var reader: FileHandle?
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else { throw LaunchFailure(description: "cannot open /dev/null: errno \(errno)") }
        opened.append(null)
        posix_spawn_file_actions_adddup2(&actions, null, 0)
        switch output {
        case .pipe:
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw LaunchFailure(description: "pipe failed: errno \(errno)") }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            opened.append(ends[1])
            reader = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
            posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
            posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        case .files(let stdout, let stderr):
            for (url, target) in [(stdout, Int32(1)), (stderr, Int32(2))] {
                let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard descriptor >= 0 else { throw LaunchFailure(description: "cannot open \(url.path): errno \(errno)") }
                opened.append(descriptor)
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            }
        }
        if let directory {
            guard let addChdir = Self.addChdir, addChdir(&actions, directory.path) == 0 else {
                throw LaunchFailure(description: "cannot start in \(directory.path)")
            }
        }

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LaunchFailure(description: "posix_spawn \(executable.path) failed: \(String(cString: strerror(result)))")
        }
        return ChildProcess(processIdentifier: pid, output: reader)
    }

    /// Reaps the child if it has ended; the caller holds the lock.
    private func poll() -> Int32? {
        if let waitStatus { return waitStatus }
        var status: Int32 = 0
        let reaped = waitpid(processIdentifier, &status, WNOHANG)
        if reaped == processIdentifier {
            waitStatus = status
        } else if reaped < 0 && errno != EINTR {
            // Nothing left to wait for (someone else reaped it): report exit 255, which no test
            // expects, rather than a status this process never saw.
            waitStatus = 255 << 8
        }
        return waitStatus
    }

    public var isRunning: Bool { lock.withLock { poll() == nil } }

    /// Blocks the calling thread until the child has ended.
    public func waitUntilExit() {
        while isRunning { usleep(2_000) }
    }

    /// Waits without blocking a thread, up to `timeout`; returns whether the child ended.
    @discardableResult
    public func exit(within timeout: Duration = .seconds(120)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// The wait status, or nil while the child runs.
    private var status: Int32? { lock.withLock { poll() } }

    /// How the child ended; `.exit` while it still runs (its `terminationStatus` is then -1, a
    /// value no expectation matches, rather than a crash of the whole test process).
    public var terminationReason: TerminationReason { (status ?? 0) & 0x7f == 0 ? .exit : .uncaughtSignal }

    /// The exit code, or the signal's number when a signal ended it (as Foundation reports it);
    /// -1 while the child still runs.
    public var terminationStatus: Int32 {
        guard let status else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Sends `signal` unless the child has already been reaped (its pid could then be reused).
    public func send(_ signal: Int32) {
        lock.withLock {
            if poll() == nil { _ = kill(processIdentifier, signal) }
        }
    }

    public func interrupt() { send(SIGINT) }
    public func terminate() { send(SIGTERM) }
}
