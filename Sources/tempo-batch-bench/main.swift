import Foundation

/// Benchmarks that print figures and assert nothing. Run in release:
///   swift run -c release tempo-batch-bench plan   [--tasks N] [--runs R]
///   swift run -c release tempo-batch-bench resume [--tasks N] [--runs R] [--file-size BYTES]
struct Options {
    var mode = "plan"
    var tasks = 10_000
    var runs = 5
    /// Bytes of every library file in `resume` (sparse files: no disk is used).
    var fileSize = 1024

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
            default: Self.usage()
            }
        }
        guard ["plan", "resume"].contains(mode) else { Self.usage() }
    }

    static func usage() -> Never {
        print("usage: tempo-batch-bench [plan|resume] [--tasks N] [--runs R] [--file-size BYTES]")
        exit(2)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
switch options.mode {
case "resume": try await resumeBench(options)
default: try planBench(options)
}
