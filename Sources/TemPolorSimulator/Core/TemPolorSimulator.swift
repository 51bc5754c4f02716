public import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
public import UnixSignals

/// A stateful look-alike of the TemPolor Open API and of useapi.net's TemPolor API, served
/// together over real HTTP on loopback: one server, one port, one shared state (one balance, one
/// set of items, one parallel limit per credential).
///
/// Start it for the length of a scope with ``withRunning(host:port:_:)``, or serve it until
/// shutdown with ``run(host:port:gracefulShutdownSignals:onStarted:)`` (what `tempo-batch
/// simulate` does). Tests reach into it through ``inject(_:path:times:)``, ``stats()`` and the
/// `GET /_sim/stats` endpoint.
public struct TemPolorSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    let state: SimulatorState
    let files: FileCache

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration(), clock: any SimulatorClock = SystemSimulatorClock()) {
        self.configuration = configuration
        state = SimulatorState(configuration: configuration, clock: clock)
        files = FileCache(wavSampleRate: configuration.wavSampleRate)
    }

    // MARK: Inspection and fault scripting

    public func stats() async -> SimulatorStats { await state.currentStats() }

    /// The audio URL an item was made from (stems, a cover, MIDI), if any.
    public func sourceURL(ofItem id: String) async -> String? { await state.sourceURL(ofItem: id) }

    /// The next `times` calls of `path` (or of any API path for `*`) get `fault`, before the
    /// profile is consulted. useapi routes with a job id are keyed by their pattern, such as
    /// `/v1/tempolor/music/{job}`.
    public func inject(_ fault: CallFault, path: String, times: Int = 1) async { await state.script(fault, path: path, times: times) }

    public func inject(download fault: DownloadFault, times: Int = 1) async { await state.script(download: fault, times: times) }

    /// The next created tasks end as listed (nil: normally).
    public func scriptOutcomes(_ outcomes: [OutcomeFault?]) async { await state.script(outcomes: outcomes) }

    public func setFaultProfile(_ profile: FaultProfile) async { await state.setProfile(profile) }

    /// Forgets scripted faults and outcomes that have not been used yet.
    public func clearScriptedFaults() async { await state.clearScripts() }

    // MARK: Serving

    /// Serves until cancelled or shut down gracefully. `onStarted` receives the base URL once
    /// the port is bound (`port: 0` picks a free one).
    public func run(
        host: String = "127.0.0.1", port: Int = 0, gracefulShutdownSignals: [UnixSignal] = [],
        onStarted: @escaping @Sendable (URL) async -> Void = { _ in }
    ) async throws {
        try await serviceGroup(host: host, port: port, gracefulShutdownSignals: gracefulShutdownSignals, onStarted: onStarted).run()
    }

    /// Starts the simulator on loopback, runs `body` with its base URL, then shuts it down
    /// gracefully (open connections are closed, callbacks stop).
    public func withRunning<T: Sendable>(
        host: String = "127.0.0.1", port: Int = 0, _ body: @Sendable (URL) async throws -> T
    ) async throws -> T {
        let (started, continuation) = AsyncStream.makeStream(of: URL.self)
        let group = serviceGroup(host: host, port: port, gracefulShutdownSignals: []) { url in continuation.yield(url) }
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = started.makeAsyncIterator()
            guard let url = await iterator.next() else {
                try await tasks.waitForAll()
                throw SimulatorError.didNotStart
            }
            let result: Result<T, any Error>
            do { result = .success(try await body(url)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    private func serviceGroup(
        host: String, port: Int, gracefulShutdownSignals: [UnixSignal], onStarted: @escaping @Sendable (URL) async -> Void
    ) -> ServiceGroup {
        let router = Router(context: SimulatorContext.self)
        OpenAPIRoutes(state: state, configuration: configuration).register(on: router)
        UseAPIRoutes(state: state, configuration: configuration).register(on: router)
        FileRoutes(state: state, files: files, configuration: configuration).register(on: router)
        var logger = Logger(label: "tempo-batch.simulator")
        logger.logLevel = .critical
        let bound = BoundAddress()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "tempolor-simulator"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                bound.set("http://\(authority)")
                if let url = URL(string: "http://\(authority)") { await onStarted(url) }
            },
            logger: logger
        )
        var dispatcher = CallbackDispatcher(
            state: state, baseURL: { bound.get() }, format: CallbackDispatcher.formats(configuration), log: configuration.log
        )
        dispatcher.tick = configuration.callbackTick
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: dispatcher)],
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(2)
        return ServiceGroup(configuration: groupConfiguration)
    }

    /// Paths whose calls create (and bill) work, on both surfaces: the only ones a lost answer hits.
    static let createPaths = OpenAPIRoutes.createPaths.union(UseAPIRoute.createPatterns)

    public enum SimulatorError: Error, CustomStringConvertible {
        case didNotStart
        public var description: String { "the simulator could not bind its address" }
    }
}

/// The base URL, known once the server is bound.
private final class BoundAddress: @unchecked Sendable {
    private let lock = NSLock()
    private var value = "http://127.0.0.1"

    func set(_ newValue: String) { lock.withLock { value = newValue } }
    func get() -> String { lock.withLock { value } }
}
