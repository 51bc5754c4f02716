import Foundation
import NIOHTTP1
import Testing
@testable import TemPolorSimulator

@Suite("useapi.net scheduler and listing")
struct UseAPISchedulerTests {
    @Test func theSchedulerListsExecutingJobsWithTheirReplyFields() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let first = try await sim.useapiSong(["replyUrl": "http://127.0.0.1:9/hook", "replyRef": "batch-1/a"])
            clock.advance(by: 10)
            let second = try await sim.useapiSong()
            clock.advance(by: 65)
            let third = try await sim.useapi(.POST, "music/instrumental", ["prompt": "x", "replyRef": "batch-1/c"]).jobID
            clock.advance(by: 5)

            let executing = try await sim.useapi(.GET, "scheduler")
            #expect(executing.status == 200)
            // The first two completed at 55 s; the third runs.
            #expect(executing.array.map { $0["job_id"] as? String } == [third])
            #expect(executing.array.first?["replyRef"] as? String == "batch-1/c")
            #expect(executing.array.first?["replyUrl"] == nil, "absent when the create gave none")
            #expect(executing.array.first?["elapsed"] as? String == "00:05")
            #expect(ISO8601DateFormatter().date(from: executing.array.first?["started"] as? String ?? "") != nil)
            _ = (first, second)
        }
    }

    @Test func availabilityShowsSlotsAndUntrackingHidesAJobThatKeepsRunning() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let first = try await sim.useapiSong(["replyUrl": "http://127.0.0.1:9/hook", "replyRef": "r-1"])
            clock.advance(by: 75)
            let second = try await sim.useapiSong()
            let third = try await sim.useapiSong()

            let available = try await sim.useapi(.GET, "scheduler/available")
            #expect(available.status == 200)
            #expect(available.object.keys.sorted() == ["available", "executing"])
            let executing = try #require(available.object["executing"] as? [[String: Any]])
            #expect(executing.map { $0["job_id"] as? String } == [second, third])
            let accounts = try #require(available.object["available"] as? [[String: Any]])
            #expect(accounts.count == 1)
            #expect(accounts.first?["user_id"] as? String == "1000001")
            #expect(accounts.first?["maxJobs"] as? Int == 10)
            #expect(accounts.first?["executing"] as? Int == 2)
            #expect(accounts.first?["available"] as? Int == 8)

            let deleted = try await sim.useapi(.DELETE, "scheduler/" + second)
            #expect(deleted.status == 200)
            #expect(deleted.object.isEmpty && deleted.json != nil)
            #expect(try await sim.useapi(.GET, "scheduler").array.map { $0["job_id"] as? String } == [third])
            #expect(try await sim.useapi(.DELETE, "scheduler/" + second).status == 404)
            #expect(try await sim.useapi(.DELETE, "scheduler/" + first).status == 404, "a finished job is not executing")
            // The job itself goes on and still takes its slot.
            #expect(try await sim.useapiJob(second)["status"] as? Int == 0)
            let slots = try await sim.useapi(.GET, "scheduler/available").object["available"] as? [[String: Any]]
            #expect(slots?.first?["executing"] as? Int == 2)
            clock.advance(by: 60)
            #expect(try await sim.useapiJob(second)["status"] as? Int == 30)
            #expect(try await sim.useapi(.GET, "scheduler").array.isEmpty)
        }
    }

    @Test func theListingPagesNewestFirstWithoutReplyRef() async throws {
        try await Harness.with(Harness.configuration { $0.useapiPageSize = 3 }) { sim in
            var ids: [String] = []
            for index in 0..<7 { ids.append(try await sim.useapiSong(["prompt": "song \(index)", "replyRef": "ref-\(index)"])) }
            _ = try await sim.createSong()   // Open API items are not the useapi account's

            var seen: [String] = []
            var cursor = ""
            var pages = 0
            repeat {
                let query = cursor.isEmpty ? "music" : "music?cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                let page = try await sim.useapi(.GET, query)
                #expect(page.status == 200, "\(page.object)")
                #expect(page.object.keys.sorted() == ["cursor", "hasNext", "records"])
                let records = try #require(page.object["records"] as? [[String: Any]])
                #expect(records.count == min(3, ids.count - seen.count), "page \(pages + 1) holds \(records.count) records")
                #expect(records.allSatisfy { $0["replyRef"] == nil && $0["status"] as? Int == 0 })
                seen += records.map { $0["job_id"] as? String ?? "" }
                cursor = page.object["cursor"] as? String ?? ""
                let hasNext = page.object["hasNext"] as? Bool ?? false
                #expect(hasNext == !cursor.isEmpty)
                pages += 1
                if !hasNext { break }
            } while pages < 10
            #expect(pages == 3)
            #expect(seen == Array(ids.reversed()))
            let filtered = try await sim.useapi(.GET, "music?user_id=1000001")
            #expect((filtered.object["records"] as? [[String: Any]])?.count == 3)
            #expect(try await sim.useapi(.GET, "music?user_id=42").status == 404)
            #expect(try await sim.useapi(.GET, "music?cursor=bogus").status == 400)
        }
    }

    @Test func eachPathTakesOneMethod() async throws {
        try await Harness.with { sim in
            let cases: [(HTTPMethod, String, String)] = [
                (.GET, "music/song", "POST"), (.PUT, "music/instrumental", "POST"), (.POST, "music", "GET"),
                (.POST, "scheduler", "GET"), (.DELETE, "scheduler/available", "GET"), (.GET, "scheduler/user:1-tempolor:1000001-job:x", "DELETE"),
                (.POST, "music/download/user:1-tempolor:1000001-job:x", "GET"),
            ]
            for (method, path, allowed) in cases {
                let answer = try await sim.useapi(method, path)
                #expect(answer.status == 405, "\(method) \(path)")
                #expect(answer.headers.first(name: "Allow") == allowed)
                #expect(answer.code == 405)
            }
            let unknown = try await sim.useapi(.GET, "accounts")
            #expect(unknown.status == 404)
            #expect(unknown.code == 404)
        }
    }
}
