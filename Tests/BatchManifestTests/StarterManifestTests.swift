import Foundation
import ProviderWiring
import Testing
@testable import BatchManifest

/// `tempo-batch init`'s starter manifest: valid as written, on the simulator, never replacing a file.
@Suite("The starter manifest")
struct StarterManifestTests {
    private func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-init-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func theWrittenManifestCompilesWithoutADiagnostic() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try StarterManifest.write(name: "my-music", into: folder, force: false, toolLocation: nil)
        #expect(written.path == folder + "/my-music.yaml")
        let compilation = Providers.compile(written.path, environment: [:], provider: nil)
        #expect(compilation.diagnostics.isEmpty, "\(compilation.diagnostics.map(\.description).joined(separator: "\n"))")
        let manifest = try #require(compilation.manifest)
        #expect(manifest.name == "my-music")
        #expect(manifest.provider == .simulator)
        #expect(manifest.budget?.maxCredits == 500)
        #expect(manifest.output.root == folder + "/output")
        // Two songs (a matrix of two styles), each extended and split, and one instrumental.
        #expect(compilation.graph?.count == 7)
        // The same manifest is valid on the real Open API too, with the catalogue's current models.
        let onTemPolor = Providers.compile(written.path, environment: [:], provider: .tempolor)
        #expect(onTemPolor.diagnostics.isEmpty, "\(onTemPolor.diagnostics)")
    }

    @Test func everyBlockIsExplainedAndTheSchemaLineComesFirst() {
        let text = StarterManifest.text(name: "nightly", schema: "../schema/manifest-v1.schema.json")
        let lines = text.components(separatedBy: "\n")
        #expect(lines.first == "# yaml-language-server: $schema=../schema/manifest-v1.schema.json")
        // Each top-level key is preceded by a comment line (directly, or by its block of comments).
        for (index, line) in lines.enumerated() where line.first?.isLetter == true {
            #expect(index > 0 && lines[index - 1].hasPrefix("#"), "no comment explains '\(line)'")
        }
        for key in ["version:", "name: \"nightly\"", "provider: simulator", "defaults:", "concurrency:", "retry:", "budget:", "output:", "jobs:"] {
            #expect(lines.contains { $0.hasPrefix(key) }, "\(key)")
        }
        #expect(text.contains("tempo-batch run nightly.yaml"))
    }

    @Test func anExistingFileIsNeverReplacedWithoutForce() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/songs.yaml"
        try "mine\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: StarterManifest.Refusal.self) {
            try StarterManifest.write(name: "songs.yaml", into: folder, force: false, toolLocation: nil)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "mine\n")
        _ = try StarterManifest.write(name: "songs", into: folder, force: true, toolLocation: nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("name: \"songs\""))
    }

    @Test(arguments: ["", "../escape", "a/b", ".hidden", "-flag", "two words", "caf\u{E9}", "${HOME}"])
    func namesThatCannotBeAFileAreRefused(name: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: StarterManifest.Refusal.self) {
            try StarterManifest.write(name: name, into: folder, force: false, toolLocation: nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func theSchemaLinePointsAtTheNearestSchemaFolder() throws {
        let project = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: project) }
        try FileManager.default.createDirectory(atPath: project + "/schema", withIntermediateDirectories: true)
        try "{}".write(toFile: project + "/" + StarterManifest.schemaPath, atomically: true, encoding: .utf8)
        // Beside schema/, in manifests/ below it (the repository's convention), and two levels down.
        #expect(StarterManifest.schemaReference(forManifestIn: project, toolLocation: nil) == "schema/manifest-v1.schema.json")
        #expect(StarterManifest.schemaReference(forManifestIn: project + "/manifests", toolLocation: nil) == "../schema/manifest-v1.schema.json")
        let written = try StarterManifest.write(name: "deep", into: project + "/a/b", force: false, toolLocation: nil)
        #expect(written.schemaFound)
        #expect(try String(contentsOfFile: written.path, encoding: .utf8).hasPrefix("# yaml-language-server: $schema=../../schema/manifest-v1.schema.json\n"))
        // Elsewhere: the schema of the checkout the tool runs from, by its absolute path.
        let elsewhere = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let tool = project + "/.build/debug/tempo-batch"
        #expect(StarterManifest.schemaReference(forManifestIn: elsewhere, toolLocation: tool) == project + "/schema/manifest-v1.schema.json")
        #expect(StarterManifest.schemaReference(forManifestIn: elsewhere, toolLocation: nil) == nil)
    }
}
