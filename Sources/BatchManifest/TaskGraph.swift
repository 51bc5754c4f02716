/// One node of the task graph: a single paid create call and what it produces.
public struct GraphTask: Sendable, Identifiable {
    public let key: TaskKey
    public let request: TaskRequest
    public let job: String
    /// The matrix values of the chain this task belongs to (empty for a lyrics task shared by
    /// several combinations).
    public let combination: [MatrixValue]
    public let variant: Int?
    /// Keys of the tasks whose results this task needs (at most one today).
    public let parents: [TaskKey]
    /// Folder relative to the output root where the task's files go.
    public let output: String
    /// Every folder the result is filed into: the task's own, plus each song folder that a
    /// shared lyrics task feeds.
    public let folders: [String]
    /// Base name of the task's files inside its folder: `song`, `instrumental`, `extend-2`,
    /// `stems`, `lyrics`.
    public let fileStem: String
    public let callbackURL: String?

    public var id: TaskKey { key }
    public var kind: TaskKind { request.kind }
}

public struct MatrixValue: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
}

/// The expanded manifest: tasks in dependency order (every parent before its children).
public struct TaskGraph: Sendable {
    public let tasks: [GraphTask]
    private let indexByKey: [TaskKey: Int]

    init(tasks: [GraphTask]) {
        self.tasks = tasks
        var index: [TaskKey: Int] = [:]
        index.reserveCapacity(tasks.count)
        for (offset, task) in tasks.enumerated() { index[task.key] = offset }
        indexByKey = index
    }

    public subscript(key: TaskKey) -> GraphTask? {
        indexByKey[key].map { tasks[$0] }
    }

    public var count: Int { tasks.count }

    /// Direct children of every task, by parent key.
    public func children() -> [TaskKey: [TaskKey]] {
        var result: [TaskKey: [TaskKey]] = [:]
        for task in tasks {
            for parent in task.parents { result[parent, default: []].append(task.key) }
        }
        return result
    }

    /// Task counts per kind.
    public var countsByKind: [TaskKind: Int] {
        tasks.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }
}
