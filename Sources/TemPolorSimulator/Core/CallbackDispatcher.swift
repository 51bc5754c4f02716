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
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(5)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let format = self.format
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let due = await state.dueCallbacks { item, now in format(item.surface).events(item, now) }
                await withTaskGroup(of: Void.self) { group in
                    for callback in due {
                        group.addTask { await deliver(callback, client: client) }
                    }
                }
                try? await Task.sleep(for: tick)
            }
        }
        try? await client.shutdown()
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
