import AsyncHTTPClient
import BatchRunner
import Foundation
import ProviderKit
import ProviderWiring
import NIOCore
import TemPolorSimulator

/// The runner's own cost per task: N songs against a simulator with no processing time and
/// one-second files, run in a process of its own (this binary's `serve` mode) so that only the
/// runner's CPU is counted here. Prints CPU (user + system) per task and the peak resident
/// memory of the run's process.
func cpuBench(_ options: Options) async throws {
    let key = benchKey(1)
    print("\(options.tasks) songs (create, status, mp3 + WAV + LRC download, tags, hashes, ledger) against a simulator in another process: every task final at once, 1-second files")
    print("CPU: user + system time of this process during the run (the simulator's is not counted); peak memory: this process's maximum resident set")
    // Every run's library is removed after the last run, not between runs: on ext4 without a
    // journal, each file created skips over the inodes deleted in the last minutes (the kernel's
    // `recently_deleted`), so a run right after a removal pays in kernel time for the one before.
    var folders: [URL] = []
    defer { for folder in folders { try? FileManager.default.removeItem(at: folder) } }
    for run in 1...max(1, options.runs) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-cpu-bench-\(getpid())-\(run)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        folders.append(folder)
        let server = try SimulatorProcess(folder: folder, arguments: ["--profile", "cpu"])
        defer { server.stop() }
        let manifest = folder.appendingPathComponent("songs.yaml")
        try songsManifest(count: options.tasks).write(to: manifest, atomically: true, encoding: .utf8)
        var runOptions = RunOptions()
        runOptions.provider = .tempolor
        runOptions.baseURL = server.url
        runOptions.outputRoot = folder.appendingPathComponent("library").path
        runOptions.pollInterval = .milliseconds(5)
        let lines = LineCounter()
        let environment = RunEnvironment(variables: ["TEMPOLOR_API_KEY": key], random: RandomSource(seed: 1), output: { lines.add($0) })
        let before = cpuSplit()
        let clock = ContinuousClock()
        var result: RunResult?
        let elapsed = await clock.measure {
            result = await TempoBatchRun.run(manifest: manifest.path, options: runOptions, environment: environment)
        }
        let after = cpuSplit()
        let user = after.user - before.user, system = after.system - before.system, cpu = user + system
        let perTask = { (seconds: Double) in seconds * 1000 / Double(max(1, options.tasks)) }
        print(String(format: "run %d: %d tasks in %.2f s wall; runner CPU %.2f s = %.2f ms per task (user %.2f ms, kernel %.2f ms); peak memory %.1f MiB; exit %d, %d files",
                     run, options.tasks, seconds(elapsed), cpu, perTask(cpu), perTask(user), perTask(system), peakResidentMegabytes(),
                     result?.exitCode ?? -1, countFiles(folder.appendingPathComponent("library"))))
    }
}

/// `tempo-batch-bench serve --port-file F --profile cpu|makespan [--time-scale S] [--parallel P]
/// [--keys K]`: the simulator a bench talks to, in a process of its own, until killed. `cpu`:
/// every task final at once, 1-second files. `makespan`: the documented durations at the time
/// scale, P slots per key, K keys, callbacks sent as soon as they are due.
func serveSimulator(_ options: Options) async throws {
    var configuration = SimulatorConfiguration()
    configuration.apiKey = benchKey(1)
    configuration.wavSampleRate = 8000
    configuration.initialBalance = 1e12
    if options.profile == "cpu" {
        configuration.processingTime = 0
        configuration.fixedDuration = 1
        configuration.parallelLimit = 1000
    } else {
        configuration.timeScale = options.timeScale
        configuration.parallelLimit = options.parallel
        // Short audio keeps the library small; processing times do not depend on it.
        configuration.fixedDuration = 12
        configuration.callbackTick = .milliseconds(2)
        configuration.extraKeys = (1..<max(1, options.keys)).map { .init(apiKey: benchKey($0 + 1), parallelLimit: options.parallel, balance: 1e12) }
    }
    let simulator = TemPolorSimulator(configuration: configuration)
    try await simulator.run(host: "127.0.0.1", port: 0, gracefulShutdownSignals: [.sigterm]) { url in
        try? url.absoluteString.write(toFile: options.portFile ?? "/dev/stdout", atomically: true, encoding: .utf8)
    }
}

/// This binary in `serve` mode, as a child process.
final class SimulatorProcess {
    let process = Process()
    let url: URL

    init(folder: URL, arguments: [String]) throws {
        let portFile = folder.appendingPathComponent("url")
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["serve", "--port-file", portFile.path] + arguments
        try process.run()
        for _ in 0..<1000 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let url = URL(string: text), url.port != nil {
                self.url = url
                return
            }
            usleep(10_000)
        }
        process.terminate()
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "the simulator did not start"])
    }

    /// What `GET /_sim/stats` answers.
    func stats() async throws -> SimulatorStats {
        let http = HTTPTransport.makeAPIClient()
        do {
            let response = try await http.execute(HTTPClientRequest(url: url.appendingPathComponent("_sim/stats").absoluteString), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            try await http.shutdown()
            return try JSONDecoder().decode(SimulatorStats.self, from: Data(buffer: body))
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// `count` songs with lyrics given (no lyrics task), in jobs of 100, 20 at a time.
func songsManifest(count: Int) -> String {
    var text = """
    version: 1
    name: songs
    concurrency: { tasks: 20, downloads: 8 }
    output: { path: "{manifest}/{job}/{n}" }
    jobs:

    """
    var left = max(1, count), job = 0
    while left > 0 {
        let size = min(100, left)
        text += """
          - name: job-\(job)
            song:
              prompt: "Track {n} of job \(job), a warm song"
              lyrics: "[verse]\\nA line for the morning\\n[chorus]\\nSing it out"
            matrix: { n: [\((1...size).map(String.init).joined(separator: ", "))] }

        """
        left -= size
        job += 1
    }
    return text
}
