import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceLifecycle

/// Delivers callbacks for items whose callback URL is on loopback, retrying until the receiver
/// accepts (or the attempts run out). Never calls any other host. What the events are, what each
/// body holds and what counts as accepted is the item's surface's business (``CallbackFormat``).
struct CallbackDispatcher: Service {
    let state: SimulatorState
    let baseURL: @Sendable () -> String
    let format: @Sendable (Surface) -> CallbackFormat
    let log: @Sendable (String) -> Void
    /// How often due callbacks are looked for (real time).
    var tick: Duration = .milliseconds(20)

    func run() async throws {
        let client = Self.makeClient()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await deliverDue(client: client)
                try? await Task.sleep(for: tick)
            }
        }
        try? await client.shutdown()
    }

    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(5)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One look for due callbacks: sends each callback due at the clock's current time once, all
    /// at the same time, and returns when their answers are in. Returns how many were sent.
    @discardableResult
    func deliverDue(client: HTTPClient) async -> Int {
        let format = self.format
        let due = await state.dueCallbacks { item, now in format(item.surface).events(item, now) }
        await deliver(due, client: client)
        return due.count
    }

    /// Steps callbacks by hand (tests, with a ``ManualSimulatorClock``): sends what is due at the
    /// clock's current time, then what that made due (the next event of an item whose event was
    /// accepted), until nothing is due and no delivery is in flight, including deliveries the
    /// running dispatcher's own loop started. With a clock that stands still, nothing more goes
    /// out until the clock is advanced.
    func deliverDue() async {
        let client = Self.makeClient()
        let format = self.format
        while true {
            let (due, busy) = await state.dueCallbacksAndWhetherBusy { item, now in format(item.surface).events(item, now) }
            if due.isEmpty {
                if !busy { break }
                // Another loop's delivery is still out: wait for it to be answered.
                try? await Task.sleep(for: .milliseconds(2))
                continue
            }
            await deliver(due, client: client)
        }
        try? await client.shutdown()
    }

    private func deliver(_ due: [SimulatorState.DueCallback], client: HTTPClient) async {
        await withTaskGroup(of: Void.self) { group in
            for callback in due {
                group.addTask { await deliver(callback, client: client) }
            }
        }
    }

    private func deliver(_ callback: SimulatorState.DueCallback, client: HTTPClient) async {
        let format = format(callback.item.surface)
        guard CallbackTarget.isLoopback(callback.url), let body = try? await format.body(state, callback, baseURL()) else {
            await state.callbackFinished(callback, delivered: false)
            return
        }
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        var delivered = false
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            delivered = format.accepts(response.status.code, text)
        } catch {
            delivered = false
        }
        log("callback \(callback.event) \(callback.itemID) -> \(delivered ? "success" : "retry later")")
        await state.callbackFinished(callback, delivered: delivered)
    }
}

extension CallbackDispatcher {
    /// The callback formats of a simulator's surfaces.
    static func formats(_ configuration: SimulatorConfiguration) -> @Sendable (Surface) -> CallbackFormat {
        let useapi = CallbackFormat.useapi(configuration)
        return { $0 == .useapi ? useapi : .openAPI }
    }

    /// A dispatcher for a running simulator's state and formats, to step its callbacks by hand
    /// with ``deliverDue()``; `baseURL` is the simulator's (for signed URLs in bodies).
    init(stepping simulator: TemPolorSimulator, baseURL: String) {
        self.init(state: simulator.state, baseURL: { baseURL }, format: Self.formats(simulator.configuration),
                  log: simulator.configuration.log)
    }
}

extension SimulatorState {
    /// ``dueCallbacks(events:)``, and whether a delivery handed out earlier is still in flight,
    /// as one step: when neither, nothing is left to deliver at the clock's current time.
    func dueCallbacksAndWhetherBusy(events: @Sendable (SimulatedItem, Date) -> [String]) -> (due: [DueCallback], busy: Bool) {
        let busy = callbacks.hasInFlight
        return (dueCallbacks(events: events), busy)
    }
}

/// How one surface calls back about its items.
struct CallbackFormat: Sendable {
    /// The events an item has had by a time, in the order they are sent.
    let events: @Sendable (SimulatedItem, Date) -> [String]
    /// The body of one callback; the string is the simulator's base URL (for signed URLs).
    let body: @Sendable (SimulatorState, SimulatorState.DueCallback, String) async throws -> Data
    /// Whether the receiver's answer (HTTP status, body) counts as delivered.
    let accepts: @Sendable (UInt, String) -> Bool
}

/// Callback targets the simulator is allowed to call: loopback only, whatever it is told.
enum CallbackTarget {
    static func isLoopback(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased()
        else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
