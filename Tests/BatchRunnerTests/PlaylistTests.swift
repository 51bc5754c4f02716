import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import Testing

/// The run's `_reports/<timestamp>.m3u8` lists the tracks that run filed; the manifest's
/// `playlist.m3u8` its whole library. Both are extended M3U8 with relative paths that resolve.
@Suite("Playlists")
struct PlaylistTests {
    static func manifest(extraJob: Bool) -> String {
        """
        version: 1
        name: night
        jobs:
          - name: neon
            song:
              prompt: "Bright synth song about neon rain"
              model: TemPolor v3.5
              lyrics: "[verse]\\nNeon rain"
            variants: 2
            extend:
              - start_time: 20
        """ + (extraJob ? """

          - name: tide
            instrumental:
              prompt: "Calm piano bed"
              model: TemPolor i3.5
        """ : "")
    }

    struct Entry: Equatable {
        var seconds: Int
        var title: String
        var path: String
    }

    /// The entries of an extended M3U8; records an issue for any malformed line.
    static func entries(_ url: URL) throws -> [Entry] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "#EXTM3U")
        #expect(lines.last == "")
        var entries: [Entry] = []
        var index = 1
        while index + 1 < lines.count {
            let info = lines[index]
            guard info.hasPrefix("#EXTINF:"), let comma = info.firstIndex(of: ","), let seconds = Int(info[info.index(info.startIndex, offsetBy: 8)..<comma]) else {
                Issue.record("not an #EXTINF line: \(info)")
                return entries
            }
            entries.append(Entry(seconds: seconds, title: String(info[info.index(after: comma)...]), path: lines[index + 1]))
            index += 2
        }
        return entries
    }

    @Test func eachRunListsWhatItFiledAndTheLibraryListsEverything() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest(extraJob: false))
            let first = await sim.run(path)
            #expect(first.exitCode == 0, "\(first.message ?? "")")
            let report = try #require(first.report)
            let runList = report.deletingPathExtension().appendingPathExtension("m3u8")
            let library = sim.library.appendingPathComponent("night/playlist.m3u8")

            // What the ledger says the tracks are, in graph order: song and extend of each variant.
            let ledger = try sim.ledger()
            let graph = try #require(Providers.compile(path, environment: [:], provider: .tempolor).graph)
            func expected(_ kinds: Set<TaskKind>) throws -> [Entry] {
                try graph.tasks.filter { kinds.contains($0.kind) }.map { task in
                    let record = try #require(try ledger.task(task.key.hex))
                    let result = try #require(StoredResult.parse(record.result))
                    return Entry(seconds: Int(try #require(result.duration).rounded()), title: try #require(result.title),
                                 path: "\(task.output.dropFirst("night/".count))/\(task.fileStem).mp3")
                }
            }
            let firstTracks = try expected([.song, .extend])
            #expect(firstTracks.count == 4)
            #expect(try Self.entries(runList).map(\.path) == firstTracks.map { "../" + $0.path })
            #expect(try Self.entries(runList).map(\.title) == firstTracks.map(\.title))
            #expect(try Self.entries(library) == firstTracks)
            // Every path resolves from the playlist's own folder.
            for (list, entries) in [(runList, try Self.entries(runList)), (library, try Self.entries(library))] {
                for entry in entries {
                    let file = list.deletingLastPathComponent().appendingPathComponent(entry.path).standardizedFileURL
                    #expect(FileManager.default.fileExists(atPath: file.path), "\(entry.path) from \(list.lastPathComponent)")
                }
            }

            // A resume that files nothing: an empty run playlist, the library's unchanged.
            let libraryText = try String(contentsOf: library, encoding: .utf8)
            let idle = await sim.run(path)
            let idleList = try #require(idle.report).deletingPathExtension().appendingPathExtension("m3u8")
            #expect(try String(contentsOf: idleList, encoding: .utf8) == "#EXTM3U\n")
            #expect(try String(contentsOf: library, encoding: .utf8) == libraryText)

            // The manifest grows a job: the run lists only the new track, the library all five.
            let grown = try sim.manifest(Self.manifest(extraJob: true))
            let third = await sim.run(grown)
            #expect(third.exitCode == 0)
            let thirdList = try #require(third.report).deletingPathExtension().appendingPathExtension("m3u8")
            let grownGraph = try #require(Providers.compile(grown, environment: [:], provider: .tempolor).graph)
            let instrumental = try #require(grownGraph.tasks.first { $0.kind == .instrumental })
            #expect(try Self.entries(thirdList).map(\.path) == ["../\(instrumental.output.dropFirst("night/".count))/instrumental.mp3"])
            #expect(try Self.entries(library).count == 5)
            #expect(try Self.entries(library).prefix(4) == firstTracks[...])
        }
    }

    @Test func relativePathsClimbOnlyAsFarAsNeeded() {
        #expect(Playlist.relative("night/neon/v1/song.mp3", from: "night/_reports") == "../neon/v1/song.mp3")
        #expect(Playlist.relative("night/neon/v1/song.mp3", from: "night") == "neon/v1/song.mp3")
        #expect(Playlist.relative("other/v1/song.mp3", from: "night") == "../other/v1/song.mp3")
        #expect(Playlist.relative("song.mp3", from: "") == "song.mp3")
        let text = Playlist.text([Playlist.Track(path: "n/a.mp3", title: "Two\nlines", seconds: nil)], in: "n")
        #expect(text == "#EXTM3U\n#EXTINF:-1,Two lines\na.mp3\n")
    }
}
