import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("useapi.net jobs over time")
struct UseAPIJobTests {
    /// The example of `shared/seeds/useapi-tempolor-music-status.txt` (its `waveformUrl` left out:
    /// the simulator shows no URLs in a job).
    static let seedJob = """
    { "bizType": "ai_material_music", "childType": "lyric_to_material", "matChildType": "lyric_to_material", "sourceType": "sm_user_gen", "itemId": "abcdef123456789", "job_id": "user:12345-tempolor:user_id-job:abcdef123456789", "genItemId": "abcdef123456789", "userId": "user_id", "titleEn": "Epic Orchestral", "cover": "https://example.com/cover.png", "mp3OssId": "ai_material/ai_material/mp3/abcdef123456789.mp3", "wavOssId": "ai_material/ai_material/wav/abcdef123456789.wav", "ossWatermarkMp3": "", "officialPlaylistSong": false, "status": 30, "status_name": "COMPLETED", "status_final": true, "progress": 100, "downloadTotal": 0, "likeTotal": 0, "collectTotal": 0, "musicMaterial": { "style": "Orchestral", "chord": "", "mood": "", "inst": "", "instInfo": "", "scene": "", "otherInfo": "A cinematic orchestral piece with dramatic string sections", "otherInfoCn": "", "key": "F:minor", "bpm": 130, "dur": 180, "seed": 1234567890 }, "readStatus": false, "downloadStatus": false, "createTime": 1716565425000, "updateTime": 1716565700000, "materialQualityScore": 0, "ltmMaterialExtendDto": { "lyricsPrompt": "Sample lyrics here", "description": "A cinematic orchestral piece with dramatic string sections", "ltmVocalModel": false, "ltmMidiModel": false, "genItemId": "abcdef123456789", "prompt": "A cinematic orchestral piece with dramatic string sections", "genMode": 0, "model": "v1-dit-obleck-stereo-zh-en-270-wf", "modelShowName": "v3.5" }, "editType": "gen", "operatorType": "gen", "rootItemId": "abcdef123456789", "parentItemId": "abcdef123456789", "canExtend": true, "canEditLyrics": true, "canFixVocals": true, "canReplaced": false }
    """

    /// Every key of `expected` is in `actual` with the same JSON type, recursively.
    static func checkShape(_ actual: JSONValue, against expected: JSONValue, path: String = "") {
        guard case .object(let keys) = expected else { return }
        for (key, value) in keys {
            guard let found = actual[key] else {
                Issue.record("missing \(path)\(key)")
                continue
            }
            #expect(found.typeName == value.typeName, "\(path)\(key) is \(found.typeName), the seed has \(value.typeName)")
            checkShape(found, against: value, path: path + key + ".")
        }
    }

    /// Every string anywhere in a value.
    static func strings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let values): values.flatMap(strings)
        case .object(let object): object.values.flatMap(strings)
        case .null, .bool, .number: []
        }
    }

    @Test func aSongGoesGeneratingToCompletedWithProgressAndTheSeedShape() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await sim.useapiSong(["replyRef": "secret-ref", "replyUrl": "http://127.0.0.1:9/hook"])
            let seed = try JSONDecoder().decode(JSONValue.self, from: Data(Self.seedJob.utf8))

            func poll(status: Int, name: String, final: Bool) async throws -> [String: Any] {
                let raw = try await sim.useapi(.GET, "music/" + id).rawBody
                let typed = try JSONDecoder().decode(JSONValue.self, from: raw)
                Self.checkShape(typed, against: seed)
                #expect(typed["replyRef"] == nil && typed["replyUrl"] == nil)
                #expect(!Self.strings(typed).contains { $0.hasPrefix("http") }, "a job shows storage keys, never URLs")
                let job = try await sim.useapiJob(id)
                #expect(job["status"] as? Int == status)
                #expect(job["status_name"] as? String == name)
                #expect(job["status_final"] as? Bool == final)
                #expect(job["job_id"] as? String == id)
                return job
            }

            let fresh = try await poll(status: 0, name: "GENERATING", final: false)
            #expect(fresh["progress"] as? Int == 0)
            #expect(fresh["mp3OssId"] as? String == "")
            #expect(fresh["userId"] as? String == "1000001")
            #expect(id.hasSuffix("-job:" + (fresh["itemId"] as? String ?? "?")))
            clock.advance(by: 20)
            #expect(try await poll(status: 0, name: "GENERATING", final: false)["progress"] as? Int == 36)
            clock.advance(by: 21)
            let main = try await poll(status: 0, name: "GENERATING", final: false)
            #expect((main["mp3OssId"] as? String)?.hasSuffix(".mp3") == true)
            #expect(main["wavOssId"] as? String == "")
            #expect((main["musicMaterial"] as? [String: Any])?["dur"] as? Int == 12)
            clock.advance(by: 15)
            let done = try await poll(status: 30, name: "COMPLETED", final: true)
            #expect(done["progress"] as? Int == 100)
            #expect((done["wavOssId"] as? String)?.hasSuffix(".wav") == true)
            let created = (done["createTime"] as? NSNumber)?.int64Value ?? 0
            #expect(created == 1_800_000_000_000)
            #expect((done["updateTime"] as? NSNumber)?.int64Value == created + 55_000)
            #expect((done["ltmMaterialExtendDto"] as? [String: Any])?["lyricsPrompt"] as? String == "[verse]\nUnder silver beams it flies")
        }
    }

    @Test func aFailedOutcomeShowsFailedAndIsRefunded() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 1000 }, clock: clock) { sim in
            await sim.simulator.scriptOutcomes([.failed])
            let id = try await sim.useapiSong()
            #expect(try await sim.stats()["balance"] as? Double == 970)
            clock.advance(by: 41)
            let job = try await sim.useapiJob(id)
            #expect(job["status"] as? Int == 10)
            #expect(job["status_name"] as? String == "FAILED")
            #expect(job["status_final"] as? Bool == true)
            let download = try await sim.useapiDownload(id)
            #expect(download.status == 400)
            #expect(download.error == "Generation is not completed yet")
            #expect(try await sim.stats()["balance"] as? Double == 1000)
        }
    }

    @Test func aPartFailedJobIsCompletedWithoutItsWAV() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            await sim.simulator.scriptOutcomes([.partFailed])
            let id = try await sim.useapiSong()
            clock.advance(by: 100)
            let job = try await sim.useapiJob(id)
            #expect(job["status"] as? Int == 30)
            #expect(job["wavOssId"] as? String == "")
            let wav = try await sim.useapiDownload(id, "wav")
            #expect(wav.status == 404)
            #expect(wav.error.contains("wav"), "\(wav.object)")
            #expect(try await sim.useapiDownload(id, "mp3").status == 200)
        }
    }

    @Test func theJobIDGoesRawInThePathAndAnEncodedColonIsRefused() async throws {
        try await Harness.with { sim in
            let id = try await sim.useapiSong()
            #expect(try await sim.useapi(.GET, "music/" + id).status == 200)
            for encoded in [id.replacingOccurrences(of: ":", with: "%3A"), id.replacingOccurrences(of: ":", with: "%3a")] {
                for path in ["music/" + encoded, "music/download/" + encoded + "?file_format=mp3"] {
                    let answer = try await sim.useapi(.GET, path)
                    #expect(answer.status == 400, "\(path)")
                    #expect(answer.object["error"] as? String == "job_id has incorrect format")
                    #expect(answer.code == 400)
                }
                #expect(try await sim.useapi(.DELETE, "scheduler/" + encoded).status == 400)
            }
            for malformed in ["nonsense", "user:1-job:abc", "user:x-tempolor:1000001-job:abc", "user:1-tempolor:1000001-job:"] {
                #expect(try await sim.useapi(.GET, "music/" + malformed).error == "job_id has incorrect format", "\(malformed)")
            }
        }
    }

    @Test func unknownJobsAnswer404NoRecordFound() async throws {
        try await Harness.with { sim in
            let useapiID = try await sim.useapiSong()
            let itemID = String(useapiID.split(separator: ":").last ?? "")
            let openAPIItem = try await sim.createSong()
            for id in ["user:1-tempolor:1000001-job:song_ffff", "user:2-tempolor:1000001-job:\(itemID)",
                       "user:1-tempolor:777-job:\(itemID)", "user:1-tempolor:1000001-job:\(openAPIItem)"] {
                let answer = try await sim.useapi(.GET, "music/" + id)
                #expect(answer.status == 404, "\(id)")
                #expect(answer.object["error"] as? String == "No record found for \(id)")
                #expect(answer.code == 404)
            }
        }
    }
}
