import Testing
@testable import BatchManifest

/// One invalid manifest and the diagnostic it must produce, exactly located.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    let line: Int
    let column: Int
    let message: String
    var severity: Diagnostic.Severity = .error

    var testDescription: String { name }
}

@Suite("Invalid manifests are reported with message, line and column")
struct InvalidManifestTests {
    static let cases: [InvalidCase] = [
        InvalidCase(name: "YAML: unterminated quoted string", yaml: """
        version: 1
        jobs:
          - name: "unterminated
        """, line: 3, column: 24, message: "YAML syntax error: found unexpected end of stream"),
        InvalidCase(name: "YAML: bad indentation", yaml: """
        version: 1
        jobs:
          - name: a
           song: { prompt: x }
        """, line: 4, column: 4, message: "YAML syntax error: did not find expected '-' indicator (while parsing a block collection at 3:3)"),
        InvalidCase(name: "YAML: duplicate key", yaml: """
        version: 1
        version: 1
        jobs: []
        """, line: 1, column: 1, message: "key 'version' appears more than once"),
        InvalidCase(name: "empty file", yaml: "", line: 1, column: 1, message: "the manifest is empty"),
        InvalidCase(name: "budget.per unknown", yaml: """
        version: 1
        budget: { max_credits: 10, per: daily }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 33, message: "budget.per must be one of run, day, week, month, found 'daily'; did you mean 'day'?"),
        InvalidCase(name: "budget.timezone unknown", yaml: """
        version: 1
        budget: { max_credits: 10, per: day, timezone: Mars/Olympus }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 48, message: "budget.timezone 'Mars/Olympus' is not a time zone name (like UTC or Europe/Berlin)"),
        InvalidCase(name: "top level is a list", yaml: """
        - version: 1
        """, line: 1, column: 1, message: "the manifest must be a mapping, found a list"),
        InvalidCase(name: "missing version", yaml: """
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 1, column: 1, message: "the manifest is missing the required key 'version'"),
        InvalidCase(name: "missing jobs", yaml: """
        version: 1
        name: x
        """, line: 1, column: 1, message: "the manifest is missing the required key 'jobs'"),
        InvalidCase(name: "unsupported version", yaml: """
        version: 2
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 1, column: 10, message: "unsupported manifest version 2; this tempo-batch reads version 1"),
        InvalidCase(name: "version of the wrong type", yaml: """
        version: one
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 1, column: 10, message: "version must be a whole number, found the string 'one'"),
        InvalidCase(name: "unknown top-level key with hint", yaml: """
        version: 1
        concurency: { tasks: 2 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 1, message: "unknown key 'concurency' in the manifest; did you mean 'concurrency'?"),
        InvalidCase(name: "unknown song key with hint", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              prompt: x
              lyric: "[verse]"
        """, line: 6, column: 7, message: "unknown key 'lyric' in job 'a' song; did you mean 'lyrics'?"),
        InvalidCase(name: "missing song prompt", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              model: TemPolor v3.5
        """, line: 4, column: 5, message: "job 'a' song is missing the required key 'prompt'"),
        InvalidCase(name: "missing job name", yaml: """
        version: 1
        jobs:
          - song: { prompt: x }
        """, line: 3, column: 5, message: "job #1 is missing the required key 'name'"),
        InvalidCase(name: "duplicate job names", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
          - name: a
            song: { prompt: y }
        """, line: 5, column: 11, message: "duplicate job name 'a' (first used at 3:11)"),
        InvalidCase(name: "empty matrix list", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {style}" }
            matrix:
              style: []
        """, line: 6, column: 7, message: "job 'a' matrix.style is an empty list"),
        InvalidCase(name: "matrix that is a list", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            matrix: [Pop, Jazz]
        """, line: 5, column: 13, message: "job 'a' matrix must be a mapping of name to list of values, found a list"),
        InvalidCase(name: "matrix value listed twice", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {style}" }
            matrix: { style: [Pop, Jazz, Pop] }
        """, line: 5, column: 34, message: "job 'a' matrix.style lists 'Pop' twice"),
        InvalidCase(name: "matrix key that is not a name", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            matrix: { "my key": [a] }
        """, line: 5, column: 15, message: "matrix key 'my key' of job 'a' is not a placeholder name"),
        InvalidCase(name: "placeholder no matrix key fills", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {mood}" }
            matrix: { style: [Pop] }
        """, line: 4, column: 21, message: "job 'a' song.prompt uses '{mood}', but no matrix key fills it (its matrix keys are style)"),
        InvalidCase(name: "misspelt placeholder with hint", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              prompt: "x"
              lyrics: "[verse] {styel}"
            matrix: { style: [Pop] }
        """, line: 6, column: 15, message: "uses '{styel}', but no matrix key fills it (its matrix keys are style); did you mean 'style'?"),
        InvalidCase(name: "placeholder in a job without matrix", yaml: """
        version: 1
        jobs:
          - name: a
            instrumental: { prompt: "{mood} piano" }
        """, line: 4, column: 29, message: "job 'a' instrumental.prompt uses '{mood}', but no matrix key fills it (the job has no matrix)"),
        InvalidCase(name: "unclosed placeholder brace", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {style" }
        """, line: 4, column: 21, message: "job 'a' song.prompt: '{' opens a placeholder that is never closed"),
        InvalidCase(name: "unknown output.path field with hint", yaml: """
        version: 1
        output: { path: "{manifest}/{jbo}" }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 17, message: "output.path uses '{jbo}', which is neither a built-in field (manifest, job, variant, combo) nor a matrix key of any job; did you mean 'job'?"),
        InvalidCase(name: "absolute output.path", yaml: """
        version: 1
        output: { path: "/etc/{job}" }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 17, message: "output.path '/etc/{job}' is absolute; it must stay inside the output root"),
        InvalidCase(name: "output.path climbing out", yaml: """
        version: 1
        output:
          path: "{manifest}/../../{job}"
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 9, message: "output.path '{manifest}/../../{job}' contains '..', which could escape the output root"),
        InvalidCase(name: "job name with ..", yaml: """
        version: 1
        jobs:
          - name: ../../etc
            song: { prompt: x }
        """, line: 3, column: 11, message: "job name '../../etc' contains a path separator, which could escape the output root"),
        InvalidCase(name: "job name that is ..", yaml: """
        version: 1
        jobs:
          - name: ".."
            song: { prompt: x }
        """, line: 3, column: 11, message: "job name '..' would escape the output root ('..')"),
        InvalidCase(name: "matrix value with a slash used in output.path", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x {style}" }
            matrix: { style: [Pop, AC/DC] }
        """, line: 5, column: 28, message: "matrix value 'AC/DC' (used in output.path) contains a path separator"),
        InvalidCase(name: "undefined environment variable", yaml: """
        version: 1
        defaults:
          callback_url: "https://hooks.example.com/t?token=${NO_SUCH_TOKEN}"
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 17, message: "defaults.callback_url: environment variable 'NO_SUCH_TOKEN' is not set (referenced as ${NO_SUCH_TOKEN})"),
        InvalidCase(name: "credential in a manifest", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x ${TEMPOLOR_API_KEY}" }
        """, line: 4, column: 21, message: "job 'a' song.prompt: ${TEMPOLOR_API_KEY} is an API credential; credentials never belong in a manifest"),
        InvalidCase(name: "useapi token in a manifest", yaml: """
        version: 1
        defaults:
          callback_url: "https://hooks.example.com/t?token=${USEAPI_TOKEN}"
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 17, message: "defaults.callback_url: ${USEAPI_TOKEN} is an API credential; credentials never belong in a manifest"),
        InvalidCase(name: "unclosed environment reference", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "x ${STYLE" }
        """, line: 4, column: 21, message: "job 'a' song.prompt: '${' is never closed"),
        InvalidCase(name: "malformed retry duration", yaml: """
        version: 1
        retry: { attempts: 3, initial: 2 seconds, max: 2m }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 32, message: "retry.initial '2 seconds' is not a duration; write a number with a unit: 500ms, 2s, 2m, 1h"),
        InvalidCase(name: "retry initial longer than max", yaml: """
        version: 1
        retry:
          initial: 5m
          max: 2m
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 3, column: 12, message: "retry.initial (5m) is longer than retry.max (2m)"),
        InvalidCase(name: "retry attempts out of range", yaml: """
        version: 1
        retry: { attempts: 0 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 20, message: "retry.attempts must be between 1 and 100, found 0"),
        InvalidCase(name: "malformed callback URL", yaml: """
        version: 1
        jobs:
          - name: a
            callback_url: not a url
            song: { prompt: x }
        """, line: 4, column: 19, message: "callback_url 'not a url' is not a URL"),
        InvalidCase(name: "stems URL with the wrong scheme", yaml: """
        version: 1
        jobs:
          - name: a
            stems: { url: "ftp://files.example.com/mix.mp3" }
        """, line: 4, column: 19, message: "job 'a' stems.url 'ftp://files.example.com/mix.mp3' must be an http or https URL"),
        InvalidCase(name: "extend start_time below 10", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            extend:
              - { start_time: 5 }
        """, line: 6, column: 23, message: "job 'a' extend #1 start_time must be between 10 and 600, found 5"),
        InvalidCase(name: "extend start_time above 600", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            extend:
              - { start_time: 90 }
              - start_time: 601
        """, line: 7, column: 21, message: "job 'a' extend #2 start_time must be between 10 and 600, found 601"),
        InvalidCase(name: "extend start_time as text", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            extend: [{ start_time: "ninety" }]
        """, line: 5, column: 28, message: "job 'a' extend #1 start_time must be a whole number, found the string 'ninety'"),
        InvalidCase(name: "concurrency out of range", yaml: """
        version: 1
        concurrency: { tasks: 0, downloads: 2 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 23, message: "concurrency.tasks must be between 1 and 64, found 0"),
        InvalidCase(name: "variants zero", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            variants: 0
        """, line: 5, column: 15, message: "job 'a' variants must be between 1 and 100, found 0"),
        InvalidCase(name: "negative budget", yaml: """
        version: 1
        budget: { max_credits: -5 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 24, message: "budget.max_credits must be at least 0, found -5"),
        InvalidCase(name: "lyrics over 3000 characters", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              prompt: x
              lyrics: \(String(repeating: "la ", count: 1000))la
        """, line: 6, column: 15, message: "job 'a' song.lyrics is 3002 characters long; the limit is 3000"),
        InvalidCase(name: "song and instrumental in one job", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            instrumental: { prompt: y }
        """, line: 3, column: 5, message: "job 'a' has both song and instrumental"),
        InvalidCase(name: "generated lyrics without a song", yaml: """
        version: 1
        jobs:
          - name: a
            lyrics: { prompt: "a ballad" }
        """, line: 4, column: 5, message: "job 'a' generates lyrics but has no song to feed them to; add a song for them to feed"),
        InvalidCase(name: "generated lyrics and written lyrics", yaml: """
        version: 1
        jobs:
          - name: a
            lyrics:
              prompt: "a ballad"
            song: { prompt: x, lyrics: "[verse] hi" }
        """, line: 4, column: 5, message: "job 'a' both writes song.lyrics and generates lyrics; keep one of them"),
        InvalidCase(name: "extend without audio", yaml: """
        version: 1
        jobs:
          - name: a
            stems: { url: "https://cdn.example.com/a.mp3" }
            extend: [{ start_time: 30 }]
        """, line: 5, column: 5, message: "job 'a' extends, but has no song or instrumental to extend"),
        InvalidCase(name: "instrumental extend with lyrics", yaml: """
        version: 1
        jobs:
          - name: a
            instrumental: { prompt: y }
            extend:
              - start_time: 30
                lyrics: "[outro] bye"
        """, line: 7, column: 17, message: "job 'a' extend of an instrumental cannot take lyrics"),
        InvalidCase(name: "stems true without audio", yaml: """
        version: 1
        jobs:
          - name: a
            stems: true
        """, line: 4, column: 5, message: "job 'a' asks for stems: true but makes no audio to split"),
        InvalidCase(name: "stems url on a song job", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            stems: { url: "https://cdn.example.com/a.mp3" }
        """, line: 5, column: 5, message: "job 'a' makes its own audio, so stems: {url} would split an unrelated file"),
        InvalidCase(name: "stems of the wrong type", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: x }
            stems: all of them
        """, line: 5, column: 12, message: "job 'a' stems must be true, false or {url: ...}, found the string 'all of them'"),
        InvalidCase(name: "job with nothing to make", yaml: """
        version: 1
        jobs:
          - name: a
            variants: 2
        """, line: 3, column: 5, message: "job 'a' has nothing to make; give it a song, instrumental, cover or stems"),
        InvalidCase(name: "empty jobs list", yaml: """
        version: 1
        jobs: []
        """, line: 2, column: 1, message: "jobs must list at least one job"),
        InvalidCase(name: "jobs as a mapping", yaml: """
        version: 1
        jobs:
          a: { song: { prompt: x } }
        """, line: 3, column: 3, message: "jobs must be a list, found a mapping"),
        InvalidCase(name: "song as a string", yaml: """
        version: 1
        jobs:
          - name: a
            song: "a song about owls"
        """, line: 4, column: 11, message: "job 'a' song must be a mapping, found the string 'a song about owls'"),
        InvalidCase(name: "empty prompt", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: "  " }
        """, line: 4, column: 21, message: "job 'a' song.prompt must not be empty"),
        InvalidCase(name: "prompt that is a list", yaml: """
        version: 1
        jobs:
          - name: a
            song:
              prompt: [a, b]
        """, line: 5, column: 15, message: "job 'a' song.prompt must be a string, found a list"),
        InvalidCase(name: "unknown provider with hint", yaml: """
        version: 1
        provider: tempolr
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 11, message: "unknown provider 'tempolr' (one of tempolor, useapi, simulator); did you mean 'tempolor'?"),
        InvalidCase(name: "unknown pricing key with hint", yaml: """
        version: 1
        pricing: { sung: 25 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 12, message: "unknown key 'sung' in pricing; did you mean 'song'?"),
        InvalidCase(name: "two variants filed into one folder", yaml: """
        version: 1
        output: { path: "{manifest}/{job}" }
        jobs:
          - name: a
            song: { prompt: x }
            variants: 2
        """, line: 2, column: 17, message: "output.path '{manifest}/{job}' files both job 'a', variant 1 and job 'a', variant 2 into 'test/a'"),
        InvalidCase(name: "two jobs asking for the same song", yaml: """
        version: 1
        jobs:
          - name: a
            song: { prompt: same }
          - name: b
            song: { prompt: same }
        """, line: 5, column: 5, message: "job 'b' asks for exactly the same song as job 'a'"),
        InvalidCase(name: "useapi cannot extend", yaml: """
        version: 1
        provider: useapi
        jobs:
          - name: a
            song: { prompt: x }
            extend: [{ start_time: 30 }]
        """, line: 6, column: 5, message: "job 'a' extends, but provider useapi has no extend route"),
        InvalidCase(name: "reserved job name", yaml: """
        version: 1
        jobs:
          - name: _reports
            song: { prompt: x }
        """, line: 3, column: 11, message: "job name '_reports' is reserved for the tool's own files"),
        InvalidCase(name: "unknown model is a warning", yaml: """
        version: 1
        defaults: { model: TemPolor v3.6 }
        jobs:
          - name: a
            song: { prompt: x }
        """, line: 2, column: 20, message: "song model 'TemPolor v3.6' is not in the known catalogue", severity: .warning),
    ]

    @Test(arguments: cases)
    func reportsLocatedDiagnostic(_ testCase: InvalidCase) {
        let compilation = compile(testCase.yaml)
        let matching = compilation.diagnostics.filter { $0.message.contains(testCase.message) }
        #expect(!matching.isEmpty, "no diagnostic says “\(testCase.message)”; got:\n\(compilation.diagnostics.map(\.description).joined(separator: "\n"))")
        guard let diagnostic = matching.first else { return }
        #expect(diagnostic.location == SourceLocation(file: "test.yaml", line: testCase.line, column: testCase.column),
                "\(diagnostic)")
        #expect(diagnostic.severity == testCase.severity)
        if testCase.severity == .error {
            #expect(compilation.graph == nil)
        } else {
            #expect(compilation.graph != nil)
        }
    }

    @Test func everyProblemIsReportedAtOnce() {
        let compilation = compile("""
        version: 1
        retry: { initial: soon }
        jobs:
          - name: a
            song: { prompt: "{mood}", modle: x }
          - name: b
            instrumental: { prompt: y }
            variants: -1
        """)
        let errors = compilation.diagnostics.filter { $0.severity == .error }.map { "\($0.location.line):\($0.location.column)" }
        // Every problem, in file order: the bad duration, the unfilled placeholder and the unknown
        // key of the same song, and the next job's bad variant count.
        #expect(errors == ["2:19", "5:21", "5:31", "8:15"], "\(compilation.diagnostics)")
        #expect(compilation.diagnostics.first { $0.message.contains("modle") }?.message.contains("did you mean 'model'?") == true)
    }

    @Test func diagnosticsPrintLikeACompiler() {
        let diagnostic = compile("version: 3\njobs: [{name: a, song: {prompt: x}}]").diagnostics.first
        #expect(diagnostic?.description == "test.yaml:1:10: error: unsupported manifest version 3; this tempo-batch reads version 1")
    }
}
