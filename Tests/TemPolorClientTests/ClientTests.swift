import Foundation
import ProviderKit
import Testing
@testable import TemPolorClient
import TemPolorSimulator
import TestSupport

@Suite("The TemPolor client")
struct ClientTests {
    static func withClient<T: Sendable>(
        key: String = "Tempo-simulator-key", _ adjust: (inout SimulatorConfiguration) -> Void = { _ in },
        clock: any SimulatorClock = SystemSimulatorClock(),
        _ body: @Sendable (TemPolorClient, TemPolorSimulator) async throws -> T
    ) async throws -> T {
        var configuration = SimulatorConfiguration()
        configuration.timeScale = 0.001
        adjust(&configuration)
        let simulator = TemPolorSimulator(configuration: configuration, clock: clock)
        let http = TemPolorClient.makeHTTPClient()
        defer { _ = http }
        do {
            let result = try await simulator.withRunning { url in
                try await body(TemPolorClient(baseURL: url, key: APIKey(key), http: http), simulator)
            }
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    @Test func createsAndQueriesEveryKind() async throws {
        let clock = ManualSimulatorClock()
        // Time scale 1: a song is final 55 s after its create, lyrics after 8 s, an instrumental after 55 s.
        try await Self.withClient({ $0.timeScale = 1 }, clock: clock) { client, _ in
            let song = try #require(try await client.generateSong(prompt: "owls", model: "TemPolor v3.5", lyrics: "[verse]\nhi", voiceID: nil, callbackURL: "https://x.invalid/cb").first)
            let lyrics = try #require(try await client.generateLyrics(prompt: "sea", songModel: nil, callbackURL: "https://x.invalid/cb").first)
            let bed = try #require(try await client.generateInstrumental(prompt: "piano", model: "TemPolor i3", callbackURL: "https://x.invalid/cb").first)
            #expect(try await client.songs([song]).first?.status == "running")
            clock.advance(by: 56)
            let songs = try await client.songs([song])
            #expect(songs.map(\.itemID) == [song])
            #expect(songs.first?.status == "succeeded")
            #expect(songs.first?.audioURL?.hasPrefix("http://127.0.0.1") == true)
            #expect(songs.first?.audioHiURL?.hasPrefix("http://127.0.0.1") == true)
            #expect(songs.first?.lyricsSections.isEmpty == false)
            let lyricsItems = try await client.lyrics([lyrics])
            #expect(lyricsItems.first?.status == "succeeded")
            #expect(lyricsItems.first?.text?.isEmpty == false)
            let beds = try await client.instrumentals([bed])
            #expect(beds.first?.status == "succeeded")
            #expect(beds.first?.audioHiURL?.hasPrefix("http://127.0.0.1") == true, "\(String(describing: beds.first?.audioHiURL))")
            let extended = try await client.extend(.song, itemID: song, startTime: 20, lyrics: "[outro]\nbye", callbackURL: "https://x.invalid/cb")
            #expect(extended.count == 1 && extended.first != song)
            #expect(try await client.balance() > 0)
        }
    }

    @Test func instrumentalsFollowTheRouteAndAnExtendFallsBackWhenSongExtendDoesNotKnowTheItem() async throws {
        let clock = ManualSimulatorClock()
        try await Self.withClient({ $0.timeScale = 1 }, clock: clock) { client, simulator in
            let songRoute = TemPolorProvider(client: client), legacy = TemPolorProvider(client: client, instrumentalRoute: .legacy)
            var submission = Submission(kind: .instrumental, chain: .instrumental, reference: "k", callbackURL: "https://x.invalid/cb")
            submission.prompt = "piano"
            submission.model = "TemPolor i3"
            let made = try #require(try await songRoute.submit(submission).first)
            let old = try #require(try await legacy.submit(submission).first)
            clock.advance(by: 200)
            // Each is checked through its route's query.
            #expect(songRoute.statusGroups([made]).map { $0.map(\.id) } == [[made.id]])
            #expect(try await songRoute.status([made])[made.id]?.phase == .succeeded)
            #expect(try await legacy.status([old])[old.id]?.phase == .succeeded)
            var extend = Submission(kind: .extend, chain: .instrumental, reference: "e", callbackURL: "https://x.invalid/cb")
            extend.startTime = 20
            // The song route continues its own instrumental through song/extend…
            extend.parent = made
            #expect(try await songRoute.submit(extend).count == 1)
            // …and one the legacy route made (song/extend answers 400008, having made nothing)
            // through instrumental/extend.
            extend.parent = old
            #expect(try await songRoute.submit(extend).count == 1)
            let stats = await simulator.stats()
            #expect(stats.requests["/open-apis/v1/song/extend"] == 2)
            #expect(stats.requests["/open-apis/v1/instrumental/extend"] == 1)
            #expect(stats.acceptedCreates["extend"] == 2)
        }
    }

    @Test func unknownFieldsAndStatusesAreTolerated() throws {
        let raw = try #require(JSONValue.parse("""
        {"item_id": 42, "status": "post_processing", "duration": "96.5", "audio_url": "", "brand_new": {"x": [1, 2]},
         "lyrics_sections": [{"start": 1, "end": "2.5", "text": "hi"}, {"start": null}]}
        """))
        let item = AudioItem(raw)
        #expect(item.itemID == "42")
        #expect(item.status == "post_processing")
        #expect(item.duration == 96.5)
        #expect(item.audioURL == nil)
        #expect(item.lyricsSections == [LyricsSection(start: 1, end: 2.5, text: "hi")])
        let brandNew = try #require(JSONValue.parse(#"{"x": [1, 2]}"#))
        #expect(item.raw["brand_new"] == brandNew, "unknown fields are kept as they came")
    }

    @Test func aRefusedConnectionIsKnownNotToHaveBeenSent() async throws {
        // A port bound and never listened on: connecting is refused, and no other test's server
        // can take the port meanwhile (as it could a stopped simulator's).
        let closed = try ClosedPort()
        let http = TemPolorClient.makeHTTPClient()
        let client = TemPolorClient(baseURL: closed.url, key: APIKey("Tempo-k"), http: http)
        do {
            _ = try await client.generateSong(prompt: "x", model: "TemPolor v3.5", lyrics: nil, voiceID: nil, callbackURL: "https://x.invalid")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .notSent)
            #expect(error.classification(isCreate: true) == .transient(retryAfter: nil))
        }
        try await http.shutdown()
        withExtendedLifetime(closed) {}
    }

    @Test func aLostAnswerMakesACreateAmbiguousButAQueryTransient() async throws {
        try await Self.withClient { client, simulator in
            await simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            do {
                _ = try await client.generateSong(prompt: "x", model: "TemPolor v3.5", lyrics: nil, voiceID: nil, callbackURL: "https://x.invalid")
                Issue.record("expected an error")
            } catch let error as TemPolorError {
                #expect(error.kind == .answerLost)
                #expect(error.classification(isCreate: true) == .ambiguous)
                #expect(error.classification(isCreate: false) == .transient(retryAfter: nil))
            }
            #expect(await simulator.stats().lostAnswerCreates == 1)
        }
    }

    @Test(arguments: [
        (CallFault.http429, FailureClass.transient(retryAfter: 1)),
        (.http500, .ambiguous),
        (.http502, .ambiguous),
        (.internalError, .transient(retryAfter: nil)),
        (.parallelLimit, .transient(retryAfter: nil)),
        (.dropBefore, .ambiguous),
    ])
    func createFaultsAreClassified(fault: CallFault, expected: FailureClass) async throws {
        try await Self.withClient { client, simulator in
            await simulator.inject(fault, path: "/open-apis/v1/song/generate")
            do {
                _ = try await client.generateSong(prompt: "x", model: "TemPolor v3.5", lyrics: nil, voiceID: nil, callbackURL: "https://x.invalid")
                Issue.record("expected an error")
            } catch let error as TemPolorError {
                #expect(error.classification(isCreate: true) == expected, "\(error)")
                #expect(error.asksToSlowDown == (fault == .http429 || fault == .parallelLimit))
            }
        }
    }

    @Test func businessCodesAreClassified() {
        func classify(_ code: Int) -> FailureClass { TemPolorError(.business(code: code), "").classification(isCreate: true) }
        #expect(classify(400002) == .fatal)
        #expect(classify(400003) == .permanent)
        #expect(classify(400004) == .permanent)
        #expect(classify(400005) == .stopSubmitting)
        #expect(classify(400006) == .transient(retryAfter: nil))
        #expect(classify(400011) == .permanent)
    }

    @Test func aWrongKeyIsFatalAndNeverQuoted() async throws {
        try await Self.withClient(key: "Tempo-wrong-secret") { client, _ in
            do {
                _ = try await client.balance()
                Issue.record("expected an error")
            } catch let error as TemPolorError {
                #expect(error.classification(isCreate: false) == .fatal)
                #expect(!"\(error)".contains("Tempo-wrong-secret"))
            }
            #expect("\(APIKey("Tempo-wrong-secret"))" == "<redacted>")
        }
    }
}
