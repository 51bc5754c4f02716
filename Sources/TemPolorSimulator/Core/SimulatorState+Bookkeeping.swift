import Foundation

/// Counters, fault decisions and callback progress: the bookkeeping both surfaces share.
extension SimulatorState {
    // MARK: Counters

    func count(path: String) { stats.requests[path, default: 0] += 1 }

    func noteLostAnswer() { stats.lostAnswerCreates += 1 }

    func noteDownload() { stats.downloads += 1 }

    /// One Open API query of `ids` item ids.
    func noteQuery(ids: Int) {
        stats.queryCalls += 1
        stats.queryItemIDsMax = max(stats.queryItemIDsMax, ids)
    }

    /// Items a query shows final for the first time: how long after their final moment the
    /// client asked (what polling costs in idle provider slots).
    func noteNoticed(_ shown: [SimulatedItem]) {
        let now = clock.now()
        for item in shown where !noticed.contains(item.id) {
            let final = item.createdAt + item.finishesAfter
            guard now >= final else { continue }
            noticed.insert(item.id)
            freedSlots[Self.credential(of: item), default: []].append(now)
            stats.noticedFinal += 1
            stats.noticeLagSeconds += now.timeIntervalSince(final)
        }
    }

    /// A create of a credential: if a query showed one of its items final before (a slot the
    /// client knew to be free), how long after the oldest such showing the create came (the
    /// client's reaction time; slots free at the start are not counted).
    func noteReaction(credential: String) {
        guard var shown = freedSlots[credential], !shown.isEmpty else { return }
        let oldest = shown.removeFirst()
        freedSlots[credential] = shown
        stats.reactions += 1
        stats.reactionSeconds += clock.now().timeIntervalSince(oldest)
    }

    func sourceURL(ofItem id: String) -> String? { items[id]?.sourceURL }

    func currentStats() -> SimulatorStats {
        var copy = stats
        copy.balance = balance
        // Each item holds one of its credential's slots from its creation to its final moment.
        var first = Date.distantFuture, last = Date.distantPast
        for item in items.values {
            copy.busySeconds += item.finishesAfter
            first = min(first, item.createdAt)
            last = max(last, item.createdAt + item.finishesAfter)
        }
        if !items.isEmpty {
            copy.spanSeconds = last.timeIntervalSince(first)
            copy.firstCreatedAt = first.timeIntervalSince1970
            copy.lastFinalAt = last.timeIntervalSince1970
        }
        for index in configuration.extraKeys.indices {
            let name = SimulatorConfiguration.KeyAccount.name(at: index)
            copy.keyBalances[name] = balance(ofKey: name)
        }
        return copy
    }

    // MARK: Faults

    /// The fault for this call of `path` (a route path or pattern): a scripted one first, else
    /// the profile's draw.
    func decideFault(path: String) -> CallFault? {
        guard let fault = faults.call(path: path) else { return nil }
        stats.faultsInjected[fault.rawValue, default: 0] += 1
        return fault
    }

    func decideDownloadFault() -> DownloadFault? {
        guard let fault = faults.download() else { return nil }
        stats.faultsInjected["download_" + fault.rawValue, default: 0] += 1
        return fault
    }

    var faultProfile: FaultProfile { faults.profile }

    func setProfile(_ profile: FaultProfile) { faults.profile = profile }

    func script(_ fault: CallFault, path: String, times: Int) { faults.script(fault, path: path, times: times) }

    func script(download fault: DownloadFault, times: Int) { faults.script(download: fault, times: times) }

    /// The next created tasks end this way (nil: normally), in order.
    func script(outcomes: [OutcomeFault?]) { faults.script(outcomes: outcomes) }

    /// Forgets every scripted fault and outcome not used yet.
    func clearScripts() { faults.clearScripts() }

    // MARK: Callbacks

    /// One callback whose event has happened and whose next attempt is due.
    struct DueCallback: Sendable {
        let itemID: String
        let event: String
        let url: String
        let item: SimulatedItem
    }

    /// Callbacks due now; `events` lists the events an item has had by a time, in sending order.
    func dueCallbacks(events: @Sendable (SimulatedItem, Date) -> [String]) -> [DueCallback] {
        let now = clock.now()
        let found = callbacks.due(now: now, maxAttempts: configuration.schedule.callbackAttempts,
                                  item: { items[$0] }, events: { events($0, now) })
        return found.map { item, event in DueCallback(itemID: item.id, event: event, url: item.callbackURL, item: item) }
    }

    func callbackFinished(_ callback: DueCallback, delivered: Bool) {
        stats.callbackAttempts += 1
        if delivered { stats.callbacksDelivered += 1 }
        let retry = configuration.scaled(configuration.schedule.callbackRetry)
        callbacks.finished(itemID: callback.itemID, event: callback.event, delivered: delivered, now: clock.now()) { attempts in
            retry * Double(1 << min(attempts - 1, 4))
        }
    }
}
