import Foundation
import Testing
import TestSupport
import ZIPFoundation
@testable import TemPolorSimulator

@Suite("useapi.net downloads")
struct UseAPIDownloadTests {
    /// A song whose job completed `since` seconds ago (it completes 55 s after creation).
    static func completedJob(_ sim: Harness, clock: ManualSimulatorClock, since: TimeInterval = 10) async throws -> String {
        let id = try await sim.useapiSong()
        clock.advance(by: 55 + since)
        return id
    }

    @Test func notCompletedThenNotReadyThenASignedURL() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await sim.useapiSong()
            let generating = try await sim.useapiDownload(id)
            #expect(generating.status == 400)
            #expect(generating.object["error"] as? String == "Generation is not completed yet")
            #expect(generating.code == 400)
            clock.advance(by: 56)
            #expect(try await sim.useapiJob(id)["status"] as? Int == 30)
            // Just COMPLETED: for a few seconds the download still has no record.
            let early = try await sim.useapiDownload(id)
            #expect(early.status == 404)
            #expect(early.object["error"] as? String == "No record found for \(id)")
            clock.advance(by: 5)
            let ready = try await sim.useapiDownload(id)
            #expect(ready.status == 200, "\(ready.object)")
            #expect(ready.object.keys.sorted() == ["remainSeconds", "url"])
            #expect(ready.object["remainSeconds"] as? Int == 3600)
            #expect((ready.object["url"] as? String)?.contains("/files/") == true)
        }
    }

    @Test func signedURLsRefuseAnAuthorizationHeaderAndServeRealFilesWithout() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await Self.completedJob(sim, clock: clock)
            let mp3 = try #require(try await sim.useapiDownload(id, "mp3").object["url"] as? String)
            let refused = try await sim.get(mp3, headers: [("Authorization", "Bearer " + sim.useapiToken)])
            #expect(refused.status == 400)
            let xml = String(decoding: refused.body, as: UTF8.self)
            #expect(xml.contains("<Code>InvalidArgument</Code>") && xml.contains("Only one auth mechanism allowed"))
            let file = try await sim.get(mp3)
            #expect(file.status == 200)
            #expect(Array(file.body.prefix(2)) == [0xFF, 0xFB], "an MPEG frame header")
            #expect(abs(try AudioDecoding.seconds(of: file.body, fileExtension: "mp3") - 12) < 0.1)
            // The marker is signed: dropping it does not make the URL usable with a header.
            let unmarked = mp3.replacingOccurrences(of: "&x-single-auth=1", with: "")
            #expect(try await sim.get(unmarked, headers: [("Authorization", "Bearer x")]).status == 403)

            let wavURL = try #require(try await sim.useapiDownload(id, "wav").object["url"] as? String)
            let wav = try await sim.get(wavURL)
            #expect(String(decoding: wav.body.prefix(4), as: UTF8.self) == "RIFF")
            #expect(abs(try AudioDecoding.seconds(of: wav.body, fileExtension: "wav") - 12) < 0.01)
            #expect(try await sim.get(wavURL, headers: [("Authorization", "x")]).status == 400)
        }
    }

    @Test func stemsAreTheOpenAPIsZipOfFLACs() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await Self.completedJob(sim, clock: clock)
            let url = try #require(try await sim.useapiDownload(id, "stems").object["url"] as? String)
            let zip = try await sim.get(url)
            #expect(zip.status == 200)
            let archive = try Archive(data: zip.body, accessMode: .read, pathEncoding: nil)
            #expect(archive.map(\.path).sorted() == ["An_Owl_s_Waltz_Pop_bass.flac", "An_Owl_s_Waltz_Pop_drums.flac",
                                                     "An_Owl_s_Waltz_Pop_original.flac", "An_Owl_s_Waltz_Pop_other.flac",
                                                     "An_Owl_s_Waltz_Pop_vocals.flac"])
            try Harness.expectDecodableStems(archive, seconds: 12)
        }
    }

    @Test func urlsExpireAndResultsAreGoneAfterTheRetention() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.useapiURLLifetime = 600 }, clock: clock) { sim in
            let id = try await Self.completedJob(sim, clock: clock)
            let url = try #require(try await sim.useapiDownload(id).object["url"] as? String)
            clock.advance(by: 601)
            let expired = try await sim.get(url)
            #expect(expired.status == 403)
            #expect(String(decoding: expired.body, as: UTF8.self) == "URL expired")
            #expect(try await sim.get(try #require(try await sim.useapiDownload(id).object["url"] as? String)).status == 200)
            // Close to the end of the retention the URL lives only as long as the result.
            clock.advance(by: 7 * 24 * 3600 - 611 - 100)
            #expect(try await sim.useapiDownload(id).object["remainSeconds"] as? Int == 100)
            clock.advance(by: 100)
            let gone = try await sim.useapiDownload(id)
            #expect(gone.status == 410)
            #expect(gone.object["error"] as? String == "expired")
            #expect(gone.code == 410)
        }
    }

    @Test func windowsAreTimeScaled() async throws {
        let clock = ManualSimulatorClock()
        let configuration = Harness.configuration { $0.timeScale = 0.01; $0.useapiRetention = 1000 }
        try await Harness.with(configuration, clock: clock) { sim in
            let id = try await sim.useapiSong()
            clock.advance(by: 0.56)
            #expect(try await sim.useapiDownload(id).status == 404)
            clock.advance(by: 0.05)
            #expect(try await sim.useapiDownload(id).status == 200)
            clock.advance(by: 10)
            #expect(try await sim.useapiDownload(id).status == 410)
        }
    }

    @Test func anUnknownFileFormatAnswers400() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let id = try await Self.completedJob(sim, clock: clock)
            let answer = try await sim.useapiDownload(id, "flac")
            #expect(answer.status == 400)
            #expect(answer.error.contains("flac"))
            #expect(try await sim.useapi(.GET, "music/download/\(id)").status == 200, "mp3 when no format is given")
        }
    }
}
