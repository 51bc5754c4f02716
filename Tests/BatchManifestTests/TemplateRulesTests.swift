import Testing
@testable import BatchManifest

@Suite("Placeholders and environment interpolation")
struct TemplateRulesTests {
    @Test func placeholdersParseAndRender() throws {
        let template = try Template(parsing: "{style} song in {{braces}} for {mood}")
        #expect(template.fields == ["style", "mood"])
        #expect(template.render { ["style": "Pop", "mood": "calm"][$0] } == "Pop song in {braces} for calm")
    }

    @Test(arguments: [
        ("{", Template.ParseError.unclosedBrace),
        ("a } b", .unmatchedClosingBrace),
        ("{}", .emptyField),
        ("{my style}", .invalidFieldName("my style")),
        ("{9lives}", .invalidFieldName("9lives")),
    ])
    func malformedPlaceholdersAreRejected(text: String, expected: Template.ParseError) {
        #expect(throws: expected) { try Template(parsing: text) }
    }

    @Test func environmentVariablesAreSubstituted() {
        let env = ["TOKEN": "abc", "STYLE": "Soul"]
        #expect(EnvironmentInterpolation.expand("x?t=${TOKEN}", environment: env, escapingBraces: false) == .success("x?t=abc"))
        #expect(EnvironmentInterpolation.expand("costs $5, $${TOKEN}", environment: env, escapingBraces: false) == .success("costs $5, ${TOKEN}"))
        #expect(EnvironmentInterpolation.expand("${MISSING}", environment: env, escapingBraces: false) == .failure(.undefined("MISSING")))
        #expect(EnvironmentInterpolation.expand("${1X}", environment: env, escapingBraces: false) == .failure(.invalidName("1X")))
        #expect(EnvironmentInterpolation.expand("${TOKEN", environment: env, escapingBraces: false) == .failure(.unclosed))
    }

    @Test func environmentValuesAreNeverReadAsPlaceholders() throws {
        let graph = graph("""
        version: 1
        jobs:
          - name: a
            song: { prompt: "${PROMPT} for {style}" }
            matrix: { style: [Pop] }
        """, environment: ["PROMPT": "a {weird} value"])
        #expect(graph.tasks.first?.request.prompt == "a {weird} value for Pop")
    }

    @Test func environmentFillsEveryStringField() {
        let compilation = compile("""
        version: 1
        name: "${STYLE}-night"
        defaults: { callback_url: "https://hooks.example.com/cb?token=${HOOK_TOKEN}" }
        jobs:
          - name: a
            song: { prompt: "${STYLE} song" }
        """)
        #expect(compilation.manifest?.name == "Soul-night")
        #expect(compilation.graph?.tasks.first?.request.prompt == "Soul song")
        #expect(compilation.graph?.tasks.first?.callbackURL == "https://hooks.example.com/cb?token=s3cret")
    }

    @Test func undefinedVariablesNeverLeakTheirNeighboursValues() {
        // A bad URL is quoted without its query string, which may hold a secret token.
        let compilation = compile("""
        version: 1
        jobs:
          - name: a
            callback_url: "ftp://hooks.example.com/cb?token=${HOOK_TOKEN}"
            song: { prompt: x }
        """)
        let message = compilation.diagnostics.first?.message ?? ""
        #expect(message.contains("must be an http or https URL"))
        #expect(!message.contains("s3cret"))
    }

    @Test func textIsNormalisedBeforeHashing() {
        #expect(TextNormalizer.normalize("\n  [verse]  \r\nline one \t\n\n") == "[verse]\nline one")
        #expect(TextNormalizer.normalize("a\n\n  b") == "a\n\n  b")
    }
}

@Suite("Output paths")
struct OutputPathTests {
    private func render(_ text: String, variant: Int = 1, _ combination: [(key: String, value: String)]) throws -> String {
        try OutputPathTemplate(parsing: text).render(manifest: "m", job: "j", variant: variant, combination: combination)
    }

    @Test func defaultTemplate() throws {
        #expect(try render(OutputPathTemplate.defaultText, [("style", "Pop"), ("mood", "calm")]) == "m/j/Pop-calm-v1")
        #expect(try render(OutputPathTemplate.defaultText, variant: 3, []) == "m/j/v3")
    }

    @Test func emptyFieldsTakeOneSeparatorWithThem() throws {
        let template = "{manifest}/{job}/{style}-{mood}-v{variant}"
        #expect(try render(template, [("mood", "calm")]) == "m/j/calm-v1")
        #expect(try render(template, [("style", "Pop")]) == "m/j/Pop-v1")
        #expect(try render(template, []) == "m/j/v1")
        #expect(try render("{manifest}/{style}/{job}", []) == "m/j")
        #expect(try render("{manifest}/{job}/{style}_x", []) == "m/j/x")
    }

    @Test func literalSeparatorsInValuesAreKept() throws {
        #expect(try render("{job}/{style}", [("style", "Lo--fi")]) == "j/Lo--fi")
    }

    @Test func escapeChecks() throws {
        #expect(OutputPathTemplate.escapeProblem(in: try Template(parsing: "{job}/..")) != nil)
        #expect(OutputPathTemplate.escapeProblem(in: try Template(parsing: "~/{job}")) != nil)
        #expect(OutputPathTemplate.escapeProblem(in: try Template(parsing: "a\\{job}")) != nil)
        #expect(OutputPathTemplate.escapeProblem(in: try Template(parsing: "..{job}/x")) == nil)
    }

    @Test func outputRootIsRelativeToTheManifest() {
        #expect(ManifestConverter.resolveRoot("../output", manifestFile: "manifests/nightly.yaml") == "output")
        #expect(ManifestConverter.resolveRoot("out", manifestFile: "/srv/m/nightly.yaml") == "/srv/m/out")
        #expect(ManifestConverter.resolveRoot("../../x", manifestFile: "a.yaml") == "../../x")
        #expect(ManifestConverter.resolveRoot(nil, manifestFile: "manifests/nightly.yaml") == "output")
    }

    @Test func durations() {
        #expect(DurationText.parse("2s") == .seconds(2))
        #expect(DurationText.parse("1.5m") == .seconds(90))
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("2") == nil)
        #expect(DurationText.parse("-2s") == nil)
        #expect(DurationText.parse("2 s") == nil)
        #expect(DurationText.format(.seconds(120)) == "2m")
    }
}
