import Foundation

/// The Open API's creates and queries: validate a request in the Open API's terms (business
/// code 400003 and friends), then hand the core a draft.
extension SimulatorState {
    func createSong(_ request: SongGenerateRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let prompt = try requirePrompt(request.prompt)
        guard let model = request.model, !model.isEmpty else { throw BusinessError(.badParameter, "model is required") }
        if configuration.instrumentalModels[model] != nil {
            throw BusinessError(.unsupportedByModel, "model \(model) cannot generate songs")
        }
        guard configuration.songModels.contains(model) else { throw BusinessError(.badParameter, "unknown model: \(model)") }
        try checkLyricsLength(request.lyrics)
        try openAPIScreen(prompt, request.lyrics)
        let written = request.lyrics?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let instrumental = request.instrumental ?? false
        var price = configuration.prices.models[model] ?? configuration.prices.song
        if written.isEmpty && !instrumental { price += configuration.prices.lyrics }
        let lyrics = instrumental ? "" : (written.isEmpty ? TextGenerator.lyrics(for: prompt, seed: configuration.seed) : written)
        let duration = configuration.fixedDuration ?? TextGenerator.songDuration(lyrics: lyrics)
        return try openAPICreate(ItemDraft(
            kind: .song, model: model, prompt: prompt, lyrics: lyrics, sections: LyricsTiming.sections(for: lyrics, duration: duration),
            duration: duration, callbackURL: callback, cost: price, mainAfter: configuration.schedule.main, countedAs: "song"
        ))
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
        try openAPIScreen(prompt)
        let duration = configuration.fixedDuration ?? TextGenerator.instrumentalDuration(prompt: prompt, cap: cap)
        return try openAPICreate(ItemDraft(
            kind: .instrumental, model: model, prompt: prompt, duration: duration, callbackURL: callback,
            cost: configuration.prices.models[model] ?? configuration.prices.instrumental, mainAfter: configuration.schedule.main,
            countedAs: "instrumental"
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
        guard let text = request.url, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw BusinessError(.badParameter, "url must be a publicly fetchable http(s) audio URL") }
        // Never fetched: a URL of our own files tells the length, anything else counts as 60 s.
        let parts = url.path.split(separator: "/")
        let source = parts.count >= 3 && parts[0] == "files" ? items[String(parts[1])] : nil
        let name = source?.title ?? url.deletingPathExtension().lastPathComponent
        return try openAPICreate(ItemDraft(
            kind: .stems, model: "", prompt: StemsArchive.safeName(name), duration: source?.duration ?? configuration.fixedDuration ?? 60,
            callbackURL: callback, cost: configuration.prices.stems, mainAfter: configuration.schedule.stems, sourceURL: text, countedAs: "stems"
        ))
    }

    /// Open API items, in the order asked for; every id must name one of `kind`.
    func items(_ request: QueryRequest, kind: ItemKind) throws(BusinessError) -> [SimulatedItem] {
        guard let ids = request.item_ids, !ids.isEmpty else {
            noteQuery(ids: 0)
            throw BusinessError(.badParameter, "item_ids is required")
        }
        noteQuery(ids: ids.count)
        guard ids.count <= 10 else { throw BusinessError(.badParameter, "at most 10 item_ids per query, got \(ids.count)") }
        return try ids.map { id throws(BusinessError) in
            guard let item = items[id], item.kind == kind, item.surface == .openAPI else {
                throw BusinessError(.itemNotFound, "item \(id) does not exist")
            }
            return item
        }
    }

    // MARK: Shared checks

    func openAPICreate(_ draft: ItemDraft) throws(BusinessError) -> [String] {
        do {
            var ids = [try create(draft, slots: configuration.parallelLimit).id]
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

    func checkLyricsLength(_ lyrics: String?) throws(BusinessError) {
        if let lyrics, lyrics.count > 3000 {
            throw BusinessError(.badParameter, "lyrics are \(lyrics.count) characters long; the limit is 3000")
        }
    }
}
