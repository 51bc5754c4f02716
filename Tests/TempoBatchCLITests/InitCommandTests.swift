import Foundation
import Testing

/// `tempo-batch init` as a user meets it in the first hour: write, validate, run, and no overwrite.
@Suite("tempo-batch init", .timeLimit(.minutes(2)))
struct InitCommandTests {
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-init-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func theStarterValidatesAndRunsOnTheBuiltInSimulator() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try BinaryRunner.run(["init"], in: folder)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("wrote my-music.yaml\n"), "\(made.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("my-music.yaml").path))

        let validated = try BinaryRunner.run(["validate", "my-music.yaml"], in: folder)
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stderr == "my-music.yaml: ok, 7 tasks\n")

        let ran = try BinaryRunner.run(["run", "my-music.yaml"], environment: ["TEMPOLOR_API_KEY": ""], in: folder)
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(ran.stdout.contains("built-in simulator"))
        #expect(ran.stdout.contains("all tasks finished"))
        let library = folder.appendingPathComponent("output/my-music")
        for file in ["first-song/Pop-v1/song.mp3", "first-song/Folk-v1/extend-1.mp3", "first-song/Folk-v1/stems/vocals.flac", "quiet-bed/v1/instrumental.mp3"] {
            #expect(FileManager.default.fileExists(atPath: library.appendingPathComponent(file).path), "\(file)")
        }
    }

    @Test func anExistingManifestIsRefusedUnlessForced() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("manifests/nightly.yaml")
        #expect(try BinaryRunner.run(["init", "nightly", "--output-dir", "manifests"], in: folder).status == 0)
        try "version: 1\n# mine\n".write(to: file, atomically: true, encoding: .utf8)

        let refused = try BinaryRunner.run(["init", "nightly", "--output-dir", "manifests"], in: folder)
        #expect(refused.status == 2)
        #expect(refused.stderr == "error: manifests/nightly.yaml already exists; pass --force to replace it, or give another name\n", "\(refused.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "version: 1\n# mine\n")

        let forced = try BinaryRunner.run(["init", "nightly.yaml", "--output-dir", "manifests", "--force"], in: folder)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8).contains("name: \"nightly\""))
    }

    @Test func aNameThatCannotBeAFileIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let refused = try BinaryRunner.run(["init", "../up"], in: folder)
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("error: the name '../up' must be letters, digits"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("USAGE"))
    }
}
