import Hummingbird
import NIOCore

/// Request context that keeps the connection's channel, so fault injection can close it
/// without answering (a dropped connection or a lost answer).
struct SimulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
