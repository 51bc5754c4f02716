import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Hummingbird
import ProviderKit
import ProviderWiring
import TemPolorClient
import TemPolorSimulator
import Testing

/// README "Never paying twice": a create whose answer was lost (timeout, HTTP 5xx, an
/// unreadable answer) leaves its task ambiguous; it is sent exactly once.
@Suite("A lost create answer is never retried blindly", .timeLimit(.minutes(1)))
struct LostAnswerTests {
    @Test func http502OnACreateLeavesTheTaskAmbiguous() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.http502, path: "/open-apis/v1/song/generate")
            let path = try sim.manifest(FailureTests.songs(1))
            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == Runner.ExitCode.ambiguous, "\(log.text)")
            #expect(try sim.ledger().allTasks().map(\.state) == [.ambiguous])
            #expect(await sim.simulator.stats().requests["/open-apis/v1/song/generate"] == 1, "the create was retried")
        }
    }

    /// A create endpoint that never answers, or answers what is not the envelope.
    enum Misbehaviour: String, CaseIterable, Sendable {
        case neverAnswers
        case answersHTML
        case answersAnEmptyEnvelope
    }

    @Test(arguments: Misbehaviour.allCases)
    func aCreateWithoutAUsableAnswerLeavesTheTaskAmbiguous(_ misbehaviour: Misbehaviour) async throws {
        let requests = InFlight()
        let (never, _) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.post("/open-apis/v1/song/generate") { _, _ -> Response in
            requests.enter()
            switch misbehaviour {
            case .neverAnswers:
                for await _ in never {}
                return Response(status: .ok)
            case .answersHTML:
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "<html>gateway</html>")))
            case .answersAnEmptyEnvelope:
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"status": 200000, "message": "success", "data": {}}"#)))
            }
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-lost-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let compilation = Providers.compile(try Self.manifestFile(in: root), environment: [:], provider: .tempolor)
        let manifest = try #require(compilation.manifest), graph = try #require(compilation.graph)
        let log = OutputLog()
        let result = try await FakeFileServer.with(router: router) { base in
            let http = HTTPTransport.makeAPIClient()
            let client = TemPolorClient(baseURL: try #require(URL(string: base)), key: APIKey("Tempo-k"), http: http, timeout: .milliseconds(300))
            var options = RunOptions()
            options.outputRoot = root.appendingPathComponent("library").path
            let environment = RunEnvironment.virtual(VirtualClock(), output: { log.append($0) })
            let result = await Runner.execute(manifest, graph, provider: TemPolorProvider(client: client), options: options, environment: environment)
            try await http.shutdown()
            return result
        }
        #expect(result.exitCode == Runner.ExitCode.ambiguous, "\(log.text)")
        let ledger = try Ledger.open(at: root.appendingPathComponent("library/.tempo-batch/ledger.sqlite").path)
        #expect(try ledger.allTasks().map(\.state) == [.ambiguous])
        #expect(requests.entered == 1, "the create was sent \(requests.entered) times")
    }

    static func manifestFile(in root: URL) throws -> String {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("lost.yaml")
        try FailureTests.songs(1).write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}
