import ArgumentParser
import BatchManifest
import BatchRunner

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the task graph, what each task needs, and the estimated cost against the budget.",
        discussion: "Plans the manifest alone (every task as new); `run --dry-run` plans with the ledger and the files on disk, exactly as the run will. Exits 2 when the manifest has errors; they are printed as by validate."
    )

    @Argument(help: "The manifest file.")
    var manifest: String

    @Option(help: "Plan as if the manifest named this provider (tempolor, useapi, simulator).")
    var provider: Provider?

    @Flag(help: "Print the plan as JSON: an object with a tasks array (key, kind, job, parents, model, output, status, action, reason, blocked_by, cost).")
    var json = false

    func run() throws {
        let compilation = try ManifestLoading.compile(manifest, provider: provider)
        guard let manifest = compilation.manifest, let graph = compilation.graph else { throw ExitCode(ExitCodes.invalid) }
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
        let plan = Planner.plan(manifest, graph: graph, decisions: decisions.decisions)
        print(json ? PlanRenderer.json(plan) : PlanRenderer.text(plan))
        if !json {
            for standing in standings where standing.budget.per != .run { print(standing.summary) }
        }
    }
}
