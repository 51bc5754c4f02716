import Foundation

/// The Open API's creates and queries: validate a request in the Open API's terms (business
/// code 400003 and friends), then hand the core a draft.
extension SimulatorState {
    /// `song/generate`: a song; with `"instrumental": true` an instrumental; with
    /// `"action": "upload_cover"` a cover.
    func createSong(_ request: SongGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        let action = request.action?.trimmingCharacters(in: .whitespaces) ?? ""
        guard action.isEmpty || action == Self.coverAction else { throw BusinessError(.badParameter, "unknown action: \(action)") }
        guard let model = request.model, !model.isEmpty else { throw BusinessError(.badParameter, "model is required") }
        if action == Self.coverAction { return try createCover(request, prompt: prompt, model: model, callback: callback) }
        if request.instrumental == true {
            return try createInstrumental(prompt: prompt, model: model, callback: callback, createdAs: .song)
        }
        if configuration.instrumentalModels[model] != nil {
            throw BusinessError(.unsupportedByModel, "model \(model) cannot generate songs; send \"instrumental\": true for an instrumental")
        }
        guard configuration.songModels.contains(model) else { throw BusinessError(.badParameter, "unknown model: \(model)") }
        try checkLyricsLength(request.lyrics)
        try openAPIScreen(prompt, request.lyrics)
        let written = request.lyrics?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var price = configuration.prices.models[model] ?? configuration.prices.song
        if written.isEmpty { price += configuration.prices.lyrics }
        let lyrics = written.isEmpty ? TextGenerator.lyrics(for: prompt, seed: configuration.seed) : written
        let duration = configuration.fixedDuration ?? TextGenerator.songDuration(lyrics: lyrics)
        return try openAPICreate(ItemDraft(
            kind: .song, model: model, prompt: prompt, lyrics: lyrics, sections: LyricsTiming.sections(for: lyrics, duration: duration),
            duration: duration, callbackURL: callback, cost: price, mainAfter: configuration.schedule.main, countedAs: "song"
        ))
    }

    /// The legacy `instrumental/generate`.
    func createInstrumental(_ request: InstrumentalGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        guard let model = request.model, !model.isEmpty else { throw BusinessError(.badParameter, "model is required") }
        return try createInstrumental(prompt: prompt, model: model, callback: callback, createdAs: nil)
    }

    /// An instrumental of either route: no lyrics, the model's length cap, the instrumental price.
    /// `createdAs` is `.song` when `song/generate` made it.
    private func createInstrumental(prompt: String, model: String, callback: String, createdAs: ItemKind?) throws(BusinessError) -> [String] {
        guard let cap = configuration.instrumentalModels[model] else {
            if configuration.songModels.contains(model) {
                throw BusinessError(.unsupportedByModel, "model \(model) cannot generate instrumentals")
            }
            throw BusinessError(.badParameter, "unknown model: \(model)")
        }
        try openAPIScreen(prompt)
        let duration = configuration.fixedDuration ?? TextGenerator.instrumentalDuration(prompt: prompt, cap: cap)
        return try openAPICreate(ItemDraft(
            kind: .instrumental, model: model, prompt: prompt, duration: duration, callbackURL: callback,
            cost: configuration.prices.models[model] ?? configuration.prices.instrumental, mainAfter: configuration.schedule.main,
            createdAs: createdAs, countedAs: "instrumental"
        ))
    }

    func createLyrics(_ request: LyricsGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        if let model = request.song_model, !model.isEmpty, !configuration.songModels.contains(model) {
            throw BusinessError(.badParameter, "unknown song_model: \(model)")
        }
        try openAPIScreen(prompt)
        return try openAPICreate(ItemDraft(
            kind: .lyrics, model: request.song_model ?? "", prompt: prompt, lyrics: TextGenerator.lyrics(for: prompt, seed: configuration.seed),
            duration: 0, callbackURL: callback, cost: configuration.prices.lyrics, mainAfter: configuration.schedule.lyrics, countedAs: "lyrics"
        ))
    }

    func createStems(_ request: StemsRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let source = try sourceAudio(request.url, field: "url")
        return try openAPICreate(ItemDraft(
            kind: .stems, model: "", prompt: StemsArchive.safeName(source.name), duration: source.item?.duration ?? configuration.fixedDuration ?? 60,
            callbackURL: callback, cost: configuration.prices.stems, mainAfter: configuration.schedule.stems, sourceURL: source.url, countedAs: "stems"
        ))
    }

    /// Open API items, in the order asked for; every id must name one of `kind`.
    func items(_ request: QueryRequest, kind: ItemKind) throws(BusinessError) -> [SimulatedItem] {
        try items(request, kinds: [kind])
    }

    /// Open API items, in the order asked for; every id must name one of `kinds`.
    func items(_ request: QueryRequest, kinds: Set<ItemKind>) throws(BusinessError) -> [SimulatedItem] {
        guard let ids = request.item_ids, !ids.isEmpty else {
            noteQuery(ids: 0)
            throw BusinessError(.badParameter, "item_ids is required")
        }
        noteQuery(ids: ids.count)
        guard ids.count <= 10 else { throw BusinessError(.badParameter, "at most 10 item_ids per query, got \(ids.count)") }
        let found = try ids.map { id throws(BusinessError) in
            // A key sees only its own account's items.
            guard let item = items[id], kinds.contains(item.kind), item.surface == .openAPI, item.account == CallerKey.account else {
                throw BusinessError(.itemNotFound, "item \(id) does not exist")
            }
            return item
        }
        noteNoticed(found)
        return found
    }

    // MARK: Shared checks

    func openAPICreate(_ draft: ItemDraft) throws(BusinessError) -> [String] {
        do {
            var draft = draft
            draft.account = CallerKey.account
            var ids = [try create(draft, slots: configuration.keyAccount(named: draft.account)?.parallelLimit ?? configuration.parallelLimit).id]
            // Song and instrumental creates may answer several works for one call (and one price).
            if draft.kind == .song || draft.kind == .instrumental {
                var twin = draft
                twin.cost = 0
                twin.isTwin = true
                for _ in 1..<max(1, configuration.itemsPerCreate) { ids.append(try create(twin, slots: .max).id) }
            }
            return ids
        } catch {
            throw BusinessError(error)
        }
    }

    func openAPIScreen(_ texts: String?...) throws(BusinessError) {
        for text in texts {
            do { try screen(text) } catch { throw BusinessError(error) }
        }
    }

    func requireCallback(_ value: String?) throws(BusinessError) -> String {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BusinessError(.badParameter, "callback_url is required")
        }
        return value
    }

    func requirePrompt(_ value: String?) throws(BusinessError) -> String {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw BusinessError(.badParameter, "prompt is required")
        }
        guard value.count <= 2000 else { throw BusinessError(.badParameter, "prompt is longer than 2000 characters") }
        return value
    }

    /// An audio URL to work on (stems, MIDI, covers): an http(s) URL, never fetched (so its
    /// 50 MB limit is never checked). A URL of one of our own files names its item, which tells
    /// the length; anything else is named after its last path component.
    func sourceAudio(_ value: String?, field: String) throws(BusinessError) -> SourceAudio {
        guard let text = value, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw BusinessError(.badParameter, "\(field) must be a publicly fetchable http(s) audio URL") }
        let parts = url.path.split(separator: "/")
        let item = parts.count >= 3 && parts[0] == "files" ? items[String(parts[1])] : nil
        return SourceAudio(url: text, item: item, name: item?.title ?? url.deletingPathExtension().lastPathComponent)
    }

    func checkLyricsLength(_ lyrics: String?) throws(BusinessError) {
        if let lyrics, lyrics.count > 3000 {
            throw BusinessError(.badParameter, "lyrics are \(lyrics.count) characters long; the limit is 3000")
        }
    }
}

/// The audio a stems, MIDI or cover create names.
struct SourceAudio {
    let url: String
    /// The simulator's own item whose file the URL points at, if it does.
    let item: SimulatedItem?
    let name: String
}
