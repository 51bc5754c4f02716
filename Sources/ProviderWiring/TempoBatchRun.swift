import BatchManifest
public import BatchRunner
import Foundation
import ProviderKit
import TemPolorClient
public import TemPolorSimulator
import UseAPIClient

/// The built-in simulator's settings for a run (`provider: simulator` or `run --simulator`).
public struct EmbeddedSimulator: Sendable {
    public var configuration: SimulatorConfiguration
    public var clock: any SimulatorClock

    public init(configuration: SimulatorConfiguration? = nil, clock: any SimulatorClock = SystemSimulatorClock()) {
        self.configuration = configuration ?? {
            var configuration = SimulatorConfiguration()
            configuration.timeScale = 0.01
            return configuration
        }()
        self.clock = clock
    }
}

extension SimulatorConfiguration {
    /// The secrets a run sends to this simulator: the Open API's keys (the primary and every
    /// further one, a pool) or the useapi.net token.
    func secrets(for api: Provider) -> [String] {
        api == .useapi ? [useapiToken] : [apiKey] + extraKeys.map(\.apiKey)
    }
}

/// `tempo-batch run`: compiles the manifest, chooses the provider, reads its credentials (or
/// starts the built-in simulator), and hands the graph to ``Runner/execute``. The library below
/// never starts servers or reads the environment; this is where that happens.
public enum TempoBatchRun {
    public static func run(
        manifest path: String, options: RunOptions, environment: RunEnvironment, simulator: EmbeddedSimulator = EmbeddedSimulator()
    ) async -> RunResult {
        let compilation = Providers.compile(path, environment: environment.variables, provider: options.provider)
        for diagnostic in compilation.diagnostics {
            environment.events(.note(diagnostic.description, diagnostic.severity == .error ? .error : .warning))
        }
        guard let manifest = compilation.manifest, let graph = compilation.graph else {
            return RunResult(exitCode: Runner.ExitCode.invalid, message: "the manifest has errors")
        }
        let provider = options.provider ?? manifest.provider
        // The wire API spoken: the simulator speaks the Open API unless asked to stand in for useapi.
        let api = Providers.api(of: provider)
        do {
            if options.dryRun {
                // The plan asks no provider anything: no key, no simulator, no network.
                let offline = Endpoint(api: api, baseURL: URL(fileURLWithPath: "/"), secret: "")
                return await execute(manifest, graph, endpoint: offline, options: options, environment: environment)
            }
            if provider == .simulator || options.simulate {
                return try await runOnSimulator(manifest, graph, api: api, options: options, environment: environment, simulator: simulator)
            }
            let endpoint = try Endpoint.live(api, options: options, variables: environment.variables, region: manifest.api.region)
            return await execute(manifest, graph, endpoint: endpoint, options: options, environment: environment)
        } catch {
            return RunResult(exitCode: Runner.ExitCode.invalid, message: "\(error)")
        }
    }

    /// The embedded simulator keeps its items beside the ledger, so an interrupted rehearsal
    /// resumes against a simulator that still knows what was submitted.
    private static func runOnSimulator(
        _ manifest: Manifest, _ graph: TaskGraph, api: Provider, options: RunOptions, environment: RunEnvironment, simulator: EmbeddedSimulator
    ) async throws -> RunResult {
        var configuration = simulator.configuration
        let root = URL(fileURLWithPath: options.outputRoot ?? manifest.output.root, isDirectory: true)
        // An overlapping run exits before a simulator is started for it.
        if Runner.isLocked(outputRoot: root.path) { return Runner.lockedResult(root.standardizedFileURL) }
        configuration.stateFile = configuration.stateFile ?? root.appendingPathComponent(".tempo-batch/simulator-state.json")
        let server = TemPolorSimulator(configuration: configuration, clock: simulator.clock)
        let settings = configuration
        return try await server.withRunning { url in
            environment.output("Running against the built-in simulator at \(url.absoluteString) (\(api == .useapi ? "useapi.net" : "Open API") routes, time scale \(settings.timeScale)); nothing is paid.")
            var options = options
            if options.pollInterval == nil { options.pollInterval = .milliseconds(100) }
            return await execute(manifest, graph, endpoint: Endpoint(api: api, baseURL: url, secrets: settings.secrets(for: api)), options: options, environment: environment)
        }
    }

    private static func execute(
        _ manifest: Manifest, _ graph: TaskGraph, endpoint: Endpoint, options: RunOptions, environment: RunEnvironment
    ) async -> RunResult {
        let http = HTTPTransport.makeAPIClient()
        let provider = endpoint.provider(http: http, options: manifest.providerOptions, output: environment.output)
        let redactor = Redactor(secrets: endpoint.secrets)
        var environment = environment
        let events = environment.events
        environment.events = { events($0.mapText(redactor.clean)) }
        let result: RunResult
        do {
            result = try await Callbacks.around(options.dryRun ? RunOptions.noListening(options) : options, environment) { options, environment in
                await Runner.execute(manifest, graph, provider: provider, options: options, environment: environment)
            }
        } catch {
            result = RunResult(exitCode: Runner.ExitCode.invalid, message: "\(error)")
        }
        try? await http.shutdown()
        return RunResult(exitCode: result.exitCode, report: result.report, message: result.message.map(redactor.clean))
    }
}
