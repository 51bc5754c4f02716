import Foundation

/// Benchmarks that print figures and assert nothing. Run in release:
///   swift run -c release tempo-batch-bench plan   [--tasks N] [--runs R]
///   swift run -c release tempo-batch-bench resume [--tasks N] [--runs R] [--file-size BYTES]
///   swift run -c release tempo-batch-bench makespan [--poller fixed|expected|both] [--chains N] [--runs R]
///       [--parallel P] [--time-scale S] [--interval SECONDS]
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
            default: Self.usage()
            }
        }
        guard ["plan", "resume", "makespan"].contains(mode), ["fixed", "expected", "both"].contains(poller) else { Self.usage() }
    }

    static func usage() -> Never {
        print("usage: tempo-batch-bench [plan|resume|makespan] [--tasks N] [--runs R] [--file-size BYTES]")
        print("       tempo-batch-bench makespan [--poller fixed|expected|both] [--chains N] [--runs R] [--parallel P] [--time-scale S] [--interval SECONDS]")
        exit(2)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
switch options.mode {
case "resume": try await resumeBench(options)
case "makespan": try await makespanBench(options)
default: try planBench(options)
}
