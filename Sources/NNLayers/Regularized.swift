import NNTensor

/// A layer whose kernel and bias may carry weight penalties (`kernel_regularizer`,
/// `bias_regularizer`): dense, conv2d and conv2d_transpose.
///
/// As in Keras 3, only trainable weights are penalised (a frozen layer adds nothing), and the
/// penalty of a batch is added once to that batch's loss, unscaled by the batch size:
///
///     loss = data_loss + Σ_layers (kernel_penalty(W) + bias_penalty(b))
///
/// The trainer adds `regularizationLoss()` to the reported training loss and calls
/// `addRegularizationGradients()` after backward, before the optimizer step.
public protocol Regularized: Layer {
    var kernel: Parameter { get }
    var bias: Parameter? { get }
    var kernelRegularizer: Regularizer? { get }
    var biasRegularizer: Regularizer? { get }
}

extension Regularized {
    /// The penalties' pairs of (parameter, regulariser), trainable parameters only.
    private var penalised: [(Parameter, Regularizer)] {
        var pairs: [(Parameter, Regularizer)] = []
        if let r = kernelRegularizer, kernel.isTrainable { pairs.append((kernel, r)) }
        if let r = biasRegularizer, let b = bias, b.isTrainable { pairs.append((b, r)) }
        return pairs
    }

    /// Σ penalty over the layer's regularised trainable parameters (0 without regularisers).
    public func regularizationLoss() -> Double {
        penalised.reduce(0) { $0 + $1.1.penalty($1.0.value) }
    }

    /// Adds each penalty's gradient into its parameter's `gradient`.
    public func addRegularizationGradients() {
        for (p, r) in penalised { r.addGradient(of: p.value, into: p.gradient) }
    }
}

extension Dense: Regularized {
    public var kernelRegularizer: Regularizer? { settings.kernelRegularizer }
    public var biasRegularizer: Regularizer? { settings.biasRegularizer }
}

extension Conv2D: Regularized {
    public var kernelRegularizer: Regularizer? { settings.kernelRegularizer }
    public var biasRegularizer: Regularizer? { settings.biasRegularizer }
}

extension Conv2DTranspose: Regularized {
    public var kernelRegularizer: Regularizer? { settings.kernelRegularizer }
    public var biasRegularizer: Regularizer? { settings.biasRegularizer }
}
