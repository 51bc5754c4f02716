import Foundation

/// The Open API's extend: continue a finished song or instrumental from `start_time`
/// (`song/extend` also takes instrumentals made through `song/generate`).
extension SimulatorState {
    func createExtend(_ request: ExtendRequest, kind: ItemKind) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        guard let parentID = request.item_id, !parentID.isEmpty else { throw BusinessError(.badParameter, "item_id is required") }
        guard let start = request.start_time else { throw BusinessError(.badParameter, "start_time is required") }
        guard (10...600).contains(start) else { throw BusinessError(.badParameter, "start_time must be between 10 and 600") }
        try checkLyricsLength(request.lyrics)
        try openAPIScreen(request.lyrics)
        // song/extend also continues an instrumental that song/generate made (2026: instrumentals
        // are songs' siblings there); the continuation is an instrumental made the same way.
        guard let parent = items[parentID], parent.surface == .openAPI, parent.account == CallerKey.account,
              parent.kind == kind || (kind == .song && parent.kind == .instrumental && parent.createdAs == .song)
        else {
            throw BusinessError(.itemNotFound, "item \(parentID) does not exist")
        }
        let createdAs: ItemKind? = parent.kind == kind ? parent.createdAs : .song
        let kind = parent.kind
        let state = parent.snapshot(at: clock.now()).status
        guard state == .succeeded || state == .partFailed else {
            throw BusinessError(.abnormalState, "item \(parentID) is \(state.rawValue); only finished works can be extended")
        }
        guard Int(start) < parent.duration else {
            throw BusinessError(.cannotExtend, "work \(parentID) is \(parent.duration) s long and cannot be extended from \(Int(start)) s")
        }
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
        return try openAPICreate(ItemDraft(
            kind: kind, model: parent.model, prompt: parent.prompt, lyrics: lyrics, sections: sections, duration: duration,
            callbackURL: callback, cost: configuration.prices.extend, mainAfter: configuration.schedule.main,
            parentID: parentID, startTime: startTime, createdAs: createdAs, countedAs: "extend"
        ))
    }
}
