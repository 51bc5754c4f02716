import BatchManifest
import ProviderWiring
import Foundation

/// Benchmark: generate a manifest that expands to N tasks (default 10,000), then time
/// validate + plan (compile, expand, plan, render) and report peak memory. Prints figures;
/// asserts nothing. Run in release: `swift run -c release tempo-batch-bench [--tasks N] [--runs R]`.
struct Options {
    var tasks = 10_000
    var runs = 5

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--tasks": tasks = iterator.next().flatMap(Int.init) ?? tasks
            case "--runs": runs = iterator.next().flatMap(Int.init) ?? runs
            default:
                print("usage: tempo-batch-bench [--tasks N] [--runs R]")
                exit(2)
            }
        }
    }
}

/// Each job: 5 styles × 5 moods × 2 variants = 50 chains of song → extend → extend → stems.
func generateManifest(tasks: Int) -> String {
    let perJob = 5 * 5 * 2 * 4
    let jobs = max(1, tasks / perJob)
    var text = """
    version: 1
    name: bench
    concurrency: { tasks: 8, downloads: 8 }
    output: { root: bench-output, path: "{manifest}/{job}/{style}-{mood}-v{variant}" }
    jobs:

    """
    for job in 0..<jobs {
        text += """
          - name: job-\(job)
            song:
              prompt: "Track \(job) in {style} style with a {mood} mood"
              lyrics: |
                [verse]
                Line one of job \(job), {mood} and bright
                [chorus]
                Sing it out in {style} tonight
            matrix:
              style: [Pop, Jazz, Lo-fi, Rock, Soul]
              mood: [happy, calm, dark, dreamy, wild]
            variants: 2
            extend:
              - { start_time: 60, lyrics: "[bridge]\\nA turn for {style}" }
              - { start_time: 120 }
            stems: true

        """
    }
    return text
}

func peakResidentMegabytes() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kilobytes / 1024
    }
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
    #endif
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
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
