import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceLifecycle

/// Delivers callbacks for tasks whose `callback_url` is on loopback, retrying until the receiver
/// answers HTTP 200 with the body `success` (or the attempts run out). Never calls any other host.
struct CallbackDispatcher: Service {
    let state: SimulatorState
    let baseURL: @Sendable () -> String
    let log: @Sendable (String) -> Void
    /// How often due callbacks are looked for (real time).
    var tick: Duration = .milliseconds(20)

    func run() async throws {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(5)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let due = await state.dueCallbacks()
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
        guard CallbackTarget.isLoopback(callback.url), let body = try? await state.callbackBody(for: callback, base: baseURL()) else {
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
            delivered = response.status.code == 200 && text.trimmingCharacters(in: .whitespacesAndNewlines) == "success"
        } catch {
            delivered = false
        }
        log("callback \(callback.event) \(callback.itemID) -> \(delivered ? "success" : "retry later")")
        await state.callbackFinished(callback, delivered: delivered)
    }
}
