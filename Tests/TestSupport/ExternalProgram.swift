public import Foundation

/// Runs a program to completion and captures what it prints. Output goes through temporary
/// files, so neither stream can fill a pipe and block the child.
public enum ExternalProgram {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public var combined: String { stdout + stderr }
    }

    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil
    ) throws -> Output {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("program-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        let process = try ChildProcess.start(
            executable, arguments, environment: environment, directory: directory, output: .files(stdout: out, stderr: err)
        )
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        )
    }
}

/// Independent decoders judge the audio the tests receive: sox for mp3, WAV and FLAC lengths,
/// `flac -t` for FLAC integrity. `scripts/setup` installs both.
public enum AudioDecoding {
    /// Why the file does not decode as its extension says, or nil when it does.
    public static func problem(_ url: URL) -> String? {
        do {
            if url.pathExtension == "flac" {
                let test = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/flac"), ["-t", "-s", url.path])
                if test.status != 0 { return "flac -t fails for \(url.lastPathComponent): \(test.combined)" }
            }
            _ = try seconds(url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The decoded length in seconds; throws when sox cannot decode the whole stream.
    public static func seconds(_ url: URL) throws -> Double {
        let stat = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/sox"), [url.path, "-n", "stat"])
        let line = stat.stderr.split(separator: "\n").first { $0.hasPrefix("Length (seconds):") }
        guard stat.status == 0, let seconds = line.flatMap({ Double($0.split(separator: " ").last ?? "") }) else {
            throw DecodingFailure(description: "sox cannot decode \(url.lastPathComponent): \(stat.combined)")
        }
        return seconds
    }

    /// The decoded length of bytes that would be saved with `fileExtension`.
    public static func seconds(of data: Data, fileExtension: String) throws -> Double {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("audio-\(UUID().uuidString).\(fileExtension)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        if let problem = problem(file) { throw DecodingFailure(description: problem) }
        return try seconds(file)
    }

    public struct DecodingFailure: Error, CustomStringConvertible {
        public let description: String
    }
}
