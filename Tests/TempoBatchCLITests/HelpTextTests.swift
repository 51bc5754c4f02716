import Foundation
import Testing

/// `--help` prints paragraphs that ArgumentParser wraps to the terminal: a discussion written with
/// hard line breaks in mid-sentence shows up, once wrapped again, as short lines that a sentence
/// runs on from.
@Suite("Help texts", .timeLimit(.minutes(2)))
struct HelpTextTests {
    static let columns = 80

    /// Every command path, found by walking the SUBCOMMANDS sections from the root (two levels:
    /// `ledger rebuild` is the deepest).
    static func commandPaths() throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            found.append(path)
            if path.count < 2 { queue += try subcommands(in: help(path)).map { path + [$0] } }
        }
        return found
    }

    static func help(_ path: [String]) throws -> String {
        let result = try BinaryRunner.run(path + ["--help"], environment: ["COLUMNS": "\(columns)"])
        guard result.status == 0 else { throw HelpFailure(path: path, text: result.stderr) }
        return result.stdout
    }

    struct HelpFailure: Error { var path: [String]; var text: String }

    /// The names listed under SUBCOMMANDS (`  run    Run a manifest…`); a wrapped abstract goes on
    /// further indented.
    static func subcommands(in help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap { line in
            guard line.hasPrefix("  "), line.dropFirst(2).first?.isLetter == true else { return nil }
            let name = line.dropFirst(2).prefix { $0 != " " }
            return name == "help" ? nil : String(name)
        }
    }

    /// The discussion: the lines between the overview paragraph and USAGE.
    static func discussion(in help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }),
              let overviewEnd = lines.firstIndex(of: ""), overviewEnd < usage
        else { return [] }
        return Array(lines[(overviewEnd + 1)..<usage])
    }

    /// Line pairs where a short line is followed by more of the same paragraph: the trace of a
    /// line break written in the source. Indented lines (lists, examples) are left alone.
    static func hardBreaks(in discussion: [String]) -> [String] {
        var found: [String] = []
        for (line, next) in zip(discussion, discussion.dropFirst()) where !line.isEmpty && !next.isEmpty {
            let short = line.count < columns / 2
            let indented = line.hasPrefix(" ") || next.hasPrefix(" ")
            let continues = next.drop { $0 == " " }.first?.isLowercase == true
            if short && (!indented || continues) { found.append("“\(line)” then “\(next)”") }
        }
        return found
    }

    @Test func everyCommandIsFound() throws {
        let paths = try Self.commandPaths().map { $0.joined(separator: " ") }
        for expected in ["", "validate", "plan", "run", "status", "verify", "ledger", "ledger rebuild", "ledger restore", "simulate", "balance", "init", "models"] {
            #expect(paths.contains(expected), "\(paths)")
        }
    }

    @Test func discussionsAreParagraphsWrappedOnlyByArgumentParser() throws {
        for path in try Self.commandPaths() {
            let help = try Self.help(path)
            let breaks = Self.hardBreaks(in: Self.discussion(in: help))
            #expect(breaks.isEmpty, "tempo-batch \(path.joined(separator: " ")) --help at \(Self.columns) columns:\n\(breaks.joined(separator: "\n"))\n\n\(help)")
            // A list line too long for the width wraps to the left margin; the root's exit codes fit.
            if path.isEmpty {
                let lines = help.components(separatedBy: "\n")
                let codes = try #require(lines.firstIndex(of: "Exit codes:"))
                #expect(lines[(codes + 1)...].prefix { !$0.isEmpty }.allSatisfy { $0.hasPrefix("  ") }, "\(help)")
            }
        }
    }

    @Test func theCheckCatchesASentenceBrokenInTheSource() {
        // What `run --help` printed at 80 columns before its discussion became paragraphs.
        let old = [
            "Every task is recorded in a ledger at <output root>/.tempo-batch/ledger.sqlite.",
            "A second run of",
            "the same manifest re-polls submitted items, downloads only missing or corrupt",
        ]
        #expect(Self.hardBreaks(in: old).count == 1)
        let lists = ["Exit codes:", "  0    all tasks finished", "  1    some tasks failed or were blocked"]
        #expect(Self.hardBreaks(in: lists).isEmpty)
    }
}
