@testable import BatchRunner
import Crypto
import Foundation
import Testing

/// Part files: nothing carries a final name before it is complete, synced and finished, whether
/// its bytes were held in memory or streamed to disk.
@Suite("Part files")
struct PartFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-partfile-\(UUID().uuidString)")

    func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    @Test func aFileHeldInMemoryIsWrittenOnceAsFinished() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("song.mp3")
        var file = try PartFile(for: destination, memoryLimit: 100)
        for chunk in ["ID3", "-audio-", "bytes"] { try file.write(Data(chunk.utf8)) }
        // Nothing on disk yet, not even the folder.
        #expect(!exists(folder))
        #expect(file.size == 15 && file.head == Data("ID3-audio-bytes".utf8))
        let seen = OutputLog()
        let written = try file.commit { url, bytes in
            seen.append("\(url.lastPathComponent):\(String(decoding: bytes, as: UTF8.self))")
            return bytes + Data("+tags".utf8)
        }
        #expect(seen.all == ["song.mp3:ID3-audio-bytes"])
        let finished = Data("ID3-audio-bytes+tags".utf8)
        #expect(try Data(contentsOf: destination) == finished)
        #expect(written.size == Int64(finished.count) && written.sha256 == SHA256.hash(data: finished).hexString)
        #expect(!exists(destination.appendingPathExtension("part")))
    }

    @Test func aFileOutgrowingTheLimitStreamsToItsPartFile() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("song.wav")
        let part = destination.appendingPathExtension("part")
        var file = try PartFile(for: destination, memoryLimit: 10)
        try file.write(Data("RIFF..".utf8))
        #expect(!exists(part))
        try file.write(Data("WAVE..".utf8))
        #expect(exists(part) && !exists(destination))
        // A finishing step that keeps the bytes as they are: the hash is the streamed one.
        let written = try file.commit { _, _ in nil }
        #expect(try Data(contentsOf: destination) == Data("RIFF..WAVE..".utf8))
        #expect(written.sha256 == SHA256.hash(data: Data("RIFF..WAVE..".utf8)).hexString)
        #expect(!exists(part))

        // Finished after spilling: the part file is rewritten with the result before its rename.
        var again = try PartFile(for: destination, memoryLimit: 4)
        try again.write(Data("RIFF..WAVE..".utf8))
        let tagged = try again.commit { _, bytes in bytes + Data("LIST".utf8) }
        #expect(try Data(contentsOf: destination) == Data("RIFF..WAVE..LIST".utf8) && tagged.size == 16)
    }

    @Test func aDiscardedFileLeavesNothingInEitherMode() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        // Streamed from the start (limit 0), and spilled after outgrowing its limit (8 bytes).
        for limit in [0, 8] {
            let destination = folder.appendingPathComponent("song-\(limit).mp3")
            var file = try PartFile(for: destination, memoryLimit: limit)
            try file.write(Data("ID3 half a song".utf8))
            #expect(exists(destination.appendingPathExtension("part")))
            file.discard()
            #expect(!exists(destination) && !exists(destination.appendingPathExtension("part")))
        }
    }
}
