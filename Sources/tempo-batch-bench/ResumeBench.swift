import BatchLedger
import BatchManifest
import BatchRunner
import Crypto
import Foundation
import ProviderKit
import ProviderWiring

/// A provider that must never be called: a no-op resume asks nothing of it.
struct SilentProvider: GenerationProvider {
    let calls = Counter()

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func add() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    var capabilities: ProviderCapabilities {
        ProviderCapabilities(name: "silent", extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create,
                             stemsOfURL: true, voiceID: true, instrumentalParameters: true, songModels: [], instrumentalModels: [])
    }

    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        calls.add()
        throw ProviderError(.fatal, "a no-op resume must not submit")
    }

    func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] { refs.map { [$0] } }

    func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        calls.add()
        throw ProviderError(.fatal, "a no-op resume must not poll")
    }

    func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        calls.add()
        throw ProviderError(.fatal, "a no-op resume must not download")
    }
}

/// A library of N finished tasks (two files each, all present, their stat recorded), then
/// `run` over it: the time to "nothing to do". With `--file-size` large the files are sparse,
/// so the figure shows the cost follows the number of files, not their bytes.
func resumeBench(_ options: Options) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-resume-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("bench.yaml")
    try generateManifest(tasks: options.tasks).replacingOccurrences(of: "root: bench-output", with: "root: \(folder.path)/library")
        .write(to: file, atomically: true, encoding: .utf8)
    let compilation = ManifestCompiler.compile(contentsOf: file.path, environment: [:], capabilities: Providers.catalogue)
    guard let manifest = compilation.manifest, let graph = compilation.graph else {
        print("the generated manifest is invalid")
        exit(1)
    }
    let root = URL(fileURLWithPath: manifest.output.root, isDirectory: true)

    // The library: every task downloaded, two files each, recorded with size, SHA-256 and stat.
    let clock = ContinuousClock()
    let content = Data(repeating: 0, count: min(options.fileSize, 4096))
    let sha = sparseSHA256(size: options.fileSize)
    var entries: [Ledger.Recovered] = []
    let setup = try clock.measure {
        for task in graph.tasks {
            let names = task.kind == .stems ? ["stems/vocals.flac", "stems/drums.flac"] : ["\(task.fileStem).mp3", "\(task.fileStem).wav"]
            var files: [FileRecord] = []
            for name in names {
                let relative = "\(task.output)/\(name)"
                let url = root.appendingPathComponent(relative)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try writeSparse(url, size: options.fileSize, head: content)
                let stat = FileStat.of(url.path)
                files.append(FileRecord(taskKey: task.key.hex, path: relative, size: Int64(options.fileSize), sha256: sha,
                                        createdAt: Date(), mtime: stat?.mtime, inode: stat?.inode))
            }
            var record = TaskRecord(key: task.key.hex, manifest: manifest.name, job: task.job, kind: task.kind.rawValue, output: task.output,
                                    fileStem: task.fileStem, request: "{}", parents: task.parents.map(\.hex), provider: "tempolor",
                                    cost: manifest.pricing.price(of: task.request), now: Date())
            record.state = .downloaded
            record.itemID = "item-\(task.key.short)"
            entries.append(Ledger.Recovered(task: record, files: files, extras: []))
        }
        let ledger = try Ledger.open(at: LedgerFiles(root: root).ledger)
        try ledger.recover(entries, source: "the benchmark", run: nil)
    }
    let fileCount = entries.reduce(0) { $0 + $1.files.count }
    let apparent = Double(fileCount) * Double(options.fileSize) / 1_073_741_824
    print(String(format: "library: %d tasks, %d files of %d bytes (%.1f GiB apparent), set up in %.1f s",
                 graph.count, fileCount, options.fileSize, apparent, seconds(setup)))

    // The resumes: nothing to submit, poll or fetch.
    var times: [Double] = []
    for run in 1...max(1, options.runs) {
        let provider = SilentProvider()
        let lines = LineCounter()
        var runOptions = RunOptions()
        runOptions.pollInterval = .milliseconds(100)
        let environment = RunEnvironment(variables: [:], output: { lines.add($0) })
        var result: RunResult?
        let elapsed = await clock.measure {
            result = await Runner.execute(manifest, graph, provider: provider, options: runOptions, environment: environment)
        }
        times.append(seconds(elapsed) * 1000)
        print(String(format: "resume %d: %.0f ms, exit %d, provider calls %d; %@", run, seconds(elapsed) * 1000, result?.exitCode ?? -1,
                     provider.calls.count, lines.last.prefix(90).description))
    }
    let sorted = times.sorted()
    print(String(format: "no-op resume of %d tasks (%d files, %.1f GiB): best %.0f ms, median %.0f ms over %d runs; peak memory %.1f MB (VmHWM)",
                 graph.count, fileCount, apparent, sorted[0], sorted[sorted.count / 2], sorted.count, peakResidentMegabytes()))
}

final class LineCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var last: String { lock.withLock { lines.last ?? "" } }
}

/// A file of `size` bytes: `head` at the start, the rest a hole (zeros that use no disk).
func writeSparse(_ url: URL, size: Int, head: Data) throws {
    let descriptor = open(url.path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission) }
    defer { close(descriptor) }
    let count = min(size, head.count)
    _ = head.prefix(count).withUnsafeBytes { write(descriptor, $0.baseAddress, count) }
    guard ftruncate(descriptor, off_t(size)) == 0 else { throw CocoaError(.fileWriteOutOfSpace) }
}

/// SHA-256 of `size` zero bytes, computed in chunks.
func sparseSHA256(size: Int) -> String {
    var hasher = SHA256()
    let chunk = Data(repeating: 0, count: 1 << 20)
    var left = size
    while left > 0 {
        let count = min(left, chunk.count)
        hasher.update(data: chunk.prefix(count))
        left -= count
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
