import Foundation

/// All mutable state of one simulator, shared by both surfaces: items, balance, counters,
/// fault decisions and callbacks. Every create, query and download goes through this actor, so
/// the bookkeeping that proves "nothing was paid for twice" is exact.
actor SimulatorState {
    let configuration: SimulatorConfiguration
    let clock: any SimulatorClock
    // Stored state is internal so the extensions of each concern (and surface) can read it;
    // it is only ever changed through the actor's methods.
    var items: [String: SimulatedItem] = [:]
    /// Item ids in creation order.
    var order: [String] = []
    var spent = 0.0
    var stats = SimulatorStats()
    var idRandom: SplitMix64
    var faults: FaultBook
    var callbacks = CallbackBook()
    /// Items a client asked the scheduler listing to stop showing (they keep running).
    var untracked: Set<String> = []
    /// Items an Open API query has shown final (see ``noteNoticed(_:)``).
    var noticed: Set<String> = []
    /// Per credential, when queries showed its items final, not yet matched by a create.
    var freedSlots: [String: [Date]] = [:]
    let signer: URLSigner

    init(configuration: SimulatorConfiguration, clock: any SimulatorClock, createPaths: Set<String> = TemPolorSimulator.createPaths) {
        self.configuration = configuration
        self.clock = clock
        faults = FaultBook(seed: configuration.seed, profile: configuration.faults, createPaths: createPaths)
        idRandom = SplitMix64(seed: configuration.seed ^ SplitMix64.hash("ids"))
        signer = URLSigner(seed: configuration.seed)
        if let file = configuration.stateFile, let data = try? Data(contentsOf: file),
           let saved = try? JSONDecoder().decode(SavedState.self, from: data) {
            for item in saved.items { items[item.id] = item }
            order = saved.items.map(\.id)
            spent = saved.spent
            idRandom = SplitMix64(seed: saved.idSeed)
            untracked = Set(saved.untracked ?? [])
        }
    }

    /// What ``SimulatorConfiguration/stateFile`` holds.
    private struct SavedState: Codable {
        var items: [SimulatedItem]
        var spent: Double
        var idSeed: UInt64
        var untracked: [String]?
    }

    func save() {
        guard let file = configuration.stateFile else { return }
        var seedSource = idRandom
        let state = SavedState(items: order.compactMap { items[$0] }, spent: spent, idSeed: seedSource.next(), untracked: untracked.sorted())
        guard let data = try? JSONEncoder().encode(state) else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }

    // MARK: Money and limits

    /// The primary key's balance (shared with the useapi.net surface).
    var balance: Double { balance(ofKey: nil) }

    /// What a key's account has left: its starting balance, less what its items cost, plus
    /// the refunds of its failed items. Nil: the primary key, whose account is also the
    /// useapi.net surface's.
    func balance(ofKey key: String?) -> Double {
        let now = clock.now()
        let extra = configuration.keyAccount(named: key)
        let account = extra == nil ? nil : key
        var cost = 0.0, refunded = 0.0
        for item in items.values where furtherKey(of: item) == account {
            cost += item.cost
            if item.outcome == .failed && item.snapshot(at: now).status == .failed { refunded += item.cost }
        }
        return (extra?.balance ?? configuration.initialBalance) - cost + refunded
    }

    /// The credential an item takes a slot of, as one name.
    static func credential(of item: SimulatedItem) -> String { "\(item.surface) \(item.account ?? "primary")" }

    /// The further key an item was created with; nil for the primary key and useapi.net jobs.
    func furtherKey(of item: SimulatedItem) -> String? {
        item.surface == .openAPI && configuration.keyAccount(named: item.account) != nil ? item.account : nil
    }

    /// Unfinished items that take a slot of this credential.
    func unfinished(surface: Surface, account: String?) -> Int {
        let now = clock.now()
        return items.values.lazy.filter { $0.surface == surface && $0.account == account && !$0.snapshot(at: now).isFinal }.count
    }

    /// Refuses texts that contain a banned word (case-insensitive).
    func screen(_ texts: String?...) throws(AdmissionRefusal) {
        for text in texts.compactMap({ $0?.lowercased() }) {
            if let word = configuration.bannedWords.first(where: { text.contains($0.lowercased()) }) {
                throw AdmissionRefusal.bannedWord(word)
            }
        }
    }

    // MARK: Creating

    /// Admits the draft against its credential's `slots` and the balance, then creates and
    /// bills it.
    func create(_ draft: ItemDraft, slots: Int) throws(AdmissionRefusal) -> SimulatedItem {
        if !draft.isTwin, unfinished(surface: draft.surface, account: draft.account) >= slots { throw AdmissionRefusal.slotsFull(limit: slots) }
        let left = balance(ofKey: draft.surface == .openAPI ? draft.account : nil)
        if draft.cost > left { throw AdmissionRefusal.insufficientBalance(left: left, needed: draft.cost) }
        var id: String
        repeat {
            id = draft.kind.idPrefix + String(idRandom.next(), radix: 16)
        } while items[id] != nil
        let fixed = configuration.processingTime.map { max(0, $0) }
        let main = fixed ?? configuration.scaled(draft.mainAfter)
        let title = draft.kind == .stems || draft.kind == .midi ? draft.prompt : TextGenerator.title(for: draft.kind == .lyrics ? "Song of " + draft.prompt : draft.prompt)
        let item = SimulatedItem(
            id: id, kind: draft.kind, model: draft.model, prompt: draft.prompt, lyrics: draft.lyrics, sections: draft.sections,
            title: title, style: TextGenerator.style(for: draft.prompt), duration: draft.duration, createdAt: clock.now(),
            outcome: nextOutcome(), callbackURL: draft.callbackURL, cost: draft.cost, parentID: draft.parentID,
            startTime: draft.startTime, sourceURL: draft.sourceURL, mainAfter: main,
            audioHiAfter: fixed ?? main + configuration.scaled(configuration.schedule.audioHi),
            sectionsAfter: fixed ?? main + configuration.scaled(configuration.schedule.lyricsSections),
            origin: draft.surface, account: draft.account, music: draft.music, reference: draft.reference,
            createdAs: draft.createdAs
        )
        items[item.id] = item
        order.append(item.id)
        if !draft.isTwin { noteReaction(credential: Self.credential(of: item)) }
        spent += item.cost
        if draft.isTwin {
            stats.twinItems += 1
        } else {
            let unfinishedNow = unfinished(surface: draft.surface, account: draft.account)
            stats.peakUnfinished = max(stats.peakUnfinished, unfinishedNow)
            if draft.surface == .openAPI {
                let name = draft.account ?? "primary"
                stats.peakUnfinishedByKey[name] = max(stats.peakUnfinishedByKey[name] ?? 0, unfinishedNow)
                stats.acceptedCreatesByKey[name, default: 0] += 1
            }
            stats.acceptedCreatesTotal += 1
            stats.acceptedCreates[draft.countedAs, default: 0] += 1
            if draft.surface == .useapi { stats.useapiJobsCreated += 1 }
        }
        if CallbackTarget.isLoopback(item.callbackURL) { callbacks.follow(item.id) }
        save()
        return item
    }

    private func nextOutcome() -> Outcome {
        switch faults.outcome() {
        case .partFailed?: stats.faultsInjected["outcome_part_failed", default: 0] += 1; return .partFailed
        case .failed?: stats.faultsInjected["outcome_failed", default: 0] += 1; return .failed
        case nil: return .succeeded
        }
    }

    // MARK: Reading

    func item(_ id: String) -> SimulatedItem? { items[id] }

    /// The items of one credential, oldest first.
    func items(surface: Surface, account: String?) -> [SimulatedItem] {
        order.compactMap { items[$0] }.filter { $0.surface == surface && $0.account == account }
    }

    /// Stops showing an item in scheduler listings; false when it was not shown.
    func untrack(_ id: String) -> Bool {
        guard untracked.insert(id).inserted else { return false }
        save()
        return true
    }

    func isTracked(_ id: String) -> Bool { !untracked.contains(id) }

    // MARK: Signed URLs

    /// A signed URL of one of an item's files, valid for the configured lifetime.
    func signedURL(base: String, itemID: String, file: String) -> String {
        let expires = Int(clock.now().timeIntervalSince1970 + configuration.urlLifetime)
        return signer.url(base: base, itemID: itemID, file: file, expires: expires, singleAuth: false)
    }

    func check(path: String, expires: String?, signature: String?, singleAuth: Bool) -> URLSigner.Check {
        signer.check(path: path, expires: expires, signature: signature, singleAuth: singleAuth, now: clock.now())
    }
}
