@testable import BatchRunner
import BatchManifest
import Foundation
import ProviderKit
import Testing

@Suite("Credentials and small pieces of the runner")
struct CredentialsTests {
    @Test func theKeyComesFromTheEnvironmentOrAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
        try """
        # tempo-batch credentials
        export OTHER=1
        TEMPOLOR_API_KEY="Tempo-from-file"
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Credentials.value("TEMPOLOR_API_KEY", environment: [:], file: file.path) == "Tempo-from-file")
        #expect(try Credentials.value("TEMPOLOR_API_KEY", environment: ["TEMPOLOR_API_KEY": "Tempo-env"], file: file.path) == "Tempo-env")
        #expect(throws: Credentials.Missing.self) { try Credentials.value("USEAPI_TOKEN", environment: [:], file: file.path) }
        #expect(throws: Credentials.Unreadable.self) { try Credentials.value("TEMPOLOR_API_KEY", environment: [:], file: "/nonexistent") }
    }

    @Test func aPoolOfKeysIsTheNameThenItsNumberedSiblings() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
        try "TEMPOLOR_API_KEY_3=Tempo-three\nTEMPOLOR_API_KEY_5=Tempo-five\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = ["TEMPOLOR_API_KEY": "Tempo-one", "TEMPOLOR_API_KEY_2": "Tempo-two"]
        // Environment and file together, in number order, up to the first gap (_4).
        #expect(try Credentials.values("TEMPOLOR_API_KEY", environment: environment, file: file.path) == ["Tempo-one", "Tempo-two", "Tempo-three"])
        // The same key twice counts once; the first name is required.
        #expect(try Credentials.values("TEMPOLOR_API_KEY", environment: ["TEMPOLOR_API_KEY": "k", "TEMPOLOR_API_KEY_2": "k"], file: nil) == ["k"])
        #expect(throws: Credentials.Missing.self) { try Credentials.values("TEMPOLOR_API_KEY", environment: ["TEMPOLOR_API_KEY_2": "k"], file: nil) }
        // A fingerprint names a key without revealing it, the same way every time.
        #expect(KeyFingerprint.of("Tempo-one") == KeyFingerprint.of("Tempo-one"))
        #expect(KeyFingerprint.of("Tempo-one") != KeyFingerprint.of("Tempo-two"))
        #expect(KeyFingerprint.of("Tempo-one").hasPrefix("key:") && KeyFingerprint.of("Tempo-one").count == 16)
        #expect(!KeyFingerprint.of("Tempo-one").contains("Tempo"))
    }

    @Test func redactionRemovesTheSecretWherever() {
        let redactor = Redactor(secrets: ["Tempo-secret"])
        #expect(redactor.clean("key Tempo-secret in a Tempo-secret message") == "key <redacted> in a <redacted> message")
    }

    @Test func lrcLinesAreMonotonicWithMarkersAsComments() {
        let lrc = OutputLibrary.lrc(title: "Owls", duration: 96, sections: [
            .init(start: 0.76, end: 0.78, text: "[intro]"), .init(start: 16.761, end: 19.75, text: "Under silver beams"),
            .init(start: 12, end: 13, text: "Out of order"), .init(start: 62.5, end: 63, text: "\n[chorus]"),
        ])
        #expect(lrc == "[ti:Owls]\n[length:01:36]\n# [intro]\n[00:16.76]Under silver beams\n[00:16.76]Out of order\n# [chorus]\n")
    }

    @Test(arguments: [
        ("Song_vocals.flac", "vocals.flac"), ("dir/Song_drums.flac", "drums.flac"), ("Song_Other.FLAC", "other.flac"),
        ("mystery.flac", "mystery.flac"), ("../evil_vocals.flac", nil), ("/etc/passwd", nil), ("a\\b.flac", nil), ("noext", nil),
    ] as [(String, String?)])
    func stemMemberNamesAreCheckedAndMapped(member: String, expected: String?) {
        #expect(OutputLibrary.stemFileName(forMember: member) == expected)
    }

    @Test func backoffHasFullJitterAndHonoursRetryAfter() {
        let backoff = Backoff(initial: .seconds(2), max: .seconds(60))
        let random = RandomSource(seed: 1), same = RandomSource(seed: 1)
        for attempt in 0..<10 {
            // Exactly a uniform draw of [0, min(max, initial·2ⁿ)], to the millisecond.
            let ceiling = Double(min(60, 2 << attempt))
            let expected = Duration.milliseconds(Int64((ceiling * same.unit() * 1000).rounded()))
            #expect(backoff.delay(attempt: attempt, retryAfter: nil, random: random) == expected)
        }
        // Full jitter reaches up to the ceiling.
        let draws = (0..<200).map { _ in backoff.delay(attempt: 5, retryAfter: nil, random: random) }
        #expect(draws.max() ?? .zero > .seconds(54))
        #expect(draws.min() ?? .seconds(60) < .seconds(6))
        // Retry-After is honoured, and capped at 10 minutes.
        #expect(backoff.delay(attempt: 0, retryAfter: 30, random: random) >= .seconds(30))
        #expect(backoff.delay(attempt: 0, retryAfter: 86_400, random: random) == .seconds(600))
    }

    @Test func aFullLimitMakesTheNextTaskWaitUntilASlotIsReleased() async throws {
        let limiter = AdaptiveLimiter(maximum: 2)
        try await limiter.acquire()
        try await limiter.acquire()
        let third = Task { try await limiter.acquire(); return true }
        while await limiter.waitingCount < 1 { await Task.yield() }
        #expect(await limiter.inUseCount == 2, "the third acquire must still be waiting")
        await limiter.release()
        #expect(try await third.value)
        #expect(await limiter.inUseCount == 2)
        // A waiter that is cancelled gives up its place.
        let cancelled = Task { try await limiter.acquire() }
        while await limiter.waitingCount < 1 { await Task.yield() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(await limiter.inUseCount == 2)
        #expect(await limiter.waitingCount == 0)
    }

    @Test func theAdaptiveLimitHalvesAndRecovers() async throws {
        let limiter = AdaptiveLimiter(maximum: 8, recoveryStep: 2)
        await limiter.slowDown()
        #expect(await limiter.limit == 4)
        await limiter.slowDown()
        await limiter.slowDown()
        await limiter.slowDown()
        #expect(await limiter.limit == 1)
        for _ in 0..<4 { await limiter.recordSuccess() }
        #expect(await limiter.limit == 3)
    }
}
