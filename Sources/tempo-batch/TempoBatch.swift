import ArgumentParser
import BatchRunner
import Foundation

/// The `tempo-batch` command line: a thin layer that maps options to library calls and results
/// to exit codes.
@main
struct TempoBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tempo-batch",
        abstract: "Turn YAML manifests into finished AI music with the TemPolor API.",
        discussion: """
        Exit codes:
          0    all tasks finished (validate: no errors; warnings allowed)
          1    some tasks failed or were blocked
          2    invalid manifest or usage
          3    stopped by budget or balance
          4    submissions with unknown outcome need a decision (--resubmit-ambiguous)
          5    stopped at the deadline, paid-for work not yet filed
          75   another run holds the lock (cron overlap)
          130  interrupted (SIGINT), state saved; 143 terminated (SIGTERM), state saved
        """,
        subcommands: [Init.self, Validate.self, PlanCommand.self, Run.self, Status.self, Verify.self, LedgerCommand.self, Simulate.self, Balance.self, Models.self]
    )

    /// Parses and runs like ArgumentParser's own `main()`, but reports usage errors with exit
    /// code 2 as the product promises (ArgumentParser's default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as RuntimeError {
            FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
            Foundation.exit(ExitCodes.invalid)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitCodes.invalid)
            }
            exit(withError: error)
        }
    }
}

/// The exit codes of DESIGN.md, named: the runner's own.
typealias ExitCodes = Runner.ExitCode
