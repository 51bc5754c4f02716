import Yams

/// Decodes a YAML node tree into a ``ManifestDocument``: shapes, types and key names. Every
/// problem becomes a located diagnostic; reading goes on past it so that all are reported at once.
struct ManifestReader {
    private var nodes: NodeReader

    init(file: String, environment: [String: String]) {
        nodes = NodeReader(file: file, environment: environment)
    }

    var diagnostics: [Diagnostic] { nodes.diagnostics }

    static let topLevelKeys = ["version", "name", "provider", "defaults", "concurrency", "retry", "budget", "output", "pricing", "useapi", "limits", "ambiguity", "tags", "api", "jobs"]
    static let jobKeys = ["name", "song", "instrumental", "lyrics", "extend", "cover", "stems", "midi", "matrix", "variants"] + StepSettings.keys
    static let coverKeys = ["prompt", "lyrics", "model", "url"]
    static let apiKeys = ["instrumental_route", "region"]
    static let songKeys = ["prompt", "lyrics", "model", "voice_id"]
    static let instrumentalKeys = ["prompt", "model", "tonality", "bpm", "chords"]
    static let lyricsKeys = ["prompt", "model"]
    static let extendKeys = ["start_time", "lyrics"]
    static let concurrencyKeys = ["tasks", "downloads"]
    static let retryKeys = ["attempts", "initial", "max"]
    static let outputKeys = ["root", "path"]
    static let useapiKeys = ["user_id", "max_jobs"]
    static let limitsKeys = ["max_tasks"]
    static let ambiguityKeys = ["on_ambiguous", "balance_check"]
    static let tagsKeys = ["artist", "album", "genre"]
    static let budgetKeys = ["max_credits", "per", "timezone"]

    mutating func read(_ root: Node) -> ManifestDocument? {
        guard let top = nodes.fields(root, "the manifest", allowed: Self.topLevelKeys, required: ["version", "jobs"]) else {
            return nil
        }
        var document = ManifestDocument(location: top.location)
        if let node = top["version"] { document.version = nodes.int(node, "version") }
        if let node = top["name"] { document.name = nodes.nonEmptyString(node, "name") }
        if let node = top["provider"] { document.provider = nodes.string(node, "provider") }
        if let fields = nodes.block("defaults", in: top, allowed: StepSettings.keys) {
            document.defaults = readSettings(fields, "defaults")
        }
        if let fields = nodes.block("concurrency", in: top, allowed: Self.concurrencyKeys) {
            document.concurrency.tasks = fields["tasks"].flatMap { nodes.int($0, "concurrency.tasks", in: Concurrency.limits) }
            document.concurrency.downloads = fields["downloads"].flatMap { nodes.int($0, "concurrency.downloads", in: Concurrency.limits) }
        }
        if let fields = nodes.block("retry", in: top, allowed: Self.retryKeys) {
            document.retry.attempts = fields["attempts"].flatMap { nodes.int($0, "retry.attempts", in: RetryPolicy.attemptLimits) }
            document.retry.initial = fields["initial"].flatMap { nodes.string($0, "retry.initial") }
            document.retry.max = fields["max"].flatMap { nodes.string($0, "retry.max") }
        }
        if let fields = nodes.block("budget", in: top, allowed: Self.budgetKeys, required: ["max_credits"]) {
            document.budget = fields["max_credits"].flatMap { nodes.number($0, "budget.max_credits") }
            document.budgetPer = fields["per"].flatMap { nodes.string($0, "budget.per") }
            document.budgetTimeZone = fields["timezone"].flatMap { nodes.nonEmptyString($0, "budget.timezone") }
        }
        if let fields = nodes.block("output", in: top, allowed: Self.outputKeys) {
            document.outputRoot = fields["root"].flatMap { nodes.nonEmptyString($0, "output.root") }
            document.outputPath = fields["path"].flatMap { nodes.nonEmptyString($0, "output.path") }
        }
        document.pricing = readPricing(top)
        if let fields = nodes.block("limits", in: top, allowed: Self.limitsKeys) {
            document.maxTasks = fields["max_tasks"].flatMap { nodes.int($0, "limits.max_tasks", in: ExpansionLimit.settable) }
        }
        if let fields = nodes.block("ambiguity", in: top, allowed: Self.ambiguityKeys) {
            document.onAmbiguous = fields["on_ambiguous"].flatMap { nodes.string($0, "ambiguity.on_ambiguous") }
            document.balanceCheck = fields["balance_check"].flatMap { nodes.bool($0, "ambiguity.balance_check") }
        }
        if let fields = nodes.block("tags", in: top, allowed: Self.tagsKeys) {
            document.tags = Self.tagsKeys.compactMap { key in
                fields[key].flatMap { nodes.nonEmptyString($0, "tags.\(key)") }.map { (key, $0) }
            }
        }
        if let fields = nodes.block("useapi", in: top, allowed: Self.useapiKeys) {
            document.useapiLocation = fields.location
            document.useapiUserID = fields["user_id"].flatMap { nodes.nonEmptyString($0, "useapi.user_id") }
            document.useapiMaxJobs = fields["max_jobs"].flatMap { nodes.int($0, "useapi.max_jobs", in: Concurrency.limits) }
        }
        if let fields = nodes.block("api", in: top, allowed: Self.apiKeys) {
            document.apiLocation = fields.location
            document.instrumentalRoute = fields["instrumental_route"].flatMap { nodes.string($0, "api.instrumental_route") }
            document.region = fields["region"].flatMap { nodes.string($0, "api.region") }
        }
        if let node = top["jobs"], let items = nodes.sequence(node, "jobs") {
            if items.isEmpty, let at = nodes.opening("jobs", in: top) { nodes.error("jobs must list at least one job", at: at) }
            document.jobs = items.enumerated().compactMap { index, item in readJob(item, index: index) }
        }
        return document
    }

    private mutating func readSettings(_ fields: NodeReader.Fields, _ context: String) -> StepSettings {
        StepSettings(
            model: fields["model"].flatMap { nodes.nonEmptyString($0, "\(context).model") },
            instrumentalModel: fields["instrumental_model"].flatMap { nodes.nonEmptyString($0, "\(context).instrumental_model") },
            lyricsModel: fields["lyrics_model"].flatMap { nodes.nonEmptyString($0, "\(context).lyrics_model") },
            callbackURL: fields["callback_url"].flatMap { nodes.nonEmptyString($0, "\(context).callback_url") },
            voiceID: fields["voice_id"].flatMap { nodes.nonEmptyString($0, "\(context).voice_id") }
        )
    }

    private mutating func readPricing(_ top: NodeReader.Fields) -> PricingDocument {
        var pricing = PricingDocument()
        let kinds = TaskKind.allCases.map(\.rawValue)
        guard let fields = nodes.block("pricing", in: top, allowed: kinds + ["models"]) else { return pricing }
        for kind in TaskKind.allCases {
            if let value = fields[kind.rawValue].flatMap({ nodes.number($0, "pricing.\(kind.rawValue)") }) {
                pricing.perKind[kind] = value
            }
        }
        if let modelsNode = fields["models"] {
            guard case .mapping(let mapping) = modelsNode else {
                nodes.error("pricing.models must be a mapping of model name to price, found \(nodes.describe(modelsNode))", at: modelsNode)
                return pricing
            }
            for (key, value) in mapping {
                guard let name = nodes.nonEmptyString(key, "a model name in pricing.models"),
                      let price = nodes.number(value, "pricing.models.\(key.string ?? "?")")
                else { continue }
                pricing.models.append((name, price))
            }
        }
        return pricing
    }

    private mutating func readJob(_ node: Node, index: Int) -> JobDocument? {
        let context = "job #\(index + 1)"
        guard let fields = nodes.fields(node, context, allowed: Self.jobKeys, required: ["name"]) else { return nil }
        var job = JobDocument(location: fields.location)
        job.name = fields["name"].flatMap { nodes.nonEmptyString($0, "\(context) name") }
        let label = job.name.map { "job '\($0.value)'" } ?? context
        job.settings = readSettings(fields, label)
        if let song = nodes.block("song", in: fields, "\(label) song", allowed: Self.songKeys, required: ["prompt"]) {
            job.song = SongDocument(
                location: song.location,
                prompt: song["prompt"].flatMap { nodes.nonEmptyString($0, "\(label) song.prompt", template: true) },
                lyrics: song["lyrics"].flatMap { nodes.string($0, "\(label) song.lyrics", template: true) },
                model: song["model"].flatMap { nodes.nonEmptyString($0, "\(label) song.model") },
                voiceID: song["voice_id"].flatMap { nodes.nonEmptyString($0, "\(label) song.voice_id") }
            )
        }
        if let step = nodes.block("instrumental", in: fields, "\(label) instrumental", allowed: Self.instrumentalKeys, required: ["prompt"]) {
            job.instrumental = InstrumentalDocument(
                location: step.location,
                prompt: step["prompt"].flatMap { nodes.nonEmptyString($0, "\(label) instrumental.prompt", template: true) },
                model: step["model"].flatMap { nodes.nonEmptyString($0, "\(label) instrumental.model") },
                tonality: step["tonality"].flatMap { nodes.nonEmptyString($0, "\(label) instrumental.tonality") },
                bpm: step["bpm"].flatMap { nodes.int($0, "\(label) instrumental.bpm", in: InstrumentalStep.bpmLimits) },
                chords: step["chords"].flatMap { nodes.nonEmptyString($0, "\(label) instrumental.chords") }
            )
        }
        if let step = nodes.block("lyrics", in: fields, "\(label) lyrics", allowed: Self.lyricsKeys, required: ["prompt"]) {
            job.lyrics = LyricsDocument(
                location: step.location,
                prompt: step["prompt"].flatMap { nodes.nonEmptyString($0, "\(label) lyrics.prompt", template: true) },
                model: step["model"].flatMap { nodes.nonEmptyString($0, "\(label) lyrics.model") }
            )
        }
        if let node = fields["extend"], let items = nodes.sequence(node, "\(label) extend") {
            job.extendLocation = nodes.opening("extend", in: fields)
            job.extend = items.enumerated().compactMap { offset, item in
                let itemContext = "\(label) extend #\(offset + 1)"
                guard let step = nodes.fields(item, itemContext, allowed: Self.extendKeys, required: ["start_time"]) else {
                    return nil
                }
                return ExtendDocument(
                    location: step.location,
                    startTime: step["start_time"].flatMap { nodes.int($0, "\(itemContext) start_time", in: ExtendStep.startTimeLimits) },
                    lyrics: step["lyrics"].flatMap { nodes.string($0, "\(itemContext) lyrics", template: true) }
                )
            }
        }
        if let step = nodes.block("cover", in: fields, "\(label) cover", allowed: Self.coverKeys, required: ["prompt"]) {
            job.cover = CoverDocument(
                location: step.location,
                prompt: step["prompt"].flatMap { nodes.nonEmptyString($0, "\(label) cover.prompt", template: true) },
                lyrics: step["lyrics"].flatMap { nodes.string($0, "\(label) cover.lyrics", template: true) },
                model: step["model"].flatMap { nodes.nonEmptyString($0, "\(label) cover.model") },
                url: step["url"].flatMap { nodes.nonEmptyString($0, "\(label) cover.url", template: true) }
            )
        }
        if let node = fields["midi"] {
            job.midi = nodes.bool(node, "\(label) midi")
        }
        if let node = fields["stems"] {
            job.stemsLocation = nodes.opening("stems", in: fields)
            job.stems = readStems(node, label, at: job.stemsLocation)
        }
        if let node = fields["matrix"] {
            job.matrixLocation = nodes.opening("matrix", in: fields)
            job.matrix = readMatrix(node, label, at: job.matrixLocation ?? nodes.location(of: node))
        }
        if let node = fields["variants"] { job.variants = nodes.int(node, "\(label) variants", in: FieldLimits.variants) }
        return job
    }

    private mutating func readStems(_ node: Node, _ label: String, at opening: SourceLocation?) -> StemsDocument? {
        if case .scalar = node, nodes.tagName(node) == Tag.Name.bool.rawValue, let flag = node.bool {
            return .enabled(flag)
        }
        guard case .mapping = node else {
            nodes.error("\(label) stems must be true, false or {url: ...}, found \(nodes.describe(node))", at: node)
            return nil
        }
        guard let fields = nodes.fields(node, "\(label) stems", openedAt: opening, allowed: ["url"], required: ["url"]),
              let url = fields["url"].flatMap({ nodes.nonEmptyString($0, "\(label) stems.url", template: true) })
        else { return nil }
        return .url(url)
    }

    /// The matrix written under the `matrix:` key at `opening`.
    private mutating func readMatrix(_ node: Node, _ label: String, at opening: SourceLocation) -> [(key: Located<String>, values: [Located<String>])] {
        guard case .mapping(let mapping) = node else {
            nodes.error("\(label) matrix must be a mapping of name to list of values, found \(nodes.describe(node))", at: node)
            return []
        }
        if mapping.count == 0 { nodes.error("\(label) matrix is empty; remove it or give it a key", at: opening) }
        var result: [(key: Located<String>, values: [Located<String>])] = []
        for (keyNode, valueNode) in mapping {
            guard let key = nodes.string(keyNode, "a matrix key of \(label)") else { continue }
            guard Template.isFieldName(key.value) else {
                nodes.error("matrix key '\(key.value)' of \(label) is not a placeholder name (letters, digits, '_' and '-', starting with a letter or '_')", at: key.location)
                continue
            }
            guard let items = nodes.sequence(valueNode, "\(label) matrix.\(key.value)") else { continue }
            if items.isEmpty {
                nodes.error("\(label) matrix.\(key.value) is an empty list: the job would expand to nothing", at: key.location)
                continue
            }
            var values: [Located<String>] = []
            for item in items {
                guard let value = nodes.nonEmptyString(item, "a value of \(label) matrix.\(key.value)") else { continue }
                values.append(value)
            }
            result.append((key, values))
        }
        return result
    }
}
