import BatchRunner
import Foundation
import ProviderKit
import ProviderWiring

/// The provider as the bottleneck: the simulator in-process on loopback with a parallel limit
/// of P per key, N chains of song → extend → stems run by the real runner against it (HTTP,
/// `--max-parallel P`), once per poll timing. Prints the makespan against the ideal (the
/// provider's busy time / P) and what the status checks cost.
func makespanBench(_ options: Options) async throws {
    let timings: [PollTiming] = options.poller == "both" ? [.fixed, .expected] : PollTiming(rawValue: options.poller).map { [$0] } ?? []
    guard !timings.isEmpty else { Options.usage() }
    print(String(format: "%d chains of song → extend → stems, parallel limit %d per key, time scale %g, poll interval %g s (%g s at scale 1)",
                 options.chains, options.parallel, options.timeScale, options.interval, options.interval / options.timeScale))
    print("busy time: from the simulator's items (each item's creation to its scheduled final moment), summed; ideal = busy / (parallel limit × keys)")
    print("makespan: the wall time of one TempoBatchRun.run (compile, plan, every create, status check, download and report)")
    print("provider span: from the first item's creation to the last item's final moment (the part waiting can shorten; the rest is start-up and the last downloads)")
    print("start-up: from the run's start to the first create; tail: from the last final moment to the run's end: notice (to the last final answer seen), filing (to the last file filed), reports (to the finished event), wrap-up (ledger backup, shutdown)")
    print("notice lag: from an item's final moment to the first query showing it final; reaction: from a query showing a slot free to the next create into it")
    print("per-item polls: busy time / interval, what a poller checking each item alone every interval would call")
    print("the simulator runs in a process of its own (the provider's work is not on the runner's CPU)")
    for run in 1...max(1, options.runs) {
        for timing in timings {
            let figures = try await makespanRun(options, timing: timing)
            let ideal = figures.busy / Double(options.parallel * options.keys)
            let label = timing.rawValue + (options.callbacks ? "+callbacks" : "") + (options.keys > 1 ? " \(options.keys) keys" : "")
            print(String(format: "%@ run %d: makespan %.2f s, ideal %.2f s (busy %.1f s / %d), ratio %.3f; provider span %.2f s, ratio %.3f; start-up %.0f ms, tail %.0f ms (notice %.0f, filing %.0f, reports %.0f, wrap-up %.0f); mean notice lag %.1f ms, reaction %.1f ms; %d query calls (largest batch %d), per-item polls %d; %d callbacks; exit %d, %d files",
                         label, run, figures.makespan, ideal, figures.busy, options.parallel * options.keys,
                         figures.makespan / ideal, figures.span, figures.span / ideal, figures.startUp * 1000, figures.tail * 1000,
                         figures.tailParts.notice * 1000, figures.tailParts.filing * 1000, figures.tailParts.reports * 1000, figures.tailParts.wrapUp * 1000, figures.noticeLag * 1000, figures.reaction * 1000, figures.queries,
                         figures.largestBatch, figures.perItemPolls, figures.callbacks, figures.exitCode, figures.files))
        }
    }
}

struct MakespanFigures {
    var makespan: Double
    var busy: Double
    var span: Double
    var startUp: Double
    var tail: Double
    /// The tail in its steps: to the last final answer seen, to the last file filed, to the run's
    /// finished event (reports), to the run's end (ledger backup, shutdown).
    var tailParts: (notice: Double, filing: Double, reports: Double, wrapUp: Double)
    var noticeLag: Double
    var reaction: Double
    var queries: Int
    var largestBatch: Int
    var perItemPolls: Int
    var exitCode: Int32
    var files: Int
    var callbacks: Int
}

private func makespanRun(_ options: Options, timing: PollTiming) async throws -> MakespanFigures {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-makespan-bench-\(getpid())-\(timing.rawValue)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    // The provider runs elsewhere: the simulator gets a process of its own, so its work (audio
    // files, callbacks) does not take the runner's CPU.
    let server = try SimulatorProcess(folder: folder, arguments: [
        "--profile", "makespan", "--time-scale", "\(options.timeScale)", "--parallel", "\(options.parallel)", "--keys", "\(options.keys)",
    ])
    defer { server.stop() }
    let manifest = folder.appendingPathComponent("chains.yaml")
    try chainsManifest(chains: options.chains, tasksPerKey: options.parallel).write(to: manifest, atomically: true, encoding: .utf8)
    let library = folder.appendingPathComponent("library")
    var runOptions = RunOptions()
    runOptions.provider = .tempolor
    runOptions.baseURL = server.url
    runOptions.outputRoot = library.path
    // One key: the run's limit is the key's. Several: each key's own (concurrency.tasks).
    if options.keys == 1 { runOptions.maxParallel = options.parallel }
    runOptions.pollInterval = .nanoseconds(Int64((options.interval * 1e9).rounded()))
    runOptions.pollTiming = timing
    if options.callbacks { runOptions.listen = (host: "127.0.0.1", port: 0) }
    var variables: [String: String] = [:]
    for number in 1...options.keys { variables[number == 1 ? "TEMPOLOR_API_KEY" : "TEMPOLOR_API_KEY_\(number)"] = benchKey(number) }
    let moments = TailMoments()
    let environment = RunEnvironment(variables: variables, random: RandomSource(seed: 1), events: { moments.note($0) })
    let clock = ContinuousClock()
    var result: RunResult?
    // On the system clock, as the simulator's span ends are: start-up and tail are told from them.
    let startedAt = Date().timeIntervalSince1970
    let elapsed = await clock.measure {
        result = await TempoBatchRun.run(manifest: manifest.path, options: runOptions, environment: environment)
    }
    let stats = try await server.stats()
    let end = startedAt + seconds(elapsed)
    return MakespanFigures(makespan: seconds(elapsed), busy: stats.busySeconds, span: stats.spanSeconds,
                           startUp: (stats.firstCreatedAt ?? startedAt) - startedAt, tail: stats.lastFinalAt.map { end - $0 } ?? 0,
                           tailParts: moments.parts(lastFinal: stats.lastFinalAt ?? end, end: end),
                           noticeLag: stats.noticeLagSeconds / Double(max(1, stats.noticedFinal)),
                           reaction: stats.reactionSeconds / Double(max(1, stats.reactions)),
                           queries: stats.queryCalls, largestBatch: stats.queryItemIDsMax,
                           perItemPolls: Int((stats.busySeconds / options.interval).rounded(.up)), exitCode: result?.exitCode ?? -1,
                           files: countFiles(library), callbacks: stats.callbacksDelivered)
}

/// When the run's last final answer was seen (a task turned `succeeded`), its last file filed
/// (`downloaded`) and its `finished` event sent, on the system clock.
final class TailMoments: @unchecked Sendable {
    private let lock = NSLock()
    private var lastSucceeded: Double?
    private var lastDownloaded: Double?
    private var finished: Double?

    func note(_ event: RunEvent) {
        let now = Date().timeIntervalSince1970
        lock.withLock {
            switch event.kind {
            case .transition(let change) where change.to == "succeeded": lastSucceeded = now
            case .transition(let change) where change.to == "downloaded": lastDownloaded = now
            case .finished: finished = now
            default: break
            }
        }
    }

    /// The tail from `lastFinal` to `end` in its four steps; a step whose moment is missing counts as none.
    func parts(lastFinal: Double, end: Double) -> (notice: Double, filing: Double, reports: Double, wrapUp: Double) {
        lock.withLock {
            let seen = max(lastFinal, lastSucceeded ?? lastFinal)
            let filed = max(seen, lastDownloaded ?? seen)
            let reported = max(filed, finished ?? filed)
            return (seen - lastFinal, filed - seen, reported - filed, end - reported)
        }
    }
}

/// The key of number `n` (1: `TEMPOLOR_API_KEY`, 2: `TEMPOLOR_API_KEY_2`, …) the bench's simulator accepts.
func benchKey(_ number: Int) -> String { "Tempo-bench-key-\(number)-5e4d3c2b1a" }

/// Chains of song → extend → stems: a matrix of 10 styles × `chains / 10` numbers (so `chains`
/// is rounded down to a multiple of 10, at least 10).
func chainsManifest(chains: Int, tasksPerKey: Int) -> String {
    let styles = ["Pop", "Jazz", "Lo-fi", "Rock", "Soul", "Funk", "Folk", "Blues", "Disco", "Ambient"]
    let rows = max(1, chains / styles.count)
    let numbers = (1...rows).map(String.init).joined(separator: ", ")
    return """
    version: 1
    name: chains
    concurrency: { tasks: \(tasksPerKey), downloads: 8 }
    output: { path: "{manifest}/{job}/{style}-{n}" }
    jobs:
      - name: chain
        song:
          prompt: "Track {n}, a warm {style} song"
          lyrics: "[verse]\\nA line for the morning\\n[chorus]\\nSing it out"
        matrix: { n: [\(numbers)], style: [\(styles.joined(separator: ", "))] }
        extend: [{ start_time: 10, lyrics: "[outro]\\nGoodnight" }]
        stems: true

    """
}

func countFiles(_ folder: URL) -> Int {
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    var count = 0
    while let url = enumerator?.nextObject() as? URL {
        if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { count += 1 }
    }
    return count
}
