/// Expands a manifest into its ``TaskGraph``: job × matrix combination × variant, each a chain
/// lyrics? → song | instrumental → extend₁…ₙ → cover? → midi? and stems? (both of the last audio). Reports what only the expansion can
/// see: two chains filed into one folder, and two jobs asking for exactly the same work.
public enum GraphBuilder {
    public static func expand(_ manifest: Manifest, provider: Provider? = nil) -> (graph: TaskGraph, diagnostics: [Diagnostic]) {
        var builder = Builder(manifest: manifest, provider: provider ?? manifest.provider)
        for job in manifest.jobs { builder.expand(job) }
        return (builder.finish(), builder.diagnostics)
    }

    private struct Builder {
        let manifest: Manifest
        let provider: Provider
        var tasks: [GraphTask] = []
        var known: [TaskKey: (job: String, index: Int)] = [:]
        var folderOwners: [String: String] = [:]
        var lyricsFolders: [TaskKey: [String]] = [:]
        var diagnostics: [Diagnostic] = []

        init(manifest: Manifest, provider: Provider) {
            self.manifest = manifest
            self.provider = provider
        }

        mutating func expand(_ job: Job) {
            for combination in job.combinations {
                let fill: (String) -> String? = { field in combination.first { $0.key == field }?.value }
                let matrix = combination.map { MatrixValue(key: $0.key, value: $0.value) }
                let chainLabel = label(job: job.name, combination: matrix)
                var lyricsKey: TaskKey?
                if let step = job.lyrics {
                    let request = TaskRequest(
                        provider: provider, kind: .lyrics, model: step.songModel,
                        prompt: TextNormalizer.normalize(step.prompt.render(fill))
                    )
                    lyricsKey = TaskKey(request: request, parents: [])
                    if let lyricsKey, known[lyricsKey] == nil {
                        add(GraphTask(key: lyricsKey, request: request, job: job.name, combination: [], variant: nil,
                                      parents: [], output: "", folders: [], fileStem: "lyrics", callbackURL: job.callbackURL))
                    }
                }
                for variant in 1...job.variants {
                    let folder = manifest.output.path.render(
                        manifest: manifest.name, job: job.name, variant: variant, combination: combination
                    )
                    let chain = job.variants > 1 ? "\(chainLabel), variant \(variant)" : chainLabel
                    guard claim(folder: folder, for: chain, job: job) else { continue }
                    if let lyricsKey { lyricsFolders[lyricsKey, default: []].append(folder) }
                    expandChain(job, variant: variant, fill: fill, matrix: matrix, folder: folder, lyricsKey: lyricsKey, chain: chain)
                }
            }
        }

        private mutating func expandChain(
            _ job: Job, variant: Int, fill: (String) -> String?, matrix: [MatrixValue], folder: String,
            lyricsKey: TaskKey?, chain: String
        ) {
            func task(_ request: TaskRequest, parents: [TaskKey], stem: String) -> GraphTask {
                GraphTask(key: TaskKey(request: request, parents: parents), request: request, job: job.name,
                          combination: matrix, variant: variant, parents: parents, output: folder, folders: [folder],
                          fileStem: stem, callbackURL: job.callbackURL)
            }
            var last: GraphTask?
            switch job.main {
            case .song(let song)?:
                let lyrics = song.lyrics.map { TextNormalizer.normalize($0.render(fill)) }
                var request = TaskRequest(
                    provider: provider, kind: .song, model: song.model, prompt: TextNormalizer.normalize(song.prompt.render(fill)),
                    lyrics: lyrics, lyricsFromParent: lyricsKey != nil, voiceID: song.voiceID, variant: variant
                )
                request.modelDefaulted = song.modelDefaulted
                last = task(request, parents: lyricsKey.map { [$0] } ?? [], stem: "song")
            case .instrumental(let step)?:
                var request = TaskRequest(
                    provider: provider, kind: .instrumental, model: step.model,
                    prompt: TextNormalizer.normalize(step.prompt.render(fill)), variant: variant
                )
                request.tonality = step.tonality
                request.bpm = step.bpm
                request.chords = step.chords
                last = task(request, parents: [], stem: "instrumental")
            case nil:
                break
            }
            if let main = last {
                guard addUnique(main, chain: chain, job: job) else { return }
                for (offset, step) in job.extend.enumerated() {
                    guard let parent = last else { break }
                    var request = TaskRequest(
                        provider: provider, kind: .extend, model: parent.request.model,
                        lyrics: step.lyrics.map { TextNormalizer.normalize($0.render(fill)) }, startTime: step.startTime
                    )
                    request.modelDefaulted = parent.request.modelDefaulted
                    let extend = task(request, parents: [parent.key], stem: "extend-\(offset + 1)")
                    add(extend)
                    last = extend
                }
            }
            if let step = job.cover {
                var request = TaskRequest(
                    provider: provider, kind: .cover, model: step.model, prompt: TextNormalizer.normalize(step.prompt.render(fill)),
                    lyrics: step.lyrics.map { TextNormalizer.normalize($0.render(fill)) }
                )
                if let url = step.url {
                    // An outside file: an independent paid generation, like a song.
                    request.sourceURL = url.render(fill)
                    request.variant = variant
                    let cover = task(request, parents: [], stem: "cover")
                    guard addUnique(cover, chain: chain, job: job) else { return }
                    last = cover
                } else if let parent = last {
                    let cover = task(request, parents: [parent.key], stem: "cover")
                    add(cover)
                    last = cover
                }
            }
            if job.midi, let parent = last {
                add(task(TaskRequest(provider: provider, kind: .midi), parents: [parent.key], stem: "midi"))
            }
            switch job.stems {
            case .chain?:
                guard let parent = last else { return }
                add(task(TaskRequest(provider: provider, kind: .stems), parents: [parent.key], stem: "stems"))
            case .url(let url)?:
                let request = TaskRequest(provider: provider, kind: .stems, sourceURL: url.render(fill), variant: variant)
                _ = addUnique(task(request, parents: [], stem: "stems"), chain: chain, job: job)
            case nil:
                break
            }
        }

        /// Records that `folder` holds `chain`; reports a collision with an earlier chain.
        private mutating func claim(folder: String, for chain: String, job: Job) -> Bool {
            if let owner = folderOwners[folder] {
                let at = manifest.output.path.location ?? job.location
                diagnostics.append(Diagnostic(.error, at: at, "output.path '\(manifest.output.path.text)' files both \(owner) and \(chain) into '\(folder)'; add {variant}, {combo} or a matrix key to it"))
                return false
            }
            folderOwners[folder] = chain
            return true
        }

        /// Adds the first task of a chain; a second job asking for exactly the same work is an error.
        private mutating func addUnique(_ task: GraphTask, chain: String, job: Job) -> Bool {
            if let existing = known[task.key] {
                diagnostics.append(Diagnostic(.error, at: job.location, "\(chain) asks for exactly the same \(task.kind.rawValue) as job '\(existing.job)' (same task key \(task.key.short)); change its prompt or use variants"))
                return false
            }
            add(task)
            return true
        }

        private mutating func add(_ task: GraphTask) {
            known[task.key] = (task.job, tasks.count)
            tasks.append(task)
        }

        private func label(job: String, combination: [MatrixValue]) -> String {
            combination.isEmpty ? "job '\(job)'" : "job '\(job)' (\(combination.map(\.value).joined(separator: ", ")))"
        }

        /// Files each shared lyrics task into the longest folder common to the songs it feeds.
        mutating func finish() -> TaskGraph {
            let filed = tasks.map { task -> GraphTask in
                guard task.kind == .lyrics else { return task }
                let folders = lyricsFolders[task.key] ?? []
                return GraphTask(key: task.key, request: task.request, job: task.job, combination: task.combination,
                                 variant: nil, parents: [], output: Self.commonFolder(folders), folders: folders,
                                 fileStem: task.fileStem, callbackURL: task.callbackURL)
            }
            return TaskGraph(tasks: filed.filter { $0.kind != .lyrics || !$0.folders.isEmpty })
        }

        static func commonFolder(_ folders: [String]) -> String {
            guard var prefix = folders.first?.split(separator: "/") else { return "" }
            for folder in folders.dropFirst() {
                let parts = folder.split(separator: "/")
                prefix = Array(zip(prefix, parts).prefix { $0 == $1 }.map(\.0))
            }
            return prefix.joined(separator: "/")
        }
    }
}
