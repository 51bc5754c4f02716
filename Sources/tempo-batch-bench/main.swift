import Foundation

/// Benchmarks that print figures and assert nothing. Run in release:
///   swift run -c release tempo-batch-bench plan   [--tasks N] [--runs R]
///   swift run -c release tempo-batch-bench resume [--tasks N] [--runs R] [--file-size BYTES]
///   swift run -c release tempo-batch-bench makespan [--poller fixed|expected|both] [--chains N] [--runs R]
///       [--parallel P] [--time-scale S] [--interval SECONDS] [--callbacks] [--keys K]
///   swift run -c release tempo-batch-bench cpu [--tasks N] [--runs R]
/// `scripts/bench` runs them all at the settings BENCHMARKS.md records.
struct Options {
    var mode = "plan"
    var tasks = 10_000
    var runs = 5
    /// Bytes of every library file in `resume` (sparse files: no disk is used).
    var fileSize = 1024
    /// `makespan`: which poll timing(s) to run, how many chains, the simulator's parallel limit
    /// per key (also `--max-parallel`), its time scale, and the poll interval in seconds.
    var poller = "both"
    var chains = 200
    var parallel = 10
    var timeScale = 0.02
    var interval = 0.1
    /// `makespan`: callbacks on (`run --listen`), and how many keys (each with `parallel` slots).
    var callbacks = false
    var keys = 1
    /// `serve` (the `cpu` bench's simulator in a process of its own): the port file to write.
    var portFile: String?
    var profile = "makespan"

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        if let first = arguments.first, !first.hasPrefix("-") {
            mode = first
            _ = iterator.next()
        }
        while let argument = iterator.next() {
            switch argument {
            case "--tasks": tasks = iterator.next().flatMap(Int.init) ?? tasks
            case "--runs": runs = iterator.next().flatMap(Int.init) ?? runs
            case "--file-size": fileSize = iterator.next().flatMap(Int.init) ?? fileSize
            case "--poller": poller = iterator.next() ?? poller
            case "--chains": chains = iterator.next().flatMap(Int.init) ?? chains
            case "--parallel": parallel = iterator.next().flatMap(Int.init) ?? parallel
            case "--time-scale": timeScale = iterator.next().flatMap(Double.init) ?? timeScale
            case "--interval": interval = iterator.next().flatMap(Double.init) ?? interval
            case "--callbacks": callbacks = true
            case "--keys": keys = max(1, iterator.next().flatMap(Int.init) ?? keys)
            case "--port-file": portFile = iterator.next()
            case "--profile": profile = iterator.next() ?? profile
            default: Self.usage()
            }
        }
        guard ["plan", "resume", "makespan", "cpu", "serve"].contains(mode), ["fixed", "expected", "both"].contains(poller) else { Self.usage() }
    }

    static func usage() -> Never {
        print("usage: tempo-batch-bench [plan|resume|cpu] [--tasks N] [--runs R] [--file-size BYTES]")
        print("       tempo-batch-bench makespan [--poller fixed|expected|both] [--chains N] [--runs R] [--parallel P] [--time-scale S] [--interval SECONDS] [--callbacks] [--keys K]")
        exit(2)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
switch options.mode {
case "resume": try await resumeBench(options)
case "makespan": try await makespanBench(options)
case "cpu": try await cpuBench(options)
case "serve": try await serveSimulator(options)
default: try planBench(options)
}
