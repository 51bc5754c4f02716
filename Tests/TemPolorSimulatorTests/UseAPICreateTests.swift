import Foundation
import NIOCore
import Testing
@testable import TemPolorSimulator

/// One bad useapi create and the status it must produce.
struct UseAPIErrorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let path: String
    let body: String
    let status: UInt
    let mentions: String
    var testDescription: String { name }
}

@Suite("useapi.net creates")
struct UseAPICreateTests {
    @Test(arguments: [nil, "Bearer user:1-other-token", "user:1-simulator-token", "Bearer", "bearer user:1-simulator-token"])
    func aMissingOrWrongTokenAnswers401(authorization: String?) async throws {
        try await Harness.with { sim in
            var request = HTTPClientRequestBuilder.request(sim, path: "music/song", authorization: authorization)
            request.body = .bytes(ByteBuffer(string: #"{"prompt": "x"}"#))
            let response = try await sim.client.execute(request, timeout: .seconds(10))
            let body = try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 16))) as? [String: Any]
            #expect(response.status.code == 401)
            #expect(body?["error"] as? String == "Unauthorized")
            #expect(body?["code"] as? Int == 401)
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 0)
        }
    }

    @Test func songAndInstrumentalAnswerJobIDsOfTheLinkedAccount() async throws {
        try await Harness.with { sim in
            let song = try await sim.useapi(.POST, "music/song", ["prompt": "A waltz", "lyrics": "[verse]\nhello", "replyRef": "r1"])
            #expect(song.status == 200)
            #expect(song.object.keys.sorted() == ["jobs"])
            #expect(Harness.isDefaultJobID(song.jobID), "\(song.jobID)")
            let instrumental = try await sim.useapi(.POST, "music/instrumental", [
                "prompt": "calm piano bed", "model_instrumental": "i4", "tonality": "A:minor", "bpm": 85, "chords": "Am F C G",
            ])
            #expect(instrumental.status == 200, "\(instrumental.object)")
            #expect(Harness.isDefaultJobID(instrumental.jobID))
            let job = try await sim.useapiJob(instrumental.jobID)
            let music = try #require(job["musicMaterial"] as? [String: Any])
            #expect(music["key"] as? String == "A:minor")
            #expect(music["bpm"] as? Int == 85)
            #expect(music["chord"] as? String == "Am F C G")
            #expect((job["ltmMaterialExtendDto"] as? [String: Any])?["modelShowName"] as? String == "i4")
            // The other spelling of the field is taken too.
            let spelled = try await sim.useapi(.POST, "music/instrumental", ["prompt": "x", "chord": "C G"])
            #expect(((try await sim.useapiJob(spelled.jobID))["musicMaterial"] as? [String: Any])?["chord"] as? String == "C G")
            let stats = try await sim.stats()
            #expect(stats["useapi_jobs_created"] as? Int == 3)
            #expect(stats["accepted_creates_total"] as? Int == 3)
        }
    }

    @Test func modelsDefaultAndOldNamesAreRouted() async throws {
        try await Harness.with { sim in
            func showName(_ body: [String: Any]) async throws -> String? {
                let job = try await sim.useapiJob(try await sim.useapiSong(body))
                return (job["ltmMaterialExtendDto"] as? [String: Any])?["modelShowName"] as? String
            }
            let latest = try await showName([:])
            let routed = try await showName(["model_song": "v4.5"])
            let old = try await showName(["model_song": "v3"])
            #expect(latest == "v4.8")
            #expect(routed == "v4.5+")
            #expect(old == "v3")
        }
    }

    @Test func createsAreBilledFromTheOpenAPIBalance() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 500 }) { sim in
            _ = try await sim.useapiSong()
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 470)
            // Without lyrics the platform writes them: a lyrics call on top, as on the Open API.
            let job = try await sim.useapiJob(try await sim.useapiSong(["lyrics": ""]))
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 433)
            #expect(((job["ltmMaterialExtendDto"] as? [String: Any])?["lyricsPrompt"] as? String)?.contains("[verse]") == true)
            _ = try await sim.useapi(.POST, "music/instrumental", ["prompt": "x", "model_instrumental": "i4"])
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 403)
        }
    }

    static let cases: [UseAPIErrorCase] = [
        .init(name: "missing prompt", path: "music/song", body: #"{"lyrics": "x"}"#, status: 400, mentions: "prompt"),
        .init(name: "prompt over 2000", path: "music/song", body: #"{"prompt": "\#(String(repeating: "a", count: 2001))"}"#, status: 400, mentions: "2000"),
        .init(name: "lyrics over 3000", path: "music/song", body: #"{"prompt": "x", "lyrics": "\#(String(repeating: "a", count: 3001))"}"#, status: 400, mentions: "3000"),
        .init(name: "unknown model_song", path: "music/song", body: #"{"prompt": "x", "model_song": "v9"}"#, status: 400, mentions: "v9"),
        .init(name: "instrumental model on the song route", path: "music/song", body: #"{"prompt": "x", "model_song": "i3"}"#, status: 400, mentions: "i3"),
        .init(name: "unknown model_instrumental", path: "music/instrumental", body: #"{"prompt": "x", "model_instrumental": "i9"}"#, status: 400, mentions: "i9"),
        .init(name: "unknown tonality", path: "music/instrumental", body: #"{"prompt": "x", "tonality": "H:major"}"#, status: 400, mentions: "H:major"),
        .init(name: "bpm below 50", path: "music/instrumental", body: #"{"prompt": "x", "bpm": 49}"#, status: 400, mentions: "bpm"),
        .init(name: "bpm above 190", path: "music/instrumental", body: #"{"prompt": "x", "bpm": 191}"#, status: 400, mentions: "bpm"),
        .init(name: "bpm of the wrong type", path: "music/instrumental", body: #"{"prompt": "x", "bpm": "fast"}"#, status: 400, mentions: "bpm"),
        .init(name: "chords over 200", path: "music/instrumental", body: #"{"prompt": "x", "chords": "\#(String(repeating: "C", count: 201))"}"#, status: 400, mentions: "200"),
        .init(name: "replyRef over 1024", path: "music/song", body: #"{"prompt": "x", "replyRef": "\#(String(repeating: "r", count: 1025))"}"#, status: 400, mentions: "replyRef"),
        .init(name: "maxJobs of 0", path: "music/song", body: #"{"prompt": "x", "maxJobs": 0}"#, status: 400, mentions: "maxJobs"),
        .init(name: "body that is not JSON", path: "music/song", body: "prompt=x", status: 400, mentions: "JSON"),
        .init(name: "another account", path: "music/song", body: #"{"prompt": "x", "user_id": "999"}"#, status: 404, mentions: "999"),
        .init(name: "banned word in a prompt", path: "music/song", body: #"{"prompt": "a Forbidden song"}"#, status: 422, mentions: "moderated"),
        .init(name: "banned word in lyrics", path: "music/song", body: #"{"prompt": "x", "lyrics": "[verse] forbidden"}"#, status: 422, mentions: "moderated"),
        .init(name: "banned word in an instrumental", path: "music/instrumental", body: #"{"prompt": "forbidden beats"}"#, status: 422, mentions: "moderated"),
    ]

    @Test(arguments: cases)
    func badCreatesAnswerTheirStatusAndCreateNothing(_ errorCase: UseAPIErrorCase) async throws {
        try await Harness.with { sim in
            var request = HTTPClientRequestBuilder.request(sim, path: errorCase.path, authorization: "Bearer " + sim.useapiToken)
            request.body = .bytes(ByteBuffer(string: errorCase.body))
            let response = try await sim.client.execute(request, timeout: .seconds(10))
            let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
            let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(response.status.code == errorCase.status, "\(body)")
            #expect(body["code"] as? Int == Int(errorCase.status))
            #expect((body["error"] as? String)?.contains(errorCase.mentions) == true, "\(body)")
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 0)
        }
    }

    @Test func theJobCapAnswers429WithRetryAfterUntilAJobFinishes() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.useapiMaxJobs = 2; $0.parallelLimit = 1 }, clock: clock) { sim in
            _ = try await sim.useapiSong()
            _ = try await sim.useapiSong()
            let third = try await sim.useapi(.POST, "music/song", ["prompt": "three"])
            #expect(third.status == 429)
            #expect(third.headers.first(name: "Retry-After") == "1")
            #expect(third.object["error"] as? String == "no free job slot")
            #expect(third.code == 429)
            // A request's maxJobs overrides the cap; the Open API key has slots of its own.
            #expect(try await sim.useapi(.POST, "music/song", ["prompt": "three", "maxJobs": 3]).status == 200)
            #expect(try await sim.createSong().hasPrefix("song_"))
            clock.advance(by: 100)
            #expect(try await sim.useapi(.POST, "music/song", ["prompt": "four"]).status == 200)
            #expect(try await sim.stats()["useapi_jobs_created"] as? Int == 4)
        }
    }

    @Test func anEmptyBalanceAnswers412() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 40 }) { sim in
            _ = try await sim.useapiSong()
            let second = try await sim.useapi(.POST, "music/song", ["prompt": "two", "lyrics": "[verse] x"])
            #expect(second.status == 412)
            #expect(second.object["error"] as? String == "upstream account out of credits")
            #expect(second.code == 412)
            #expect(try await sim.stats()["balance"] as? Double == 10)
        }
    }
}
