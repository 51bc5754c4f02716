import ProviderWiring
import Testing
@testable import BatchManifest

/// `validate` and `plan` refuse what the provider a manifest will run on cannot do, at the
/// step's own line and column, including when `--provider` overrides the manifest.
@Suite("Provider capabilities")
struct CapabilityTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var yaml: String
        var line: Int
        var column: Int
        var message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "extend", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            extend: [{ start_time: 30 }]
        """, line: 5, column: 5, message: "job 'a' extends, but provider useapi has no extend route"),
        Case(name: "lyrics generation", yaml: """
        version: 1
        jobs:
          - name: a
            lyrics: { prompt: a ballad }
            song: { prompt: x }
        """, line: 4, column: 5, message: "job 'a' generates lyrics, but provider useapi has no lyrics route"),
        Case(name: "stems of an outside file", yaml: """
        version: 1
        jobs:
          - name: a
            stems: { url: "https://cdn.example.com/a.mp3" }
        """, line: 4, column: 5, message: "job 'a' splits an existing file, but provider useapi only splits its own generations"),
        Case(name: "voice id", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x, voice_id: v1 }
        """, line: 4, column: 34, message: "job 'a' names a voice_id, but provider useapi does not take one"),
    ]

    @Test(arguments: cases)
    func refusedUnderAProviderOverride(_ testCase: Case) {
        // Valid for the manifest's own provider (tempolor)...
        #expect(compile(testCase.yaml).graph != nil, "\(compile(testCase.yaml).diagnostics)")
        // ...and refused, located, when run on useapi.
        let compilation = compile(testCase.yaml, provider: .useapi)
        #expect(compilation.graph == nil)
        let diagnostic = compilation.diagnostics.first { $0.message.contains(testCase.message) }
        #expect(diagnostic?.location == SourceLocation(file: "test.yaml", line: testCase.line, column: testCase.column),
                "\(compilation.diagnostics)")
        #expect(diagnostic?.severity == .error)
    }

    @Test func useapiModelNamesAreKnownToUseAPIOnly() {
        let useapi = compile("""
        version: 1
        provider: useapi
        jobs:
          - name: a
            song: { prompt: x, model: "v4.8" }
        """)
        #expect(useapi.graph != nil)
        #expect(!useapi.diagnostics.contains { $0.message.contains("known catalogue") }, "\(useapi.diagnostics)")
        let tempolor = compile("""
        version: 1
        jobs:
          - name: a
            song: { prompt: x, model: "v4.8" }
        """)
        #expect(tempolor.diagnostics.contains { $0.severity == .warning && $0.message.contains("known catalogue of provider tempolor") })
    }

    @Test func withoutACatalogueNothingIsChecked() {
        let compilation = ManifestCompiler.compile(yaml: Self.cases[0].yaml, file: "test.yaml", environment: [:], provider: .useapi, capabilities: .unchecked)
        #expect(compilation.graph != nil)
    }
}

@Suite("Instrumental parameters")
struct InstrumentalParameterTests {
    static let yaml = """
    version: 1
    jobs:
      - name: bed
        instrumental: { prompt: calm piano, tonality: "D:major", bpm: 72, chords: "D A Bm G" }
    """

    @Test func theyAreUseAPIFieldsAndPartOfTheKey() throws {
        let useapi = compile(Self.yaml, provider: .useapi)
        let task = try #require(useapi.graph?.tasks.first)
        #expect(task.request.tonality == "D:major" && task.request.bpm == 72 && task.request.chords == "D A Bm G")
        // Changing one of them is a different generation, so a different key.
        let other = compile(Self.yaml.replacingOccurrences(of: "bpm: 72", with: "bpm: 90"), provider: .useapi)
        #expect(other.graph?.tasks.first?.key != task.key)
        // Without them, keys are what they were before these fields existed.
        let plain = compile("version: 1\njobs:\n  - name: bed\n    instrumental: { prompt: calm piano }\n", provider: .useapi)
        #expect(plain.graph?.tasks.first?.request.tonality == nil)
    }

    @Test func theOpenAPITakesThemOnlyInThePrompt() {
        let tempolor = compile(Self.yaml)
        #expect(tempolor.graph == nil)
        let diagnostic = tempolor.diagnostics.first { $0.message.contains("takes them only in the prompt") }
        #expect(diagnostic?.location == SourceLocation(file: "test.yaml", line: 4, column: 51), "\(tempolor.diagnostics)")
    }

    @Test func badValuesAreLocated() {
        let bad = compile("""
        version: 1
        provider: useapi
        jobs:
          - name: bed
            instrumental: { prompt: calm piano, tonality: "H:major", bpm: 200 }
        """)
        #expect(bad.diagnostics.contains { $0.message.contains("'H:major' is not a key like C:major") && $0.location.line == 5 })
        #expect(bad.diagnostics.contains { $0.message.contains("bpm") && $0.location.line == 5 && $0.severity == .error })
    }
}
