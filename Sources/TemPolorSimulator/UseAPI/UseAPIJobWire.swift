import Foundation

/// A job as `GET /music/{job}` shows it: the keys of the seed example
/// (`shared/seeds/useapi-tempolor-music-status.txt`), storage keys (`mp3OssId`) but no URLs,
/// and never the caller's `replyRef`. Keys whose values the simulator cannot know are constants.
struct UseAPIJobWire: Encodable, Sendable {
    var bizType = "ai_material_music"
    let childType: String
    let matChildType: String
    var sourceType = "sm_user_gen"
    let itemId: String
    let job_id: String
    let genItemId: String
    let userId: String
    let titleEn: String
    /// A storage key once the work is ready, else empty.
    let cover: String
    let mp3OssId: String
    let wavOssId: String
    var ossWatermarkMp3 = ""
    var officialPlaylistSong = false
    let status: Int
    let status_name: String
    let status_final: Bool
    let progress: Int
    var downloadTotal = 0
    var likeTotal = 0
    var collectTotal = 0
    let musicMaterial: MusicMaterial
    var readStatus = false
    var downloadStatus = false
    /// Milliseconds since 1970.
    let createTime: Int64
    let updateTime: Int64
    var materialQualityScore = 0
    let ltmMaterialExtendDto: ExtendDto
    var editType = "gen"
    var operatorType = "gen"
    let rootItemId: String
    let parentItemId: String
    let canExtend: Bool
    let canEditLyrics: Bool
    let canFixVocals: Bool
    var canReplaced = false

    struct MusicMaterial: Encodable, Sendable {
        let style: String
        let chord: String
        var mood = ""
        var inst = ""
        var instInfo = ""
        var scene = ""
        let otherInfo: String
        var otherInfoCn = ""
        let key: String
        let bpm: Int
        /// Seconds; 0 until the audio exists.
        let dur: Int
        let seed: Int
    }

    struct ExtendDto: Encodable, Sendable {
        let lyricsPrompt: String
        let description: String
        var ltmVocalModel = false
        var ltmMidiModel = false
        let genItemId: String
        let prompt: String
        let genMode: Int
        let model: String
        let modelShowName: String
    }
}
