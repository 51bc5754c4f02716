/// What a provider's callback asks a run to do: check these items now, or, when the callback
/// names none the run can recognise, check everything in flight now. A callback is only ever a
/// wake-up: its URLs and states are never trusted, the item is queried (polling stays the
/// source of truth).
public enum Wakeup: Sendable, Equatable {
    case items([String])
    case all
}
