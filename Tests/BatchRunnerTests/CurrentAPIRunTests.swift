import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
@testable import ProviderWiring
import TemPolorSimulator
import Testing

/// Today's Open API end to end against the simulator: instrumentals through song/generate (and
/// the legacy route on request), covers of an outside file and of a chain, MIDI of a chain,
/// and the cn region refusing extend before anything is paid.
@Suite("Today's TemPolor API end to end")
struct CurrentAPIRunTests {
    static func stats(_ sim: RunnerHarness) async -> SimulatorStats { await sim.simulator.stats() }

    static func instrumental(route: String?) -> String {
        """
        version: 1
        name: bed
        \(route.map { "api: { instrumental_route: \($0) }" } ?? "")
        jobs:
          - name: tide
            instrumental: { prompt: "Slow ambient pad, 70 BPM", model: TemPolor i4 }
            extend: [{ start_time: 20 }]
        """
    }

    @Test func instrumentalsGoThroughSongGenerateByDefault() async throws {
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let result = await sim.run(try sim.manifest(Self.instrumental(route: nil)), log: log)
            #expect(result.exitCode == 0, "\(log.text)")
            let stats = await Self.stats(sim)
            #expect(stats.requests["/open-apis/v1/song/generate"] == 1)
            #expect(stats.requests["/open-apis/v1/instrumental/generate"] == nil)
            #expect(stats.requests["/open-apis/v1/instrumental/query"] == nil)
            #expect(stats.requests["/open-apis/v1/instrumental/extend"] == nil)
            #expect((stats.requests["/open-apis/v1/song/query"] ?? 0) > 0)
            #expect(stats.acceptedCreates["instrumental"] == 1)
            let files = sim.files()
            for name in ["instrumental.mp3", "instrumental.wav", "extend-1.mp3"] {
                #expect(files.contains("bed/tide/v1/\(name)"), "\(files)")
            }
            #expect(!files.contains { $0.hasSuffix(".lrc") }, "an instrumental has no lyric timings: \(files)")
        }
    }

    @Test func theLegacyRouteStaysSelectable() async throws {
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let result = await sim.run(try sim.manifest(Self.instrumental(route: "legacy")), log: log)
            #expect(result.exitCode == 0, "\(log.text)")
            let stats = await Self.stats(sim)
            #expect(stats.requests["/open-apis/v1/instrumental/generate"] == 1)
            #expect(stats.requests["/open-apis/v1/instrumental/extend"] == 1)
            #expect(stats.requests["/open-apis/v1/song/generate"] == nil)
            #expect((stats.requests["/open-apis/v1/instrumental/query"] ?? 0) > 0)
            #expect(sim.files().contains("bed/tide/v1/extend-1.wav"))
        }
    }

    @Test func aCoverOfAnOutsideFileIsFiledLikeASong() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest("""
            version: 1
            name: covers
            jobs:
              - name: demo
                cover: { url: "https://example.com/demo.mp3", prompt: "bright city pop", lyrics: "[verse]\\nNeon on the street" }
            """)
            let log = OutputLog()
            #expect(await sim.run(path, log: log).exitCode == 0, "\(log.text)")
            let stats = await Self.stats(sim)
            #expect(stats.acceptedCreates["cover"] == 1)
            #expect(stats.acceptedCreatesTotal == 1)
            let files = sim.files()
            for name in ["cover.mp3", "cover.wav", "cover.lrc"] { #expect(files.contains("covers/demo/v1/\(name)"), "\(files)") }
            #expect(AudioCheck.problem(sim.library.appendingPathComponent("covers/demo/v1/cover.mp3")) == nil)
            // 70 credits, the lyrics written: no lyrics charge.
            #expect(try sim.ledger().allTasks().first?.cost == 70)
        }
    }

    static let chain = """
    version: 1
    name: lantern
    jobs:
      - name: a
        song: { prompt: "A folk song about a lantern", lyrics: "[verse]\\nOne small light\\n[chorus]\\nBurn for me" }
        cover: { prompt: "as a string quartet" }
        midi: true
    """

    @Test func aCoverAndMIDIOfAChainUseItsFreshAudioAndAreFiled() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.chain)
            let log = OutputLog()
            #expect(await sim.run(path, log: log).exitCode == 0, "\(log.text)")
            let stats = await Self.stats(sim)
            #expect(stats.acceptedCreates["song"] == 1)
            #expect(stats.acceptedCreates["cover"] == 1)
            #expect(stats.acceptedCreates["midi"] == 1)
            let files = sim.files()
            for name in ["song.mp3", "cover.mp3", "cover.wav", "cover.lrc", "cover-lyrics.txt"] {
                #expect(files.contains("lantern/a/v1/\(name)"), "\(name) in \(files)")
            }
            let midi = files.filter { $0.hasPrefix("lantern/a/v1/midi/") }
            #expect(!midi.isEmpty, "\(files)")
            for file in midi {
                #expect(file.hasSuffix(".mid"))
                let head = try Data(contentsOf: sim.library.appendingPathComponent(file)).prefix(4)
                #expect(head == Data("MThd".utf8), "\(file)")
            }
            // The cover was made of the song's own audio, looked up just before it was sent.
            let tasks = try sim.ledger().allTasks()
            let song = try #require(tasks.first { $0.kind == "song" }), cover = try #require(tasks.first { $0.kind == "cover" })
            let source = try #require(await sim.simulator.sourceURL(ofItem: cover.itemID ?? ""))
            #expect(source.contains(song.itemID ?? "?"), "\(source)")
            // The cover's lyrics were written by the platform: 70 + 7.
            #expect(cover.cost == 77)
            // Every file is recorded with its hash; a resume writes nothing and pays nothing.
            #expect(tasks.allSatisfy { $0.state == .downloaded })
            let again = OutputLog()
            #expect(await sim.run(path, log: again).exitCode == 0)
            #expect(await Self.stats(sim).acceptedCreatesTotal == 3)
            #expect(again.text.contains("0 files written"), "\(again.text)")
        }
    }

    @Test func regionCNRefusesExtendBeforeAnythingIsPaid() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest("""
            version: 1
            api: { region: cn }
            jobs:
              - name: a
                song: { prompt: x, lyrics: "[verse]\\nla" }
                extend: [{ start_time: 30 }]
            """)
            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == Runner.ExitCode.invalid)
            #expect(log.text.contains("api.region cn (api.tianpuyue.cn) has no extend endpoint"), "\(log.text)")
            #expect(await Self.stats(sim).acceptedCreatesTotal == 0)
        }
    }

    @Test func theRegionPicksTheBaseURL() throws {
        let variables = ["TEMPOLOR_API_KEY": "Tempo-region-test"]
        #expect(try Endpoint.live(.tempolor, options: RunOptions(), variables: variables, region: .cn).baseURL.absoluteString == "https://api.tianpuyue.cn")
        #expect(try Endpoint.live(.tempolor, options: RunOptions(), variables: variables, region: .global).baseURL.absoluteString == "https://api.tempolor.com")
        // An explicit base URL still wins.
        var options = RunOptions()
        options.baseURL = URL(string: "http://127.0.0.1:9")
        #expect(try Endpoint.live(.tempolor, options: options, variables: variables, region: .cn).baseURL.absoluteString == "http://127.0.0.1:9")
    }
}
