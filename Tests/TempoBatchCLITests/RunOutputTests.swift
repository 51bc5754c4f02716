import Foundation
import TestSupport
import Testing

/// How `run` shows itself: a live area on a terminal (tested under a pseudo-terminal), plain
/// lines without control characters elsewhere, `--quiet` for cron mail, NDJSON for scripts.
@Suite("run's output: terminal, plain, quiet, JSON", .timeLimit(.minutes(3)))
struct RunOutputTests {
    static let manifest = """
    version: 1
    name: shown
    budget: { max_credits: 500 }
    jobs:
      - name: tide
        song:
          prompt: "Song {n} about the tide"
          lyrics: "[verse]\\nThe tide comes in"
        matrix: { n: [1, 2, 3] }
        extend: [{ start_time: 20 }]
    """
    static let tasks = 6

    /// A scratch folder with the manifest; the library goes to `out/`.
    struct Scratch {
        let folder: URL
        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("run-output-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try RunOutputTests.manifest.write(to: folder.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        }
        func remove() { try? FileManager.default.removeItem(at: folder) }
        var run: [String] { ["run", "m.yaml", "--simulator", "--output", "out"] }
    }

    static let schemas = BinaryRunner.repositoryRoot.appendingPathComponent("schema")

    /// Validates every JSON document in `file` (one per line with `lines`) against `schema`
    /// with Python's jsonschema, an implementation independent of ours.
    static func validate(_ file: URL, against schema: String, lines: Bool) throws {
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        text = open(sys.argv[2]).read()
        documents = [json.loads(l) for l in text.splitlines() if l.strip()] if sys.argv[3] == "lines" else [json.loads(text)]
        for document in documents:
            jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
        print(len(documents))
        """
        let output = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/env"),
                                             ["python3", "-c", script, schemas.appendingPathComponent(schema).path, file.path, lines ? "lines" : "one"])
        #expect(output.status == 0, "\(output.combined)")
    }

    @Test func jsonLinesParseValidateAndCarryTheirFields() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let result = try BinaryRunner.run(scratch.run + ["--log-format", "json"], in: scratch.folder)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let events = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
        let file = scratch.folder.appendingPathComponent("events.ndjson")
        try result.stdout.write(to: file, atomically: true, encoding: .utf8)
        try Self.validate(file, against: "run-events.schema.json", lines: true)

        #expect(events.allSatisfy { $0["time"] is String && $0["event"] is String })
        let started = try #require(events.first { $0["event"] as? String == "started" })
        #expect(started["tasks"] as? Int == Self.tasks)
        #expect((started["actions"] as? [String: Int])?["submit"] == Self.tasks)
        #expect(started["budget"] as? Double == 500)
        let transitions = events.filter { $0["event"] as? String == "transition" }
        // Every task goes pending → submitting → submitted → … → downloaded.
        #expect(Set(transitions.compactMap { $0["key"] as? String }).count == Self.tasks)
        #expect(transitions.filter { $0["to"] as? String == "downloaded" }.count == Self.tasks)
        #expect(transitions.allSatisfy { ($0["key"] as? String)?.count == 64 && $0["manifest"] as? String == "shown" })
        let credits = events.filter { $0["event"] as? String == "credits" }
        #expect(credits.last?["committed"] as? Double == 180)
        #expect(events.contains { $0["event"] as? String == "download" && $0["done"] as? Bool == true })
        let finished = try #require(events.last)
        #expect(finished["event"] as? String == "finished")
        #expect(finished["exit_code"] as? Int == 0)
        let report = URL(fileURLWithPath: try #require(finished["report"] as? String))
        #expect(FileManager.default.fileExists(atPath: report.path))
        try Self.validate(report.deletingPathExtension().appendingPathExtension("json"), against: "run-report.schema.json", lines: false)

        // status --json: the same run, for scripts.
        let status = try BinaryRunner.run(["status", "--output", "out", "--json"], in: scratch.folder)
        #expect(status.status == 0, "\(status.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(object["tasks"] as? Int == Self.tasks)
        #expect((object["states"] as? [String: Int])?["downloaded"] == Self.tasks)
        #expect((object["runs"] as? [[String: Any]])?.first?["exit_code"] as? Int == 0)
        #expect((object["problems"] as? [Any])?.isEmpty == true)

        // A run refused before its plan still ends with a finished event (and says why on stderr).
        try "version: 1\njobs: []\n".write(to: scratch.folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let refused = try BinaryRunner.run(["run", "bad.yaml", "--simulator", "--output", "out", "--log-format", "json"], in: scratch.folder)
        #expect(refused.status == 2)
        let last = try #require(refused.stdout.split(separator: "\n").last.map(String.init))
        let end = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(end["event"] as? String == "finished")
        #expect(end["exit_code"] as? Int == 2)
        #expect(refused.stdout.contains("\"level\":\"error\""), "the manifest's errors are error-level notes")
    }

    @Test func offATerminalTheLinesArePlainAndQuietIsOneLine() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // stdout and stderr are files here, as under cron; a colour terminal type and no NO_COLOR.
        let plain = try BinaryRunner.run(scratch.run, environment: ["TERM": "xterm-256color"], in: scratch.folder)
        #expect(plain.status == 0, "\(plain.stderr)")
        for text in [plain.stdout, plain.stderr] {
            #expect(!text.contains("\u{1B}"), "an escape sequence in: \(text)")
            #expect(!text.contains("\r"))
        }
        #expect(plain.stdout.split(separator: "\n").filter { $0.contains("→ downloaded") }.count == Self.tasks)

        // A resume with --quiet: nothing to do, so nothing but the summary.
        let quiet = try BinaryRunner.run(scratch.run + ["--quiet"], in: scratch.folder)
        #expect(quiet.status == 0)
        let quietLines = quiet.stdout.split(separator: "\n")
        #expect(quietLines.count == 1, "\(quiet.stdout)")
        #expect(quietLines.first?.hasPrefix("all tasks finished") == true)

        // --progress none: no state changes, but notes and the summary.
        let other = try Scratch()
        defer { other.remove() }
        let none = try BinaryRunner.run(other.run + ["--progress", "none"], in: other.folder)
        #expect(none.status == 0)
        #expect(!none.stdout.contains("→"))
        #expect(none.stdout.contains("built-in simulator"))
        #expect(none.stdout.contains("all tasks finished"))
    }

    /// Runs the binary under a pseudo-terminal `columns` wide; answers what the terminal
    /// received and the exit code.
    static func underTerminal(_ arguments: [String], columns: Int, environment: [String: String] = [:], in folder: URL) throws -> (text: String, status: Int32) {
        let script = """
        import base64, fcntl, os, pty, struct, sys, termios
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[2], sys.argv[2:])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, int(sys.argv[1]), 0, 0))
        chunks = []
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        print(base64.b64encode(b"".join(chunks)).decode())
        """
        let binary = BinaryRunner.productsFolder.appendingPathComponent("tempo-batch").path
        let output = try ExternalProgram.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, String(columns), binary] + arguments,
            environment: BinaryRunner.environment(["TERM": "xterm-256color"].merging(environment) { $1 }), directory: folder
        )
        let lines = output.stdout.split(separator: "\n")
        guard lines.count == 2, let status = Int32(lines[0]), let data = Data(base64Encoded: String(lines[1])) else {
            throw Mutagen.Failure(description: "the pseudo-terminal runner failed: \(output.combined)")
        }
        return (String(decoding: data, as: UTF8.self), status)
    }

    /// `text` without escape sequences.
    static func visible(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
    }

    @Test func onATerminalALiveAreaRedrawsInPlace() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (text, status) = try Self.underTerminal(scratch.run, columns: 60, in: scratch.folder)
        #expect(status == 0, "\(text)")
        #expect(text.hasPrefix("\u{1B}[?25l"), "the cursor is hidden while the area is drawn")
        #expect(text.hasSuffix("\u{1B}[?25h"), "and shown again at the end")
        // The area is drawn, then moved up to and cleared before each redraw.
        #expect(text.contains("tasks finished"))
        #expect(text.contains("credits: "))
        #expect(text.contains("of 500 budget"))
        #expect(text.contains("in flight: "))
        #expect(text.contains("downloads: ") && text.contains("/s"), "download speed in the area")
        #expect(text.contains("ETA: about "), "an estimate of the time left")
        let redraws = text.components(separatedBy: "F\u{1B}[J").count - 1
        #expect(redraws >= Self.tasks, "\(redraws) redraws")
        // State changes scroll above the area; the summary is the last line.
        #expect(Self.visible(text).components(separatedBy: "→ downloaded").count - 1 == Self.tasks)
        let lastLine = Self.visible(text).split(separator: "\r\n").last.map(String.init) ?? ""
        #expect(lastLine.hasPrefix("all tasks finished"), "\(lastLine)")
        // No area line is wider than the terminal (a wrapped line would break the redraw).
        for line in Self.visible(text).components(separatedBy: "\r\n") where line.hasPrefix("  ") || line.hasPrefix("──") {
            #expect(line.count < 60, "\(line)")
        }
        #expect(text.contains("\u{1B}[1m"), "colours on a terminal")
        #expect(text.contains("\u{1B}[32m"), "downloaded lines in green")

        // NO_COLOR: the same area, no colour.
        let plain = try Scratch()
        defer { plain.remove() }
        let (uncoloured, again) = try Self.underTerminal(plain.run, columns: 60, environment: ["NO_COLOR": "1"], in: plain.folder)
        #expect(again == 0)
        #expect(uncoloured.contains("F\u{1B}[J"))
        #expect(uncoloured.range(of: "\u{1B}\\[[0-9;]*m", options: .regularExpression) == nil)

        // --progress plain on a terminal: lines, no area.
        let lines = try Scratch()
        defer { lines.remove() }
        let (plainText, _) = try Self.underTerminal(lines.run + ["--progress", "plain"], columns: 60, in: lines.folder)
        #expect(!plainText.contains("F\u{1B}[J"))
        #expect(!plainText.contains("in flight"))
    }
}
