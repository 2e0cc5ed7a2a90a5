import NNConfig
import NNTensor

/// Whether a forward pass is for training (dropout active) or inference. Passed in, never global.
public enum Mode: Sendable {
    case training, inference
}

/// What a forward or backward pass needs besides its tensors.
public struct LayerContext {
    public var mode: Mode
    /// The generator that stochastic layers (dropout) draw from, in graph order.
    public var rng: RNG
    public var gemm: GEMM

    public init(mode: Mode, rng: RNG, gemm: GEMM) {
        self.mode = mode
        self.rng = rng
        self.gemm = gemm
    }
}

/// A trainable tensor and its gradient. Layers add into `gradient` during backward; only the
/// trainer zeroes it.
public final class Parameter {
    /// The parameter's name inside its layer: `kernel`, `bias`.
    public let name: String
    public let value: Tensor
    public let gradient: Tensor
    /// False for frozen parameters: backward skips their gradient and optimizers leave them alone.
    public var isTrainable = true

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.gradient = Tensor(zeros: value.shape, dtype: value.dtype)
    }
}

/// A problem with a layer's configuration found while building it (a shape that does not fit).
/// The model builder adds the YAML position and key path.
public struct LayerError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A layer's configuration: exactly its YAML options, decoded, every default filled in (Keras'
/// `get_config`). A value: decoding a model gives configs, and every `Model` built from them makes
/// layers of its own, so two models never share buffers or weights.
public protocol LayerConfig: Sendable {
    /// The YAML type name, e.g. `dense`.
    var typeName: String { get }
    /// The resolved options mapping (without `name` and `inputs`); decodes back to an equal config.
    func encode() -> ConfigNode
    /// A new layer with this configuration, not built yet.
    func makeLayer(name: String) -> any Layer
    /// The activation applied to the layer's output, for layers that have one.
    var outputActivation: Activation? { get }
}

extension LayerConfig {
    public var outputActivation: Activation? { nil }
}

/// A layer of a network, with explicit forward and backward passes (Caffe's contract).
///
/// Shapes handed to and returned by `build` are per sample, without the batch axis (Keras'
/// `(None, ...)`); tensors passed to `forward` carry the batch as their first axis.
///
/// Buffers: a layer owns its output and input-gradient buffers and reuses them batch after batch,
/// so the tensor `forward` returns is valid until its next `forward`, and the tensors `backward`
/// returns until its next `backward`. `forward` may return one of its inputs unchanged (dropout in
/// inference), and `backward` may return `outputGradient` itself as an input gradient (identity
/// layers; `add` returns it for every input): callers must treat both as read-only. Neither may
/// ever write into its inputs or into `outputGradient`.
///
/// Gradients: `backward` uses what `forward` cached, returns the gradient with respect to each
/// input when `needsInputGradient` asks for it, and ADDS the parameter gradients into
/// `Parameter.gradient` (so two backward passes double them); only the trainer zeroes them.
public protocol Layer: AnyObject {
    /// Unique within a model (`dense`, `dense_1`, ...).
    var name: String { get }
    var config: any LayerConfig { get }
    /// Trainable tensors in a fixed order; empty for stateless layers. Every layer lists its own.
    var parameters: [Parameter] { get }
    /// Non-trainable state saved with the weights (Keras' non-trainable weights), e.g. batch
    /// normalization's moving mean and variance: never given gradients, never touched by
    /// optimizers, updated by the layer itself in training mode. Empty by default.
    var buffers: [Parameter] { get }
    /// Per-sample output shape, valid after `build`.
    var outputShape: [Int] { get }

    /// Checks the input shapes, allocates the parameters (drawing initial values from `rng`) and
    /// returns the per-sample output shape.
    func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int]

    func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor

    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?]
}

extension Layer {
    public var buffers: [Parameter] { [] }
    /// The YAML type name, e.g. `dense`.
    public var typeName: String { config.typeName }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// A layer whose output is `activation(logits)`. A softmax (or sigmoid) output followed by a
/// cross-entropy loss is fused: the loss reads `logits` and hands back the gradient with respect to
/// them, which is exact and stable where going through the probabilities is not.
public protocol ActivatedLayer: Layer {
    var activation: Activation { get }
    /// The pre-activation values of the last forward pass (for activations that run in place,
    /// `Activation.runsInPlace`, the same buffer as the output).
    var logits: Tensor { get }
    /// Backward pass given d(loss)/d(logits) instead of d(loss)/d(output).
    func backward(logitsGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?]
}
