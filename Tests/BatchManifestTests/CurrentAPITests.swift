import ProviderWiring
import Testing
@testable import BatchManifest

/// The API as it is served in 2026 in the manifest language: the current default model (whose
/// change keeps every earlier key), the model catalogue as data, `cover:`, `midi: true` and
/// `api: { instrumental_route, region }`.
@Suite("Today's TemPolor API in the manifest")
struct CurrentAPITests {
    static let song = """
    version: 1
    jobs:
      - name: a
        song: { prompt: "A warm song", lyrics: "[verse]\\nla la" }
        extend: [{ start_time: 30 }]
    """

    @Test func theDefaultSongModelIsTodaysAndKeepsTheKeysOfManifestsThatNamedNone() throws {
        let tasks = graph(Self.song).tasks
        let song = try #require(tasks.first { $0.kind == .song }), extend = try #require(tasks.first { $0.kind == .extend })
        #expect(song.request.model == "tempolor-latest")
        #expect(extend.request.model == "tempolor-latest")
        // The key is the one the first default gave, so finished work is not paid for again.
        var before = song.request
        before.model = "TemPolor v3.5"
        before.modelDefaulted = false
        #expect(song.key == TaskKey(request: before, parents: song.parents))
        var extendBefore = extend.request
        extendBefore.model = "TemPolor v3.5"
        extendBefore.modelDefaulted = false
        #expect(extend.key == TaskKey(request: extendBefore, parents: extend.parents))
        // Naming the model is a different request, with its own key.
        let named = graph(Self.song.replacingOccurrences(of: "lyrics: \"[verse]\\nla la\" }", with: "lyrics: \"[verse]\\nla la\", model: tempolor-latest }"))
        #expect(named.tasks.first { $0.kind == .song }?.request.model == "tempolor-latest")
        #expect(named.tasks.first { $0.kind == .song }?.key != song.key)
    }

    @Test func theCatalogueIsOneTableWithPricesRoutesAndDates() {
        let names = ModelCatalogue.entries.map(\.name)
        #expect(Set(names).count == names.count)
        for name in ["tempolor-latest", "TemPolor v3.5", "Eleven Music V2", "Lyria 3 Pro", "Mureka V9.5", "Mureka V9", "MiniMax 3.0"] {
            #expect(ModelCatalogue.songModels.contains(name), "\(name)")
        }
        #expect(ModelCatalogue.instrumentalModels == ["TemPolor i4", "TemPolor i3.5", "TemPolor i3"])
        #expect(ModelCatalogue.coverModels == ["tempolor-latest"])
        #expect(ModelCatalogue.entries.allSatisfy { $0.checked.wholeMatch(of: /20\d\d-\d\d/) != nil && !$0.route.isEmpty })
        // Prices come from the table: i4 costs more than the instrumental kind.
        #expect(PriceTable.default.price(of: TaskRequest(provider: .tempolor, kind: .instrumental, model: "TemPolor i4")) == 30)
        #expect(PriceTable.default.price(of: TaskRequest(provider: .tempolor, kind: .instrumental, model: "TemPolor i3")) == 20)
        // A resold model without a public price costs its kind's.
        #expect(PriceTable.default.price(of: TaskRequest(provider: .tempolor, kind: .song, model: "Mureka V9", lyrics: "la")) == 30)
        // Unknown names stay warnings.
        let unknown = compile(Self.song.replacingOccurrences(of: "la la\" }", with: "la la\", model: Mureka V10 }"))
        #expect(!unknown.hasErrors)
        #expect(unknown.diagnostics.contains { $0.severity == .warning && $0.message.contains("'Mureka V10' is not in the known catalogue") })
    }

    @Test func aCoverOfTheChainComesAfterItsExtendsAndBeforeMIDIAndStems() throws {
        let tasks = graph("""
        version: 1
        jobs:
          - name: a
            song: { prompt: "A warm song", lyrics: "[verse]\\nla la" }
            extend: [{ start_time: 30 }]
            cover: { prompt: "the same, as a string quartet" }
            midi: true
            stems: true
        """).tasks
        #expect(tasks.map(\.kind) == [.song, .extend, .cover, .midi, .stems])
        let byKind = Dictionary(uniqueKeysWithValues: tasks.map { ($0.kind, $0) })
        let cover = try #require(byKind[.cover])
        #expect(cover.parents == [try #require(byKind[.extend]).key])
        #expect(byKind[.midi]?.parents == [cover.key])
        #expect(byKind[.stems]?.parents == [cover.key])
        #expect(cover.request.model == "tempolor-latest")
        #expect(cover.request.sourceURL == nil)
        #expect(cover.fileStem == "cover")
        // 70, and the lyrics the platform writes for it.
        #expect(PriceTable.default.price(of: cover.request) == 77)
        #expect(PriceTable.default.price(of: try #require(byKind[.midi]).request) == 10)
    }

    @Test func aCoverOfAnOutsideFileIsItsOwnChain() throws {
        let tasks = graph("""
        version: 1
        pricing: { cover: 60, midi: 4 }
        jobs:
          - name: a
            cover: { url: "https://example.com/demo-{n}.mp3", prompt: "jazz trio", lyrics: "[verse]\\nla" }
            midi: true
            matrix: { n: [1, 2] }
        """).tasks
        #expect(tasks.map(\.kind) == [.cover, .midi, .cover, .midi])
        let covers = tasks.filter { $0.kind == .cover }
        #expect(covers.map(\.request.sourceURL) == ["https://example.com/demo-1.mp3", "https://example.com/demo-2.mp3"])
        #expect(covers.allSatisfy { $0.parents.isEmpty })
        let manifest = try #require(compile("""
        version: 1
        pricing: { cover: 60, midi: 4 }
        jobs: [{ name: a, cover: { url: "https://example.com/x.mp3", prompt: p, lyrics: la }, midi: true }]
        """).manifest)
        #expect(manifest.pricing.price(of: covers[0].request) == 60)
        #expect(manifest.pricing.price(of: try #require(tasks.first { $0.kind == .midi }).request) == 4)
    }

    /// Refused where written, in the capability tests' terms.
    static let refusals: [CapabilityTests.Case] = [
        CapabilityTests.Case(name: "instrumental cover", yaml: """
        version: 1
        jobs:
          - name: a
            instrumental: { prompt: x }
            cover: { prompt: y }
        """, line: 5, column: 5, message: "no instrumental cover"),
        CapabilityTests.Case(name: "cover of nothing", yaml: """
        version: 1
        jobs:
          - name: a
            cover: { prompt: y }
        """, line: 4, column: 5, message: "has a cover but no song to cover"),
        CapabilityTests.Case(name: "cover url beside a song", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            cover: { prompt: y, url: "https://example.com/a.mp3" }
        """, line: 5, column: 5, message: "cover.url would cover an unrelated file"),
        CapabilityTests.Case(name: "cover url not http", yaml: """
        version: 1
        jobs:
          - name: a
            cover: { prompt: y, url: "ftp://example.com/a.mp3" }
        """, line: 4, column: 30, message: "cover.url"),
        CapabilityTests.Case(name: "midi of nothing", yaml: """
        version: 1
        jobs:
          - name: a
            stems: { url: "https://example.com/a.mp3" }
            midi: true
        """, line: 5, column: 11, message: "asks for midi: true but makes no audio to transcribe"),
        CapabilityTests.Case(name: "extend in region cn", yaml: """
        version: 1
        api: { region: cn }
        jobs:
          - name: a
            song: { prompt: x }
            extend: [{ start_time: 30 }]
        """, line: 6, column: 5, message: "api.region cn (api.tianpuyue.cn) has no extend endpoint"),
        CapabilityTests.Case(name: "unknown route", yaml: """
        version: 1
        api: { instrumental_route: legacyy }
        jobs: [{ name: a, song: { prompt: x } }]
        """, line: 2, column: 28, message: "api.instrumental_route must be one of song, legacy, found 'legacyy'"),
        CapabilityTests.Case(name: "cover on useapi", yaml: """
        version: 1
        provider: useapi
        jobs:
          - name: a
            song: { prompt: x }
            cover: { prompt: y }
        """, line: 6, column: 5, message: "provider useapi has no cover route"),
        CapabilityTests.Case(name: "midi on useapi", yaml: """
        version: 1
        provider: useapi
        jobs:
          - name: a
            song: { prompt: x }
            midi: true
        """, line: 6, column: 11, message: "provider useapi has no MIDI route"),
    ]

    @Test(arguments: refusals)
    func refusedWhereWritten(_ refusal: CapabilityTests.Case) {
        let compilation = compile(refusal.yaml)
        let found = compilation.diagnostics.filter { $0.severity == .error && $0.message.contains(refusal.message) }
        #expect(!found.isEmpty, "\(compilation.diagnostics.map(\.description))")
        #expect(found.first?.location.line == refusal.line && found.first?.location.column == refusal.column, "\(found)")
    }

    @Test func apiOptionsReachTheProviderAndRegionGlobalExtends() throws {
        let manifest = try #require(compile("""
        version: 1
        api: { instrumental_route: legacy, region: global }
        jobs: [{ name: a, song: { prompt: x }, extend: [{ start_time: 30 }] }]
        """).manifest)
        #expect(manifest.api == APISettings(instrumentalRoute: .legacy, region: .global))
        #expect(manifest.providerOptions["instrumental_route"] == "legacy")
        #expect(manifest.providerOptions["region"] == "global")
        let defaults = try #require(compile(Self.song).manifest)
        #expect(defaults.api == APISettings(instrumentalRoute: .song, region: .global))
    }
}
