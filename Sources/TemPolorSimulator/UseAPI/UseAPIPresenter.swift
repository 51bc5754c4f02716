import Foundation

/// How useapi shows the core's items: status codes, progress, job ids and the job JSON, as a pure
/// function of the item and the time.
struct UseAPIPresenter: Sendable {
    let userID: String
    /// The `<n>` of `user:<n>-…` job ids, from the token.
    let tokenUser: String

    init(configuration: SimulatorConfiguration) {
        userID = configuration.useapiUserID
        tokenUser = UseAPIJobID.user(ofToken: configuration.useapiToken)
    }

    /// useapi's `status`: 0 while the core item is not final, 30 once it succeeded (also in
    /// part), 10 when it failed.
    enum Status: Int, Sendable {
        case generating = 0
        case failed = 10
        case completed = 30

        init(_ snapshot: SimulatedItem.Snapshot) {
            self = !snapshot.isFinal ? .generating : snapshot.status == .failed ? .failed : .completed
        }

        var name: String {
            switch self {
            case .generating: "GENERATING"
            case .failed: "FAILED"
            case .completed: "COMPLETED"
            }
        }
    }

    func jobID(of item: SimulatedItem) -> UseAPIJobID {
        UseAPIJobID(user: tokenUser, account: item.account ?? userID, itemID: item.id)
    }

    /// 0–99 from the share of the processing time that has passed; 100 once final.
    static func progress(of item: SimulatedItem, at now: Date) -> Int {
        guard !item.snapshot(at: now).isFinal else { return 100 }
        let share = now.timeIntervalSince(item.createdAt) / max(item.finishesAfter, 0.001)
        return min(99, max(0, Int(share * 100)))
    }

    func job(_ item: SimulatedItem, at now: Date) -> UseAPIJobWire {
        let snapshot = item.snapshot(at: now)
        let status = Status(snapshot)
        let isSong = item.kind == .song
        let model = (isSong ? UseAPIModels.song(item.model) : UseAPIModels.instrumental(item.model))
        let music = item.music ?? UseAPIModels.derivedMusic(prompt: item.prompt, seed: 0)
        let updated = snapshot.finishedAt ?? (snapshot.mainReady ? item.createdAt + item.mainAfter : item.createdAt)
        let oss = "ai_material/ai_material"
        let completed = status == .completed
        return UseAPIJobWire(
            childType: isSong ? "lyric_to_material" : "text_to_material",
            matChildType: isSong ? "lyric_to_material" : "text_to_material",
            itemId: item.id, job_id: jobID(of: item).text, genItemId: item.id, userId: item.account ?? userID,
            titleEn: item.title,
            cover: snapshot.mainReady ? "\(oss)/cover/\(item.id).png" : "",
            mp3OssId: snapshot.mainReady ? "\(oss)/mp3/\(item.id).mp3" : "",
            wavOssId: snapshot.audioHi == .subSucceeded ? "\(oss)/wav/\(item.id).wav" : "",
            status: status.rawValue, status_name: status.name, status_final: status != .generating,
            progress: Self.progress(of: item, at: now),
            musicMaterial: .init(
                style: item.style, chord: music.chords, otherInfo: item.prompt, key: music.key, bpm: music.bpm,
                dur: snapshot.mainReady ? item.duration : 0, seed: Int(SplitMix64.hash(item.id) % 2_000_000_000)
            ),
            createTime: Self.milliseconds(item.createdAt), updateTime: Self.milliseconds(updated),
            ltmMaterialExtendDto: .init(
                lyricsPrompt: isSong ? item.lyrics : "", description: item.prompt, genItemId: item.id, prompt: item.prompt,
                genMode: isSong ? 0 : 1, model: model?.internalName ?? item.model, modelShowName: model?.name ?? item.model
            ),
            rootItemId: item.parentID ?? item.id, parentItemId: item.parentID ?? item.id,
            canExtend: completed, canEditLyrics: completed && isSong, canFixVocals: completed && isSong
        )
    }

    func schedulerEntry(_ item: SimulatedItem, at now: Date) -> UseAPISchedulerEntry {
        let seconds = max(0, Int(now.timeIntervalSince(item.createdAt)))
        return UseAPISchedulerEntry(
            job_id: jobID(of: item).text, started: item.createdAt.formatted(.iso8601),
            elapsed: String(format: "%02d:%02d", seconds / 60, seconds % 60),
            replyUrl: item.callbackURL.isEmpty ? nil : item.callbackURL, replyRef: item.reference
        )
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

extension CallbackFormat {
    /// useapi callbacks: one, when the job turns COMPLETED or FAILED (event `completed` or
    /// `failed`); the body is the job JSON plus `replyRef`; any 2xx answer counts as delivered.
    static func useapi(_ configuration: SimulatorConfiguration) -> CallbackFormat {
        let presenter = UseAPIPresenter(configuration: configuration)
        return CallbackFormat(
            events: { item, now in
                let status = UseAPIPresenter.Status(item.snapshot(at: now))
                return status == .generating ? [] : [status.name.lowercased()]
            },
            body: { state, callback, _ in
                let job = presenter.job(callback.item, at: state.clock.now())
                return try Responses.encoder.encode(UseAPICallbackWire(job: job, replyRef: callback.item.reference))
            },
            accepts: { status, _ in (200..<300).contains(status) }
        )
    }
}
