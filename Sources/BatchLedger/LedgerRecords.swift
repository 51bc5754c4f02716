public import Foundation
public import GRDB

/// Where a task stands in the ledger. `pending → submitting → submitted → running →
/// succeeded | part_failed → downloaded`, or `failed`, `blocked`, `ambiguous`, `cancelled`.
public enum TaskState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case pending
    /// The create call may be under way: committed before the call, so a crash leaves proof.
    case submitting
    case submitted
    case running
    case succeeded
    case partFailed = "part_failed"
    case downloaded
    case failed
    case blocked
    case ambiguous
    case cancelled

    /// The provider finished the work (its result can be downloaded).
    public var isGenerated: Bool { self == .succeeded || self == .partFailed || self == .downloaded }
    /// An item id exists and the provider is working on it.
    public var isInFlight: Bool { self == .submitted || self == .running }
}

/// One task of some manifest's graph, keyed by its task key.
public struct TaskRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "task"

    public var key: String
    public var manifest: String
    public var job: String
    public var kind: String
    /// Folder relative to the output root.
    public var output: String
    public var fileStem: String
    public var state: TaskState
    /// The normalised request as JSON (never any credential or callback token).
    public var request: String
    /// JSON array of parent task keys.
    public var parents: String
    public var provider: String
    public var itemID: String?
    /// The fingerprint of the key the create was sent with (never the key): the only key that
    /// can see the item. Nil: recorded before keys were, or never submitted.
    public var account: String?
    public var attempts: Int
    public var cost: Double
    public var error: String?
    /// The provider's latest answer for the item, as JSON.
    public var result: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        key: String, manifest: String, job: String, kind: String, output: String, fileStem: String,
        request: String, parents: [String], provider: String, cost: Double, now: Date
    ) {
        self.key = key
        self.manifest = manifest
        self.job = job
        self.kind = kind
        self.output = output
        self.fileStem = fileStem
        state = .pending
        self.request = request
        self.parents = (try? String(decoding: JSONEncoder().encode(parents), as: UTF8.self)) ?? "[]"
        self.provider = provider
        attempts = 0
        self.cost = cost
        createdAt = now
        updatedAt = now
    }

    /// Decoded column by column (much faster than `Decodable` for the 10,000 rows a resume reads).
    public init(row: Row) throws {
        key = row["key"]
        manifest = row["manifest"]
        job = row["job"]
        kind = row["kind"]
        output = row["output"]
        fileStem = row["fileStem"]
        state = row["state"]
        request = row["request"]
        parents = row["parents"]
        provider = row["provider"]
        itemID = row["itemID"]
        account = row["account"]
        attempts = row["attempts"]
        cost = row["cost"]
        error = row["error"]
        result = row["result"]
        createdAt = row["createdAt"]
        updatedAt = row["updatedAt"]
    }

    public var parentKeys: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(parents.utf8))) ?? []
    }

    public enum Columns {
        public static let key = Column(CodingKeys.key)
        public static let manifest = Column(CodingKeys.manifest)
        public static let state = Column(CodingKeys.state)
        public static let output = Column(CodingKeys.output)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
}

/// An append-only record of one state change.
public struct EventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "event"

    public var id: Int64?
    public var taskKey: String
    public var runID: Int64?
    public var at: Date
    /// Who made the change: `runner`, `startup`, `user`.
    public var actor: String
    public var fromState: TaskState?
    public var toState: TaskState
    public var attempt: Int
    public var detail: String?
    public var error: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A file of the output library, as written and verified.
public struct FileRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "file"

    public var taskKey: String
    /// Path relative to the output root.
    public var path: String
    public var size: Int64
    public var sha256: String
    public var createdAt: Date
    /// The file's modification time and inode when its SHA-256 was last taken: a resume trusts
    /// a file whose size, mtime and inode are unchanged, and re-hashes only the others. Nil in
    /// ledgers written before they were recorded (the file is then hashed once more).
    public var mtime: Double?
    public var inode: Int64?

    public init(row: Row) throws {
        taskKey = row["taskKey"]
        path = row["path"]
        size = row["size"]
        sha256 = row["sha256"]
        createdAt = row["createdAt"]
        mtime = row["mtime"]
        inode = row["inode"]
    }

    public init(taskKey: String, path: String, size: Int64, sha256: String, createdAt: Date, mtime: Double? = nil, inode: Int64? = nil) {
        self.taskKey = taskKey
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
        self.mtime = mtime
        self.inode = inode
    }
}

/// A further item one create call made (ordinal 2, 3, …): the task's own item is the first;
/// these are tracked, polled and filed beside it (`song-2.mp3`).
public struct ExtraItemRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "extraItem"

    public var taskKey: String
    public var ordinal: Int
    public var itemID: String
    /// The provider's latest answer for the item (as the task's `result`), nil until checked.
    public var result: String?
    /// Whether the provider has finished the item (its `result` is final).
    public var final: Bool

    public init(taskKey: String, ordinal: Int, itemID: String, result: String? = nil, final: Bool = false) {
        self.taskKey = taskKey
        self.ordinal = ordinal
        self.itemID = itemID
        self.result = result
        self.final = final
    }
}

/// One invocation of `run`.
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"

    public var id: Int64?
    public var manifest: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var exitCode: Int?
    public var creditsSpent: Double
    public var report: String?
    /// The account's balance before the run's first create (only with the balance proof on).
    public var balanceAtStart: Double?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
