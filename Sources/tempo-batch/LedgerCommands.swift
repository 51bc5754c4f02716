import ArgumentParser
import BatchLedger
import BatchRunner
import Foundation
import ProviderWiring

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read every file of the library and compare it with the SHA-256 the ledger recorded.",
        discussion: """
        A run trusts a file whose size, modification time and inode are unchanged since it was hashed; verify reads every byte. Missing or corrupt files are listed (exit 1).

        With --repair their tasks go back to 'generated' in the ledger, so they are fetched again without paying: by the next run, or at once when the manifest is given (only downloads, nothing is submitted).
        """
    )

    @Argument(help: "The manifest (optional): its output root and name are used, and --repair downloads at once.")
    var manifestFile: String?

    @Option(help: "Output root holding .tempo-batch/ledger.sqlite (default: the manifest's, else output).")
    var output: String?

    @Option(help: "Only this manifest's tasks (its name).")
    var manifest: String?

    @Flag(help: "Put tasks with missing or corrupt files back to be downloaded again (no new payment).")
    var repair = false

    @Option(help: "A file with TEMPOLOR_API_KEY=... or USEAPI_TOKEN=... lines, for --repair with a manifest.")
    var credentials: String?

    @Flag(help: "With a manifest: download through the built-in simulator (as run --simulator).")
    var simulator = false

    func run() async throws {
        var root = output ?? "output"
        var name = manifest
        if let manifestFile {
            let compilation = try ManifestLoading.compile(manifestFile, provider: nil)
            guard let loaded = compilation.manifest else { throw ExitCode(ExitCodes.invalid) }
            root = output ?? loaded.output.root
            name = name ?? loaded.name
        }
        let files = LedgerFiles(root: URL(fileURLWithPath: root, isDirectory: true))
        guard FileManager.default.fileExists(atPath: files.ledger) else {
            throw RuntimeError("no ledger at \(files.ledger)")
        }
        let ledger: Ledger
        do { ledger = try Ledger.openExisting(at: files.ledger) } catch let damage as LedgerDamage { throw RuntimeError(files.damageAdvice(damage)) }
        let summary = try LibraryCheck.verify(ledger: ledger, root: files.root, manifest: name, repair: repair) { index, total in
            if index > 0 && index % 500 == 0 { Console.line("verify: \(index)/\(total) tasks") }
        }
        for finding in summary.findings {
            Console.line("\(finding.output) \(finding.key.prefix(12)): \(finding.problem)")
        }
        let megabytes = Double(summary.bytes) / 1_048_576
        Console.line(String(format: "verified %d task(s), %d file(s), %.1f MB: %d with missing or corrupt files", summary.tasks, summary.files, megabytes, summary.findings.count))
        if repair && summary.markedForDownload > 0 {
            if let manifestFile {
                var options = RunOptions()
                options.downloadOnly = true
                options.outputRoot = output
                options.simulate = simulator
                options.credentialsFile = credentials
                let environment = RunEnvironment(variables: ProcessInfo.processInfo.environment, output: { Console.line($0) }, handleSignals: true)
                let result = await TempoBatchRun.run(manifest: manifestFile, options: options, environment: environment)
                if let message = result.message { FileHandle.standardError.write(Data((message + "\n").utf8)) }
                if result.exitCode != 0 { throw ExitCode(result.exitCode) }
                return
            }
            Console.line("\(summary.markedForDownload) task(s) will be downloaded again by the next run (no new payment)")
        }
        if !summary.findings.isEmpty && !repair { throw ExitCode(ExitCodes.tasksFailed) }
    }
}

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Recover the ledger: rebuild it from the library, or restore its latest backup.",
        subcommands: [Rebuild.self, Restore.self]
    )

    /// The library's ledger files, with the run lock held (exit 75 when a run holds it).
    static func holdingLock(_ output: String) throws -> (LedgerFiles, RunLock) {
        let files = LedgerFiles(root: URL(fileURLWithPath: output, isDirectory: true))
        guard let lock = try RunLock.acquire(at: files.lock) else { throw ExitCode(ExitCodes.locked) }
        return (files, lock)
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the ledger from the library's metadata.json files, without a provider call.",
            discussion: """
            Every task recorded in a folder's metadata.json is taken back with its state, item ids, provider answer and file hashes: nothing paid for is submitted again. A damaged ledger is first set aside as ledger.sqlite.damaged-<time>; tasks an existing ledger knows keep its record.
            """
        )

        @Option(help: "Output root of the library.")
        var output = "output"

        func run() throws {
            let (files, lock) = try LedgerCommand.holdingLock(output)
            defer { withExtendedLifetime(lock) {} }
            if FileManager.default.fileExists(atPath: files.ledger), let problem = Ledger.check(at: files.ledger) {
                let aside = try files.setAside(now: Date())
                Console.line("the ledger was damaged (\(problem)); kept as \(aside ?? "?")")
            }
            let ledger = try Ledger.open(at: files.ledger)
            let outcome = try LedgerRebuild.rebuild(ledger, root: files.root)
            for problem in outcome.unreadable { Console.line("skipped: \(problem)") }
            Console.line("rebuilt \(files.ledger): \(outcome.recovered) task(s) recovered from \(outcome.folders) metadata.json file(s)"
                + (outcome.known > 0 ? ", \(outcome.known) already known" : "") + "; no provider call")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the ledger with its newest sound backup, then take in what the library holds beyond it.",
            discussion: "The current ledger is kept as ledger.sqlite.damaged-<time>. Backups are written after every run under .tempo-batch/backups/."
        )

        @Option(help: "Output root of the library.")
        var output = "output"

        func run() throws {
            let (files, lock) = try LedgerCommand.holdingLock(output)
            defer { withExtendedLifetime(lock) {} }
            let restored = try files.restore(now: Date())
            Console.line("restored \(restored.backup.lastPathComponent)" + (restored.asideAt.map { "; the previous ledger is kept as \($0)" } ?? ""))
            let outcome = try LedgerRebuild.rebuild(try Ledger.open(at: files.ledger), root: files.root)
            Console.line("\(outcome.recovered) task(s) newer than the backup recovered from the library")
        }
    }
}

/// A failure at run time (not a usage error): printed without the usage text, exit 2.
struct RuntimeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
