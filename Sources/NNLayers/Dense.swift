import NNConfig
import NNTensor

/// A fully connected layer: y = f(x · W + b).
///
/// Input [batch, in], kernel W [in, out] (Keras' layout), bias b [out], output [batch, out].
/// Backward, with dz = f'(z) ⊙ dy: dW += xᵀ · dz, db += Σ_batch dz, dx = dz · Wᵀ.
///
/// YAML (Keras' `Dense`): `dense: {units: 64, activation: relu, use_bias: true,
/// kernel_initializer: glorot_uniform, bias_initializer: zeros}`; only `units` is required.
/// Optional `kernel_regularizer` / `bias_regularizer` (`{l2: 0.0001}`, see `Regularizer`).
public final class Dense: ActivatedLayer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "dense"
        public var units: Int
        public var activation: Activation = .linear
        public var useBias = true
        public var kernelInitializer: Initializer = .glorotUniform
        public var biasInitializer: Initializer = .constant(0)
        public var kernelRegularizer: Regularizer?
        public var biasRegularizer: Regularizer?

        public init(units: Int, activation: Activation = .linear) {
            self.units = units
            self.activation = activation
        }

        public init(_ r: MappingReader) {
            units = r.int("units", in: 1...1_000_000)
            activation = Activation.decode(r, "activation", default: .linear)
            useBias = r.bool("use_bias", default: true)
            kernelInitializer = Initializer.decode(r, "kernel_initializer", default: .glorotUniform)
            biasInitializer = Initializer.decode(r, "bias_initializer", default: .constant(0))
            kernelRegularizer = Regularizer.decode(r, "kernel_regularizer")
            biasRegularizer = Regularizer.decode(r, "bias_regularizer")
            r.finish()
        }

        public func encode() -> ConfigNode {
            .map([("units", .int(units)), ("activation", activation.encode()), ("use_bias", .bool(useBias)),
                  ("kernel_initializer", kernelInitializer.encode()), ("bias_initializer", biasInitializer.encode())]
                 + regularizerEntries(kernel: kernelRegularizer, bias: biasRegularizer))
        }

        public func makeLayer(name: String) -> any Layer { Dense(name: name, config: self) }
        public var outputActivation: Activation? { activation }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public var activation: Activation { settings.activation }
    public private(set) var outputShape: [Int] = []
    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(zeros: [0, 0]))
    public private(set) var bias: Parameter?

    public private(set) var logits = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var logitsGradient = Tensor(zeros: [0])
    private var inputGradient = Tensor(zeros: [0])
    private var input: Tensor?

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        let shape = try singleInput(inputShapes, typeName)
        guard shape.count == 1 else {
            throw LayerError("dense expects a flat input (one axis per sample), got shape \(shapeText(shape)); add a flatten layer before it")
        }
        _ = try elementCount([shape[0], settings.units], what: "the kernel of \(name)")
        (kernel, bias) = makeKernelAndBias(kernelShape: [shape[0], settings.units], units: settings.units,
                                           useBias: settings.useBias, kernelInitializer: settings.kernelInitializer,
                                           biasInitializer: settings.biasInitializer, dtype: dtype, rng: &rng)
        logits = Tensor(zeros: [0], dtype: dtype)
        output = settings.activation.runsInPlace ? logits : Tensor(zeros: [0], dtype: dtype)
        logitsGradient = Tensor(zeros: [0], dtype: dtype)
        inputGradient = Tensor(zeros: [0], dtype: dtype)
        outputShape = [settings.units]
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        input = x
        let n = x.batch, k = x.itemCount, m = settings.units
        logits.reshape([n, m])
        Ops.matmul(x, kernel.value, into: logits, m: n, n: m, k: k, gemm: context.gemm)
        if let bias { Ops.addRow(bias.value, to: logits) }
        output.reshape([n, m])
        settings.activation.forward(logits, into: output, width: m)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        logitsGradient.reshape(outputGradient.shape)
        settings.activation.backward(outputGradient: outputGradient, output: output, logits: logits,
                                   into: logitsGradient, width: settings.units)
        return backward(logitsGradient: logitsGradient, needsInputGradient: needsInputGradient, &context)
    }

    public func backward(logitsGradient dz: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard let x = input else { return [nil] }
        let n = x.batch, k = x.itemCount, m = settings.units
        if kernel.isTrainable {
            Ops.matmul(x, dz, into: kernel.gradient, m: k, n: m, k: n, transA: true, beta: 1, gemm: context.gemm)
        }
        if let bias, bias.isTrainable { Ops.accumulateColumnSums(of: dz, into: bias.gradient) }
        guard needsInputGradient else { return [nil] }
        inputGradient.reshape(x.shape)
        Ops.matmul(dz, kernel.value, into: inputGradient, m: n, n: k, k: m, transB: true, gemm: context.gemm)
        return [inputGradient]
    }
}
