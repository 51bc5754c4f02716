public import Foundation
import Hummingbird
import Logging
import NIOCore
public import ProviderKit
import ServiceLifecycle

/// `run --listen HOST:PORT`: a small HTTP receiver for the providers' callbacks (the Open API's
/// `callback_url`, useapi.net's `replyUrl`). Every URL handed out carries a per-run secret token
/// in its path; a request without it is refused (403) and never read. Bodies over the limit are
/// refused (413), bodies that are not a JSON object too (400); anything else is answered
/// `success` (what the Open API waits for) and becomes a ``Wakeup``.
public struct CallbackReceiver: Sendable {
    public let token: String
    public let maxBodyBytes: Int

    /// A fresh random token (32 hex characters from the system's random source) unless given.
    public init(token: String? = nil, maxBodyBytes: Int = 256 * 1024) {
        self.token = token ?? (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.maxBodyBytes = maxBodyBytes
    }

    /// The callback URL to send to providers: the public base URL (`--callback-url`, which
    /// must reach the listening address) with the token's path.
    public func callbackURL(publicBase: URL) -> URL {
        publicBase.appendingPathComponent("callbacks").appendingPathComponent(token)
    }

    /// Serves on `host:port` while `body` runs (`port` 0: any free port), passing `body` the
    /// bound base URL; every accepted callback is handed to `wake`.
    public func withRunning<T: Sendable>(
        host: String, port: Int, wake: @escaping @Sendable (Wakeup) -> Void, _ body: @Sendable (URL) async throws -> T
    ) async throws -> T {
        let router = Router()
        let token = self.token, limit = maxBodyBytes
        router.post("callbacks/:token") { request, context -> Response in
            guard let given = context.parameters.get("token"), Self.sameSecret(given, token) else {
                return Self.text(.forbidden, "unknown callback")
            }
            let data: ByteBuffer
            do {
                data = try await request.body.collect(upTo: limit)
            } catch {
                return Self.text(.contentTooLarge, "body over \(limit) bytes")
            }
            guard let wakeup = Self.wakeup(from: Data(buffer: data)) else { return Self.text(.badRequest, "not a JSON object") }
            wake(wakeup)
            return Self.text(.ok, "success")
        }
        var logger = Logger(label: "tempo-batch.callbacks")
        logger.logLevel = .critical
        let (started, continuation) = AsyncStream.makeStream(of: URL.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "tempo-batch"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                let authority = host.contains(":") ? "[\(host)]:\(bound)" : "\(host):\(bound)"
                if let url = URL(string: "http://\(authority)") { continuation.yield(url) }
            },
            logger: logger
        )
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        let group = ServiceGroup(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = started.makeAsyncIterator()
            guard let url = await iterator.next() else {
                try await tasks.waitForAll()
                throw CallbackReceiverError(description: "the callback receiver could not listen on \(host):\(port)")
            }
            let result: Result<T, any Error>
            do { result = .success(try await body(url)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// The items a callback body names: the Open API's `{"songs" | "instrumentals" | "lyrics" |
    /// "stems" | "midis": [{"item_id": …}, …]}`, a useapi job (`jobid`, `job_id` or `jobId`);
    /// `.all` for any other JSON object; nil for anything that is not a JSON object.
    static func wakeup(from data: Data) -> Wakeup? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        var ids: [String] = []
        for key in ["songs", "instrumentals", "lyrics", "stems", "midis"] {
            for item in object[key] as? [[String: Any]] ?? [] {
                if let id = item["item_id"] as? String, !id.isEmpty { ids.append(id) }
            }
        }
        for key in ["jobid", "job_id", "jobId"] {
            if let id = object[key] as? String, !id.isEmpty { ids.append(id) }
        }
        return ids.isEmpty ? .all : .items(ids)
    }

    /// Compares in time independent of where the strings differ.
    static func sameSecret(_ given: String, _ secret: String) -> Bool {
        let a = Array(given.utf8), b = Array(secret.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

public struct CallbackReceiverError: Error, CustomStringConvertible {
    public let description: String
}
