import ArgumentParser
import BatchManifest
import BatchRunner
import Foundation
import ProviderWiring

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the task graph, what each task needs, and the estimated cost against the budget.",
        discussion: "Plans each manifest alone (every task as new); `run --dry-run` plans with the ledger and the files on disk, exactly as the run will. A folder stands for every *.yaml and *.yml directly in it. A manifest with errors is printed as by validate and skipped while the others are planned; the exit code is then 2. With several manifests --json prints an array of plans."
    )

    @Argument(help: "Manifest files, or folders of them (every *.yaml and *.yml directly in a folder, sorted).")
    var manifests: [String]

    @Option(help: "Plan as if the manifest named this provider (tempolor, useapi, simulator).")
    var provider: Provider?

    @Flag(help: "Print the plan as JSON: an object with a tasks array (key, kind, job, parents, model, output, status, action, reason, blocked_by, cost).")
    var json = false

    func validate() throws {
        if manifests.isEmpty { throw ValidationError("name a manifest file or a folder of manifests") }
    }

    func run() throws {
        let paths = try ManifestLoading.expand(manifests)
        var failed = false
        var plans: [String] = []
        for path in paths {
            let compilation = Providers.compile(path, environment: ProcessInfo.processInfo.environment, provider: provider)
            ManifestLoading.report(compilation.diagnostics)
            guard let manifest = compilation.manifest, let graph = compilation.graph else {
                failed = true
                continue
            }
            let (plan, budgets) = try self.plan(manifest, graph)
            if json {
                plans.append(PlanRenderer.json(plan))
            } else {
                if paths.count > 1 { print("== \(path)") }
                print(PlanRenderer.text(plan))
                for line in budgets { print(line) }
            }
        }
        if json { print(paths.count == 1 ? plans.joined() : "[" + plans.joined(separator: ",\n") + "]") }
        if failed { throw ExitCode(ExitCodes.invalid) }
    }

    private func plan(_ manifest: Manifest, _ graph: TaskGraph) throws -> (Plan, [String]) {
        var options = RunPlan.Options()
        // A budget per day, week or month has spent what the ledger says since its window began.
        let standings: [BudgetStanding]
        do {
            standings = try Runner.budgetStandings(manifest, options: RunOptions(), outputRoot: manifest.output.root)
        } catch {
            throw RuntimeError("\(error)")
        }
        options.budget = Runner.limit(standings)
        let decisions = RunPlan.decide(manifest, graph, records: [:], files: { _ in .unchanged }, options: options)
        return (Planner.plan(manifest, graph: graph, decisions: decisions.decisions), standings.filter { $0.budget.per != .run }.map(\.summary))
    }
}
