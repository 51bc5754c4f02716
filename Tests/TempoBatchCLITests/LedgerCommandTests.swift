import Foundation
import Testing

/// `verify`, `ledger rebuild` and `run --dry-run --json` as a user types them, on the demo
/// manifest and the built-in simulator.
@Suite("tempo-batch verify and ledger", .timeLimit(.minutes(3)))
struct LedgerCommandTests {
    @Test func verifyRepairAndRebuildFromTheCommandLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-verify-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["TEMPOLOR_API_KEY": ""]
        let first = try BinaryRunner.run(["run", "manifests/demo.yaml", "--output", folder.path], environment: environment)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        let sound = try BinaryRunner.run(["verify", "--output", folder.path])
        #expect(sound.status == 0, "\(sound.stdout)\(sound.stderr)")
        #expect(sound.stdout.contains("verified 4 task(s)") && sound.stdout.contains(": 0 with missing or corrupt files"), "\(sound.stdout)")

        // A corrupt file: verify names it (exit 1); --repair with the manifest fetches it again.
        let mp3 = folder.appendingPathComponent("demo/owl-waltz/Pop-v1/song.mp3")
        let original = try Data(contentsOf: mp3)
        var damaged = original
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: mp3)
        let found = try BinaryRunner.run(["verify", "--output", folder.path])
        #expect(found.status == 1)
        #expect(found.stdout.contains("demo/owl-waltz/Pop-v1/song.mp3 is corrupt"), "\(found.stdout)")
        let repaired = try BinaryRunner.run(["verify", "manifests/demo.yaml", "--output", folder.path, "--repair"], environment: environment)
        #expect(repaired.status == 0, "\(repaired.stdout)\(repaired.stderr)")
        #expect(repaired.stdout.contains("0 submitted"), "\(repaired.stdout)")
        #expect(try Data(contentsOf: mp3) == original)

        // The ledger lost: refused with the way back, rebuilt, and nothing is submitted again.
        try FileManager.default.removeItem(at: folder.appendingPathComponent(".tempo-batch/ledger.sqlite"))
        let refused = try BinaryRunner.run(["run", "manifests/demo.yaml", "--output", folder.path], environment: environment)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("tempo-batch ledger rebuild --output"), "\(refused.stderr)")
        let rebuilt = try BinaryRunner.run(["ledger", "rebuild", "--output", folder.path])
        #expect(rebuilt.status == 0, "\(rebuilt.stdout)\(rebuilt.stderr)")
        #expect(rebuilt.stdout.contains("4 task(s) recovered"), "\(rebuilt.stdout)")
        let plan = try BinaryRunner.run(["run", "manifests/demo.yaml", "--output", folder.path, "--dry-run", "--json"], environment: environment)
        #expect(plan.status == 0)
        let tasks = (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.count == 4 && tasks.allSatisfy { ["skip", "verify"].contains($0["action"] as? String ?? "") }, "\(plan.stdout)")
        let again = try BinaryRunner.run(["run", "manifests/demo.yaml", "--output", folder.path], environment: environment)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("0 submitted"), "\(again.stdout)")
    }
}
