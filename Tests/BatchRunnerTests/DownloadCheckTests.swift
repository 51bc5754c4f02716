@testable import BatchRunner
import Foundation
import Hummingbird
import ProviderKit
import Testing
import ZIPFoundation

/// README "Output": downloads stream to `.part`, are checked, then renamed; stems archives are
/// checked whole before any member gets its final name; downloads have their own slot limit.
@Suite("Downloads are checked before they get their names", .timeLimit(.minutes(1)))
struct DownloadCheckTests {
    static let mp3Head = Data([0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0, count: 413))

    /// A loopback server that answers complete but wrong files, a body cut short, and one body
    /// held halfway until the test lets it go on.
    static func withServer<T: Sendable>(gate: AsyncStream<Void>, _ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/html.mp3") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><body>Access denied</body></html>")))
        }
        router.get("/lying.wav") { _, _ in
            // A complete 44-byte header plus 100 bytes, whose RIFF size says a million.
            var bytes = Data("RIFF".utf8) + withUnsafeBytes(of: UInt32(1_000_000).littleEndian) { Data($0) } + Data("WAVE".utf8)
            bytes += Data(repeating: 0, count: 132)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/short.mp3") { _, _ in
            Response(status: .ok, body: ResponseBody(contentLength: mp3Head.count) { writer in
                try await writer.write(ByteBuffer(bytes: mp3Head.prefix(200)))
                throw CancellationError()
            })
        }
        router.get("/held.mp3") { _, _ in
            Response(status: .ok, body: ResponseBody(contentLength: mp3Head.count * 2) { writer in
                try await writer.write(ByteBuffer(bytes: mp3Head))
                for await _ in gate { break }
                try await writer.write(ByteBuffer(bytes: mp3Head))
                try await writer.finish(nil)
            })
        }
        return try await FakeFileServer.with(router: router, body)
    }

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-dl-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aDownloadWritesToPartAndOnlyTheCompleteFileGetsItsName() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("song.mp3")
        let part = destination.appendingPathExtension("part")
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        try await Self.withServer(gate: gate) { base in
            let downloader = Downloader(http: Downloader.makeHTTPClient(), timeout: .seconds(30))
            async let written = downloader.download(base + "/held.mp3", to: destination)
            // Halfway: the bytes so far are in the .part file, and nothing has the final name.
            while ((try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int) ?? 0) < Self.mp3Head.count {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!FileManager.default.fileExists(atPath: destination.path))
            open.yield()
            let result = try await written
            #expect(result.size == Int64(Self.mp3Head.count * 2))
            #expect((try Data(contentsOf: destination)).count == Self.mp3Head.count * 2)
            #expect(!FileManager.default.fileExists(atPath: part.path))
            try await downloader.http.shutdown()
        }
    }

    @Test(arguments: [
        ("/html.mp3", "song.mp3", "is not an MPEG audio stream"),
        ("/lying.wav", "song.wav", "its header promises 1000008 bytes"),
        ("/short.mp3", "song.mp3", "broke off"),
    ])
    func aBadFileIsRefusedAndLeavesNothing(path: String, name: String, words: String) async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent(name)
        let (gate, _) = AsyncStream.makeStream(of: Void.self)
        try await Self.withServer(gate: gate) { base in
            let downloader = Downloader(http: Downloader.makeHTTPClient(), timeout: .seconds(30))
            do {
                _ = try await downloader.download(base + path, to: destination)
                Issue.record("\(path) was accepted")
            } catch let error as ProviderError {
                #expect(error.message.contains(words), "\(error.message)")
                #expect(error.failureClass == .transient(retryAfter: nil))
            }
            #expect(!FileManager.default.fileExists(atPath: destination.path))
            #expect(!FileManager.default.fileExists(atPath: destination.appendingPathExtension("part").path))
            try await downloader.http.shutdown()
        }
    }

    // MARK: Stems archives

    static func flac(_ marker: UInt8) -> Data { Data("fLaC".utf8) + Data(repeating: marker, count: 300) }

    static func archive(at url: URL, _ build: (Archive) throws -> Void) throws {
        let archive = try Archive(url: url, accessMode: .create, pathEncoding: nil)
        try build(archive)
    }

    static func add(_ archive: Archive, _ path: String, _ data: Data, type: Entry.EntryType = .file) throws {
        try archive.addEntry(with: path, type: type, uncompressedSize: Int64(data.count), compressionMethod: .none) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    func stems(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("stems").path)) ?? []).sorted()
    }

    @Test func aGoodArchiveIsExtracted() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let zip = folder.appendingPathComponent("s.zip")
        try Self.archive(at: zip) { archive in
            try Self.add(archive, "Song_vocals.flac", Self.flac(1))
            try Self.add(archive, "Song_drums.flac", Self.flac(2))
        }
        let written = try OutputLibrary(root: folder).extractStems(zip: zip, into: folder)
        #expect(written.count == 2)
        #expect(stems(in: folder) == ["drums.flac", "vocals.flac"])
    }

    @Test func aLinkMemberIsRefusedBeforeAnythingIsWritten() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let zip = folder.appendingPathComponent("s.zip")
        try Self.archive(at: zip) { archive in
            try Self.add(archive, "Song_vocals.flac", Self.flac(1))
            try Self.add(archive, "Song_drums.flac", Data("/etc/passwd".utf8), type: .symlink)
        }
        #expect(throws: OutputLibrary.UnsafeArchive.self) { try OutputLibrary(root: folder).extractStems(zip: zip, into: folder) }
        #expect(stems(in: folder).isEmpty)
    }

    @Test func aCRCFailureLeavesNoStemUnderItsName() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let zip = folder.appendingPathComponent("s.zip")
        try Self.archive(at: zip) { archive in
            try Self.add(archive, "Song_vocals.flac", Self.flac(1))
            try Self.add(archive, "Song_drums.flac", Self.flac(7))
        }
        // Flip one stored byte of the second member's payload.
        var bytes = try Data(contentsOf: zip)
        let payload = try #require(bytes.range(of: Data(repeating: 7, count: 300)))
        bytes[payload.lowerBound + 10] = 8
        try bytes.write(to: zip)
        do {
            _ = try OutputLibrary(root: folder).extractStems(zip: zip, into: folder)
            Issue.record("a corrupt member was accepted")
        } catch let error as ProviderError {
            #expect(error.message.contains("failed its CRC check"))
        }
        #expect(stems(in: folder).isEmpty, "\(stems(in: folder))")
    }

    // MARK: MIDI archives

    func midi(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("midi").path)) ?? []).sorted()
    }

    static func smf(_ marker: UInt8) -> Data { Data("MThd".utf8) + Data([0, 0, 0, 6, 0, 1, 0, 2, 1, 224]) + Data(repeating: marker, count: 40) }

    @Test func aMIDIArchiveIsFiledAsMidFilesAndAnythingElseLeavesNothing() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("m.zip")
        try Self.archive(at: good) { archive in
            try Self.add(archive, "Lantern_melody.mid", Self.smf(1))
            try Self.add(archive, "Lantern_bass.mid", Self.smf(2))
        }
        #expect(try OutputLibrary(root: folder).extractMIDI(zip: good, into: folder).count == 2)
        #expect(midi(in: folder) == ["bass.mid", "melody.mid"])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("midi"))

        // A member that is not a Standard MIDI File: refused, nothing under a final name.
        let bad = folder.appendingPathComponent("b.zip")
        try Self.archive(at: bad) { archive in
            try Self.add(archive, "Lantern_melody.mid", Self.smf(1))
            try Self.add(archive, "Lantern_bass.mid", Self.flac(2))
        }
        do {
            _ = try OutputLibrary(root: folder).extractMIDI(zip: bad, into: folder)
            Issue.record("a member that is not MIDI was accepted")
        } catch let error as ProviderError {
            #expect(error.message.contains("is not a Standard MIDI File"))
        }
        #expect(midi(in: folder).isEmpty, "\(midi(in: folder))")
        // A member that is not a .mid at all, or would leave midi/: refused before anything is written.
        let odd = folder.appendingPathComponent("o.zip")
        try Self.archive(at: odd) { archive in try Self.add(archive, "../Lantern_melody.mid", Self.smf(1)) }
        #expect(throws: OutputLibrary.UnsafeArchive.self) { try OutputLibrary(root: folder).extractMIDI(zip: odd, into: folder) }
        let text = folder.appendingPathComponent("t.zip")
        try Self.archive(at: text) { archive in try Self.add(archive, "notes.txt", Self.smf(1)) }
        #expect(throws: OutputLibrary.UnsafeArchive.self) { try OutputLibrary(root: folder).extractMIDI(zip: text, into: folder) }
        #expect(midi(in: folder).isEmpty)
    }
}

/// `concurrency.downloads` bounds the downloads in flight, whatever the task limit.
@Suite("The download slot limit")
struct DownloadSlotTests {
    @Test func atMostTheDownloadLimitIsInFlight() async throws {
        let manifest = FakeProviderTests.manifest(songs: 6).replacingOccurrences(of: "concurrency: { tasks: 7 }", with: "concurrency: { tasks: 7, downloads: 2 }")
        // Each answer is held a moment (real time: this is about real connections), so
        // downloads that may overlap do.
        try await FakeRun.run(manifest, holdDownloads: .milliseconds(150)) { fake, result in
            #expect(result.exitCode == 0, "\(fake.log.text)")
            #expect(fake.downloads.max == 2, "downloads in flight at once: \(fake.downloads.max)")
        }
    }
}
