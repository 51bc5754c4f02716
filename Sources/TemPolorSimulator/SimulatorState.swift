import Crypto
import Foundation

/// All mutable state of one simulator: items, balance, counters and fault decisions. Every
/// create, query and download goes through this actor, so the bookkeeping that proves "nothing
/// was paid for twice" is exact.
actor SimulatorState {
    let configuration: SimulatorConfiguration
    let clock: any SimulatorClock
    private var items: [String: SimulatedItem] = [:]
    private var order: [String] = []
    private var spent = 0.0
    private(set) var stats = SimulatorStats()
    private var idRandom: SplitMix64
    private var outcomeRandom: SplitMix64
    private var callsPerPath: [String: UInt64] = [:]
    private var downloadCalls: UInt64 = 0
    private var scriptedFaults: [String: [CallFault]] = [:]
    private var scriptedDownloadFaults: [DownloadFault] = []
    private var scriptedOutcomes: [OutcomeFault?] = []
    private var profile: FaultProfile
    private var callbacks: [String: CallbackProgress] = [:]
    private let signingKey: SymmetricKey

    init(configuration: SimulatorConfiguration, clock: any SimulatorClock) {
        self.configuration = configuration
        self.clock = clock
        profile = configuration.faults
        idRandom = SplitMix64(seed: configuration.seed ^ SplitMix64.hash("ids"))
        outcomeRandom = SplitMix64(seed: configuration.seed ^ SplitMix64.hash("outcomes"))
        signingKey = SymmetricKey(data: SHA256.hash(data: Data("tempo-sim-\(configuration.seed)-\(UUID().uuidString)".utf8)))
        if let file = configuration.stateFile, let data = try? Data(contentsOf: file),
           let saved = try? JSONDecoder().decode(SavedState.self, from: data) {
            for item in saved.items { items[item.id] = item }
            order = saved.items.map(\.id)
            spent = saved.spent
            idRandom = SplitMix64(seed: saved.idSeed)
        }
    }

    /// What ``SimulatorConfiguration/stateFile`` holds.
    private struct SavedState: Codable {
        var items: [SimulatedItem]
        var spent: Double
        var idSeed: UInt64
    }

    private func save() {
        guard let file = configuration.stateFile else { return }
        var seedSource = idRandom
        let state = SavedState(items: order.compactMap { items[$0] }, spent: spent, idSeed: seedSource.next())
        guard let data = try? JSONEncoder().encode(state) else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }

    // MARK: Faults

    func count(path: String) { stats.requests[path, default: 0] += 1 }

    /// The fault for this call of `path`: a scripted one first, else the profile's draw.
    func decideFault(path: String) -> CallFault? {
        let call = callsPerPath[path, default: 0]
        callsPerPath[path] = call + 1
        if var queue = scriptedFaults[path] ?? scriptedFaults["*"], !queue.isEmpty {
            let fault = queue.removeFirst()
            if scriptedFaults[path] != nil { scriptedFaults[path] = queue } else { scriptedFaults["*"] = queue }
            return record(fault)
        }
        guard let rule = profile.rules.first(where: { $0.matches(path) }) else { return nil }
        var random = SplitMix64(seed: configuration.seed ^ SplitMix64.hash(path) ^ (call &* 0x2545_F491_4F6C_DD1D))
        let isCreate = SimulatorRoutes.createPaths.contains(path)
        guard let fault = FaultProfile.pick(rule.faults, random.unit(), allowed: { $0 != .lostAnswer || isCreate }) else { return nil }
        return record(fault)
    }

    func decideDownloadFault() -> DownloadFault? {
        downloadCalls += 1
        if !scriptedDownloadFaults.isEmpty { return recordDownload(scriptedDownloadFaults.removeFirst()) }
        var random = SplitMix64(seed: configuration.seed ^ SplitMix64.hash("/files") ^ (downloadCalls &* 0x2545_F491_4F6C_DD1D))
        return FaultProfile.pick(profile.downloads, random.unit()).map(recordDownload)
    }

    private func record(_ fault: CallFault) -> CallFault {
        stats.faultsInjected[fault.rawValue, default: 0] += 1
        return fault
    }

    private func recordDownload(_ fault: DownloadFault) -> DownloadFault {
        stats.faultsInjected["download_" + fault.rawValue, default: 0] += 1
        return fault
    }

    var faultProfile: FaultProfile { profile }

    func setProfile(_ profile: FaultProfile) { self.profile = profile }

    func script(_ fault: CallFault, path: String, times: Int) {
        scriptedFaults[path, default: []].append(contentsOf: Array(repeating: fault, count: times))
    }

    func script(download fault: DownloadFault, times: Int) {
        scriptedDownloadFaults.append(contentsOf: Array(repeating: fault, count: times))
    }

    /// The next created tasks end this way (nil: normally), in order.
    func script(outcomes: [OutcomeFault?]) { scriptedOutcomes.append(contentsOf: outcomes) }

    /// Forgets every scripted fault and outcome not used yet.
    func clearScripts() {
        scriptedFaults.removeAll()
        scriptedDownloadFaults.removeAll()
        scriptedOutcomes.removeAll()
    }

    func noteLostAnswer() { stats.lostAnswerCreates += 1 }

    // MARK: Money and limits

    var balance: Double {
        let now = clock.now()
        let refunded = items.values.reduce(0.0) { sum, item in
            item.outcome == .failed && item.snapshot(at: now).status == .failed ? sum + item.cost : sum
        }
        return configuration.initialBalance - spent + refunded
    }

    private func admit(price: Double) throws(BusinessError) {
        let now = clock.now()
        let unfinished = items.values.lazy.filter { !$0.snapshot(at: now).isFinal }.count
        if unfinished >= configuration.parallelLimit {
            throw BusinessError(.parallelLimit, "parallel task limit of \(configuration.parallelLimit) reached")
        }
        if price > balance {
            throw BusinessError(.insufficientBalance, "insufficient balance: \(balance) left, \(price) needed")
        }
    }

    private func checkContent(_ texts: String?...) throws(BusinessError) {
        for text in texts.compactMap({ $0?.lowercased() }) {
            if let word = configuration.bannedWords.first(where: { text.contains($0.lowercased()) }) {
                throw BusinessError(.contentViolation, "content violation: '\(word)' is not allowed")
            }
        }
    }

    // MARK: Creates

    func createSong(_ request: SongGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        guard let model = request.model, !model.isEmpty else { throw BusinessError(.badParameter, "model is required") }
        if configuration.instrumentalModels[model] != nil {
            throw BusinessError(.unsupportedByModel, "model \(model) cannot generate songs")
        }
        guard configuration.songModels.contains(model) else { throw BusinessError(.badParameter, "unknown model: \(model)") }
        try checkLyricsLength(request.lyrics)
        try checkContent(prompt, request.lyrics)
        let written = request.lyrics?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let instrumental = request.instrumental ?? false
        var price = configuration.prices.models[model] ?? configuration.prices.song
        if written.isEmpty && !instrumental { price += configuration.prices.lyrics }
        try admit(price: price)
        let lyrics = instrumental ? "" : (written.isEmpty ? TextGenerator.lyrics(for: prompt, seed: configuration.seed) : written)
        let duration = configuration.fixedDuration ?? TextGenerator.songDuration(lyrics: lyrics)
        let item = makeItem(kind: .song, model: model, prompt: prompt, lyrics: lyrics,
                            sections: LyricsTiming.sections(for: lyrics, duration: duration), duration: duration,
                            callback: callback, cost: price, mainAfter: configuration.schedule.main)
        return [accept(item, as: "song")]
    }

    func createInstrumental(_ request: InstrumentalGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        guard let model = request.model, !model.isEmpty else { throw BusinessError(.badParameter, "model is required") }
        guard let cap = configuration.instrumentalModels[model] else {
            if configuration.songModels.contains(model) {
                throw BusinessError(.unsupportedByModel, "model \(model) cannot generate instrumentals")
            }
            throw BusinessError(.badParameter, "unknown model: \(model)")
        }
        try checkContent(prompt)
        let price = configuration.prices.models[model] ?? configuration.prices.instrumental
        try admit(price: price)
        let duration = configuration.fixedDuration ?? TextGenerator.instrumentalDuration(prompt: prompt, cap: cap)
        let item = makeItem(kind: .instrumental, model: model, prompt: prompt, lyrics: "", sections: [], duration: duration,
                            callback: callback, cost: price, mainAfter: configuration.schedule.main)
        return [accept(item, as: "instrumental")]
    }

    func createExtend(_ request: ExtendRequest, kind: ItemKind) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        guard let parentID = request.item_id, !parentID.isEmpty else { throw BusinessError(.badParameter, "item_id is required") }
        guard let start = request.start_time else { throw BusinessError(.badParameter, "start_time is required") }
        guard (10...600).contains(start) else { throw BusinessError(.badParameter, "start_time must be between 10 and 600") }
        try checkLyricsLength(request.lyrics)
        try checkContent(request.lyrics)
        guard let parent = items[parentID], parent.kind == kind else {
            throw BusinessError(.itemNotFound, "item \(parentID) does not exist")
        }
        let state = parent.snapshot(at: clock.now()).status
        guard state == .succeeded || state == .partFailed else {
            throw BusinessError(.abnormalState, "item \(parentID) is \(state.rawValue); only finished works can be extended")
        }
        guard Int(start) < parent.duration else {
            throw BusinessError(.cannotExtend, "work \(parentID) is \(parent.duration) s long and cannot be extended from \(Int(start)) s")
        }
        let price = configuration.prices.extend
        try admit(price: price)
        let startTime = Int(start)
        let added = (request.lyrics ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let addedSeconds = kind == .song && !added.isEmpty ? TextGenerator.songDuration(lyrics: added) : 30
        let duration = configuration.fixedDuration.map { max($0, startTime + 10) } ?? startTime + addedSeconds
        let kept = parent.sections.filter { $0.end <= Double(startTime) }
        let newSections = kind == .song ? LyricsTiming.sections(for: added, duration: duration, startingAt: Double(startTime) + 0.5) : []
        var sections = kept
        for var section in newSections {
            if section.text.hasPrefix("["), !sections.isEmpty { section.text = "\n" + section.text }
            sections.append(section)
        }
        let lyrics = (kept.map { $0.text.trimmingCharacters(in: .newlines) } + (added.isEmpty ? [] : [added])).joined(separator: "\n")
        let item = makeItem(kind: kind, model: parent.model, prompt: parent.prompt, lyrics: lyrics, sections: sections,
                            duration: duration, callback: callback, cost: price, mainAfter: configuration.schedule.main,
                            parentID: parentID, startTime: startTime)
        return [accept(item, as: "extend")]
    }

    func createLyrics(_ request: LyricsGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        if let model = request.song_model, !model.isEmpty, !configuration.songModels.contains(model) {
            throw BusinessError(.badParameter, "unknown song_model: \(model)")
        }
        try checkContent(prompt)
        try admit(price: configuration.prices.lyrics)
        let lyrics = TextGenerator.lyrics(for: prompt, seed: configuration.seed)
        let item = makeItem(kind: .lyrics, model: request.song_model ?? "", prompt: prompt, lyrics: lyrics, sections: [],
                            duration: 0, callback: callback, cost: configuration.prices.lyrics, mainAfter: configuration.schedule.lyrics)
        return [accept(item, as: "lyrics")]
    }

    func createStems(_ request: StemsRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        guard let text = request.url, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw BusinessError(.badParameter, "url must be a publicly fetchable http(s) audio URL") }
        try admit(price: configuration.prices.stems)
        // Never fetched: a URL of our own files tells the length, anything else counts as 60 s.
        let parts = url.path.split(separator: "/")
        let source = parts.count >= 3 && parts[0] == "files" ? items[String(parts[1])] : nil
        let duration = source?.duration ?? configuration.fixedDuration ?? 60
        let name = source?.title ?? url.deletingPathExtension().lastPathComponent
        let item = makeItem(kind: .stems, model: "", prompt: StemsArchive.safeName(name), lyrics: "", sections: [],
                            duration: duration, callback: callback, cost: configuration.prices.stems,
                            mainAfter: configuration.schedule.stems, sourceURL: text)
        return [accept(item, as: "stems")]
    }

    private func requireCallback(_ value: String?) throws(BusinessError) -> String {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BusinessError(.badParameter, "callback_url is required")
        }
        return value
    }

    private func requirePrompt(_ value: String?) throws(BusinessError) -> String {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw BusinessError(.badParameter, "prompt is required")
        }
        guard value.count <= 2000 else { throw BusinessError(.badParameter, "prompt is longer than 2000 characters") }
        return value
    }

    private func checkLyricsLength(_ lyrics: String?) throws(BusinessError) {
        if let lyrics, lyrics.count > 3000 {
            throw BusinessError(.badParameter, "lyrics are \(lyrics.count) characters long; the limit is 3000")
        }
    }

    private func makeItem(
        kind: ItemKind, model: String, prompt: String, lyrics: String, sections: [LyricsSection], duration: Int,
        callback: String, cost: Double, mainAfter: TimeInterval, parentID: String? = nil, startTime: Int? = nil,
        sourceURL: String? = nil
    ) -> SimulatedItem {
        var id: String
        repeat {
            id = kind.idPrefix + String(idRandom.next(), radix: 16)
        } while items[id] != nil
        let main = configuration.scaled(mainAfter)
        return SimulatedItem(
            id: id, kind: kind, model: model, prompt: prompt, lyrics: lyrics, sections: sections,
            title: kind == .stems ? prompt : TextGenerator.title(for: kind == .lyrics ? "Song of " + prompt : prompt),
            style: TextGenerator.style(for: prompt), duration: duration, createdAt: clock.now(), outcome: nextOutcome(),
            callbackURL: callback, cost: cost, parentID: parentID, startTime: startTime, sourceURL: sourceURL,
            mainAfter: main, audioHiAfter: main + configuration.scaled(configuration.schedule.audioHi),
            sectionsAfter: main + configuration.scaled(configuration.schedule.lyricsSections)
        )
    }

    private func nextOutcome() -> Outcome {
        let fault: OutcomeFault? = scriptedOutcomes.isEmpty ? FaultProfile.pick(profile.outcomes, outcomeRandom.unit()) : scriptedOutcomes.removeFirst()
        switch fault {
        case .partFailed?: stats.faultsInjected["outcome_part_failed", default: 0] += 1; return .partFailed
        case .failed?: stats.faultsInjected["outcome_failed", default: 0] += 1; return .failed
        case nil: return .succeeded
        }
    }

    private func accept(_ item: SimulatedItem, as kind: String) -> String {
        items[item.id] = item
        order.append(item.id)
        spent += item.cost
        stats.acceptedCreatesTotal += 1
        stats.acceptedCreates[kind, default: 0] += 1
        if CallbackTarget.isLoopback(item.callbackURL) { callbacks[item.id] = CallbackProgress() }
        save()
        return item.id
    }

    // MARK: Queries

    func items(_ request: QueryRequest, kind: ItemKind) throws(BusinessError) -> [SimulatedItem] {
        stats.queryCalls += 1
        guard let ids = request.item_ids, !ids.isEmpty else { throw BusinessError(.badParameter, "item_ids is required") }
        stats.queryItemIDsMax = max(stats.queryItemIDsMax, ids.count)
        guard ids.count <= 10 else { throw BusinessError(.badParameter, "at most 10 item_ids per query, got \(ids.count)") }
        return try ids.map { id throws(BusinessError) in
            guard let item = items[id], item.kind == kind else { throw BusinessError(.itemNotFound, "item \(id) does not exist") }
            return item
        }
    }

    func item(_ id: String) -> SimulatedItem? { items[id] }

    func noteDownload() { stats.downloads += 1 }

    func currentStats() -> SimulatorStats {
        var copy = stats
        copy.balance = balance
        return copy
    }

    // MARK: Signed URLs

    /// `http://host/files/<id>/<name>?expires=<unix>&signature=<hex>`, valid for the configured lifetime.
    func signedURL(base: String, itemID: String, file: String) -> String {
        let expires = Int(clock.now().timeIntervalSince1970 + configuration.urlLifetime)
        let path = "/files/\(itemID)/\(file)"
        return "\(base)\(path)?expires=\(expires)&signature=\(signature(path: path, expires: expires))"
    }

    enum URLCheck { case valid, expired, invalid }

    func check(path: String, expires: String?, signature given: String?) -> URLCheck {
        guard let expires, let seconds = Int(expires), let given, given == signature(path: path, expires: seconds) else { return .invalid }
        return Double(seconds) < clock.now().timeIntervalSince1970 ? .expired : .valid
    }

    private func signature(path: String, expires: Int) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(path)\n\(expires)".utf8), using: signingKey)
        return code.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Callbacks

    struct CallbackProgress {
        var delivered: Set<String> = []
        var attempts: [String: Int] = [:]
        var notBefore: [String: Date] = [:]
        var inFlight: Set<String> = []
    }

    struct DueCallback: Sendable {
        let itemID: String
        let event: String
        let url: String
        let item: SimulatedItem
    }

    /// Callbacks whose event has happened and whose next attempt is due. Events of one item go
    /// out one at a time, in order (`audio_complete` before `wav_complete` and
    /// `lrcsections_complete`); an event whose attempts ran out is given up.
    func dueCallbacks() -> [DueCallback] {
        let now = clock.now()
        var due: [DueCallback] = []
        for (id, progress) in callbacks where progress.inFlight.isEmpty {
            guard let item = items[id] else { continue }
            let pending = item.events(at: now).first { event in
                !progress.delivered.contains(event) && progress.attempts[event, default: 0] < configuration.schedule.callbackAttempts
            }
            guard let event = pending else { continue }
            if let notBefore = progress.notBefore[event], notBefore > now { continue }
            callbacks[id]?.inFlight.insert(event)
            due.append(DueCallback(itemID: id, event: event, url: item.callbackURL, item: item))
        }
        return due
    }

    func callbackFinished(_ callback: DueCallback, delivered: Bool) {
        stats.callbackAttempts += 1
        guard var progress = callbacks[callback.itemID] else { return }
        progress.inFlight.remove(callback.event)
        let attempts = progress.attempts[callback.event, default: 0] + 1
        progress.attempts[callback.event] = attempts
        if delivered {
            progress.delivered.insert(callback.event)
            stats.callbacksDelivered += 1
        } else {
            let backoff = configuration.scaled(configuration.schedule.callbackRetry) * Double(1 << min(attempts - 1, 4))
            progress.notBefore[callback.event] = clock.now() + backoff
        }
        callbacks[callback.itemID] = progress
    }
}

/// Callback targets the simulator is allowed to call: loopback only, whatever it is told.
enum CallbackTarget {
    static func isLoopback(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased()
        else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
