import ProviderWiring
import Foundation
import Testing
@testable import BatchManifest

@Suite("Plans")
struct PlanTests {
    static let yaml = """
    version: 1
    name: p
    budget: { max_credits: 100 }
    pricing: { song: 40, models: { TemPolor i4: 33 } }
    jobs:
      - name: a
        song: { prompt: x, lyrics: "[verse] hi" }
        stems: true
      - name: b
        song: { prompt: y }
      - name: c
        instrumental: { prompt: z, model: TemPolor i4 }
      - name: d
        lyrics: { prompt: "a ballad" }
        song: { prompt: w }
    """

    private func plan(_ decide: (GraphTask) -> PlanDecision? = { _ in nil }) throws -> Plan {
        let compilation = compile(Self.yaml)
        let manifest = try #require(compilation.manifest)
        let graph = try #require(compilation.graph)
        var decisions: [TaskKey: PlanDecision] = [:]
        for task in graph.tasks { decisions[task.key] = decide(task) }
        return Planner.plan(manifest, graph: graph, decisions: decisions)
    }

    @Test func costsFollowThePriceTable() throws {
        let plan = try plan()
        let costs = plan.tasks.map { "\($0.job)/\($0.kind.rawValue)=\($0.cost.plainText)" }
        // b has no lyrics, so the platform writes them and bills a lyrics call (7) on top.
        #expect(costs == ["a/song=40", "a/stems=35", "b/song=47", "c/instrumental=33", "d/lyrics=7", "d/song=40"])
        #expect(plan.totals.estimatedCredits == 202)
        #expect(plan.totals.budgetCredits == 100)
        #expect(PlanRenderer.summary(plan).last == "Estimated cost: 202 credits to submit (202 for the whole plan); budget 100 credits")
    }

    @Test func tasksOverBudgetAreCountedInTheSummary() throws {
        let plan = try plan { task in task.job == "d" ? PlanDecision(.overBudget, "over") : nil }
        #expect(plan.totals.estimatedCredits == 202 - 47)
        #expect(PlanRenderer.summary(plan).last?.hasSuffix("budget 100 credits: 2 task(s) over budget are not submitted") == true)
    }

    @Test func everyTaskIsToDoBeforeTheLedgerExists() throws {
        let plan = try plan()
        #expect(plan.tasks.allSatisfy { $0.status == .toDo })
        #expect(plan.totals.byStatus == ["to_do": 6])
        #expect(plan.totals.byAction == ["submit": 6])
    }

    @Test func aStatusLookupMarksTasksDoneWithAReason() throws {
        let plan = try plan { task in task.job == "a" ? PlanDecision(.skip, "downloaded") : nil }
        #expect(plan.tasks.filter { $0.status == .done }.count == 2)
        #expect(plan.totals.estimatedCredits == 202 - 75)
        #expect(PlanRenderer.text(plan).contains("skip: downloaded"))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let json = PlanRenderer.json(try plan())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.count == 6)
        for task in tasks {
            for key in ["key", "kind", "job", "parents", "model", "output", "status", "action", "reason", "cost"] {
                #expect(task[key] != nil && !(task[key] is NSNull) || key == "model", "task lacks \(key)")
            }
            #expect(["lyrics", "song", "instrumental", "extend", "stems"].contains(task["kind"] as? String ?? ""))
            #expect((task["key"] as? String)?.count == 64)
        }
        let stems = try #require(tasks.first { $0["kind"] as? String == "stems" })
        let song = try #require(tasks.first { $0["kind"] as? String == "song" && $0["job"] as? String == "a" })
        #expect(stems["parents"] as? [String] == [song["key"] as? String ?? ""])
        #expect(song["output"] as? String == "p/a/v1")
    }

    @Test func textGroupsTasksByJob() throws {
        let text = PlanRenderer.text(try plan())
        let jobLines = text.split(separator: "\n").filter { ["a", "b", "c", "d"].contains(String($0)) }
        #expect(jobLines == ["a", "b", "c", "d"])
        #expect(text.contains("Totals: 1 lyrics, 3 song, 1 instrumental, 1 stems (6 tasks); 6 submit"))
    }
}

@Suite("Example manifests")
struct ExampleManifestTests {
    static var examples: [String] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests").standardized
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test func thereAreAtLeastThreeExamples() {
        #expect(Self.examples.count >= 3)
    }

    @Test(arguments: examples)
    func exampleValidatesAndPlans(path: String) throws {
        let compilation = ManifestCompiler.compile(contentsOf: path, environment: [:], capabilities: Providers.catalogue)
        #expect(compilation.diagnostics.isEmpty, "\(compilation.diagnostics)")
        let manifest = try #require(compilation.manifest)
        let graph = try #require(compilation.graph)
        #expect(graph.count > 0)
        let plan = Planner.plan(manifest, graph: graph)
        #expect(plan.tasks.count == graph.count)
        #expect(!PlanRenderer.text(plan).isEmpty)
    }
}
