import Foundation

/// Turns a ``ManifestDocument`` into a ``Manifest``: applies defaults and inheritance, parses
/// templates, checks every rule that spans several keys, and reports all problems found.
struct ManifestConverter {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    static let supportedVersion = 1

    private mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.error, at: location, message))
    }

    private mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.warning, at: location, message))
    }

    mutating func convert(_ document: ManifestDocument) -> Manifest? {
        let errorsBefore = diagnostics.count
        if let version = document.version, version.value != Self.supportedVersion {
            error("unsupported manifest version \(version.value); this tempo-batch reads version \(Self.supportedVersion)", at: version.location)
        }
        let name = document.name ?? Located(Self.defaultName(forFile: file), at: document.location)
        checkPathSafe(name.value, "the manifest name", at: name.location)

        var provider = Provider.tempolor
        if let written = document.provider {
            if let parsed = Provider(rawValue: written.value) {
                provider = parsed
            } else {
                let known = Provider.allCases.map(\.rawValue)
                error("unknown provider '\(written.value)' (one of \(known.joined(separator: ", ")))\(Suggestion.hint(for: written.value, in: known))", at: written.location)
            }
        }

        let concurrency = Concurrency(
            tasks: document.concurrency.tasks?.value ?? Concurrency.default.tasks,
            downloads: document.concurrency.downloads?.value ?? Concurrency.default.downloads,
            tasksWritten: document.concurrency.tasks != nil
        )
        var providerOptions: [String: String] = [:]
        providerOptions["user_id"] = document.useapiUserID?.value
        providerOptions["max_jobs"] = document.useapiMaxJobs.map { String($0.value) }
        if provider != .useapi, document.useapiUserID != nil || document.useapiMaxJobs != nil, let at = document.useapiLocation {
            warning("useapi options are set but the provider is \(provider.rawValue); they apply only with provider useapi", at: at)
        }
        let api = convertAPI(document, provider: provider)
        providerOptions[APISettings.instrumentalRouteOption] = api.instrumentalRoute.rawValue
        providerOptions[APISettings.regionOption] = api.region.rawValue
        var ambiguity = AmbiguityPolicy(balanceCheck: document.balanceCheck?.value ?? false)
        if let written = document.onAmbiguous {
            if let policy = AmbiguityPolicy.OnAmbiguous(rawValue: written.value) {
                ambiguity.onAmbiguous = policy
            } else {
                let known = AmbiguityPolicy.OnAmbiguous.allCases.map(\.rawValue)
                error("ambiguity.on_ambiguous must be one of \(known.joined(separator: ", ")), found '\(written.value)'\(Suggestion.hint(for: written.value, in: known))", at: written.location)
            }
        }
        let retry = convertRetry(document)
        let pricing = convertPricing(document.pricing)
        let outputRoot = Self.resolveRoot(document.outputRoot?.value, manifestFile: file)
        if let root = document.outputRoot, root.value.contains("\0") {
            error("output.root contains a NUL character", at: root.location)
        }

        let jobs = convertJobs(document)
        let outputPath = convertOutputPath(document.outputPath, jobs: jobs, manifestLocation: document.location)
        let tags = convertTags(document.tags, jobs: jobs)
        let budget = convertBudget(document)

        guard diagnostics[errorsBefore...].allSatisfy({ $0.severity != .error }), let outputPath else { return nil }
        var manifest = Manifest(
            file: file, name: name.value, provider: provider, concurrency: concurrency, retry: retry,
            budget: budget,
            output: OutputSettings(root: outputRoot, path: outputPath),
            pricing: pricing, providerOptions: providerOptions, jobs: jobs.map(\.job)
        )
        manifest.ambiguity = ambiguity
        manifest.tags = tags
        manifest.api = api
        return manifest
    }

    /// `api: { instrumental_route, region }`: how the Open API is spoken.
    private mutating func convertAPI(_ document: ManifestDocument, provider: Provider) -> APISettings {
        var api = APISettings()
        if let written = document.instrumentalRoute {
            if let route = APISettings.InstrumentalRoute(rawValue: written.value) {
                api.instrumentalRoute = route
            } else {
                let known = APISettings.InstrumentalRoute.allCases.map(\.rawValue)
                error("api.instrumental_route must be one of \(known.joined(separator: ", ")), found '\(written.value)'\(Suggestion.hint(for: written.value, in: known))", at: written.location)
            }
        }
        if let written = document.region {
            if let region = APISettings.Region(rawValue: written.value) {
                api.region = region
            } else {
                let known = APISettings.Region.allCases.map(\.rawValue)
                error("api.region must be one of \(known.joined(separator: ", ")), found '\(written.value)'\(Suggestion.hint(for: written.value, in: known))", at: written.location)
            }
        }
        if provider == .useapi, let at = document.apiLocation {
            warning("api options are for TemPolor's Open API; provider useapi does not use them", at: at)
        }
        return api
    }

    /// The manifest file's name without its extension (`nightly.yaml` → `nightly`).
    static func defaultName(forFile file: String) -> String {
        let base = (file as NSString).lastPathComponent
        let stem = (base as NSString).deletingPathExtension
        return stem.isEmpty ? "manifest" : stem
    }

    /// `output.root` relative to the manifest's folder; `output` in the working directory if unset.
    static func resolveRoot(_ root: String?, manifestFile: String) -> String {
        guard let root else { return "output" }
        if root.hasPrefix("/") { return lexicallyNormalized(root) }
        let folder = (manifestFile as NSString).deletingLastPathComponent
        return lexicallyNormalized(folder.isEmpty ? root : folder + "/" + root)
    }

    /// Removes `.` and resolves `..` against earlier components without touching the disk
    /// (`manifests/../output` → `output`); leading `..` of a relative path stay.
    static func lexicallyNormalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    // MARK: Settings

    private mutating func convertRetry(_ document: ManifestDocument) -> RetryPolicy {
        var retry = RetryPolicy.default
        if let attempts = document.retry.attempts { retry.attempts = attempts.value }
        if let initial = document.retry.initial { retry.initial = duration(initial, "retry.initial") ?? retry.initial }
        if let max = document.retry.max { retry.max = duration(max, "retry.max") ?? retry.max }
        if retry.initial > retry.max, let at = document.retry.initial?.location ?? document.retry.max?.location {
            error("retry.initial (\(DurationText.format(retry.initial))) is longer than retry.max (\(DurationText.format(retry.max)))", at: at)
        }
        return retry
    }

    private mutating func duration(_ text: Located<String>, _ context: String) -> Duration? {
        guard let parsed = DurationText.parse(text.value) else {
            error("\(context) '\(text.value)' is not a duration; write a number with a unit: 500ms, 2s, 2m, 1h", at: text.location)
            return nil
        }
        return parsed
    }

    private func convertPricing(_ document: PricingDocument) -> PriceTable {
        var table = PriceTable.default
        for (kind, price) in document.perKind {
            switch kind {
            case .song: table.song = price.value
            case .instrumental: table.instrumental = price.value
            case .extend: table.extend = price.value
            case .lyrics: table.lyrics = price.value
            case .stems: table.stems = price.value
            case .cover: table.cover = price.value
            case .midi: table.midi = price.value
            }
        }
        for (name, price) in document.models { table.models[name.value] = price.value }
        return table
    }

    // MARK: Output path

    private mutating func convertOutputPath(
        _ written: Located<String>?, jobs: [ConvertedJob], manifestLocation: SourceLocation
    ) -> OutputPathTemplate? {
        let text = written?.value ?? OutputPathTemplate.defaultText
        let location = written?.location ?? manifestLocation
        let template: Template
        do {
            template = try Template(parsing: text)
        } catch {
            self.error("output.path: \(error)", at: location)
            return nil
        }
        let matrixKeys = Set(jobs.flatMap { $0.job.matrix.map(\.key) })
        let known = OutputPathTemplate.builtInFields + matrixKeys.sorted()
        var valid = true
        for field in template.fields where !known.contains(field) {
            error("output.path uses '{\(field)}', which is neither a built-in field (\(OutputPathTemplate.builtInFields.joined(separator: ", "))) nor a matrix key of any job\(Suggestion.hint(for: field, in: known))", at: location)
            valid = false
        }
        if let reason = OutputPathTemplate.escapeProblem(in: template) {
            error("output.path '\(text)' \(reason)", at: location)
            valid = false
        }
        guard valid else { return nil }
        let result = OutputPathTemplate(text: text, template: template, location: written?.location)
        for converted in jobs {
            for (key, values) in converted.matrixLocations where result.uses(field: key) {
                for value in values { checkPathSafe(value.value, "matrix value '\(value.value)' (used in output.path)", at: value.location) }
            }
        }
        return result
    }

    // MARK: Budget

    private mutating func convertBudget(_ document: ManifestDocument) -> Budget? {
        guard let credits = document.budget else { return nil }
        var budget = Budget(maxCredits: credits.value)
        if let written = document.budgetPer {
            if let per = BudgetPeriod(rawValue: written.value) {
                budget.per = per
            } else {
                let known = BudgetPeriod.allCases.map(\.rawValue)
                error("budget.per must be one of \(known.joined(separator: ", ")), found '\(written.value)'\(Suggestion.hint(for: written.value, in: known))", at: written.location)
            }
        }
        if let zone = document.budgetTimeZone {
            if TimeZone(identifier: zone.value) == nil {
                error("budget.timezone '\(zone.value)' is not a time zone name (like UTC or Europe/Berlin)", at: zone.location)
            } else if budget.per == .run {
                warning("budget.timezone has no effect on a budget per run; add per: day, week or month", at: zone.location)
            }
            budget.timeZone = zone.value
        }
        return budget
    }

    // MARK: Tags

    /// `tags:` templates: parsed, with every field one `output.path` knows.
    private mutating func convertTags(_ written: [(key: String, text: Located<String>)], jobs: [ConvertedJob]) -> TagSettings {
        let matrixKeys = Set(jobs.flatMap { $0.job.matrix.map(\.key) })
        let known = OutputPathTemplate.builtInFields + matrixKeys.sorted()
        var settings = TagSettings()
        for (key, text) in written {
            let template: TagTemplate
            do {
                template = try TagTemplate(parsing: text.value)
            } catch {
                self.error("tags.\(key): \(error)", at: text.location)
                continue
            }
            let unknown = template.template.fields.filter { !known.contains($0) }
            for field in unknown {
                error("tags.\(key) uses '{\(field)}', which is neither a built-in field (\(OutputPathTemplate.builtInFields.joined(separator: ", "))) nor a matrix key of any job\(Suggestion.hint(for: field, in: known))", at: text.location)
            }
            guard unknown.isEmpty else { continue }
            switch key {
            case "artist": settings.artist = template
            case "album": settings.album = template
            default: settings.genre = template
            }
        }
        return settings
    }

    /// Names that become folder names must stay one folder inside the output root.
    private mutating func checkPathSafe(_ value: String, _ what: String, at location: SourceLocation) {
        if let reason = PathSafety.problem(inComponent: value) {
            error("\(what) \(reason)", at: location)
        }
    }

    // MARK: Jobs

    struct ConvertedJob {
        var job: Job
        var matrixLocations: [(key: String, values: [Located<String>])]
    }

    private mutating func convertJobs(_ document: ManifestDocument) -> [ConvertedJob] {
        var seen: [String: SourceLocation] = [:]
        var result: [ConvertedJob] = []
        var limit = ExpansionLimit(maxTasks: document.maxTasks?.value ?? ExpansionLimit.defaultMaxTasks)
        for jobDocument in document.jobs {
            guard let name = jobDocument.name else { continue }
            if let first = seen[name.value] {
                error("duplicate job name '\(name.value)' (first used at \(first.line):\(first.column))", at: name.location)
                continue
            }
            seen[name.value] = name.location
            checkPathSafe(name.value, "job name '\(name.value)'", at: name.location)
            // Counted before any combination is built: a typo in a matrix must not eat the machine.
            if let problem = limit.admit(jobDocument, label: "job '\(name.value)'") {
                error(problem, at: jobDocument.matrixLocation ?? jobDocument.location)
                continue
            }
            if let job = convertJob(jobDocument, name: name, defaults: document.defaults) { result.append(job) }
        }
        return result
    }

    private mutating func convertJob(_ document: JobDocument, name: Located<String>, defaults: StepSettings) -> ConvertedJob? {
        let errorsBefore = diagnostics.count
        let label = "job '\(name.value)'"
        let settings = document.settings.inheriting(from: defaults)
        let matrixKeys = document.matrix.map(\.key.value)
        var matrix: [(key: String, values: [String])] = []
        for (key, values) in document.matrix {
            var distinct = Set<String>()
            for value in values where !distinct.insert(value.value).inserted {
                error("\(label) matrix.\(key.value) lists '\(value.value)' twice", at: value.location)
            }
            matrix.append((key.value, values.map(\.value)))
        }
        let combinations = Job(name: name.value, location: document.location, matrix: matrix, variants: 1, extend: []).combinations

        func template(_ text: Located<String>?, _ field: String, limit: Int? = nil) -> Template? {
            guard let text else { return nil }
            return self.template(text, "\(label) \(field)", matrixKeys: matrixKeys, combinations: combinations, limit: limit)
        }

        if document.song != nil, document.instrumental != nil {
            error("\(label) has both song and instrumental; a job makes one of them (split it into two jobs)", at: document.location)
        }
        var main: MainStep?
        var locations = Job.Locations()
        locations.lyrics = document.lyrics?.location
        locations.extend = document.extendLocation
        if let song = document.song {
            let model = song.model ?? settings.model
            locations.model = model?.location
            locations.voiceID = (song.voiceID ?? settings.voiceID)?.location
            locations.main = song.location
            let lyrics = template(song.lyrics, "song.lyrics", limit: FieldLimits.lyricsCharacters)
            if let prompt = template(song.prompt, "song.prompt", limit: nil) {
                warnLongPrompt(song.prompt, label, combinations: combinations, template: prompt)
                main = .song(SongStep(
                    prompt: prompt,
                    lyrics: lyrics.flatMap { $0.isEmpty ? nil : $0 },
                    model: model?.value ?? ModelCatalogue.defaultSongModel,
                    modelDefaulted: model == nil,
                    voiceID: (song.voiceID ?? settings.voiceID)?.value
                ))
            }
        } else if let instrumental = document.instrumental {
            let model = instrumental.model ?? settings.instrumentalModel
            locations.model = model?.location
            locations.main = instrumental.location
            if let prompt = template(instrumental.prompt, "instrumental.prompt") {
                warnLongPrompt(instrumental.prompt, label, combinations: combinations, template: prompt)
                if let tonality = instrumental.tonality, !InstrumentalStep.tonalities.contains(tonality.value) {
                    error("\(label) instrumental.tonality '\(tonality.value)' is not a key like C:major or A:minor\(Suggestion.hint(for: tonality.value, in: InstrumentalStep.tonalities))", at: tonality.location)
                }
                if let chords = instrumental.chords, chords.value.count > InstrumentalStep.chordsCharacters {
                    error("\(label) instrumental.chords is \(chords.value.count) characters long; the limit is \(InstrumentalStep.chordsCharacters)", at: chords.location)
                }
                locations.parameters = instrumental.tonality?.location ?? instrumental.bpm?.location ?? instrumental.chords?.location
                main = .instrumental(InstrumentalStep(
                    prompt: prompt, model: model?.value ?? ModelCatalogue.defaultInstrumentalModel,
                    tonality: instrumental.tonality?.value, bpm: instrumental.bpm?.value, chords: instrumental.chords?.value
                ))
            }
        }

        var lyrics: LyricsStep?
        if let step = document.lyrics {
            if document.song == nil {
                let reason = document.instrumental != nil ? "an instrumental has no lyrics" : "add a song for them to feed"
                error("\(label) generates lyrics but has no song to feed them to; \(reason)", at: step.location)
            } else if let written = document.song?.lyrics, !written.value.trimmingWhitespace.isEmpty {
                error("\(label) both writes song.lyrics and generates lyrics; keep one of them", at: step.location)
            }
            if let prompt = template(step.prompt, "lyrics.prompt") {
                lyrics = LyricsStep(prompt: prompt, songModel: (step.model ?? settings.lyricsModel)?.value)
            }
        }

        var extend: [ExtendStep] = []
        if let steps = document.extend {
            if document.song == nil && document.instrumental == nil, let at = document.extendLocation {
                error("\(label) extends, but has no song or instrumental to extend", at: at)
            }
            for step in steps {
                if document.instrumental != nil, let lyricsText = step.lyrics {
                    error("\(label) extend of an instrumental cannot take lyrics", at: lyricsText.location)
                }
                guard let start = step.startTime else { continue }
                extend.append(ExtendStep(startTime: start.value, lyrics: template(step.lyrics, "extend lyrics", limit: FieldLimits.lyricsCharacters)))
            }
        }

        let makesAudio = document.song != nil || document.instrumental != nil
        var cover: CoverStep?
        if let step = document.cover {
            locations.cover = step.location
            if step.url != nil {
                if makesAudio || document.lyrics != nil {
                    error("\(label) makes its own audio, so cover.url would cover an unrelated file; leave out url to cover the job's song", at: step.location)
                }
            } else if document.instrumental != nil {
                error("\(label) covers an instrumental, but the platform covers songs only (no instrumental cover)", at: step.location)
            } else if document.song == nil {
                error("\(label) has a cover but no song to cover; add a song, or cover an outside file with cover.url", at: step.location)
            }
            let model = step.model
            if let model, !ModelCatalogue.coverModels.contains(model.value) {
                warning("\(label) cover.model '\(model.value)' is not known to cover (\(ModelCatalogue.coverModels.joined(separator: ", "))); it is sent as written", at: model.location)
            }
            let url = template(step.url, "cover.url")
            if let url, let written = step.url { checkURL(url, combinations: combinations, "\(label) cover.url", at: written.location) }
            if let prompt = template(step.prompt, "cover.prompt") {
                warnLongPrompt(step.prompt, label, combinations: combinations, template: prompt)
                let lyrics = template(step.lyrics, "cover.lyrics", limit: FieldLimits.lyricsCharacters)
                cover = CoverStep(prompt: prompt, lyrics: lyrics.flatMap { $0.isEmpty ? nil : $0 },
                                  model: model?.value ?? ModelCatalogue.defaultCoverModel, url: url)
            }
        }
        let hasAudio = makesAudio || document.cover != nil
        if let midi = document.midi, midi.value {
            locations.midi = midi.location
            if !hasAudio {
                error("\(label) asks for midi: true but makes no audio to transcribe; give it a song, instrumental or cover", at: midi.location)
            }
        }

        var stems: StemsStep?
        let stemsAt = document.stemsLocation ?? document.location
        switch document.stems {
        case .enabled(true)?:
            locations.stems = stemsAt
            if !hasAudio {
                error("\(label) asks for stems: true but makes no audio to split; give it a song, instrumental or cover, or split a file with stems: {url: ...}", at: stemsAt)
            }
            stems = .chain
        case .url(let url)?:
            locations.stems = stemsAt
            if hasAudio {
                error("\(label) makes its own audio, so stems: {url} would split an unrelated file; use stems: true to split the job's audio", at: stemsAt)
            }
            if let parsed = template(url, "stems.url") {
                checkURL(parsed, combinations: combinations, "\(label) stems.url", at: url.location)
                stems = .url(parsed)
            }
        case .enabled(false)?, nil:
            break
        }

        if !hasAudio && document.lyrics == nil && document.stems == nil {
            error("\(label) has nothing to make; give it a song, instrumental, cover or stems", at: document.location)
        }
        if let callback = settings.callbackURL {
            checkURL(Template(literal: callback.value), combinations: [[]], "callback_url", at: callback.location)
        }
        guard diagnostics[errorsBefore...].allSatisfy({ $0.severity != .error }) else { return nil }
        let job = Job(
            name: name.value, location: document.location, matrix: matrix,
            variants: document.variants?.value ?? 1, lyrics: lyrics, main: main, extend: extend, cover: cover, stems: stems,
            midi: document.midi?.value ?? false, callbackURL: settings.callbackURL?.value, locations: locations
        )
        return ConvertedJob(job: job, matrixLocations: document.matrix.map { ($0.key.value, $0.values) })
    }

    /// Parses a `{placeholder}` template, checks every field against the job's matrix keys, and
    /// checks the longest rendering against `limit`.
    private mutating func template(
        _ text: Located<String>, _ context: String, matrixKeys: [String],
        combinations: [[(key: String, value: String)]], limit: Int?
    ) -> Template? {
        let template: Template
        do {
            template = try Template(parsing: text.value)
        } catch {
            self.error("\(context): \(error)", at: text.location)
            return nil
        }
        var valid = true
        for field in template.fields where !matrixKeys.contains(field) {
            let keys = matrixKeys.isEmpty ? "the job has no matrix" : "its matrix keys are \(matrixKeys.joined(separator: ", "))"
            error("\(context) uses '{\(field)}', but no matrix key fills it (\(keys))\(Suggestion.hint(for: field, in: matrixKeys))", at: text.location)
            valid = false
        }
        guard valid else { return nil }
        if let limit {
            for combination in combinations {
                let rendered = TextNormalizer.normalize(template.render { field in combination.first { $0.key == field }?.value })
                if rendered.count > limit {
                    error("\(context) is \(rendered.count) characters long; the limit is \(limit)", at: text.location)
                    return nil
                }
            }
        }
        return template
    }

    private mutating func warnLongPrompt(
        _ text: Located<String>?, _ label: String, combinations: [[(key: String, value: String)]], template: Template
    ) {
        guard let text else { return }
        let longest = combinations.map { combination in
            TextNormalizer.normalize(template.render { field in combination.first { $0.key == field }?.value }).count
        }.max() ?? 0
        if longest > FieldLimits.promptCharacters {
            warning("\(label) prompt is \(longest) characters long; clients cap prompts at \(FieldLimits.promptCharacters) and the provider may reject it", at: text.location)
        }
    }

    /// Checks that a URL template renders to an absolute http(s) URL for every combination.
    private mutating func checkURL(
        _ template: Template, combinations: [[(key: String, value: String)]], _ context: String, at location: SourceLocation
    ) {
        for combination in combinations {
            let rendered = template.render { field in combination.first { $0.key == field }?.value }
            if let problem = URLCheck.problem(in: rendered) {
                error("\(context) '\(URLCheck.redacted(rendered))' \(problem)", at: location)
                return
            }
        }
    }
}
