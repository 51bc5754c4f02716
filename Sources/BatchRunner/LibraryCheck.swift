public import BatchLedger
public import Foundation

/// Reading the library's files back against the ledger: every byte hashed and compared with the
/// recorded size and SHA-256. A resume does this only for files whose `stat` changed;
/// `tempo-batch verify` does it for all of them.
public enum LibraryCheck {
    /// What is wrong with a task's files.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable, Codable { case missing, corrupt, moved }
        public let kind: Kind
        public let path: String

        public var description: String {
            switch kind {
            case .missing: "\(path) is missing"
            case .corrupt: "\(path) is corrupt (size or SHA-256 differ)"
            case .moved: "the output layout changed (files were under \((path as NSString).deletingLastPathComponent))"
            }
        }
    }

    /// Hashes every file. Success carries the records with their current mtime and inode.
    /// `folder` (when given) is where the files must be: one filed elsewhere counts as moved.
    public static func hash(_ files: [FileRecord], folder: String?, root: URL) -> Result<[FileRecord], Problem> {
        guard !files.isEmpty else { return .failure(Problem(kind: .missing, path: "(no files recorded)")) }
        var refreshed: [FileRecord] = []
        for file in files {
            if let folder, !file.path.hasPrefix(folder.isEmpty ? "" : folder + "/") {
                return .failure(Problem(kind: .moved, path: file.path))
            }
            let url = root.appendingPathComponent(file.path)
            guard let stat = FileStat.of(url.path), let (size, sha) = FileHash.sha256(of: url) else {
                return .failure(Problem(kind: .missing, path: file.path))
            }
            guard size == file.size, sha == file.sha256 else { return .failure(Problem(kind: .corrupt, path: file.path)) }
            var record = file
            record.mtime = stat.mtime
            record.inode = stat.inode
            refreshed.append(record)
        }
        return .success(refreshed)
    }

    /// One task found wrong by ``verify(ledger:root:manifest:repair:now:)``.
    public struct Finding: Sendable {
        public let key: String
        public let manifest: String
        public let output: String
        public let problem: Problem
    }

    public struct Summary: Sendable {
        public var tasks = 0
        public var files = 0
        public var bytes: Int64 = 0
        public var findings: [Finding] = []
        /// Tasks put back to their generated state, so the next run fetches them again.
        public var markedForDownload = 0
    }

    /// Hashes every file of every downloaded task (of one manifest, or all). With `repair`, a
    /// task with a missing or corrupt file goes back to its generated state in the ledger, so
    /// the next run (or `verify --repair MANIFEST`) fetches it again without paying.
    public static func verify(ledger: Ledger, root: URL, manifest: String?, repair: Bool, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let tasks = try ledger.allTasks(manifest: manifest).filter { $0.state == .downloaded }
        let files = try ledger.files(ofKeys: tasks.map(\.key))
        var summary = Summary()
        for (index, task) in tasks.enumerated() {
            progress(index, tasks.count)
            summary.tasks += 1
            let recorded = files[task.key] ?? []
            switch hash(recorded, folder: nil, root: root) {
            case .success(let refreshed):
                summary.files += refreshed.count
                summary.bytes += refreshed.reduce(0) { $0 + $1.size }
                try ledger.recordFileStats(refreshed)
            case .failure(let problem):
                summary.findings.append(Finding(key: task.key, manifest: task.manifest, output: task.output, problem: problem))
                if repair {
                    _ = try ledger.recordFilesMissing(task.key, reason: "verify: \(problem)", run: nil)
                    summary.markedForDownload += 1
                }
            }
        }
        return summary
    }
}
