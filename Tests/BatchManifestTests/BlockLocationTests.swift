import Testing
@testable import BatchManifest

/// A diagnostic about a block as a whole points at the key that opens it (`budget:`), not at the
/// first entry inside it, which is where Yams marks a block mapping; a problem with one value
/// still points at that value.
@Suite("Block diagnostics point at the block's key")
struct BlockLocationTests {
    static let cases: [InvalidCase] = [
        InvalidCase(name: "budget without max_credits", yaml: """
        version: 1
        budget:
          max_credit: 300
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 1, message: "budget is missing the required key 'max_credits'"),
        InvalidCase(name: "the unknown key inside it stays at that key", yaml: """
        version: 1
        budget:
          max_credit: 300
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 3, message: "unknown key 'max_credit' in budget; did you mean 'max_credits'?"),
        InvalidCase(name: "an empty flow budget", yaml: """
        version: 1
        budget: {}
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 1, message: "budget is missing the required key 'max_credits'"),
        InvalidCase(name: "a value inside the block stays at the value", yaml: """
        version: 1
        concurrency:
          downloads: 2
          tasks: 99
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 4, column: 10, message: "concurrency.tasks must be between 1 and 64, found 99"),
        InvalidCase(name: "ambiguity's value keeps its own place", yaml: """
        version: 1
        ambiguity:
          balance_check: true
          on_ambiguous: retry
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 4, column: 17, message: "ambiguity.on_ambiguous must be one of ask, resubmit, found 'retry'"),
        InvalidCase(name: "useapi options under another provider", yaml: """
        version: 1
        provider: tempolor
        useapi:
          user_id: "1234567"
          max_jobs: 4
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 1, message: "useapi options are set but the provider is tempolor", severity: .warning),
        InvalidCase(name: "an empty jobs list written as a block", yaml: """
        version: 1
        jobs:
          []
        """, line: 2, column: 1, message: "jobs must list at least one job"),
        InvalidCase(name: "a song block without a prompt", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              lyrics: "[verse] hi"
              model: TemPolor v4.5
        """, line: 4, column: 5, message: "job 'a' song is missing the required key 'prompt'"),
        InvalidCase(name: "an instrumental block without a prompt", yaml: """
        version: 1
        jobs:
          - name: a
            instrumental:
              model: TemPolor i4
        """, line: 4, column: 5, message: "job 'a' instrumental is missing the required key 'prompt'"),
        InvalidCase(name: "a stems block without a url", yaml: """
        version: 1
        jobs:
          - name: a
            stems:
              uri: "https://cdn.example.com/a.mp3"
        """, line: 4, column: 5, message: "job 'a' stems is missing the required key 'url'"),
        InvalidCase(name: "a stems block beside a song", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            stems:
              url: "https://cdn.example.com/a.mp3"
        """, line: 5, column: 5, message: "job 'a' makes its own audio, so stems: {url} would split an unrelated file"),
        InvalidCase(name: "generated and written lyrics, both as blocks", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              prompt: x
              lyrics: "[verse] hi"
            lyrics:
              prompt: "a ballad"
        """, line: 7, column: 5, message: "job 'a' both writes song.lyrics and generates lyrics; keep one of them"),
        InvalidCase(name: "an extend list without audio", yaml: """
        version: 1
        jobs:
          - name: a
            stems: { url: "https://cdn.example.com/a.mp3" }
            extend:
              - start_time: 30
        """, line: 5, column: 5, message: "job 'a' extends, but has no song or instrumental to extend"),
        InvalidCase(name: "an empty matrix", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            matrix: {}
        """, line: 5, column: 5, message: "job 'a' matrix is empty"),
        InvalidCase(name: "an empty matrix list written as a block", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {style}" }
            matrix:
              style:
                []
        """, line: 6, column: 7, message: "job 'a' matrix.style is an empty list"),
        InvalidCase(name: "a matrix block too large to expand", yaml: """
        version: 1
        limits: { max_tasks: 10 }
        jobs:
          - name: a
            song: { prompt: "x {style} {mood}" }
            matrix:
              style: [a, b, c, d]
              mood: [e, f, g, h]
        """, line: 6, column: 5, message: "job 'a' expands to"),
    ]

    @Test(arguments: cases)
    func reportsAtTheBlocksKey(_ testCase: InvalidCase) {
        let compilation = compile(testCase.yaml)
        let matching = compilation.diagnostics.filter { $0.message.contains(testCase.message) }
        #expect(!matching.isEmpty, "no diagnostic says “\(testCase.message)”; got:\n\(compilation.diagnostics.map(\.description).joined(separator: "\n"))")
        guard let diagnostic = matching.first else { return }
        #expect(diagnostic.location == SourceLocation(file: "test.yaml", line: testCase.line, column: testCase.column), "\(diagnostic)")
        #expect(diagnostic.severity == testCase.severity)
    }

    /// What `validate --provider useapi` says of steps written as blocks: each at its step's key.
    @Test func aProviderRefusesStepsAtTheirKeys() {
        let compilation = compile("""
        version: 1
        jobs:
          - name: a
            lyrics:
              prompt: "a ballad"
            song:
              prompt: x
            extend:
              - start_time: 30
          - name: b
            stems:
              url: "https://cdn.example.com/b.mp3"
        """, provider: .useapi)
        let located = compilation.diagnostics.filter { $0.severity == .error }.map { "\($0.location.line):\($0.location.column) \($0.message.prefix(20))" }
        #expect(located == ["4:5 job 'a' generates ly", "8:5 job 'a' extends, but", "11:5 job 'b' splits an ex"], "\(compilation.diagnostics)")
    }
}
