import ArgumentParser
import BatchManifest
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented starter manifest that validates and runs on the built-in simulator.",
        discussion: """
        Writes NAME.yaml (default my-music.yaml) into the current directory or --output-dir. Every block is explained in a comment and the models are current ones. The manifest names provider: simulator, so `tempo-batch run NAME.yaml` works at once with no key and no network; switch it to tempolor when the plan looks right.

        Its first line points editors at the JSON Schema: the nearest schema/manifest-v1.schema.json at or above the folder (a relative path, as the repository's manifests/ write it), else the one of the checkout this tool was built in, else ../schema/manifest-v1.schema.json with a note.

        An existing file is never replaced without --force (exit 2).
        """
    )

    @Argument(help: "The manifest's name and file name (NAME.yaml): letters, digits, '.', '_' and '-'.")
    var name: String = StarterManifest.defaultName

    @Option(help: "The folder to write into (created when missing).")
    var outputDir: String = "."

    @Flag(help: "Replace an existing file of that name.")
    var force = false

    func run() throws {
        let written: StarterManifest.Written
        do {
            written = try StarterManifest.write(name: name, into: outputDir, force: force, toolLocation: Bundle.main.executablePath)
        } catch let refusal as StarterManifest.Refusal {
            throw RuntimeError("\(refusal)")
        } catch {
            throw RuntimeError("cannot write the manifest into \(outputDir): \(error.localizedDescription)")
        }
        Console.line("wrote \(written.path)")
        if !written.schemaFound {
            Console.line("note: no \(StarterManifest.schemaPath) found above \(outputDir); the $schema line says \(written.schemaReference): edit it to where the schema is")
        }
        Console.line("next: tempo-batch validate \(written.path); tempo-batch plan \(written.path); tempo-batch run \(written.path)")
    }
}
