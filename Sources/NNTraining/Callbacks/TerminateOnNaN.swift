import NNConfig

/// Keras' `TerminateOnNaN`: stops training at the first step whose loss is NaN or infinite. The run
/// folder keeps the last checkpoint written before it (the weights are no longer usable), and
/// `nnrun fit` exits with status 1 saying so.
///
///     - terminate_on_nan: {}
public final class TerminateOnNaN: Callback {
    public let typeName = "terminate_on_nan"
    /// The step whose loss was not finite, once it happened.
    public private(set) var badStep: Int?

    init(_ r: MappingReader) {}

    public var banner: String? { "Terminate on NaN: stop at the first step whose loss is not finite" }

    public func stepEnded(_ step: Int, loss: Double, _ run: CallbackContext) -> Bool {
        guard !loss.isFinite else { return false }
        badStep = step
        run.log("Step \(step): invalid loss \(loss), terminating training\n")
        return true
    }
}
