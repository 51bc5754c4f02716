import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing
@testable import TemPolorSimulator

/// A loopback receiver that records callbacks and refuses the first `refusals` of them (HTTP
/// `refusalStatus` with the body `not yet`).
actor CallbackReceiver {
    struct Received: Sendable {
        let event: String
        let itemID: String
        /// The body's single key: songs, instrumentals, lyrics or stems.
        let kind: String
    }

    private(set) var received: [Received] = []
    /// Every body as it arrived.
    private(set) var bodies: [Data] = []
    private var refusals: Int

    init(refusals: Int) { self.refusals = refusals }

    func receive(_ data: Data) -> String {
        bodies.append(data)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let item = (body.values.first as? [[String: Any]])?.first ?? [:]
        received.append(Received(event: item["event"] as? String ?? "-", itemID: item["item_id"] as? String ?? "", kind: body.keys.first ?? ""))
        if refusals > 0 {
            refusals -= 1
            return "not yet"
        }
        return "success"
    }

    var events: [String] { received.map(\.event) }
}

@Suite("Callbacks")
struct CallbackTests {
    /// Runs a receiver on an ephemeral loopback port for the length of `body`.
    static func withReceiver(
        refusals: Int, refusalStatus: HTTPResponse.Status = .ok, _ body: @Sendable (CallbackReceiver, String) async throws -> Void
    ) async throws {
        let receiver = CallbackReceiver(refusals: refusals)
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let data = try await request.body.collect(upTo: 1 << 20)
            let answer = await receiver.receive(Data(buffer: data))
            return Response(status: answer == "success" ? .ok : refusalStatus, body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "callback-receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            try await body(receiver, "http://127.0.0.1:\(port)/hook?token=abc")
            group.cancelAll()
        }
    }

    static func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func songCallbacksArriveInOrderAndAreRetriedUntilSuccess() async throws {
        try await Self.withReceiver(refusals: 2) { receiver, hook in
            try await Harness.with(Harness.configuration { $0.timeScale = 0.002 }) { sim in
                let created = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor v3.5", "lyrics": "[verse]\nhello", "callback_url": hook])
                try await Self.waitUntil { await receiver.received.count >= 5 }
                try await Task.sleep(for: .milliseconds(200))
                let events = await receiver.events
                // audio_complete comes first and is sent again until the receiver says success;
                // then the other two, once each.
                #expect(Array(events.prefix(3)) == ["audio_complete", "audio_complete", "audio_complete"])
                #expect(Set(events.dropFirst(3)) == ["wav_complete", "lrcsections_complete"])
                #expect(events.count == 5)
                let stats = try await sim.stats()
                #expect(stats["callbacks_delivered"] as? Int == 3)
                #expect(stats["callback_attempts"] as? Int == 5)
                #expect(await receiver.received.allSatisfy { $0.itemID == created.itemID && $0.kind == "songs" })
            }
        }
    }

    @Test func lyricsAndStemsCallbacksComeOnce() async throws {
        try await Self.withReceiver(refusals: 0) { receiver, hook in
            try await Harness.with(Harness.configuration { $0.timeScale = 0.002 }) { sim in
                _ = try await sim.post("lyrics/generate", ["prompt": "sea", "callback_url": hook])
                _ = try await sim.post("stems", ["url": "https://cdn.example.com/a.mp3", "callback_url": hook])
                try await Self.waitUntil { await receiver.received.count >= 2 }
                try await Task.sleep(for: .milliseconds(300))
                #expect(await receiver.received.map(\.kind).sorted() == ["lyrics", "stems"])
            }
        }
    }

    @Test func nonLoopbackCallbacksAreNeverCalled() async throws {
        try await Harness.with(Harness.configuration { $0.timeScale = 0.002 }) { sim in
            let id = try await sim.createSong()
            _ = try await sim.waitFor("song", id, statuses: ["succeeded"])
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await sim.stats()["callback_attempts"] as? Int == 0)
        }
        #expect(CallbackTarget.isLoopback("http://127.0.0.1:9/x"))
        #expect(CallbackTarget.isLoopback("http://localhost/x"))
        #expect(!CallbackTarget.isLoopback("http://10.0.0.1/x"))
        #expect(!CallbackTarget.isLoopback("https://hooks.example.com/x"))
    }
}
