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

    /// Moves simulated time on by `seconds`, then delivers every callback due by then (and what
    /// those deliveries made due) and waits until none is in flight. With the clock standing
    /// still, nothing more is sent until the next step, so counts taken afterwards are final.
    static func step(_ sim: Harness, _ clock: ManualSimulatorClock, by seconds: TimeInterval) async {
        clock.advance(by: seconds)
        await CallbackDispatcher(stepping: sim.simulator, baseURL: sim.baseURL.absoluteString).deliverDue()
    }

    /// Longer than any retry wait (the 16x cap of the 5 s retry interval), and than any stage.
    static let pastEveryRetry: TimeInterval = 3600

    @Test func songCallbacksArriveInOrderAndAreRetriedUntilSuccess() async throws {
        try await Self.withReceiver(refusals: 2) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let created = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor v3.5", "lyrics": "[verse]\nhello", "callback_url": hook])
                #expect(created.status == 200000, "\(created.json)")
                await Self.step(sim, clock, by: 39)
                #expect(await receiver.events.isEmpty, "nothing is sent before the mp3 is ready (40 s)")
                await Self.step(sim, clock, by: 2)
                #expect(await receiver.events == ["audio_complete"])
                // Refused: retried 5 s later, not before.
                await Self.step(sim, clock, by: 4.5)
                #expect(await receiver.events.count == 1)
                await Self.step(sim, clock, by: 1)
                #expect(await receiver.events == ["audio_complete", "audio_complete"])
                // Refused again: the wait doubles to 10 s.
                await Self.step(sim, clock, by: 9)
                #expect(await receiver.events.count == 2)
                // Accepted at last; by then the WAV and the lyric timings are ready too, sent once each.
                await Self.step(sim, clock, by: 1.5)
                let events = await receiver.events
                #expect(Array(events.prefix(3)) == ["audio_complete", "audio_complete", "audio_complete"])
                #expect(Set(events.dropFirst(3)) == ["wav_complete", "lrcsections_complete"])
                #expect(events.count == 5)
                // Accepted callbacks are never sent again, however long the simulator runs.
                await Self.step(sim, clock, by: Self.pastEveryRetry)
                await Self.step(sim, clock, by: Self.pastEveryRetry)
                #expect(await receiver.events.count == 5)
                let stats = try await sim.stats()
                #expect(stats["callbacks_delivered"] as? Int == 3)
                #expect(stats["callback_attempts"] as? Int == 5)
                let received = await receiver.received
                #expect(received.count == 5)
                #expect(received.allSatisfy { $0.itemID == created.itemID && $0.kind == "songs" })
            }
        }
    }

    @Test func lyricsAndStemsCallbacksComeOnce() async throws {
        try await Self.withReceiver(refusals: 0) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let lyrics = try await sim.post("lyrics/generate", ["prompt": "sea", "callback_url": hook])
                let stems = try await sim.post("stems", ["url": "https://cdn.example.com/a.mp3", "callback_url": hook])
                #expect(lyrics.status == 200000 && stems.status == 200000)
                // Lyrics take 8 s, stems 30 s.
                await Self.step(sim, clock, by: 9)
                #expect(await receiver.received.map(\.kind) == ["lyrics"])
                await Self.step(sim, clock, by: 22)
                #expect(await receiver.received.map(\.kind) == ["lyrics", "stems"])
                await Self.step(sim, clock, by: Self.pastEveryRetry)
                await Self.step(sim, clock, by: Self.pastEveryRetry)
                #expect(await receiver.received.map(\.kind) == ["lyrics", "stems"])
                #expect(try await sim.stats()["callback_attempts"] as? Int == 2)
            }
        }
    }

    @Test func nonLoopbackCallbacksAreNeverCalled() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await sim.createSong()
            await Self.step(sim, clock, by: 100)
            #expect(try await sim.query("song", [id]).first?["status"] as? String == "succeeded")
            await Self.step(sim, clock, by: Self.pastEveryRetry)
            #expect(try await sim.stats()["callback_attempts"] as? Int == 0)
        }
        #expect(CallbackTarget.isLoopback("http://127.0.0.1:9/x"))
        #expect(CallbackTarget.isLoopback("http://localhost/x"))
        #expect(!CallbackTarget.isLoopback("http://10.0.0.1/x"))
        #expect(!CallbackTarget.isLoopback("https://hooks.example.com/x"))
    }
}
