import Foundation
import Testing

@Suite("The tempo-batch binary", .timeLimit(.minutes(2)))
struct CommandLineTests {
    private func temporaryManifest(_ text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("m.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func validateAcceptsEveryExample() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: BinaryRunner.repositoryRoot.appendingPathComponent("manifests").path)
            .filter { $0.hasSuffix(".yaml") }.map { "manifests/\($0)" }
        let result = try BinaryRunner.run(["validate"] + examples)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.contains(": ok, ") }.count == examples.count)
        #expect(result.stdout.isEmpty)
    }

    @Test func validateReportsEveryErrorWithExitCode2() throws {
        let file = try temporaryManifest("""
        version: 1
        jobs:
          - name: a
            song: { prompt: "{mood}" }
            variants: many
        """)
        let result = try BinaryRunner.run(["validate", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):4:21: error: job 'a' song.prompt uses '{mood}'"))
        #expect(result.stderr.contains("\(file.path):5:15: error: job 'a' variants must be a whole number"))
        #expect(result.stderr.contains("2 error(s)"))
    }

    @Test func validatePrintsEachSummaryAfterItsDiagnosticsOnTheSameStream() throws {
        let bad = try temporaryManifest("""
        version: 1
        jobs:
          - name: a
            song: { prompt: "{mood}" }
            variants: many
        """)
        let warned = try temporaryManifest("""
        version: 1
        jobs:
          - name: b
            song: { prompt: x, model: TemPolor v9 }
        """)
        let result = try BinaryRunner.run(["validate", bad.path, warned.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        // Each manifest's diagnostics, then its summary: one stream, in order.
        let lines = result.stderr.split(separator: "\n").map(String.init)
        try #require(lines.count == 5, "\(result.stderr)")
        #expect(lines[0].hasPrefix("\(bad.path):4:21: error: "))
        #expect(lines[1].hasPrefix("\(bad.path):5:15: error: "))
        #expect(lines[2] == "\(bad.path): 2 error(s)")
        #expect(lines[3].hasPrefix("\(warned.path):4:31: warning: "))
        #expect(lines[4] == "\(warned.path): ok, 1 tasks, 1 warning(s)")
    }

    @Test(arguments: [
        (["status", "--output", "/nonexistent/tempo-batch-library"], [String: String](), "no ledger at"),
        (["balance"], ["TEMPOLOR_API_KEY": ""], "no API key"),
        (["balance", "--credentials", "/nonexistent/credentials"], ["TEMPOLOR_API_KEY": ""], "cannot read the credentials file"),
        (["balance", "--base-url", "http://127.0.0.1:9"], ["TEMPOLOR_API_KEY": "Tempo-refused"], "cannot read the balance"),
    ])
    func runtimeErrorsOfStatusAndBalancePrintNoUsage(arguments: [String], environment: [String: String], message: String) throws {
        let result = try BinaryRunner.run(arguments, environment: environment)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.lowercased().contains("usage"), "\(result.stderr)")
        #expect(!result.stdout.lowercased().contains("usage"), "\(result.stdout)")
    }

    @Test func aProviderOverrideRefusesWhatThatProviderCannotDo() throws {
        let ok = try BinaryRunner.run(["validate", "manifests/demo.yaml"])
        #expect(ok.status == 0)
        let refused = try BinaryRunner.run(["validate", "--provider", "useapi", "manifests/demo.yaml"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("manifests/demo.yaml:20:5: error: job 'owl-waltz' extends, but provider useapi has no extend route"), "\(refused.stderr)")
        let plan = try BinaryRunner.run(["plan", "--provider", "useapi", "manifests/demo.yaml"])
        #expect(plan.status == 2)
        #expect(plan.stderr.contains("no extend route"))
    }

    @Test func warningsAloneExitZero() throws {
        let file = try temporaryManifest("""
        version: 1
        jobs:
          - name: a
            song: { prompt: x, model: TemPolor v9 }
        """)
        let result = try BinaryRunner.run(["validate", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains(":4:31: warning: song model 'TemPolor v9' is not in the known catalogue"))
    }

    @Test func missingFileIsAnInvalidManifest() throws {
        let result = try BinaryRunner.run(["validate", "/nonexistent/m.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/m.yaml:1:1: error: cannot read the file"))
    }

    @Test func planPrintsJSONForScripts() throws {
        let result = try BinaryRunner.run(["plan", "manifests/nightly.yaml", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let tasks = object?["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.count == 28)
        #expect(tasks.allSatisfy { $0["status"] as? String == "to_do" })
    }

    @Test func planPrintsATableAndTheCost() throws {
        let result = try BinaryRunner.run(["plan", "manifests/demo.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("owl-waltz"))
        #expect(result.stdout.contains("Estimated cost: 120 credits to submit"))
    }

    @Test func planOfAnInvalidManifestExits2() throws {
        let file = try temporaryManifest("version: 1\njobs: []\n")
        let result = try BinaryRunner.run(["plan", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(":2:1: error: jobs must list at least one job"))
    }

    @Test(arguments: [["plan"], ["validate"], ["plan", "x.yaml", "--bogus"], ["nonsense"]])
    func usageErrorsExit2(arguments: [String]) throws {
        let result = try BinaryRunner.run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("Usage") || result.stderr.contains("Error"))
    }

    @Test func helpDocumentsTheExitCodes() throws {
        let result = try BinaryRunner.run(["--help"])
        #expect(result.status == 0)
        for line in ["0    all tasks finished", "2    invalid manifest or usage", "75   another run holds the lock"] {
            #expect(result.stdout.contains(line))
        }
    }
}
