import Testing
@testable import BatchManifest

@Suite("Expansion into the task graph")
struct TaskGraphTests {
    static let nightly = """
    version: 1
    name: nightly
    defaults: { model: TemPolor v3.5 }
    jobs:
      - name: owl-waltz
        song:
          prompt: "A song about an owl, {style} style"
          lyrics: |
            [verse]
            Under silver beams it flies
        matrix: { style: [Pop, Jazz, Lo-fi] }
        variants: 2
        extend:
          - { start_time: 90, lyrics: "[outro]\\nJoy unfolds" }
          - { start_time: 120 }
        stems: true
      - name: study-beds
        instrumental: { prompt: "{mood} piano bed", model: TemPolor i3 }
        matrix: { mood: [calm, rainy] }
        stems: true
      - name: lighthouse
        lyrics: { prompt: "a ballad about lighthouse keepers" }
        song: { prompt: "Emotional piano ballad" }
        variants: 3
      - name: archive
        stems: { url: "https://cdn.example.com/old-mix.mp3" }
    """

    @Test func countsFollowJobsTimesMatrixTimesVariants() {
        let graph = graph(Self.nightly)
        let counts = graph.countsByKind
        // owl-waltz: 3 styles × 2 variants = 6 chains of song → extend → extend → stems.
        // study-beds: 2 chains of instrumental → stems. lighthouse: 1 lyrics + 3 songs. archive: 1 stems.
        #expect(counts[.song] == 6 + 3)
        #expect(counts[.extend] == 12)
        #expect(counts[.instrumental] == 2)
        #expect(counts[.stems] == 6 + 2 + 1)
        #expect(counts[.lyrics] == 1)
        #expect(graph.count == 33)
    }

    @Test func parentsComeFirstAndChainsAreWired() throws {
        let graph = graph(Self.nightly)
        var seen = Set<TaskKey>()
        for task in graph.tasks {
            for parent in task.parents { #expect(seen.contains(parent), "\(task.fileStem) listed before its parent") }
            seen.insert(task.key)
        }
        let stems = try #require(graph.tasks.first { $0.job == "owl-waltz" && $0.kind == .stems })
        let lastExtend = try #require(graph[stems.parents[0]])
        #expect(lastExtend.fileStem == "extend-2")
        #expect(graph[lastExtend.parents[0]]?.fileStem == "extend-1")
        let lyrics = try #require(graph.tasks.first { $0.kind == .lyrics })
        let fed = graph.tasks.filter { $0.parents == [lyrics.key] }
        #expect(fed.count == 3)
        #expect(fed.allSatisfy { $0.request.lyricsFromParent && $0.request.lyrics == nil })
        #expect(lyrics.output == "nightly/lighthouse")
        #expect(lyrics.folders == ["nightly/lighthouse/v1", "nightly/lighthouse/v2", "nightly/lighthouse/v3"])
    }

    @Test func outputFoldersFollowTheDefaultTemplate() {
        let graph = graph(Self.nightly)
        let folders = Set(graph.tasks.filter { $0.kind == .song || $0.kind == .instrumental }.map(\.output))
        #expect(folders.contains("nightly/owl-waltz/Pop-v1"))
        #expect(folders.contains("nightly/owl-waltz/Lo-fi-v2"))
        #expect(folders.contains("nightly/study-beds/calm-v1"))
        #expect(folders.contains("nightly/lighthouse/v2"))
        #expect(graph.tasks.first { $0.job == "archive" }?.output == "nightly/archive/v1")
    }

    @Test func placeholdersAreFilledPerCombination() {
        let prompts = graph(Self.nightly).tasks.filter { $0.kind == .instrumental }.compactMap(\.request.prompt)
        #expect(prompts == ["calm piano bed", "rainy piano bed"])
    }

    // MARK: Keys

    private func keys(_ yaml: String) -> [String: TaskKey] {
        var result: [String: TaskKey] = [:]
        for task in graph(yaml).tasks {
            let combo = task.combination.map(\.value).joined(separator: "-")
            result["\(task.kind.rawValue)|\(combo)|\(task.variant.map(String.init) ?? "")|\(task.fileStem)"] = task.key
        }
        return result
    }

    @Test func renamingAJobOrChangingTheLayoutKeepsEveryKey() {
        let base = keys(Self.nightly)
        let renamed = keys(Self.nightly.replacingOccurrences(of: "name: owl-waltz", with: "name: owl-waltz-renamed")
            .replacingOccurrences(of: "name: nightly", with: "name: other-name"))
        #expect(renamed == base)
        let relaid = keys(Self.nightly.replacingOccurrences(of: "defaults:", with: "output: { root: elsewhere, path: \"{job}/{variant}/{combo}\" }\ndefaults:"))
        #expect(relaid == base)
    }

    @Test func keyOrderAndWhitespaceChangeNothing() {
        let reformatted = """
        # the same manifest, written differently
        name:     nightly
        jobs:

          - song:
              lyrics: "[verse]\\nUnder silver beams it flies   \\n"
              prompt:   'A song about an owl, {style} style'
            name: owl-waltz
            variants: 2
            stems: true
            extend:
              - lyrics: "[outro]\\nJoy unfolds"
                start_time: 90
              - start_time: 120
            matrix:
              style:
                - Pop
                - Jazz
                - Lo-fi
          - matrix: { mood: [calm, rainy] }
            stems: true
            name: study-beds
            instrumental: { model: TemPolor i3, prompt: "{mood} piano bed" }
          - song: { prompt: "Emotional piano ballad" }
            name: lighthouse
            variants: 3
            lyrics: { prompt: "a ballad about lighthouse keepers" }
          - stems: { url: "https://cdn.example.com/old-mix.mp3" }
            name: archive
        defaults: { model: "TemPolor v3.5" }
        version: 1
        """
        #expect(keys(reformatted) == keys(Self.nightly))
    }

    @Test func changingAPromptChangesExactlyItsChain() {
        let base = keys(Self.nightly)
        let changed = keys(Self.nightly.replacingOccurrences(of: "{mood} piano bed", with: "{mood} harp bed"))
        let differing = Set(base.keys.filter { base[$0] != changed[$0] })
        // Both instrumentals and both of their stems; nothing else.
        #expect(differing == ["instrumental|calm|1|instrumental", "instrumental|rainy|1|instrumental",
                              "stems|calm|1|stems", "stems|rainy|1|stems"])
    }

    @Test func changingAModelChangesItsChainOnly() {
        let base = keys(Self.nightly)
        let changed = keys(Self.nightly.replacingOccurrences(of: "model: TemPolor i3 }", with: "model: TemPolor i4 }"))
        let differing = base.keys.filter { base[$0] != changed[$0] }
        #expect(differing.count == 4)
        #expect(differing.allSatisfy { $0.contains("calm") || $0.contains("rainy") })
    }

    @Test func changingAParentChangesItsDescendantsOnly() {
        let base = keys(Self.nightly)
        let changed = keys(Self.nightly.replacingOccurrences(of: "start_time: 90", with: "start_time: 95"))
        let differing = Set(base.keys.filter { base[$0] != changed[$0] })
        // Every owl-waltz chain: extend-1 changed, so extend-2 and stems follow; songs stay.
        #expect(differing.count == 6 * 3)
        #expect(differing.allSatisfy { $0.hasPrefix("extend|") || $0.hasPrefix("stems|") })
        #expect(!differing.contains { $0.hasPrefix("song|") })
    }

    @Test func changingGeneratedLyricsChangesTheSongsTheyFeed() {
        let base = keys(Self.nightly)
        let changed = keys(Self.nightly.replacingOccurrences(of: "lighthouse keepers", with: "lighthouse cats"))
        let differing = Set(base.keys.filter { base[$0] != changed[$0] })
        #expect(differing == ["lyrics|||lyrics", "song||1|song", "song||2|song", "song||3|song"])
    }

    @Test func raisingTheVariantCountAddsTasksAndKeepsTheOthers() {
        let base = keys(Self.nightly)
        let more = keys(Self.nightly.replacingOccurrences(of: "variants: 3", with: "variants: 4"))
        #expect(base.allSatisfy { more[$0.key] == $0.value })
        #expect(Set(more.keys).subtracting(base.keys) == ["song||4|song"])
    }

    @Test func theCallbackURLIsNotPartOfTheKey() {
        let base = keys(Self.nightly)
        let hooked = keys(Self.nightly.replacingOccurrences(of: "defaults: { model: TemPolor v3.5 }",
                                                            with: "defaults: { model: TemPolor v3.5, callback_url: \"https://hooks.example.com/x\" }"))
        #expect(hooked == base)
    }

    @Test func theProviderIsPartOfTheKey() {
        let tempolor = compile(Self.nightly).graph?.tasks.first?.key
        let simulated = compile(Self.nightly, provider: .simulator).graph?.tasks.first?.key
        #expect(tempolor != nil && simulated != nil && tempolor != simulated)
    }

    @Test func keysAreStableAcrossReleases() {
        // A key must never change for the same request: resumed runs depend on it. The digest is
        // SHA-256 of the canonical text below, computed independently of this code.
        #expect(TaskKey.material(request: TaskRequest(provider: .tempolor, kind: .song, model: "TemPolor v3.5", prompt: "owls", variant: 1), parents: [])
                == "tempo-batch task key 1\nprovider=\"tempolor\"\nkind=\"song\"\nmodel=\"TemPolor v3.5\"\nprompt=\"owls\"\nvariant=\"1\"\n")
        let request = TaskRequest(provider: .tempolor, kind: .song, model: "TemPolor v3.5", prompt: "owls", variant: 1)
        #expect(TaskKey(request: request, parents: []).hex == "9327b1fd0c910d88738791db3ef7b42940ca2ad41ba4945a4d1828db20530371")
    }

    @Test func sharedLyricsFeedEverySongOfTheJob() {
        let graph = graph("""
        version: 1
        jobs:
          - name: ballads
            lyrics: { prompt: "a ballad about the sea" }
            song: { prompt: "{style} ballad" }
            matrix: { style: [Folk, Soul] }
            variants: 2
        """)
        #expect(graph.countsByKind[.lyrics] == 1)
        #expect(graph.countsByKind[.song] == 4)
        #expect(graph.tasks.first { $0.kind == .lyrics }?.output == "test/ballads")
    }

    @Test func lyricsPromptsWithPlaceholdersMakeOneLyricsTaskPerValue() {
        let graph = graph("""
        version: 1
        jobs:
          - name: ballads
            lyrics: { prompt: "a {style} ballad about the sea" }
            song: { prompt: "{style} ballad" }
            matrix: { style: [Folk, Soul] }
        """)
        #expect(graph.countsByKind[.lyrics] == 2)
    }
}
