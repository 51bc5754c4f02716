import Foundation

/// useapi's creates: validate a request in useapi's terms (real HTTP statuses), then hand the
/// core a draft owned by the linked account, billed from the shared balance.
extension SimulatorState {
    func createUseAPISong(_ request: UseAPISongRequest) throws(UseAPIError) -> UseAPIJobsCreated {
        try useapiCheckAccount(request.user_id)
        let prompt = try useapiPrompt(request.prompt)
        if let lyrics = request.lyrics, lyrics.count > 3000 {
            throw UseAPIError(.badRequest, "lyrics are \(lyrics.count) characters long; the limit is 3000")
        }
        guard let model = UseAPIModels.song(request.model_song) else {
            let known = UseAPIModels.songs.map(\.name).joined(separator: ", ")
            throw UseAPIError(.badRequest, "model_song '\(request.model_song ?? "")' is not supported; use one of \(known)")
        }
        try useapiCheckReply(request.replyUrl, request.replyRef)
        let slots = try useapiSlots(request.maxJobs)
        try useapiScreen(prompt, request.lyrics)
        let written = request.lyrics?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var price = configuration.prices.models[model.openAPIName] ?? configuration.prices.song
        if written.isEmpty { price += configuration.prices.lyrics }
        let lyrics = written.isEmpty ? TextGenerator.lyrics(for: prompt, seed: configuration.seed) : written
        let duration = configuration.fixedDuration ?? TextGenerator.songDuration(lyrics: lyrics)
        return try useapiCreate(ItemDraft(
            kind: .song, model: model.name, prompt: prompt, lyrics: lyrics,
            sections: LyricsTiming.sections(for: lyrics, duration: duration), duration: duration,
            callbackURL: request.replyUrl ?? "", cost: price, mainAfter: configuration.schedule.main,
            music: UseAPIModels.derivedMusic(prompt: prompt, seed: configuration.seed), reference: request.replyRef,
            countedAs: "song"
        ), slots: slots)
    }

    func createUseAPIInstrumental(_ request: UseAPIInstrumentalRequest) throws(UseAPIError) -> UseAPIJobsCreated {
        try useapiCheckAccount(request.user_id)
        let prompt = try useapiPrompt(request.prompt)
        guard let model = UseAPIModels.instrumental(request.model_instrumental) else {
            let known = UseAPIModels.instrumentals.map(\.name).joined(separator: ", ")
            throw UseAPIError(.badRequest, "model_instrumental '\(request.model_instrumental ?? "")' is not supported; use one of \(known)")
        }
        if let tonality = request.tonality, !UseAPIModels.tonalities.contains(tonality) {
            throw UseAPIError(.badRequest, "tonality '\(tonality)' is not supported; use one of \(UseAPIModels.tonalities.joined(separator: ", "))")
        }
        if let bpm = request.bpm, !(50...190).contains(bpm) { throw UseAPIError(.badRequest, "bpm must be between 50 and 190, got \(bpm)") }
        let chords = request.chords ?? request.chord ?? ""
        if chords.count > 200 { throw UseAPIError(.badRequest, "chords are \(chords.count) characters long; the limit is 200") }
        try useapiCheckReply(request.replyUrl, request.replyRef)
        let slots = try useapiSlots(request.maxJobs)
        try useapiScreen(prompt)
        let derived = UseAPIModels.derivedMusic(prompt: prompt, seed: configuration.seed)
        let cap = configuration.instrumentalModels[model.openAPIName] ?? 270
        return try useapiCreate(ItemDraft(
            kind: .instrumental, model: model.name, prompt: prompt,
            duration: configuration.fixedDuration ?? TextGenerator.instrumentalDuration(prompt: prompt, cap: cap),
            callbackURL: request.replyUrl ?? "",
            cost: configuration.prices.models[model.openAPIName] ?? configuration.prices.instrumental,
            mainAfter: configuration.schedule.main,
            music: MusicAttributes(key: request.tonality ?? derived.key, bpm: request.bpm ?? derived.bpm, chords: chords),
            reference: request.replyRef, countedAs: "instrumental"
        ), slots: slots)
    }

    // MARK: Checks

    private func useapiCreate(_ draft: ItemDraft, slots: Int) throws(UseAPIError) -> UseAPIJobsCreated {
        var draft = draft
        draft.surface = .useapi
        draft.account = configuration.useapiUserID
        do {
            let item = try create(draft, slots: slots)
            return UseAPIJobsCreated(jobs: [UseAPIPresenter(configuration: configuration).jobID(of: item).text])
        } catch {
            throw useapiError(error)
        }
    }

    private func useapiError(_ refusal: AdmissionRefusal) -> UseAPIError {
        switch refusal {
        case .slotsFull: UseAPIError.noFreeSlot(retryAfter: faults.profile.retryAfterSeconds)
        case .insufficientBalance: UseAPIError.outOfCredits
        case .bannedWord(let word): UseAPIError(.unprocessableContent, "prompt moderated: '\(word)' is not allowed")
        }
    }

    private func useapiScreen(_ texts: String?...) throws(UseAPIError) {
        for text in texts {
            do { try screen(text) } catch { throw useapiError(error) }
        }
    }

    /// A request's `user_id`, when given, must be the linked account.
    func useapiCheckAccount(_ userID: String?) throws(UseAPIError) {
        if let userID, userID != configuration.useapiUserID { throw UseAPIError(.notFound, "Account \(userID) not found") }
    }

    private func useapiPrompt(_ value: String?) throws(UseAPIError) -> String {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UseAPIError(.badRequest, "prompt is required")
        }
        guard value.count <= 2000 else { throw UseAPIError(.badRequest, "prompt is \(value.count) characters long; the limit is 2000") }
        return value
    }

    private func useapiCheckReply(_ url: String?, _ reference: String?) throws(UseAPIError) {
        if let url, url.count > 1024 { throw UseAPIError(.badRequest, "replyUrl is longer than 1024 characters") }
        if let reference, reference.count > 1024 { throw UseAPIError(.badRequest, "replyRef is longer than 1024 characters") }
    }

    /// The job cap for this request: its `maxJobs`, else the configured one.
    private func useapiSlots(_ maxJobs: Int?) throws(UseAPIError) -> Int {
        guard let maxJobs else { return configuration.useapiMaxJobs }
        guard maxJobs >= 1 else { throw UseAPIError(.badRequest, "maxJobs must be at least 1, got \(maxJobs)") }
        return maxJobs
    }
}
