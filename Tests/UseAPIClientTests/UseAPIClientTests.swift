import BatchManifest
import Foundation
import ProviderKit
import TemPolorSimulator
import Testing
@testable import UseAPIClient

@Suite("useapi.net client against the simulator's useapi routes")
struct UseAPIClientTests {
    static func song(_ reference: String = "task-key-1", prompt: String = "harbour lights") -> Submission {
        var submission = Submission(kind: .song, chain: .song, reference: reference, callbackURL: "https://callbacks.invalid/tempo-batch")
        submission.prompt = prompt
        submission.lyrics = "[verse]\nLanterns sway"
        submission.model = "TemPolor v3.5"
        return submission
    }

    @Test func jobIDsGoIntoThePathRaw() async throws {
        try await UseAPIHarness.with { h in
            let ref = try #require(try await h.provider.submit(Self.song()).first)
            #expect(ref.id.hasPrefix("user:3-tempolor:") && ref.id.contains("-job:"), "\(ref.id)")
            // The simulator refuses a percent-encoded colon, so a poll that works was sent raw.
            let report = try #require(try await h.provider.status([ref])[ref.id])
            #expect(report.phase == .working)
            let encoded = ref.id.replacingOccurrences(of: ":", with: "%3A")
            let refused = try await h.get(h.baseURL.absoluteString + "/v1/tempolor/music/" + encoded, authorization: "Bearer \(UseAPIHarness.token)")
            #expect(refused.status == 400)
        }
    }

    @Test func pollingFollowsTheJobToCompletedWithProgress() async throws {
        try await UseAPIHarness.with { h in
            let ref = try #require(try await h.provider.submit(Self.song()).first)
            h.clock.advance(by: 20)
            let midway = try #require(try await h.provider.status([ref])[ref.id])
            #expect(midway.phase == .working)
            #expect((midway.progress ?? 0) > 0 && (midway.progress ?? 100) < 100, "\(String(describing: midway.progress))")
            h.finishEverything()
            let done = try #require(try await h.provider.status([ref])[ref.id])
            #expect(done.phase == .succeeded)
            #expect(done.files.contains(.mp3))
            #expect(done.lyrics?.contains("Lanterns sway") == true)
        }
    }

    @Test func aRefusedTokenIsFatal() async throws {
        try await UseAPIHarness.with({ _ in }, token: "user:3-wrong-token") { h in
            do {
                _ = try await h.provider.submit(Self.song())
                Issue.record("a refused token created a job")
            } catch let error as ProviderError {
                #expect(error.failureClass == .fatal)
                #expect(error.message.contains("401"))
                #expect(!error.message.contains("user:3-wrong-token"))
            }
        }
    }

    static let statusClasses: [(CallFault, FailureClass, String)] = [
        (.http402, .stopSubmitting, "subscription"),
        (.http412, .stopSubmitting, "out of credits"),
        (.http596, .fatal, "re-link the TemPolor account"),
        (.http422, .permanent, "moderated"),
        (.http400, .permanent, "400"),
    ]

    @Test(arguments: statusClasses.indices)
    func eachErrorStatusHasItsClass(index: Int) async throws {
        let (fault, expected, words) = Self.statusClasses[index]
        try await UseAPIHarness.with { h in
            await h.simulator.inject(fault, path: "/v1/tempolor/music/song")
            do {
                _ = try await h.provider.submit(Self.song())
                Issue.record("\(fault) did not fail the create")
            } catch let error as ProviderError {
                #expect(error.failureClass == expected, "\(fault): \(error)")
                #expect(error.message.contains(words), "\(error.message)")
            }
            #expect(await h.simulator.stats().useapiJobsCreated == 0)
        }
    }

    @Test func tooManyRequestsAsksToWaitAndSlowDown() async throws {
        try await UseAPIHarness.with({ $0.faults.retryAfterSeconds = 7 }) { h in
            await h.simulator.inject(.http429, path: "/v1/tempolor/music/song")
            do {
                _ = try await h.provider.submit(Self.song())
                Issue.record("429 created a job")
            } catch let error as ProviderError {
                #expect(error.failureClass == .transient(retryAfter: 7))
                #expect(error.slowDown)
            }
        }
    }

    @Test func aLostAnswerIsFoundAgainByReplyRefThenByTheListing() async throws {
        try await UseAPIHarness.with { h in
            let sent = h.clock.now().timeIntervalSince1970
            await h.simulator.inject(.lostAnswer, path: "/v1/tempolor/music/song")
            do {
                _ = try await h.provider.submit(Self.song("key-lost"))
                Issue.record("a lost answer was not reported")
            } catch let error as ProviderError {
                #expect(error.failureClass == .ambiguous)
            }
            #expect(await h.simulator.stats().useapiJobsCreated == 1)
            // While it runs: the executing jobs carry the replyRef.
            let running = try #require(try await h.provider.reconcile(Self.song("key-lost"), sentAfter: sent, excluding: []))
            #expect(running.evidence.contains("replyRef"))
            let id = try #require(running.refs.first?.id)
            // Another task's reference: not executing, not listed since the submission → nothing made.
            let other = try await h.provider.reconcile(Self.song("key-other", prompt: "another prompt"), sentAfter: sent, excluding: [])
            #expect(other?.createdNothing == true, "\(String(describing: other))")
            // Finished: the listing, by prompt, lyrics and model, created after the submission.
            h.finishEverything()
            let listed = try #require(try await h.provider.reconcile(Self.song("key-lost"), sentAfter: sent, excluding: []))
            #expect(listed.refs.first?.id == id)
            #expect(listed.evidence.contains("GET /music"))
            // An id the ledger already holds is never adopted twice.
            // The listing read back past the submission and found nothing else: a firm "nothing
            // was created", not "cannot tell" (nil) and not the known id again.
            let excluded = try #require(try await h.provider.reconcile(Self.song("key-lost"), sentAfter: sent, excluding: [id]))
            #expect(excluded.createdNothing == true, "\(excluded)")
            #expect(excluded.evidence.contains("GET /music"), "\(excluded.evidence)")
        }
    }

    @Test func filesComeFromTheDownloadRouteAndAreFetchedWithoutTheToken() async throws {
        try await UseAPIHarness.with { h in
            let ref = try #require(try await h.provider.submit(Self.song()).first)
            let report = ItemReport(phase: .succeeded, providerStatus: "COMPLETED", raw: .null)
            // Still generating: not available yet, try later.
            do {
                _ = try await h.provider.location(of: .mp3, for: ref, report: report, stale: false)
                Issue.record("a generating job's mp3 was located")
            } catch let error as ProviderError {
                if case .transient = error.failureClass {} else { Issue.record("not transient: \(error)") }
                #expect(error.message.contains("not available yet"), "\(error.message)")
            }
            // Just completed: 404 means "not ready yet", retried rather than failed.
            // Final once the mp3 (40 s) and then the WAV (15 s more) are ready; the window is 5 s.
            h.clock.advance(by: 40 + 15 + 1)
            #expect(try await h.provider.status([ref])[ref.id]?.phase == .succeeded)
            do {
                _ = try await h.provider.location(of: .mp3, for: ref, report: report, stale: false)
                Issue.record("no 404 window right after COMPLETED")
            } catch let error as ProviderError {
                guard case .transient = error.failureClass else { Issue.record("\(error)"); return }
                #expect(error.message.contains("not ready yet"))
            }
            h.clock.advance(by: 60)
            // What each file starts with: an ID3 tag or an MPEG frame sync (0xFF, then a byte whose
            // top three bits are set), a RIFF header, a zip's local file header.
            let looksRight: [(FileRole, @Sendable (Data) -> Bool)] = [
                (.mp3, { $0.starts(with: Array("ID3".utf8)) || ($0.count >= 2 && $0[$0.startIndex] == 0xFF && $0[$0.startIndex + 1] & 0xE0 == 0xE0) }),
                (.wav, { $0.starts(with: Array("RIFF".utf8)) }),
                (.stems, { $0.starts(with: Array("PK".utf8)) }),
            ]
            for (role, isItsKind) in looksRight {
                let location = try await h.provider.location(of: role, for: ref, report: report, stale: false)
                let refused = try await h.get(location.url, authorization: "Bearer \(UseAPIHarness.token)")
                #expect(refused.status == 400, "\(role) with the useapi header")
                let fetched = try await h.get(location.url)
                #expect(fetched.status == 200, "\(role)")
                #expect(isItsKind(fetched.body), "\(role) starts with \(Array(fetched.body.prefix(4)))")
            }
        }
    }

    @Test func expiredResultsAreAClearPermanentError() async throws {
        try await UseAPIHarness.with { h in
            let ref = try #require(try await h.provider.submit(Self.song()).first)
            h.clock.advance(by: 8 * 24 * 3600)
            do {
                _ = try await h.provider.location(of: .mp3, for: ref, report: ItemReport(phase: .succeeded, providerStatus: "", raw: .null), stale: true)
                Issue.record("expired results were served")
            } catch let error as ProviderError {
                #expect(error.failureClass == .permanent)
                #expect(error.message.contains("410") && error.message.contains("expired"))
            }
        }
    }

    @Test func modelsAreMappedAndOptionsSent() {
        let provider = UseAPIProvider(client: UseAPIClient(baseURL: URL(fileURLWithPath: "/"), token: "t", http: .shared), userID: "42", maxJobs: 3)
        let body = provider.body(for: Self.song("ref-9"))
        #expect(body["model_song"] == .string("v3.5"))
        #expect(body["replyRef"] == .string("ref-9"))
        #expect(body["user_id"] == .string("42"))
        #expect(body["maxJobs"] == .number(3))
        #expect(body["replyUrl"] == nil, "the placeholder callback URL is not sent as replyUrl")
        var instrumental = Submission(kind: .instrumental, chain: .instrumental, reference: "r", callbackURL: "https://h.example/cb")
        instrumental.model = "TemPolor i4"
        let instrumentalBody = provider.body(for: instrumental)
        #expect(instrumentalBody["model_instrumental"] == .string("i4"))
        #expect(instrumentalBody["replyUrl"] == .string("https://h.example/cb"))
        #expect(provider.suggestedConcurrency == 3)
    }
}
