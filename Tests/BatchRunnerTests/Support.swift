import AsyncHTTPClient
import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import TemPolorSimulator
import TestSupport

/// Virtual time shared by the runner and the simulator: every `sleep` moves time forward at
/// once, so runs that would take minutes of polling finish in a moment of real time.
final class VirtualClock: RunnerClock, SimulatorClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    func now() -> Date { lock.withLock { current } }

    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        advance(by: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        await Task.yield()
    }

    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
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
        _ adjust: (inout RunOptions) -> Void = { _ in }
    ) async -> RunResult {
        let environment = RunEnvironment(variables: ["TEMPOLOR_API_KEY": key, "USEAPI_TOKEN": token], clock: clock,
                                         random: RandomSource(seed: seed), output: { log.append($0) })
        var options = options(adjust)
        if options.provider == .tempolor { options.provider = provider }
        return await TempoBatchRun.run(manifest: manifestPath, options: options, environment: environment)
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
