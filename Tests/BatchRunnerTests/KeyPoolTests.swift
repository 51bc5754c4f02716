import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import Testing
import TemPolorSimulator

/// Several keys as one pool against the simulator (each key its own account: parallel limit,
/// balance, items), and the pool's parts on their own.
@Suite("Key pools")
struct KeyPoolTests {
    static let secondKey = "Tempo-test-key-2-1a2b3c4d5e6f"

    /// Eight chains of song → extend, two tasks per key at a time.
    static let manifest = """
    version: 1
    name: pooled
    concurrency: { tasks: 2, downloads: 4 }
    jobs:
      - name: chain
        song:
          prompt: "Track {n}, a bright song"
          lyrics: "[verse]\\nA line for the morning\\n[chorus]\\nSing it out"
        matrix: { n: [1, 2, 3, 4, 5, 6, 7, 8] }
        extend: [{ start_time: 10, lyrics: "[outro]\\nGoodnight" }]
    """

    static func configuration(primaryLimit: Int = 2, secondLimit: Int = 2, secondBalance: Double = 100_000) -> SimulatorConfiguration {
        RunnerHarness.configuration {
            $0.fixedDuration = 12
            $0.parallelLimit = primaryLimit
            $0.extraKeys = [.init(apiKey: Self.secondKey, parallelLimit: secondLimit, balance: secondBalance)]
        }
    }

    static func twoKeys(_ environment: inout RunEnvironment) {
        environment.variables["TEMPOLOR_API_KEY_2"] = secondKey
    }

    @Test func createsGoToTheLeastLoadedKeyAndEveryItemStaysWithItsKey() async throws {
        try await RunnerHarness.with(Self.configuration()) { sim in
            let path = try sim.manifest(Self.manifest)
            let log = OutputLog()
            let result = await sim.run(path, log: log, environment: Self.twoKeys)
            #expect(result.exitCode == 0, "\(log.text)")
            let stats = await sim.simulator.stats()
            // Both keys worked, each up to its own limit of 2 and never past it: 4 at once.
            #expect(stats.peakUnfinishedByKey == ["primary": 2, "key-2": 2])
            #expect(stats.acceptedCreatesTotal == 16)
            #expect((stats.acceptedCreatesByKey["primary"] ?? 0) >= 4)
            #expect((stats.acceptedCreatesByKey["key-2"] ?? 0) >= 4)
            // No "too many tasks" answer: each key's limit was kept, so every create sent was
            // accepted (8 songs, 8 extends).
            let creates = ["/open-apis/v1/song/generate", "/open-apis/v1/song/extend"].map { stats.requests[$0] ?? 0 }
            #expect(creates == [8, 8], "\(stats.requests)")
            #expect(!log.text.contains("400007"))

            // The ledger names each item's key by its fingerprint, never by the key.
            let fingerprints = [KeyFingerprint.of(sim.key), KeyFingerprint.of(Self.secondKey)]
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.count == 16)
            #expect(tasks.allSatisfy { $0.state == .downloaded })
            #expect(tasks.allSatisfy { fingerprints.contains($0.account ?? "") })
            #expect(Set(tasks.compactMap(\.account)).count == 2)
            // An extend is made with its song's key (another key cannot see the song).
            for task in tasks where task.kind == "extend" {
                let parent = try #require(tasks.first { $0.key == task.parentKeys.first })
                #expect(task.account == parent.account)
            }
            // `status` counts each key's items by its fingerprint; none is open after the run.
            let counts = fingerprints.map { fingerprint in tasks.filter { $0.account == fingerprint }.count }
            let status = try LedgerStatus.text(outputRoot: sim.library.path, manifest: nil)
            #expect(status.contains("items by key: \(fingerprints[0]) \(counts[0]) (0 open) · \(fingerprints[1]) \(counts[1]) (0 open)")
                    || status.contains("items by key: \(fingerprints[1]) \(counts[1]) (0 open) · \(fingerprints[0]) \(counts[0]) (0 open)"), "\(status)")
            let json = try JSONSerialization.jsonObject(with: Data(try LedgerStatus.json(outputRoot: sim.library.path, manifest: nil).utf8)) as? [String: Any]
            let accounts = json?["accounts"] as? [[String: Any]] ?? []
            #expect(Dictionary(uniqueKeysWithValues: accounts.map { ($0["fingerprint"] as? String ?? "", $0["items"] as? Int ?? 0) })
                    == [fingerprints[0]: counts[0], fingerprints[1]: counts[1]])
            #expect(!status.contains(sim.key) && !status.contains(Self.secondKey))
            let ledgerBytes = try Data(contentsOf: sim.library.appendingPathComponent(".tempo-batch/ledger.sqlite"))
            #expect(ledgerBytes.range(of: Data(Self.secondKey.utf8)) == nil)
            #expect(ledgerBytes.range(of: Data(sim.key.utf8)) == nil)
            #expect(!log.text.contains(Self.secondKey))
        }
    }

    /// A run cut short with items of both keys in flight: the next run polls, extends and
    /// downloads each with the key the ledger recorded (another key's query would be answered
    /// 400008 and leave the item untracked), and pays for nothing twice.
    @Test func aResumedRunCallsEachItemsOwnKey() async throws {
        try await RunnerHarness.with(Self.configuration()) { sim in
            let path = try sim.manifest(Self.manifest)
            let (fired, interrupted) = await sim.runCancelled(path, at: "submitted (item", count: 4, environment: Self.twoKeys)
            #expect(fired)
            #expect(interrupted == nil || interrupted?.exitCode != 0, "the first run finished before it was cut")
            let inFlight = try sim.ledger().allTasks().filter { $0.itemID != nil && $0.state != .downloaded }
            #expect(Set(inFlight.compactMap(\.account)) == [KeyFingerprint.of(sim.key), KeyFingerprint.of(Self.secondKey)],
                    "items of both keys are left for the next run: \(inFlight.map { ($0.state, $0.account) })")
            // `status` shows, per key, its items and how many are still at the provider.
            let status = try LedgerStatus.text(outputRoot: sim.library.path, manifest: nil)
            let all = try sim.ledger().allTasks()
            for fingerprint in [KeyFingerprint.of(sim.key), KeyFingerprint.of(Self.secondKey)] {
                let items = all.filter { $0.account == fingerprint && ($0.itemID != nil || [.submitting, .ambiguous].contains($0.state)) }
                let open = items.filter { [.submitting, .submitted, .running, .ambiguous].contains($0.state) }
                #expect(!open.isEmpty)
                #expect(status.contains("\(fingerprint) \(items.count) (\(open.count) open)"), "\(status)")
            }

            let log = OutputLog()
            var result = await sim.run(path, log: log, environment: Self.twoKeys)
            if result.exitCode == Runner.ExitCode.ambiguous {
                result = await sim.run(path, log: log, { $0.resubmitAmbiguous = true }, environment: Self.twoKeys)
            }
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(!log.text.contains("400008"), "an item was asked about with a key that did not make it")
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.allSatisfy { $0.state == .downloaded })
            let ambiguous = try tasks.flatMap { try sim.ledger().events(of: $0.key) }.filter { $0.actor == "user" }.count
            #expect(await sim.simulator.stats().acceptedCreatesTotal <= 16 + ambiguous)
        }
    }

    @Test func eachKeyLearnsItsOwnLimit() async throws {
        // The run starts both keys at 4; the provider allows the primary 1 and the second 3.
        try await RunnerHarness.with(Self.configuration(primaryLimit: 1, secondLimit: 3)) { sim in
            let path = try sim.manifest(Self.manifest.replacingOccurrences(of: "tasks: 2", with: "tasks: 4"))
            let log = OutputLog()
            let result = await sim.run(path, log: log, environment: Self.twoKeys)
            #expect(result.exitCode == 0, "\(log.text)")
            let stats = await sim.simulator.stats()
            #expect(stats.peakUnfinishedByKey == ["primary": 1, "key-2": 3])
            // Every refusal created nothing; every task was made exactly once.
            #expect(stats.acceptedCreatesTotal == 16)
            #expect(try sim.ledger().allTasks().allSatisfy { $0.state == .downloaded })
            // The second key did most of the work: its limit was not lowered by the primary's refusals.
            #expect((stats.acceptedCreatesByKey["key-2"] ?? 0) > (stats.acceptedCreatesByKey["primary"] ?? 0))
        }
    }

    @Test func aKeyWithoutBalanceLeavesNewWorkToTheOthersAndABudgetHoldsAcrossKeys() async throws {
        // The second key can pay for one song (30) and nothing more.
        try await RunnerHarness.with(Self.configuration(secondBalance: 45)) { sim in
            let path = try sim.manifest(Self.manifest)
            let log = OutputLog()
            _ = await sim.run(path, log: log, environment: Self.twoKeys)
            let stats = await sim.simulator.stats()
            // A new song refused for the key's balance was sent with the other key: every song
            // was made. The extend of the one song the second key made cannot be (only that key
            // sees its song): it waits for a later run, and nothing else stops.
            #expect(stats.keyBalances["key-2"] == 15)
            #expect(stats.acceptedCreatesByKey["key-2"] == 1)
            #expect(stats.acceptedCreatesTotal == 15)
            #expect(log.text.contains("insufficient balance: 15.0 left, 30.0 needed; sent with another key"))
            let tasks = try sim.ledger().allTasks()
            let waiting = tasks.filter { $0.state != .downloaded }
            #expect(waiting.count == 1)
            #expect(waiting.first?.kind == "extend")
            #expect(waiting.first?.state == .pending)
            let events = try sim.ledger().events(of: try #require(waiting.first).key)
            #expect(events.last?.detail?.contains("the balance of the key that made its parent ran out") == true)
        }
        // A budget of 150 credits over two keys: five songs, whichever key made them.
        try await RunnerHarness.with(Self.configuration()) { sim in
            let path = try sim.manifest(Self.manifest.replacingOccurrences(of: "        extend: [{ start_time: 10, lyrics: \"[outro]\\nGoodnight\" }]\n", with: ""))
            let log = OutputLog()
            let result = await sim.run(path, log: log, { $0.budget = Budget(maxCredits: 150) }, environment: Self.twoKeys)
            #expect(result.exitCode == Runner.ExitCode.budget, "\(log.text)")
            let stats = await sim.simulator.stats()
            #expect(stats.acceptedCreatesTotal == 5)
            #expect((stats.acceptedCreatesByKey["primary"] ?? 0) >= 1)
            #expect((stats.acceptedCreatesByKey["key-2"] ?? 0) >= 1)
        }
    }
}

/// The pool's slots alone.
@Suite("Key slots")
struct KeySlotsTests {
    @Test func anyTakesTheLeastLoadedKeyAndAPinnedChoiceItsKey() async throws {
        let slots = KeySlots(fingerprints: ["a", "b"], maximum: 2)
        #expect(try await slots.acquire() == "a")
        #expect(try await slots.acquire() == "b")
        #expect(try await slots.acquire() == "a")
        #expect(try await slots.acquire() == "b")
        #expect(await slots.inUse == [2, 2])
        await slots.release("b")
        // A child pinned to "a" waits for "a" even though "b" has room.
        let pinned = Task { try await slots.acquire(.key("a")) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await slots.acquire() == "b")
        await slots.release("a")
        #expect(try await pinned.value == "a")
        // An unknown or missing fingerprint is the first key (items recorded before keys were).
        await slots.release("a")
        #expect(try await slots.acquire(.key(nil)) == "a")
    }

    @Test func aRefusalLowersOnlyItsKeysLimit() async throws {
        let slots = KeySlots(fingerprints: ["a", "b"], maximum: 4, recoveryStep: 2)
        await slots.slowDown("a")
        #expect(await slots.limits == [2, 4])
        await slots.slowDown("a")
        await slots.slowDown("a")
        #expect(await slots.limits == [1, 4])
        // Successes raise it again, one per recovery step, up to the maximum.
        for _ in 0..<2 { await slots.recordSuccess("a") }
        #expect(await slots.limits == [2, 4])
        // Least loaded by share of the limit: with a limit of 2 and 1 in use, "a" is half full.
        #expect(try await slots.acquire() == "a")
        #expect(try await slots.acquire() == "b")
        #expect(try await slots.acquire() == "b")
        #expect(try await slots.acquire() == "a")
    }

    @Test func anExhaustedKeyTakesNoNewCreatesAndNoKeyLeftFailsTheWaiters() async throws {
        let slots = KeySlots(fingerprints: ["a", "b"], maximum: 1)
        #expect(await slots.exhaust("a") == true)
        #expect(try await slots.acquire() == "b")
        // An item of "a" still takes its slot (it exists; only new creates are refused).
        #expect(try await slots.acquire(.key("a")) == "a")
        let waiting = Task { try await slots.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await slots.exhaust("b") == false)
        await #expect(throws: KeySlots.Exhausted.self) { try await waiting.value }
        await #expect(throws: KeySlots.Exhausted.self) { try await slots.acquire() }
    }
}

/// The pool as a provider: every call about an item goes to the key that made it.
@Suite("Key pool provider")
struct KeyPoolProviderTests {
    final class Member: GenerationProvider, @unchecked Sendable {
        let name: String
        private let lock = NSLock()
        private var _calls: [String] = []
        var calls: [String] { lock.withLock { _calls } }
        init(_ name: String) { self.name = name }
        private func note(_ call: String) { lock.withLock { _calls.append(call) } }

        var capabilities: ProviderCapabilities {
            ProviderCapabilities(name: name, extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create,
                                 stemsOfURL: true, voiceID: true, instrumentalParameters: true, songModels: [], instrumentalModels: [])
        }
        func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
            note("submit \(submission.reference)")
            return [ItemRef(id: "\(name)-\(submission.reference)", kind: submission.kind)]
        }
        func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] { [refs] }
        func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
            note("status " + group.map(\.id).joined(separator: ","))
            return [:]
        }
        func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
            note("location \(ref.id)")
            throw ProviderError(.permanent, "none")
        }
        func balance() async throws(ProviderError) -> Double? { name == "a" ? 10 : 32 }
    }

    @Test func callsGoToTheKeyThatMadeTheItem() async throws {
        let a = Member("a"), b = Member("b")
        let pool = KeyPoolProvider([.init(fingerprint: "key:a", provider: a), .init(fingerprint: "key:b", provider: b)])
        #expect(pool.accounts == ["key:a", "key:b"])
        var submission = Submission(kind: .song, chain: .song, reference: "t1", callbackURL: "https://callbacks.invalid/x")
        submission.account = "key:b"
        let refs = try await pool.submit(submission)
        #expect(refs == [ItemRef(id: "b-t1", kind: .song, account: "key:b")])
        let first = ItemRef(id: "a-1", kind: .song, account: "key:a"), old = ItemRef(id: "a-2", kind: .song)
        let groups = pool.statusGroups([refs[0], first, old])
        // One call never mixes keys; an item recorded without a key belongs to the first.
        #expect(groups.map { $0.map(\.id) } == [["b-t1"], ["a-1", "a-2"]])
        for group in groups { _ = try await pool.status(group) }
        _ = try? await pool.location(of: .mp3, for: refs[0], report: ItemReport(phase: .working, providerStatus: "running", raw: .null), stale: false)
        #expect(a.calls == ["status a-1,a-2"])
        #expect(b.calls == ["submit t1", "status b-t1", "location b-t1"])
        #expect(try await pool.balance() == 42)
    }
}
