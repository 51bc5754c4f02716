import ArgumentParser
import BatchManifest
import BatchRunner
import ProviderWiring
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise the ledger: tasks by state, failures, ambiguous submissions, recent runs."
    )

    @Option(help: "Output root holding .tempo-batch/ledger.sqlite.")
    var output = "output"

    @Option(help: "Only this manifest's tasks (its name).")
    var manifest: String?

    @Flag(help: "Print JSON for scripts: tasks by state, ambiguous and failed tasks, credits committed, recent runs, budgets.")
    var json = false

    @Argument(help: "Manifest files whose budgets to show: what the current window (day, week, month) has spent and what is left.")
    var manifests: [String] = []

    func run() throws {
        var budgets: [(manifest: String, standing: BudgetStanding)] = []
        for path in manifests {
            let compilation = try ManifestLoading.compile(path, provider: nil)
            guard let manifest = compilation.manifest else { throw ExitCode(ExitCodes.invalid) }
            do {
                budgets += try Runner.budgetStandings(manifest, options: RunOptions(), outputRoot: output).map { (manifest.name, $0) }
            } catch {
                throw RuntimeError("\(error)")
            }
        }
        do {
            print(json ? try LedgerStatus.json(outputRoot: output, manifest: manifest, budgets: budgets)
                : try LedgerStatus.text(outputRoot: output, manifest: manifest, budgets: budgets))
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}

struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the account's remaining balance.")

    @Option(help: "Base URL of the Open API (default: TEMPOLOR_BASE_URL, else https://api.tempolor.com).")
    var baseURL: String?

    @Option(help: "A file with TEMPOLOR_API_KEY=... (the environment wins).")
    var credentials: String?

    func run() async throws {
        do {
            let balance = try await AccountBalance.fetch(
                baseURL: baseURL.flatMap(URL.init(string:)), credentialsFile: credentials,
                environment: ProcessInfo.processInfo.environment
            )
            print("balance: \(balance)")
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}
