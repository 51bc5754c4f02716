import Foundation
import Testing
@testable import BatchManifest

/// The editor schema in `schema/` must name exactly the keys the reader accepts.
@Suite("The manifest JSON Schema")
struct SchemaTests {
    static func schema() -> [String: Any] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schema/manifest-v1.schema.json").standardized
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: file))) as? [String: Any] ?? [:]
    }

    static func keys(_ path: [String]) -> Set<String> {
        var node: Any? = schema()
        for step in path { node = (node as? [String: Any])?[step] }
        return Set(((node as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
    }

    @Test func levelsMatchTheReader() {
        let job = ["$defs", "job"]
        let properties = job + ["properties"]
        #expect(Self.keys([]) == Set(ManifestReader.topLevelKeys))
        #expect(Self.keys(["$defs", "settings"]) == Set(StepSettings.keys))
        #expect(Self.keys(job) == Set(ManifestReader.jobKeys))
        #expect(Self.keys(properties + ["song"]) == Set(ManifestReader.songKeys))
        #expect(Self.keys(properties + ["instrumental"]) == Set(ManifestReader.instrumentalKeys))
        #expect(Self.keys(properties + ["lyrics"]) == Set(ManifestReader.lyricsKeys))
        #expect(Self.keys(properties + ["extend", "items"]) == Set(ManifestReader.extendKeys))
        #expect(Self.keys(["properties", "concurrency"]) == Set(ManifestReader.concurrencyKeys))
        #expect(Self.keys(["properties", "retry"]) == Set(ManifestReader.retryKeys))
        #expect(Self.keys(["properties", "output"]) == Set(ManifestReader.outputKeys))
        #expect(Self.keys(["properties", "useapi"]) == Set(ManifestReader.useapiKeys))
        #expect(Self.keys(["properties", "limits"]) == Set(ManifestReader.limitsKeys))
        #expect(Self.keys(["properties", "tags"]) == Set(ManifestReader.tagsKeys))
        #expect(Self.keys(["properties", "budget"]) == Set(ManifestReader.budgetKeys))
        #expect(Self.keys(["properties", "ambiguity"]) == Set(ManifestReader.ambiguityKeys))
        #expect(Self.keys(["properties", "pricing"]) == Set(TaskKind.allCases.map(\.rawValue) + ["models"]))
    }

    /// The run events' schema names every task kind a transition can carry.
    @Test func theRunEventsSchemaKnowsEveryTaskKind() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schema/run-events.schema.json").standardized
        let text = try String(contentsOf: file, encoding: .utf8)
        let kinds = try #require(text.firstMatch(of: /"kind": \{\s*"enum": \[([^\]]*)\]/)).1
        let listed = Set(kinds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) })
        #expect(listed == Set(TaskKind.allCases.map(\.rawValue)))
    }
}
