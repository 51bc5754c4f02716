import BatchRunner
import Foundation
import ProviderKit
import ProviderWiring
import TemPolorSimulator

/// The provider as the bottleneck: the simulator in-process on loopback with a parallel limit
/// of P per key, N chains of song → extend → stems run by the real runner against it (HTTP,
/// `--max-parallel P`), once per poll timing. Prints the makespan against the ideal (the
/// provider's busy time / P) and what the status checks cost.
func makespanBench(_ options: Options) async throws {
    let timings: [PollTiming] = options.poller == "both" ? [.fixed, .expected] : PollTiming(rawValue: options.poller).map { [$0] } ?? []
    guard !timings.isEmpty else { Options.usage() }
    print(String(format: "%d chains of song → extend → stems, parallel limit %d, time scale %g, poll interval %g s (%g s at scale 1)",
                 options.chains, options.parallel, options.timeScale, options.interval, options.interval / options.timeScale))
    print("busy time: from the simulator's items (each item's creation to its scheduled final moment), summed; ideal = busy / parallel limit")
    print("makespan: the wall time of one TempoBatchRun.run (compile, plan, every create, status check, download and report)")
    print("provider span: from the first item's creation to the last item's final moment (the part a poller can shorten; the rest is start-up and the last downloads)")
    print("per-item polls: Σ over items of ceil(creation-to-final / interval), what a poller checking each item alone every interval would call")
    for run in 1...max(1, options.runs) {
        for timing in timings {
            let figures = try await makespanRun(options, timing: timing)
            print(String(format: "%@ run %d: makespan %.2f s, ideal %.2f s (busy %.1f s / %d), ratio %.3f; provider span %.2f s, ratio %.3f; mean notice lag %.1f ms, reaction %.1f ms; %d query calls (largest batch %d), per-item polls %d; exit %d, %d files; %@",
                         timing.rawValue, run, figures.makespan, figures.busy / Double(options.parallel), figures.busy, options.parallel,
                         figures.makespan / (figures.busy / Double(options.parallel)), figures.span, figures.span / (figures.busy / Double(options.parallel)), figures.noticeLag * 1000, figures.reaction * 1000, figures.queries, figures.largestBatch, figures.perItemPolls,
                         figures.exitCode, figures.files, figures.summary.prefix(100).description))
        }
    }
}

struct MakespanFigures {
    var makespan: Double
    var busy: Double
    var span: Double
    var noticeLag: Double
    var reaction: Double
    var queries: Int
    var largestBatch: Int
    var perItemPolls: Int
    var exitCode: Int32
    var files: Int
    var summary: String
}

private func makespanRun(_ options: Options, timing: PollTiming) async throws -> MakespanFigures {
    let key = "Tempo-bench-key-5e4d3c2b1a"
    var configuration = SimulatorConfiguration()
    configuration.apiKey = key
    configuration.timeScale = options.timeScale
    configuration.parallelLimit = options.parallel
    configuration.initialBalance = 10_000_000
    // Short audio keeps the library small; processing times do not depend on it.
    configuration.fixedDuration = 12
    configuration.wavSampleRate = 8000
    let simulator = TemPolorSimulator(configuration: configuration)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-makespan-bench-\(getpid())-\(timing.rawValue)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let manifest = folder.appendingPathComponent("chains.yaml")
    try chainsManifest(chains: options.chains).write(to: manifest, atomically: true, encoding: .utf8)
    let library = folder.appendingPathComponent("library")

    return try await simulator.withRunning { url in
        var runOptions = RunOptions()
        runOptions.provider = .tempolor
        runOptions.baseURL = url
        runOptions.outputRoot = library.path
        runOptions.maxParallel = options.parallel
        runOptions.pollInterval = .nanoseconds(Int64((options.interval * 1e9).rounded()))
        runOptions.pollTiming = timing
        let lines = LineCounter()
        let environment = RunEnvironment(variables: ["TEMPOLOR_API_KEY": key], random: RandomSource(seed: 1), output: { lines.add($0) })
        let clock = ContinuousClock()
        var result: RunResult?
        let elapsed = await clock.measure {
            result = await TempoBatchRun.run(manifest: manifest.path, options: runOptions, environment: environment)
        }
        let stats = await simulator.stats()
        let spans = await simulator.itemSpans()
        let busy = spans.reduce(0.0) { $0 + $1.seconds }
        let perItem = spans.reduce(0) { $0 + Int(($1.seconds / options.interval).rounded(.up)) }
        let span = (spans.map(\.finalAt).max() ?? .distantPast).timeIntervalSince(spans.map(\.createdAt).min() ?? .distantPast)
        return MakespanFigures(makespan: seconds(elapsed), busy: busy, span: span, noticeLag: stats.noticeLagSeconds / Double(max(1, stats.noticedFinal)),
                               reaction: stats.reactionSeconds / Double(max(1, stats.reactions)), queries: stats.queryCalls, largestBatch: stats.queryItemIDsMax,
                               perItemPolls: perItem, exitCode: result?.exitCode ?? -1, files: countFiles(library), summary: lines.last)
    }
}

/// Chains of song → extend → stems: a matrix of 10 styles × `chains / 10` numbers (so `chains`
/// is rounded down to a multiple of 10, at least 10).
func chainsManifest(chains: Int) -> String {
    let styles = ["Pop", "Jazz", "Lo-fi", "Rock", "Soul", "Funk", "Folk", "Blues", "Disco", "Ambient"]
    let rows = max(1, chains / styles.count)
    let numbers = (1...rows).map(String.init).joined(separator: ", ")
    return """
    version: 1
    name: chains
    concurrency: { tasks: 10, downloads: 8 }
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

private func countFiles(_ folder: URL) -> Int {
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    var count = 0
    while let url = enumerator?.nextObject() as? URL {
        if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { count += 1 }
    }
    return count
}
