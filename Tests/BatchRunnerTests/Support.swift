import AsyncHTTPClient
import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import TemPolorSimulator
import TestSupport

/// Virtual time shared by the runner and the simulator. It advances only when told:
/// ``advance(by:)`` from a test, or its own driver, which moves time to the earliest sleeper's
/// deadline once the run is quiescent (no provider call or download in flight, as the run
/// reports through ``RunActivity``, and nothing changed over a burst of yields). Sleepers wake in
/// deadline order, so a 600 s grace period ends after the 5 s polls within it, not before.
final class VirtualClock: RunnerClock, SimulatorClock, RunActivity, @unchecked Sendable {
    private struct Sleeper {
        let id: UInt64
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    private var sleepers: [Sleeper] = []
    private var nextID: UInt64 = 0
    private var busy = 0
    /// Changes whenever anything happens, so the driver can tell a quiet moment.
    private var changes: UInt64 = 0
    private var driving = false

    func now() -> Date { lock.withLock { current } }

    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let id = lock.withLock { defer { nextID += 1 }; return nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.withLock {
                    sleepers.append(Sleeper(id: id, deadline: current + seconds, continuation: continuation))
                    changes += 1
                }
                drive()
            }
        } onCancel: {
            let sleeper: Sleeper? = lock.withLock {
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                changes += 1
                return sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    func begin() { lock.withLock { busy += 1; changes += 1 } }

    func end() {
        lock.withLock { busy -= 1; changes += 1 }
        drive()
    }

    /// Moves time forward by `seconds`, waking every sleeper whose deadline has come.
    func advance(by seconds: TimeInterval) {
        let due: [Sleeper] = lock.withLock {
            current += seconds
            return takeDue()
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    private func takeDue() -> [Sleeper] {
        let due = sleepers.filter { $0.deadline <= current }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        sleepers.removeAll { $0.deadline <= current }
        if !due.isEmpty { changes += 1 }
        return due
    }

    /// Starts the driver unless it runs: it advances to the earliest deadline while the run is
    /// quiet, and stops when something is in flight (``end()`` restarts it) or nobody sleeps
    /// (``sleep(for:)`` restarts it).
    private func drive() {
        let start: Bool = lock.withLock {
            guard !driving else { return false }
            driving = true
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            while true {
                let before = lock.withLock { changes }
                for _ in 0..<64 { await Task.yield() }
                let due: [Sleeper]? = lock.withLock {
                    guard busy == 0, !sleepers.isEmpty else { driving = false; return nil }
                    guard changes == before else { return [] }
                    if let earliest = sleepers.map(\.deadline).min(), earliest > current { current = earliest }
                    return takeDue()
                }
                guard let due else { return }
                for sleeper in due { sleeper.continuation.resume() }
            }
        }
    }
}

extension RunEnvironment {
    /// A run on virtual time: the clock hears the run's provider calls and downloads.
    static func virtual(
        _ clock: VirtualClock, variables: [String: String] = [:], seed: UInt64 = 1, output: @escaping @Sendable (String) -> Void
    ) -> RunEnvironment {
        var environment = RunEnvironment(variables: variables, clock: clock, random: RandomSource(seed: seed), output: output)
        environment.activity = clock
        return environment
    }
}

/// Collects the runner's output lines; can fire a trigger when a line matches.
final class OutputLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var trigger: (predicate: (String) -> Bool, count: Int, action: () -> Void)?
    private var observer: ((String) -> Void)?

    var all: [String] { lock.withLock { lines } }
    var text: String { all.joined(separator: "\n") }

    func append(_ line: String) {
        // Called synchronously, before the runner goes on: it sees the ledger as the line saw it.
        lock.withLock { observer }?(line)
        let action: (() -> Void)? = lock.withLock {
            lines.append(line)
            guard var pending = trigger, pending.predicate(line) else { return nil }
            pending.count -= 1
            if pending.count <= 0 { trigger = nil; return pending.action }
            trigger = pending
            return nil
        }
        action?()
    }

    /// Calls `observe` with every line, as it is written.
    func observe(_ observe: @escaping (String) -> Void) { lock.withLock { observer = observe } }

    /// Calls `action` once, on the `count`-th line matching `predicate`.
    func onLine(count: Int = 1, where predicate: @escaping (String) -> Bool, _ action: @escaping () -> Void) {
        lock.withLock { trigger = (predicate, count, action) }
    }
}

/// A simulator on loopback sharing a virtual clock with the runs it serves, and a temp output root.
struct RunnerHarness: Sendable {
    let simulator: TemPolorSimulator
    let clock: VirtualClock
    let baseURL: URL
    let root: URL
    let key = "Tempo-test-key-9f8e7d6c5b4a"
    let token = "user:7-test-token-3c2b1a"

    static func configuration(_ adjust: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.apiKey = "Tempo-test-key-9f8e7d6c5b4a"
        configuration.useapiToken = "user:7-test-token-3c2b1a"
        configuration.wavSampleRate = 8000
        adjust(&configuration)
        return configuration
    }

    static func with<T: Sendable>(
        _ configuration: SimulatorConfiguration = configuration(), _ body: @Sendable (RunnerHarness) async throws -> T
    ) async throws -> T {
        let clock = VirtualClock()
        let simulator = TemPolorSimulator(configuration: configuration, clock: clock)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-run-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        return try await simulator.withRunning { url in
            try await body(RunnerHarness(simulator: simulator, clock: clock, baseURL: url, root: root))
        }
    }

    /// Writes a manifest into the root's parent folder and answers its path.
    func manifest(_ text: String, name: String = "m") throws -> String {
        let file = root.appendingPathComponent("\(name).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func options(_ adjust: (inout RunOptions) -> Void = { _ in }) -> RunOptions {
        var options = RunOptions()
        options.provider = .tempolor
        options.baseURL = baseURL
        options.outputRoot = root.appendingPathComponent("library").path
        options.pollInterval = .seconds(5)
        adjust(&options)
        return options
    }

    var library: URL { root.appendingPathComponent("library", isDirectory: true) }

    /// Runs the manifest against this simulator, speaking `provider`'s API (the Open API by
    /// default; `.useapi` for the useapi.net routes).
    func run(
        _ manifestPath: String, log: OutputLog = OutputLog(), seed: UInt64 = 1, provider: Provider = .tempolor,
        _ adjust: (inout RunOptions) -> Void = { _ in }, environment change: (inout RunEnvironment) -> Void = { _ in }
    ) async -> RunResult {
        var environment = RunEnvironment.virtual(clock, variables: ["TEMPOLOR_API_KEY": key, "USEAPI_TOKEN": token], seed: seed,
                                                 output: { log.append($0) })
        change(&environment)
        var options = options(adjust)
        if options.provider == .tempolor { options.provider = provider }
        return await TempoBatchRun.run(manifest: manifestPath, options: options, environment: environment)
    }

    /// Runs the manifest and cancels the run when the `count`-th line containing `marker` is
    /// printed: an interruption at a known moment. Returns whether the marker was printed, and
    /// the run's result if it ended by itself first.
    func runCancelled(
        _ manifestPath: String, at marker: String, count: Int = 1, log: OutputLog = OutputLog(),
        environment change: @escaping @Sendable (inout RunEnvironment) -> Void = { _ in }
    ) async -> (fired: Bool, result: RunResult?) {
        let fired = Locked(false)
        let result = await withTaskGroup(of: RunResult?.self) { group in
            let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
            log.onLine(count: count, where: { $0.contains(marker) }) { fired.update { $0 = true }; continuation.yield() }
            group.addTask { await self.run(manifestPath, log: log, environment: change) }
            group.addTask {
                for await _ in stream { return nil }
                return nil
            }
            var result: RunResult?
            for await finished in group {
                if let finished { result = finished; continuation.finish(); break }
                group.cancelAll()
                continuation.finish()
            }
            return result
        }
        return (fired.get, result)
    }

    /// Runs several manifests as one run (`run FOLDER`) against this simulator.
    func runMany(
        _ paths: [String], log: OutputLog = OutputLog(), strict: Bool = false, _ adjust: (inout RunOptions) -> Void = { _ in }
    ) async -> ManyRunResult {
        let environment = RunEnvironment.virtual(clock, variables: ["TEMPOLOR_API_KEY": key, "USEAPI_TOKEN": token], output: { log.append($0) })
        return await TempoBatchRun.runMany(manifests: paths, options: options(adjust), environment: environment, strict: strict)
    }

    /// How many create calls the manifest plans on `provider` (what at most may ever be paid
    /// for). useapi's stems are a download of the song's own job, not a create.
    func plannedCreates(_ manifestPath: String, provider: Provider = .tempolor) -> Int {
        guard let graph = Providers.compile(manifestPath, environment: [:], provider: provider).graph else { return -1 }
        return graph.tasks.filter { provider != .useapi || $0.kind != .stems }.count
    }

    /// How many tasks the manifest expands to on `provider`.
    func graphSize(_ manifestPath: String, provider: Provider = .tempolor) -> Int {
        Providers.compile(manifestPath, environment: [:], provider: provider).graph?.count ?? -1
    }

    func ledger() throws -> Ledger {
        try Ledger.open(at: library.appendingPathComponent(".tempo-batch/ledger.sqlite").path)
    }

    /// Every regular file under the library, relative paths.
    func files() -> [String] {
        let enumerator = FileManager.default.enumerator(at: library, includingPropertiesForKeys: nil)
        var result: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(String(url.standardizedFileURL.path.dropFirst(library.standardizedFileURL.path.count + 1)))
            }
        }
        return result.sorted()
    }
}

/// Checks that a library file is what its name says: audio decodes, text files hold text.
enum AudioCheck {
    static func problem(_ url: URL) -> String? {
        switch url.pathExtension {
        case "mp3", "wav", "flac":
            return AudioDecoding.problem(url)
        case "json":
            guard let data = try? Data(contentsOf: url), (try? JSONSerialization.jsonObject(with: data)) != nil else { return "\(url.lastPathComponent) is not JSON" }
            return nil
        case "lrc":
            guard let text = try? String(contentsOf: url, encoding: .utf8), text.contains("[00:") else { return "\(url.lastPathComponent) has no timestamps" }
            return nil
        case "txt", "md":
            guard let text = try? String(contentsOf: url, encoding: .utf8), !text.isEmpty else { return "\(url.lastPathComponent) is empty" }
            return nil
        default:
            return nil
        }
    }
}

extension TemPolorSimulator {
    var acceptedCreates: Int { get async { await stats().acceptedCreatesTotal } }
}
