import ArgumentParser
import BatchManifest

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the task graph, what is done or to do and why, and the estimated cost.",
        discussion: "Exits 2 when the manifest has errors; they are printed as by validate."
    )

    @Argument(help: "The manifest file.")
    var manifest: String

    @Option(help: "Plan as if the manifest named this provider (tempolor, useapi, simulator).")
    var provider: Provider?

    @Flag(help: "Print the plan as JSON: an object with a tasks array (key, kind, job, parents, model, output, status, reason, cost).")
    var json = false

    func run() throws {
        let compilation = try ManifestLoading.compile(manifest, provider: provider)
        guard let manifest = compilation.manifest, let graph = compilation.graph else { throw ExitCode(ExitCodes.invalid) }
        let plan = Planner.plan(manifest, graph: graph)
        print(json ? PlanRenderer.json(plan) : PlanRenderer.text(plan))
    }
}
