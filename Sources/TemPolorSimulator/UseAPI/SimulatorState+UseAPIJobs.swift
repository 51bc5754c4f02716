import Foundation

/// useapi's reads: one job, its download, the listing of past jobs and the scheduler.
extension SimulatorState {
    /// The job an id names, if it is one of the linked account's useapi jobs.
    func useapiJob(_ id: UseAPIJobID) throws(UseAPIError) -> SimulatedItem {
        let presenter = UseAPIPresenter(configuration: configuration)
        guard id.user == presenter.tokenUser, id.account == configuration.useapiUserID, let item = items[id.itemID],
              item.surface == .useapi, item.account == id.account
        else { throw UseAPIError.noRecord(id) }
        return item
    }

    func useapiJobWire(_ id: UseAPIJobID) throws(UseAPIError) -> UseAPIJobWire {
        UseAPIPresenter(configuration: configuration).job(try useapiJob(id), at: clock.now())
    }

    /// A signed, single-auth URL of one result file. 400 until COMPLETED (and for FAILED), 404
    /// for the first moments after completion ("not ready yet") and for a WAV that failed, 410
    /// after the retention.
    func useapiDownload(_ id: UseAPIJobID, format: String?, base: String) throws(UseAPIError) -> UseAPIDownloadWire {
        let files = ["mp3": "audio.mp3", "wav": "audio.wav", "stems": "stems.zip"]
        guard let file = files[format ?? "mp3"] else {
            throw UseAPIError(.badRequest, "file_format '\(format ?? "")' is not supported; use mp3, wav or stems")
        }
        let item = try useapiJob(id)
        let now = clock.now()
        let snapshot = item.snapshot(at: now)
        guard snapshot.isFinal, snapshot.status != .failed, let finished = snapshot.finishedAt else { throw UseAPIError.notCompleted }
        if now.timeIntervalSince(finished) < configuration.scaled(configuration.useapiNotReadyWindow) { throw UseAPIError.noRecord(id) }
        let retentionEnd = finished + configuration.scaled(configuration.useapiRetention)
        guard now < retentionEnd else { throw UseAPIError(.gone, "expired") }
        if format == "wav", snapshot.audioHi != .subSucceeded {
            throw UseAPIError(.notFound, "wav generation failed for \(id.text); only the mp3 is available")
        }
        let expires = Int(min(now.timeIntervalSince1970 + configuration.useapiURLLifetime, retentionEnd.timeIntervalSince1970))
        let url = signer.url(base: base, itemID: item.id, file: file, expires: expires, singleAuth: true)
        return UseAPIDownloadWire(url: url, remainSeconds: max(0, expires - Int(now.timeIntervalSince1970)))
    }

    /// One page of the linked account's jobs, newest first. The cursor is the opaque name of the
    /// last record shown.
    func useapiPage(userID: String?, cursor: String?) throws(UseAPIError) -> UseAPIPage {
        try useapiCheckAccount(userID)
        let presenter = UseAPIPresenter(configuration: configuration)
        let all = Array(items(surface: .useapi, account: configuration.useapiUserID).reversed())
        var start = 0
        if let cursor, !cursor.isEmpty {
            guard let data = Data(base64Encoded: cursor), let after = String(data: data, encoding: .utf8),
                  let index = all.firstIndex(where: { "after:" + $0.id == after })
            else { throw UseAPIError(.badRequest, "cursor '\(cursor)' is not valid") }
            start = index + 1
        }
        let size = max(1, configuration.useapiPageSize)
        let page = all[start..<min(all.count, start + size)]
        let hasNext = start + size < all.count
        let next = hasNext ? page.last.map { Data(("after:" + $0.id).utf8).base64EncodedString() } ?? "" : ""
        let now = clock.now()
        return UseAPIPage(records: page.map { presenter.job($0, at: now) }, hasNext: hasNext, cursor: next)
    }

    /// The linked account's GENERATING jobs the scheduler still tracks, oldest first.
    func useapiExecuting() -> [UseAPISchedulerEntry] {
        let presenter = UseAPIPresenter(configuration: configuration)
        let now = clock.now()
        return items(surface: .useapi, account: configuration.useapiUserID)
            .filter { !$0.snapshot(at: now).isFinal && isTracked($0.id) }
            .map { presenter.schedulerEntry($0, at: now) }
    }

    /// The executing jobs and the account's slots. `executing` counts every GENERATING job,
    /// untracked ones included, since they still take a slot.
    func useapiAvailability() -> UseAPIAvailability {
        let busy = unfinished(surface: .useapi, account: configuration.useapiUserID)
        let account = UseAPIAvailability.Account(
            user_id: configuration.useapiUserID, maxJobs: configuration.useapiMaxJobs, executing: busy,
            available: max(0, configuration.useapiMaxJobs - busy)
        )
        return UseAPIAvailability(executing: useapiExecuting(), available: [account])
    }

    /// Stops listing a GENERATING job in the scheduler; 404 when it is not listed.
    func useapiUntrack(_ id: UseAPIJobID) throws(UseAPIError) {
        let item = try useapiJob(id)
        guard !item.snapshot(at: clock.now()).isFinal, untrack(item.id) else { throw UseAPIError.noRecord(id) }
    }
}
