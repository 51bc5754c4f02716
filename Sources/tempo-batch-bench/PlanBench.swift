import BatchManifest
import Foundation
import ProviderWiring

/// validate + plan of a generated manifest: compile, expand, plan, render; peak memory.
func planBench(_ options: Options) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("bench.yaml")
    try generateManifest(tasks: options.tasks).write(to: file, atomically: true, encoding: .utf8)

    let clock = ContinuousClock()
    var totals: [Double] = []
    var taskCount = 0
    for run in 1...max(1, options.runs) {
        var compileTime = Duration.zero, planTime = Duration.zero, renderTime = Duration.zero
        var compilation: ManifestCompilation?
        compileTime = clock.measure {
            compilation = ManifestCompiler.compile(contentsOf: file.path, environment: [:], capabilities: Providers.catalogue)
        }
        guard let compilation, let manifest = compilation.manifest, let graph = compilation.graph else {
            print("the generated manifest is invalid:")
            compilation?.diagnostics.prefix(10).forEach { print($0) }
            exit(1)
        }
        var plan: Plan?
        planTime = clock.measure { plan = Planner.plan(manifest, graph: graph) }
        var bytes = 0
        renderTime = clock.measure {
            if let plan { bytes = PlanRenderer.text(plan).utf8.count + PlanRenderer.json(plan).utf8.count }
        }
        taskCount = graph.count
        let total = milliseconds(compileTime + planTime + renderTime)
        totals.append(total)
        print(String(format: "run %d: %d tasks  validate %.1f ms  plan %.1f ms  render text+json %.1f ms (%d KiB)  total %.1f ms",
                     run, graph.count, milliseconds(compileTime), milliseconds(planTime), milliseconds(renderTime), bytes / 1024, total))
    }
    let sorted = totals.sorted()
    print(String(format: "validate+plan of %d tasks: best %.1f ms, median %.1f ms over %d runs; peak memory %.1f MB (VmHWM)",
                 taskCount, sorted[0], sorted[sorted.count / 2], sorted.count, peakResidentMegabytes()))
}
