import Foundation
import Testing
@testable import BatchManifest

/// A manifest never expands past `limits.max_tasks`, counted before anything is built.
@Suite("The expansion limit")
struct ExpansionLimitTests {
    static func matrix(keys: Int, values: Int) -> String {
        let rows = (0..<keys).map { key in "k\(key): [" + (0..<values).map { "v\($0)" }.joined(separator: ", ") + "]" }
        return "{ " + rows.joined(separator: ", ") + " }"
    }

    @Test func aTypoThatWouldMakeAHundredMillionTasksIsALocatedError() {
        let compilation = compile("""
        version: 1
        jobs:
          - name: huge
            song: { prompt: "x {k0} {k1} {k2} {k3}" }
            matrix: \(Self.matrix(keys: 4, values: 100))
        """)
        #expect(compilation.graph == nil)
        let diagnostic = compilation.diagnostics.first { $0.message.contains("expands to") }
        #expect(diagnostic?.message.contains("100 × 100 × 100 × 100 = 100,000,000 combinations") == true, "\(compilation.diagnostics)")
        #expect(diagnostic?.message.contains("limits.max_tasks") == true)
        #expect(diagnostic?.location == SourceLocation(file: "test.yaml", line: 5, column: 5))
    }

    @Test func theLimitCountsStepsVariantsAndEveryJob() {
        func manifest(limit: Int) -> String {
            """
            version: 1
            limits: { max_tasks: \(limit) }
            jobs:
              - name: a
                song: { prompt: "a {n}" }
                matrix: { n: [1, 2, 3] }
                variants: 2
                extend: [{ start_time: 30 }]
                stems: true
              - name: b
                instrumental: { prompt: "b" }
            """
        }
        // 3 combinations × 2 variants × (song, extend, stems) = 18, plus 1 instrumental.
        #expect(compile(manifest(limit: 19)).graph?.count == 19)
        let refused = compile(manifest(limit: 18))
        #expect(refused.graph == nil)
        let diagnostic = refused.diagnostics.first { $0.message.contains("expands to") }
        #expect(diagnostic?.message.contains("job 'b' expands to 1 tasks") == true, "\(refused.diagnostics)")
        #expect(diagnostic?.message.contains("the jobs before it already make 18") == true)
    }

    @Test func theDefaultIsTenThousand() {
        let yaml = { (values: Int) in """
            version: 1
            jobs:
              - name: a
                song: { prompt: "a {k0} {k1}" }
                matrix: \(Self.matrix(keys: 2, values: values))
            """ }
        #expect(compile(yaml(100)).graph?.count == 10_000)
        #expect(compile(yaml(101)).diagnostics.contains { $0.message.contains("101 × 101 = 10,201 combinations") })
    }
}

/// Seeded mutations of a valid manifest: every one ends in a graph or in located errors, never
/// a crash or a hang.
@Suite("Fuzzing the manifest reader")
struct ManifestFuzzTests {
    static let seed = """
    version: 1
    name: fuzz
    provider: tempolor
    defaults: { model: TemPolor v3.5, callback_url: "https://hooks.example.com/t" }
    concurrency: { tasks: 4, downloads: 2 }
    retry: { attempts: 5, initial: 2s, max: 2m }
    budget: { max_credits: 300 }
    output: { root: out, path: "{manifest}/{job}/{combo}-v{variant}" }
    jobs:
      - name: owls
        song:
          prompt: "An owl's waltz, {style} style"
          lyrics: |
            [verse]
            Under silver beams it flies
        matrix: { style: [Pop, Jazz] }
        variants: 2
        extend: [{ start_time: 30, lyrics: "[outro]\\nJoy" }]
        stems: true
      - name: beds
        instrumental: { prompt: "calm {mood} piano", model: TemPolor i3 }
        matrix: { mood: [rainy, sunny] }
      - name: ballad
        lyrics: { prompt: "a ballad" }
        song: { prompt: "Emotional piano ballad" }
      - name: split
        stems: { url: "https://cdn.example.com/old.mp3" }
    """

    /// Tokens a mutation may insert: YAML structure and the manifest's own words.
    static let tokens = ["{", "}", "[", "]", ":", "-", "\n", "  ", "\"", "'", "|", ">", "&a", "*a", "!!str", "#", "{style}", "{",
                         "9999999999", "-1", "0", "null", "~", "true", "matrix", "variants", "extend", "stems", "song", "jobs",
                         "version", "${HOME}", "${NOPE}", "\u{0}", "\u{FEFF}", "é", "\t"]

    struct Mutator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func mutate(_ text: String) -> String {
            var characters = Array(text)
            for _ in 0..<Int.random(in: 1...4, using: &self) {
                let at = Int.random(in: 0...characters.count, using: &self)
                switch Int.random(in: 0..<4, using: &self) {
                case 0 where at < characters.count:
                    characters.remove(at: at)
                case 1:
                    characters.insert(contentsOf: Self.pick(ManifestFuzzTests.tokens, &self), at: at)
                case 2 where at < characters.count:
                    let end = min(characters.count, at + Int.random(in: 1...40, using: &self))
                    characters.removeSubrange(at..<end)
                default:
                    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                    characters.insert(contentsOf: "\n" + Self.pick(lines.map(String.init), &self), at: at)
                }
            }
            return String(characters)
        }

        static func pick(_ items: [String], _ generator: inout Mutator) -> String { items[Int.random(in: 0..<items.count, using: &generator)] }
    }

    @Test func tenThousandMutatedManifestsEndInAGraphOrLocatedErrors() {
        var mutator = Mutator(state: 20_261_122)
        var graphs = 0, refused = 0
        for _ in 0..<10_000 {
            let text = mutator.mutate(Self.seed)
            let compilation = ManifestCompiler.compile(yaml: text, file: "fuzz.yaml", environment: ["HOME": "/home/u"], capabilities: .unchecked)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            if compilation.graph != nil {
                graphs += 1
                #expect(!compilation.hasErrors)
            } else {
                refused += 1
                let errors = compilation.diagnostics.filter { $0.severity == .error }
                #expect(!errors.isEmpty, "no graph and no error for:\n\(text)")
                for error in errors where !(1...lines + 1).contains(error.location.line) || error.location.column < 1 {
                    Issue.record("\(error) is not located in the text:\n\(text)")
                }
            }
        }
        // Both outcomes occur, so the mutations neither always break nor never break the manifest.
        #expect(graphs > 100 && refused > 1000, "graphs \(graphs), refused \(refused)")
    }
}
