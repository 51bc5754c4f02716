import AsyncHTTPClient
import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("useapi.net fault injection")
struct UseAPIFaultTests {
    static let song = "/v1/tempolor/music/song"

    @Test(arguments: [
        (CallFault.http400, UInt(400)), (.http401, 401), (.http402, 402), (.http412, 412), (.http422, 422), (.http596, 596),
        (.internalError, 500), (.serverBusy, 503), (.parallelLimit, 429),
    ])
    func statusFaultsAnswerAFlatErrorAndCreateNothing(fault: CallFault, status: UInt) async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(fault, path: Self.song)
            let answer = try await sim.useapi(.POST, "music/song", ["prompt": "x"])
            #expect(answer.status == status)
            #expect(answer.code == Int(status))
            #expect(!answer.error.isEmpty)
            #expect(answer.headers.first(name: "Retry-After") == (status == 429 ? "1" : nil))
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 0)
            #expect((stats["faults_injected"] as? [String: Int])?[fault.rawValue] == 1)
            // The next call is unaffected.
            _ = try await sim.useapiSong()
        }
    }

    @Test(arguments: [(CallFault.http500, UInt(500)), (.http502, 502), (.http429, 429)])
    func httpFaultsAreThePlainAnswersOfAProxy(fault: CallFault, status: UInt) async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(fault, path: "*")
            let answer = try await sim.useapi(.GET, "scheduler")
            #expect(answer.status == status)
            #expect(answer.headers.first(name: "Content-Type") == "text/plain")
            #expect(answer.headers.first(name: "Retry-After") == (fault == .http429 ? "1" : nil))
        }
    }

    @Test(arguments: [(CallFault.http412, UInt(412)), (.http596, 596), (.http402, 402)])
    func useapiStatusesOnOpenAPIRoutesArePlain(fault: CallFault, status: UInt) async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(fault, path: "/open-apis/v1/account/billing")
            let answer = try await sim.post("account/billing", [:])
            #expect(answer.httpStatus == status)
            #expect(answer.headers.first(name: "Content-Type") == "text/plain")
            #expect(try await sim.post("account/billing", [:]).status == 200000)
        }
    }

    @Test func droppedBeforeProcessingCreatesNothing() async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(.dropBefore, path: Self.song)
            await #expect(throws: HTTPClientError.remoteConnectionClosed) { _ = try await sim.useapiSong() }
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 0)
            let listing = try await sim.useapi(.GET, "music")
            #expect((listing.object["records"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func aLostAnswerCreatesAndBillsAJobTheClientCanFindByItsReplyRef() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 100 }) { sim in
            await sim.simulator.inject(.lostAnswer, path: Self.song)
            await #expect(throws: HTTPClientError.remoteConnectionClosed) {
                _ = try await sim.useapiSong(["replyRef": "manifest-7/task-3", "replyUrl": "http://127.0.0.1:9/hook"])
            }
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 1)
            #expect(stats["useapi_jobs_created"] as? Int == 1)
            #expect(stats["lost_answer_creates"] as? Int == 1)
            #expect(stats["balance"] as? Double == 70)
            let executing = try await sim.useapi(.GET, "scheduler").array
            #expect(executing.count == 1)
            #expect(executing.first?["replyRef"] as? String == "manifest-7/task-3")
            let records = try #require(try await sim.useapi(.GET, "music").object["records"] as? [[String: Any]])
            #expect(records.map { $0["job_id"] as? String } == executing.map { $0["job_id"] as? String })
        }
    }

    @Test func lostAnswersOnlyHitCreates() async throws {
        try await Harness.with { sim in
            let id = try await sim.useapiSong()
            await sim.simulator.inject(.lostAnswer, path: "*")
            #expect(try await sim.useapi(.GET, "music/" + id).status == 200)
            #expect(try await sim.stats()["lost_answer_creates"] as? Int == 0)
        }
    }

    @Test func routesWithAJobIDAreKeyedByTheirPattern() async throws {
        try await Harness.with { sim in
            let id = try await sim.useapiSong()
            await sim.simulator.inject(.http596, path: "/v1/tempolor/music/{job}")
            let broken = try await sim.useapi(.GET, "music/" + id)
            #expect(broken.status == 596)
            #expect(try await sim.useapi(.GET, "music/" + id).status == 200)
            await sim.simulator.inject(.slow, path: "/v1/tempolor/music/download/{job}")
            let started = ContinuousClock.now
            #expect(try await sim.useapiDownload(id).status == 400)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            let requests = try #require(try await sim.stats()["requests"] as? [String: Int])
            #expect(requests["/v1/tempolor/music/{job}"] == 2)
            #expect(requests["/v1/tempolor/music/download/{job}"] == 1)
            #expect(requests[Self.song] == 1)
        }
    }

    @Test func profileRulesMatchUseAPIPatterns() async throws {
        var configuration = Harness.configuration()
        configuration.faults = FaultProfile(rules: [.init(path: "/v1/tempolor/music/*", faults: [.http412: 1])])
        try await Harness.with(configuration) { sim in
            let create = try await sim.useapi(.POST, "music/song", ["prompt": "x"])
            let job = try await sim.useapi(.GET, "music/user:1-tempolor:1000001-job:x")
            let scheduler = try await sim.useapi(.GET, "scheduler")
            #expect(create.status == 412)
            #expect(job.status == 412)
            #expect(scheduler.status == 200)
        }
    }
}
