import Foundation
import Testing
@testable import TemPolorSimulator

/// One documented cause and the business code it must produce.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let path: String
    let body: String
    let code: Int
    var testDescription: String { name }
}

@Suite("Business codes for their documented causes")
struct ErrorCodeTests {
    static let cb = "\"callback_url\": \"https://hooks.example.com/cb\""
    static let cases: [ErrorCase] = [
        ErrorCase(name: "blank callback_url", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor v3.5", "callback_url": " "}"#, code: 400003),
        ErrorCase(name: "missing callback_url", path: "instrumental/generate", body: #"{"prompt": "x", "model": "TemPolor i3"}"#, code: 400003),
        ErrorCase(name: "missing prompt", path: "song/generate", body: #"{"model": "TemPolor v3.5", \#(cb)}"#, code: 400003),
        ErrorCase(name: "unknown song model", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor v9", \#(cb)}"#, code: 400003),
        ErrorCase(name: "unknown instrumental model", path: "instrumental/generate", body: #"{"prompt": "x", "model": "TemPolor i9", \#(cb)}"#, code: 400003),
        ErrorCase(name: "instrumental model on the song route", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor i3", \#(cb)}"#, code: 400010),
        ErrorCase(name: "song model on the instrumental route", path: "instrumental/generate", body: #"{"prompt": "x", "model": "TemPolor v3", \#(cb)}"#, code: 400010),
        ErrorCase(name: "lyrics over 3000 characters", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor v3.5", "lyrics": "\#(String(repeating: "a", count: 3001))", \#(cb)}"#, code: 400003),
        ErrorCase(name: "more than 10 item_ids", path: "song/query", body: #"{"item_ids": [\#((1...11).map { "\"s\($0)\"" }.joined(separator: ","))]}"#, code: 400003),
        ErrorCase(name: "empty item_ids", path: "song/query", body: #"{"item_ids": []}"#, code: 400003),
        ErrorCase(name: "unknown item in a query", path: "song/query", body: #"{"item_ids": ["song_nope"]}"#, code: 400008),
        ErrorCase(name: "unknown item to extend", path: "song/extend", body: #"{"item_id": "song_nope", "start_time": 30, \#(cb)}"#, code: 400008),
        ErrorCase(name: "start_time below 10", path: "song/extend", body: #"{"item_id": "song_nope", "start_time": 5, \#(cb)}"#, code: 400003),
        ErrorCase(name: "start_time above 600", path: "song/extend", body: #"{"item_id": "song_nope", "start_time": 601, \#(cb)}"#, code: 400003),
        ErrorCase(name: "start_time of the wrong type", path: "song/extend", body: #"{"item_id": "song_nope", "start_time": "thirty", \#(cb)}"#, code: 400003),
        ErrorCase(name: "body that is not JSON", path: "song/generate", body: "prompt=x", code: 400003),
        ErrorCase(name: "stems of something that is not a URL", path: "stems", body: #"{"url": "not a url", \#(cb)}"#, code: 400003),
        ErrorCase(name: "banned word in a prompt", path: "song/generate", body: #"{"prompt": "a Forbidden song", "model": "TemPolor v3.5", \#(cb)}"#, code: 400004),
        ErrorCase(name: "banned word in lyrics", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor v3.5", "lyrics": "[verse] forbidden", \#(cb)}"#, code: 400004),
        ErrorCase(name: "unknown lyrics song_model", path: "lyrics/generate", body: #"{"prompt": "x", "song_model": "v0", \#(cb)}"#, code: 400003),
        // song/generate as clients meet it in 2026: instrumentals, covers, actions.
        ErrorCase(name: "instrumental true with a song model", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor v3.5", "instrumental": true, \#(cb)}"#, code: 400010),
        ErrorCase(name: "instrumental true with tempolor-latest", path: "song/generate", body: #"{"prompt": "x", "model": "tempolor-latest", "instrumental": true, \#(cb)}"#, code: 400010),
        ErrorCase(name: "instrumental true with a resold model", path: "song/generate", body: #"{"prompt": "x", "model": "Lyria 3 Pro", "instrumental": true, \#(cb)}"#, code: 400010),
        ErrorCase(name: "instrumental true with an unknown model", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor i9", "instrumental": true, \#(cb)}"#, code: 400003),
        ErrorCase(name: "instrumental false with an instrumental model", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor i4", "instrumental": false, \#(cb)}"#, code: 400010),
        ErrorCase(name: "instrumental of the wrong type", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor i4", "instrumental": "yes", \#(cb)}"#, code: 400003),
        ErrorCase(name: "instrumental true without a prompt", path: "song/generate", body: #"{"model": "TemPolor i3", "instrumental": true, \#(cb)}"#, code: 400003),
        ErrorCase(name: "instrumental true without a callback_url", path: "song/generate", body: #"{"prompt": "x", "model": "TemPolor i3", "instrumental": true}"#, code: 400003),
        ErrorCase(name: "banned word in an instrumental's prompt", path: "song/generate", body: #"{"prompt": "forbidden", "model": "TemPolor i3", "instrumental": true, \#(cb)}"#, code: 400004),
        ErrorCase(name: "unknown action", path: "song/generate", body: #"{"action": "remix", "prompt": "x", "model": "tempolor-latest", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover without upload_audio_url", path: "song/generate", body: #"{"action": "upload_cover", "prompt": "x", "model": "tempolor-latest", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover of something that is not a URL", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "my song.mp3", "prompt": "x", "model": "tempolor-latest", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover of an ftp URL", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "ftp://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-latest", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover with an older song model", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "TemPolor v4.5", \#(cb)}"#, code: 400010),
        ErrorCase(name: "cover with an unknown model", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-next", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover without a model", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", \#(cb)}"#, code: 400003),
        ErrorCase(name: "instrumental cover", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-latest", "instrumental": true, \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover without a prompt", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "model": "tempolor-latest", \#(cb)}"#, code: 400003),
        ErrorCase(name: "cover without a callback_url", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-latest"}"#, code: 400003),
        ErrorCase(name: "cover lyrics over 3000 characters", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-latest", "lyrics": "\#(String(repeating: "a", count: 3001))", \#(cb)}"#, code: 400003),
        ErrorCase(name: "banned word in a cover's lyrics", path: "song/generate", body: #"{"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3", "prompt": "x", "model": "tempolor-latest", "lyrics": "forbidden", \#(cb)}"#, code: 400004),
        // MIDI.
        ErrorCase(name: "midi without url", path: "midi", body: #"{\#(cb)}"#, code: 400003),
        ErrorCase(name: "midi of something that is not a URL", path: "midi", body: #"{"url": "not a url", \#(cb)}"#, code: 400003),
        ErrorCase(name: "midi of a file URL", path: "midi", body: #"{"url": "file:///tmp/a.mp3", \#(cb)}"#, code: 400003),
        ErrorCase(name: "midi url of the wrong type", path: "midi", body: #"{"url": 42, \#(cb)}"#, code: 400003),
        ErrorCase(name: "midi without callback_url", path: "midi", body: #"{"url": "https://cdn.example.com/a.mp3"}"#, code: 400003),
        ErrorCase(name: "midi with a blank callback_url", path: "midi", body: #"{"url": "https://cdn.example.com/a.mp3", "callback_url": ""}"#, code: 400003),
        ErrorCase(name: "unknown item in a midi query", path: "midi/query", body: #"{"item_ids": ["midi_nope"]}"#, code: 400008),
        ErrorCase(name: "more than 10 item_ids in a midi query", path: "midi/query", body: #"{"item_ids": [\#((1...11).map { "\"m\($0)\"" }.joined(separator: ","))]}"#, code: 400003),
        ErrorCase(name: "empty midi query", path: "midi/query", body: #"{"item_ids": []}"#, code: 400003),
        ErrorCase(name: "midi query without item_ids", path: "midi/query", body: "{}", code: 400003),
    ]

    @Test(arguments: cases)
    func answersTheDocumentedCode(_ errorCase: ErrorCase) async throws {
        try await Harness.with { sim in
            let answer = try await sim.post(errorCase.path, raw: Data(errorCase.body.utf8))
            #expect(answer.httpStatus == 200)
            #expect(answer.status == errorCase.code, "\(answer.json)")
            #expect(!(answer.json["message"] as? String ?? "").isEmpty)
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 0)
        }
    }

    @Test(arguments: ["", "Bearer Tempo-simulator-key", "Tempo-other"])
    func wrongOrMissingKeyAnswers400002(key: String) async throws {
        try await Harness.with { sim in
            let answer = try await sim.post("account/billing", [:], key: key)
            #expect(answer.httpStatus == 200)
            #expect(answer.status == 400002)
        }
    }

    @Test func getOnAnAPIPathAnswers405() async throws {
        try await Harness.with { sim in
            let (status, headers, _) = try await sim.get(sim.baseURL.absoluteString + "/open-apis/v1/song/query")
            #expect(status == 405)
            #expect(headers.first(name: "Allow") == "POST")
        }
    }

    @Test func extendOfAnUnfinishedItemAnswers400009() async throws {
        try await Harness.with(clock: ManualSimulatorClock()) { sim in
            let id = try await sim.createSong()
            let answer = try await sim.post("song/extend", ["item_id": id, "start_time": 10, "callback_url": Harness.callback])
            #expect(answer.status == 400009, "\(answer.json)")
        }
    }

    @Test func extendPastTheEndAnswers400011() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await sim.createSong()
            clock.advance(by: 100)
            let answer = try await sim.post("song/extend", ["item_id": id, "start_time": 300, "callback_url": Harness.callback])
            #expect(answer.status == 400011, "\(answer.json)")
        }
    }

    @Test func extendOfASongThroughTheInstrumentalRouteAnswers400008() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await sim.createSong()
            clock.advance(by: 100)
            let answer = try await sim.post("instrumental/extend", ["item_id": id, "start_time": 10, "callback_url": Harness.callback])
            #expect(answer.status == 400008)
        }
    }

    @Test func parallelLimitAnswers400007UntilATaskFinishes() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.parallelLimit = 2 }, clock: clock) { sim in
            _ = try await sim.createSong(prompt: "one")
            _ = try await sim.createSong(prompt: "two")
            let third = try await sim.post("song/generate", ["prompt": "three", "model": "TemPolor v3.5", "lyrics": "[verse] x", "callback_url": Harness.callback])
            #expect(third.status == 400007)
            clock.advance(by: 100)
            #expect(try await sim.createSong(prompt: "three").hasPrefix("song_"))
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 3)
        }
    }

    @Test func insufficientBalanceAnswers400005() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 40 }) { sim in
            _ = try await sim.createSong()
            let second = try await sim.post("song/generate", ["prompt": "two", "model": "TemPolor v3.5", "lyrics": "[verse] x", "callback_url": Harness.callback])
            #expect(second.status == 400005)
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 10)
        }
    }
}
