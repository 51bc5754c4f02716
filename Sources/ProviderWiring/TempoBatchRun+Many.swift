import BatchManifest
public import BatchRunner
import Foundation
import ProviderKit
import TemPolorSimulator

/// The manifests an argument list names: a folder stands for every `*.yaml` and `*.yml` file
/// directly in it (sorted by name); a file stands for itself.
public enum ManifestPaths {
    public struct EmptyFolder: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) holds no *.yaml or *.yml manifest" }
    }

    /// The paths in order; true when an argument was a folder.
    public static func expand(_ arguments: [String]) throws -> (paths: [String], sawFolder: Bool) {
        var paths: [String] = []
        var sawFolder = false
        for argument in arguments {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder), isFolder.boolValue else {
                paths.append(argument)
                continue
            }
            sawFolder = true
            let names = try FileManager.default.contentsOfDirectory(atPath: argument)
                .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
                .sorted()
            guard !names.isEmpty else { throw EmptyFolder(path: argument) }
            let folder = argument.hasSuffix("/") ? argument : argument + "/"
            paths += names.map { folder + $0 }
        }
        return (paths, sawFolder)
    }
}

extension TempoBatchRun {
    /// `tempo-batch run FOLDER` or `run a.yaml b.yaml …`: every manifest in one run (see
    /// ``Runner/executeMany(_:options:environment:skipped:summary:)``). A manifest with errors is
    /// reported and skipped while the others run, unless `strict`, when nothing runs.
    public static func runMany(
        manifests paths: [String], options: RunOptions, environment: RunEnvironment, strict: Bool = false,
        simulator: EmbeddedSimulator = EmbeddedSimulator()
    ) async -> ManyRunResult {
        var compiled: [(Manifest, TaskGraph)] = []
        var skipped: [SkippedManifest] = []
        for path in paths {
            let compilation = Providers.compile(path, environment: environment.variables, provider: options.provider)
            for diagnostic in compilation.diagnostics {
                environment.events(.note(diagnostic.description, diagnostic.severity == .error ? .error : .warning))
            }
            if let manifest = compilation.manifest, let graph = compilation.graph {
                compiled.append((manifest, graph))
            } else {
                let errors = compilation.diagnostics.filter { $0.severity == .error }.count
                environment.events(.note("\(path): skipped, \(errors) error(s)", .error))
                skipped.append(SkippedManifest(file: path, errors: errors))
            }
        }
        let names = Dictionary(grouping: compiled, by: { $0.0.name }).filter { $0.value.count > 1 }.keys.sorted()
        if !names.isEmpty {
            let message = "several manifests are named \(names.joined(separator: ", ")): their folders and ledger records would mix; rename one (its name: field)"
            return finished(ManyRunResult(runs: [], skipped: skipped), message: message, environment: environment)
        }
        if strict, !skipped.isEmpty {
            return finished(ManyRunResult(runs: [], skipped: skipped), message: "--strict: \(skipped.count) manifest(s) have errors; nothing was run",
                            environment: environment)
        }
        // Where each manifest runs: live, offline (the dry-run asks nobody), or on the built-in
        // simulator of its output root (one per root, keeping its items beside that root's ledger).
        var endpoints: [Endpoint?] = []
        var refused: [Int: RunResult] = [:]
        var simulatedRoots: [URL] = []
        for (index, (manifest, _)) in compiled.enumerated() {
            let provider = options.provider ?? manifest.provider
            let api = Providers.api(of: provider)
            if options.dryRun {
                endpoints.append(Endpoint(api: api, baseURL: URL(fileURLWithPath: "/"), secret: ""))
            } else if provider == .simulator || options.simulate {
                endpoints.append(nil)
                let root = Runner.root(of: manifest, options: options)
                if !simulatedRoots.contains(root) { simulatedRoots.append(root) }
            } else {
                do {
                    endpoints.append(try Endpoint.live(api, options: options, variables: environment.variables, region: manifest.api.region))
                } catch {
                    endpoints.append(nil)
                    refused[index] = RunResult(exitCode: Runner.ExitCode.invalid, message: "\(manifest.name): \(error)")
                }
            }
        }
        let result = await withSimulators(simulatedRoots[...], started: [:], simulator: simulator, environment: environment) {
            [compiled, endpoints, refused, skipped] simulators in
            var options = options
            if !simulators.isEmpty, options.pollInterval == nil { options.pollInterval = .milliseconds(100) }
            var chosen: [Endpoint?] = endpoints
            for (index, (manifest, _)) in compiled.enumerated() where chosen[index] == nil && refused[index] == nil {
                let provider = options.provider ?? manifest.provider
                let api = Providers.api(of: provider)
                // A root another run holds gets no simulator: its manifests are refused as locked.
                let url = simulators[Runner.root(of: manifest, options: options)] ?? URL(fileURLWithPath: "/")
                let settings = simulator.configuration
                chosen[index] = Endpoint(api: api, baseURL: url, secrets: settings.secrets(for: api))
            }
            return await execute(compiled, endpoints: chosen, refused: refused, skipped: skipped, options: options, environment: environment)
        }
        var message: String?
        if !result.skipped.isEmpty { message = "\(result.skipped.count) manifest(s) skipped for their errors" }
        return finished(result, message: message, environment: environment)
    }

    /// The run's last event: the worst exit code and one line per manifest.
    private static func finished(_ result: ManyRunResult, message: String?, environment: RunEnvironment) -> ManyRunResult {
        var parts = result.runs.map { "\($0.manifest) \($0.result.exitCode)" } + result.skipped.map { "\($0.file) skipped" }
        if let message { parts.append(message) }
        environment.events(RunEvent(.finished(RunEvent.Finish(
            exitCode: result.exitCode, summary: "\(result.runs.count + result.skipped.count) manifest(s), exit code \(result.exitCode): " + parts.joined(separator: "; "),
            report: result.summaries.first?.path
        ))))
        return result
    }

    /// Starts one built-in simulator per output root (not for a root another run holds), all
    /// running while `body` runs.
    private static func withSimulators(
        _ roots: ArraySlice<URL>, started: [URL: URL], simulator: EmbeddedSimulator, environment: RunEnvironment,
        body: @escaping @Sendable ([URL: URL]) async -> ManyRunResult
    ) async -> ManyRunResult {
        guard let root = roots.first else { return await body(started) }
        if Runner.isLocked(outputRoot: root.path) {
            return await withSimulators(roots.dropFirst(), started: started, simulator: simulator, environment: environment, body: body)
        }
        var settings = simulator.configuration
        settings.stateFile = settings.stateFile ?? root.appendingPathComponent(".tempo-batch/simulator-state.json")
        let configuration = settings
        let server = TemPolorSimulator(configuration: configuration, clock: simulator.clock)
        do {
            return try await server.withRunning { url in
                environment.output("Running \(root.path) against the built-in simulator at \(url.absoluteString) (time scale \(configuration.timeScale)); nothing is paid.")
                var more = started
                more[root] = url
                return await withSimulators(roots.dropFirst(), started: more, simulator: simulator, environment: environment, body: body)
            }
        } catch {
            return ManyRunResult(runs: [("simulator", RunResult(exitCode: Runner.ExitCode.invalid, message: "the built-in simulator did not start: \(error)"))], skipped: [])
        }
    }

    private static func execute(
        _ compiled: [(Manifest, TaskGraph)], endpoints: [Endpoint?], refused: [Int: RunResult], skipped: [SkippedManifest],
        options: RunOptions, environment: RunEnvironment
    ) async -> ManyRunResult {
        let http = HTTPTransport.makeAPIClient()
        let redactor = Redactor(secrets: endpoints.flatMap { $0?.secrets ?? [] }.filter { !$0.isEmpty })
        var environment = environment
        let events = environment.events
        environment.events = { events($0.mapText(redactor.clean)) }
        var entries: [RunEntry] = []
        var positions: [Int] = []
        for (index, (manifest, graph)) in compiled.enumerated() {
            guard refused[index] == nil, let endpoint = endpoints[index] else { continue }
            let provider = endpoint.provider(http: http, options: manifest.providerOptions, output: environment.output)
            let account = endpoint.account
            entries.append(RunEntry(manifest: manifest, graph: graph, provider: provider, account: account))
            positions.append(index)
        }
        let ran: ManyRunResult
        do {
            ran = try await Callbacks.around(options.dryRun ? RunOptions.noListening(options) : options, environment) { [entries] options, environment in
                await Runner.executeMany(entries, options: options, environment: environment, skipped: skipped, summary: true)
            }
        } catch {
            ran = ManyRunResult(runs: entries.map { ($0.manifest.name, RunResult(exitCode: Runner.ExitCode.invalid, message: "\(error)")) }, skipped: skipped)
        }
        try? await http.shutdown()
        var runs: [(manifest: String, result: RunResult)] = []
        var byPosition: [Int: (manifest: String, result: RunResult)] = [:]
        for (position, run) in zip(positions, ran.runs) { byPosition[position] = run }
        for index in compiled.indices {
            if let run = byPosition[index] {
                if run.result.report == nil, let message = run.result.message { environment.events(.note("\(run.manifest): \(message)", .error)) }
                runs.append((run.manifest, RunResult(exitCode: run.result.exitCode, report: run.result.report, message: run.result.message.map(redactor.clean))))
            } else if let refusal = refused[index] {
                environment.events(.note(redactor.clean(refusal.message ?? "refused"), .error))
                runs.append((compiled[index].0.name, refusal))
            }
        }
        var result = ManyRunResult(runs: runs, skipped: skipped)
        result.summaries = ran.summaries
        return result
    }
}
