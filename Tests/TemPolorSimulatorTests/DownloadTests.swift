import Foundation
import Testing
import TestSupport
import ZIPFoundation
@testable import TemPolorSimulator

@Suite("Signed, expiring downloads of real audio")
struct DownloadTests {
    static func finishedSongURLs(_ sim: Harness, clock: ManualSimulatorClock) async throws -> (id: String, mp3: String, wav: String) {
        let id = try await sim.createSong()
        clock.advance(by: 100)
        let song = try #require(try await sim.query("song", [id]).first)
        return (id, song["audio_url"] as? String ?? "", song["audio_hi_url"] as? String ?? "")
    }

    @Test func mp3AndWavDecodeAndLastAsLongAsDuration() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let (_, mp3, wav) = try await Self.finishedSongURLs(sim, clock: clock)
            let mp3File = try await sim.get(mp3)
            #expect(mp3File.status == 200)
            #expect(mp3File.headers.first(name: "Content-Type") == "audio/mpeg")
            #expect(abs(try AudioDecoding.seconds(of: mp3File.body, fileExtension: "mp3") - 12) < 0.1)
            let wavFile = try await sim.get(wav)
            #expect(abs(try AudioDecoding.seconds(of: wavFile.body, fileExtension: "wav") - 12) < 0.01)
        }
    }

    @Test func stemsAreAZipOfFiveFLACFilesNamedLikeTheService() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let (_, mp3, _) = try await Self.finishedSongURLs(sim, clock: clock)
            let created = try await sim.post("stems", ["url": mp3, "callback_url": Harness.callback])
            clock.advance(by: 40)
            let url = try #require(try await sim.query("stems", [created.itemID]).first?["stems_url"] as? String)
            let zip = try await sim.get(url)
            #expect(zip.status == 200)
            let archive = try Archive(data: zip.body, accessMode: .read, pathEncoding: nil)
            let names = archive.map(\.path).sorted()
            // The service names members after the work: "<name>_<stem>.flac".
            #expect(names == ["An_Owl_s_Waltz_Pop_bass.flac", "An_Owl_s_Waltz_Pop_drums.flac", "An_Owl_s_Waltz_Pop_original.flac",
                              "An_Owl_s_Waltz_Pop_other.flac", "An_Owl_s_Waltz_Pop_vocals.flac"])
            try Harness.expectDecodableStems(archive, seconds: 12)
        }
    }

    @Test func expiredURLsAnswer403AndAFreshQueryGivesANewOne() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.urlLifetime = 3600 }, clock: clock) { sim in
            let (id, mp3, _) = try await Self.finishedSongURLs(sim, clock: clock)
            #expect(try await sim.get(mp3).status == 200)
            clock.advance(by: 3601)
            let expired = try await sim.get(mp3)
            #expect(expired.status == 403)
            #expect(String(decoding: expired.body, as: UTF8.self) == "URL expired")
            let fresh = try #require(try await sim.query("song", [id]).first?["audio_url"] as? String)
            #expect(fresh != mp3)
            #expect(try await sim.get(fresh).status == 200)
        }
    }

    @Test func tamperedURLsAnswer403() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let (_, mp3, _) = try await Self.finishedSongURLs(sim, clock: clock)
            #expect(try await sim.get(mp3.replacingOccurrences(of: "audio.mp3", with: "audio.wav")).status == 403)
            #expect(try await sim.get(String(mp3.prefix { $0 != "?" })).status == 403)
        }
    }

    @Test func rangeRequests() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let (_, mp3, _) = try await Self.finishedSongURLs(sim, clock: clock)
            let whole = try await sim.get(mp3)
            #expect(whole.headers.first(name: "Accept-Ranges") == "bytes")
            let size = whole.body.count
            let first = try await sim.get(mp3, headers: [("Range", "bytes=0-99")])
            #expect(first.status == 206)
            #expect(first.body == whole.body.prefix(100))
            #expect(first.headers.first(name: "Content-Range") == "bytes 0-99/\(size)")
            let tail = try await sim.get(mp3, headers: [("Range", "bytes=\(size - 10)-")])
            #expect(tail.body == whole.body.suffix(10))
            let suffix = try await sim.get(mp3, headers: [("Range", "bytes=-7")])
            #expect(suffix.body == whole.body.suffix(7))
            let beyond = try await sim.get(mp3, headers: [("Range", "bytes=\(size)-")])
            #expect(beyond.status == 416)
            #expect(beyond.headers.first(name: "Content-Range") == "bytes */\(size)")
        }
    }

    @Test func byteRangeParsing() {
        #expect(ByteRange(header: nil, length: 10) == .whole)
        #expect(ByteRange(header: "bytes=2-4", length: 10) == .partial(2...4))
        #expect(ByteRange(header: "bytes=2-40", length: 10) == .partial(2...9))
        #expect(ByteRange(header: "bytes=4-2", length: 10) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=0-1,4-5", length: 10) == .unsatisfiable)
        #expect(ByteRange(header: "items=0-1", length: 10) == .unsatisfiable)
    }
}
