/// A manifest never expands past `limits.max_tasks` (default 10,000): every job's task count is
/// computed from its matrix sizes, variants and steps before a single combination is built, so
/// a typo (four 100-value keys: 100,000,000 combinations) is a located error, not 15 GB of memory.
struct ExpansionLimit {
    static let defaultMaxTasks = 10_000
    static let settable = 1...1_000_000

    let maxTasks: Int
    private(set) var counted = 0

    init(maxTasks: Int) { self.maxTasks = maxTasks }

    /// Counts the tasks of one job; the problem, when they do not fit in what is left.
    mutating func admit(_ job: JobDocument, label: String) -> String? {
        let sizes = job.matrix.map(\.values.count)
        let variants = job.variants?.value ?? 1
        var steps = 1 + (job.extend?.count ?? 0)
        let audio = job.song != nil || job.instrumental != nil
        if audio, job.cover != nil { steps += 1 }
        if case .enabled(true)? = job.stems, audio || job.cover != nil { steps += 1 }
        if job.midi?.value == true, audio || job.cover != nil { steps += 1 }
        var combinations = 1
        for size in sizes {
            let (product, overflow) = combinations.multipliedReportingOverflow(by: max(1, size))
            combinations = overflow ? .max : product
        }
        let chains = combinations.multipliedReportingOverflow(by: max(1, variants))
        var tasks = chains.overflow ? Int.max : chains.partialValue
        tasks = tasks.multipliedReportingOverflow(by: steps).overflow ? .max : tasks * steps
        if job.lyrics != nil { tasks = tasks > .max - combinations ? .max : tasks + combinations }
        guard tasks > maxTasks - counted else {
            counted += tasks
            return nil
        }
        let product = sizes.isEmpty ? "1 combination" : sizes.map(String.init).joined(separator: " × ") + " = " + Self.format(combinations) + " combinations"
        let whole = tasks == .max ? "more tasks than can be counted" : "\(Self.format(tasks)) tasks"
        let before = counted > 0 ? " (the jobs before it already make \(Self.format(counted)))" : ""
        counted = maxTasks
        return "\(label) expands to \(whole): its matrix is \(product), × \(variants) variant(s) × \(steps) step(s)\(before); the manifest's limit is \(Self.format(maxTasks)) (limits.max_tasks)"
    }

    /// `100000000` → `100,000,000`.
    static func format(_ number: Int) -> String {
        let digits = Array(String(number))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
