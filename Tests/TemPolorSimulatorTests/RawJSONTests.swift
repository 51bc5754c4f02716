import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import TemPolorSimulator

/// A plain HTTP client sending the live-service request shapes (raw JSON, as a third-party
/// client would write them) gets the documented answers from the simulator. Nothing here goes
/// through the tests' helpers for building bodies: each body is the literal text a client sends.
@Suite("Raw JSON requests of the 2026 API")
struct RawJSONTests {
    /// POSTs `body` verbatim with the raw key, as the contract's curl samples do, and decodes the
    /// answer with every value's exact JSON type.
    static func send(_ base: URL, _ path: String, _ body: String, key: String, client: HTTPClient) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base.absoluteString + "/open-apis/v1/" + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: key)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200, "HTTP 200 even for business errors")
        #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
        let data = try await response.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(JSONValue.self, from: Data(buffer: data))
    }

    /// The envelope's four keys with their types; `status` the expected code.
    static func expectEnvelope(_ answer: JSONValue, status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .object(let envelope) = answer else {
            Issue.record("the answer is not a JSON object: \(answer)", sourceLocation: sourceLocation)
            return
        }
        #expect(Set(envelope.keys) == ["status", "message", "request_id", "data"], sourceLocation: sourceLocation)
        #expect(envelope["status"] == .number(Double(status)), "\(answer)", sourceLocation: sourceLocation)
        if case .string(let id)? = envelope["request_id"] {
            #expect(UUID(uuidString: id) != nil, sourceLocation: sourceLocation)
        } else {
            Issue.record("request_id is not a string", sourceLocation: sourceLocation)
        }
        if status == 200000 {
            #expect(envelope["message"] == .string("success"), sourceLocation: sourceLocation)
            #expect(envelope["data"]?.typeName == "object", sourceLocation: sourceLocation)
        } else {
            guard case .string(let message)? = envelope["message"] else {
                Issue.record("message is not a string", sourceLocation: sourceLocation)
                return
            }
            #expect(!message.isEmpty, sourceLocation: sourceLocation)
        }
    }

    /// The one id of a create's `data.item_ids`.
    static func createdID(_ answer: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard case .array(let ids)? = answer["data"]?["item_ids"], ids.count == 1, case .string(let id)? = ids.first else {
            throw Failure("data.item_ids is not one string: \(answer)")
        }
        return id
    }

    /// The keys of a song as `song/query` shows it (the seed `tempolor-song-query.txt`) and each one's JSON type.
    static let songKeys: [String: String] = [
        "item_id": "string", "status": "string", "audio_hi_status": "string", "lyrics_sections_status": "string", "event": "null",
        "model": "string", "title": "string", "style": "string", "prompt": "string", "duration": "number", "created_at": "number",
        "finished_at": "number", "audio_url": "string", "audio_hi_url": "string", "lyrics_sections": "array", "lyrics": "string",
    ]

    static func expectSongShape(_ song: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .object(let fields) = song else {
            Issue.record("not an object: \(song)", sourceLocation: sourceLocation)
            return
        }
        #expect(fields.mapValues(\.typeName) == songKeys, sourceLocation: sourceLocation)
        guard case .array(let sections)? = fields["lyrics_sections"] else { return }
        for section in sections {
            #expect(section["start"]?.typeName == "number" && section["end"]?.typeName == "number" && section["text"]?.typeName == "string",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func aThirdPartyClientGetsTheDocumentedAnswers() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil; $0.initialBalance = 1000 }, clock: clock) { sim in
            let base = sim.baseURL, key = sim.key, client = sim.client
            func send(_ path: String, _ body: String) async throws -> JSONValue {
                try await Self.send(base, path, body, key: key, client: client)
            }

            let instrumental = try await send("song/generate", """
                {"prompt": "BPM 90, warm Rhodes and brushed drums, 90 seconds", "model": "TemPolor i3.5", "instrumental": true, "callback_url": "https://hooks.example.com/tempolor?token=s3cret"}
                """)
            Self.expectEnvelope(instrumental, status: 200000)
            let instrumentalID = try Self.createdID(instrumental)

            let cover = try await send("song/generate", """
                {"action": "upload_cover", "upload_audio_url": "https://cdn.example.com/uploads/demo.mp3", "model": "tempolor-latest", "prompt": "Bossa nova cover, soft female vocal", "lyrics": "[verse]\\nSoft rain on the window\\n[chorus]\\nStay a while", "callback_url": "https://hooks.example.com/tempolor?token=s3cret"}
                """)
            Self.expectEnvelope(cover, status: 200000)
            let coverID = try Self.createdID(cover)

            let midi = try await send("midi", """
                {"url": "https://cdn.example.com/uploads/demo.mp3", "callback_url": "https://hooks.example.com/tempolor?token=s3cret"}
                """)
            Self.expectEnvelope(midi, status: 200000)
            let midiID = try Self.createdID(midi)
            #expect(Set([instrumentalID, coverID, midiID]).count == 3)

            // Just created: running, no files yet.
            let early = try await send("midi/query", #"{"item_ids": ["\#(midiID)"]}"#)
            Self.expectEnvelope(early, status: 200000)
            #expect(early["data"]?["midis"]?[0] == .object([
                "item_id": .string(midiID), "status": .string("running"), "midi_url": .string(""), "stems_url": .string(""),
            ]))

            clock.advance(by: 100)
            let songs = try await send("song/query", #"{"item_ids": ["\#(instrumentalID)", "\#(coverID)"]}"#)
            Self.expectEnvelope(songs, status: 200000)
            guard case .array(let items)? = songs["data"]?["songs"], items.count == 2 else { throw Failure("data.songs: \(songs)") }
            for item in items { Self.expectSongShape(item) }
            let (madeInstrumental, madeCover) = (items[0], items[1])
            #expect(madeInstrumental["item_id"] == .string(instrumentalID))
            #expect(madeInstrumental["status"] == .string("succeeded"))
            #expect(madeInstrumental["model"] == .string("TemPolor i3.5"))
            #expect(madeInstrumental["duration"] == .number(90))
            #expect(madeInstrumental["lyrics"] == .string("") && madeInstrumental["lyrics_sections"] == .array([]))
            #expect(madeCover["item_id"] == .string(coverID))
            #expect(madeCover["status"] == .string("succeeded"))
            #expect(madeCover["model"] == .string("tempolor-latest"))
            #expect(madeCover["lyrics"] == .string("[verse]\nSoft rain on the window\n[chorus]\nStay a while"))
            #expect(madeCover["lyrics_sections"]?[1]?["text"] == .string("Soft rain on the window"))
            for item in items {
                guard case .string(let mp3)? = item["audio_url"], case .string(let wav)? = item["audio_hi_url"] else { continue }
                #expect(mp3.contains("/audio.mp3?expires=") && wav.contains("/audio.wav?expires="))
            }

            let midis = try await send("midi/query", #"{"item_ids": ["\#(midiID)"]}"#)
            Self.expectEnvelope(midis, status: 200000)
            guard case .object(let transcription)? = midis["data"]?["midis"]?[0] else { throw Failure("data.midis: \(midis)") }
            #expect(Set(transcription.keys) == ["item_id", "status", "midi_url", "stems_url"])
            #expect(transcription["item_id"] == .string(midiID) && transcription["status"] == .string("succeeded"))
            guard case .string(let midiURL)? = transcription["midi_url"], case .string(let stemsURL)? = transcription["stems_url"] else {
                throw Failure("the URLs are not strings: \(transcription)")
            }
            #expect(midiURL.hasPrefix(base.absoluteString + "/files/\(midiID)/midi.zip?expires="))
            #expect(stemsURL.hasPrefix(base.absoluteString + "/files/\(midiID)/stems.zip?expires="))
            #expect(try await sim.get(midiURL).status == 200)

            // An instrumental needs an instrumental model; a cover needs the audio to cover.
            let unsupported = try await send("song/generate", """
                {"prompt": "Upbeat synth-pop", "model": "TemPolor v4.5", "instrumental": true, "callback_url": "https://hooks.example.com/tempolor?token=s3cret"}
                """)
            Self.expectEnvelope(unsupported, status: 400010)
            #expect(unsupported["data"] == .null)
            let badParameter = try await send("song/generate", """
                {"action": "upload_cover", "model": "tempolor-latest", "prompt": "Bossa nova cover", "callback_url": "https://hooks.example.com/tempolor?token=s3cret"}
                """)
            Self.expectEnvelope(badParameter, status: 400003)
            #expect(badParameter["data"] == .null)

            // Paid: 20 (i3.5) + 70 (cover with lyrics) + 10 (MIDI); the refusals nothing.
            let billing = try await send("account/billing", "{}")
            Self.expectEnvelope(billing, status: 200000)
            #expect(billing["data"]?["balance"] == .number(900))
            let stats = await sim.simulator.stats()
            #expect(stats.acceptedCreates == ["instrumental": 1, "cover": 1, "midi": 1])
        }
    }
}
