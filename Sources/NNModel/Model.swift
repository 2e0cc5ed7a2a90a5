import NNConfig
import NNLayers
import NNTensor

/// A built network: layers in topological order with their input edges, parameters allocated.
///
/// `forward` runs the layers in order; `backward` runs them in reverse, summing gradients where a
/// layer's output feeds several layers (fan-out), and skips every layer below the lowest one with
/// trainable parameters. The output is the last layer's output.
public final class Model {
    public struct Node {
        public let layer: any Layer
        /// Indices of the input nodes; -1 is the model input.
        public let inputs: [Int]
        public let outputShape: [Int]
    }

    public let inputShape: [Int]
    public let nodes: [Node]
    public let dtype: DType
    private var outputs: [Tensor?]
    private var gradientSums: [Tensor?]

    /// Builds `spec`: infers every shape and allocates the parameters, drawing initial values from
    /// `rng` in layer order. Shape problems are ConfigErrors at the layer's position in the file.
    public init(spec: ModelSpec, dtype: DType = .float32, rng: inout RNG) throws {
        var nodes: [Node] = []
        var total = 0
        for entry in spec.layers {
            let layer = entry.config.makeLayer(name: entry.name)
            let shapes = entry.inputs.map { $0 < 0 ? spec.inputShape : nodes[$0].outputShape }
            do throws(LayerError) {
                let out = try layer.build(inputShapes: shapes, dtype: dtype, rng: &rng)
                nodes.append(Node(layer: layer, inputs: entry.inputs, outputShape: out))
                total += layer.parameterCount
                if total > maxTensorElements {
                    throw LayerError("the model would have more than \(maxTensorElements) parameters; use smaller layers")
                }
            } catch {
                // Later shapes depend on this one, so this is the only error worth reporting.
                throw ConfigErrors([ConfigError(location: entry.node.location, path: entry.path, message: error.message)])
            }
        }
        guard !nodes.isEmpty else {
            throw ConfigErrors([ConfigError(location: nil, path: "model.layers", message: "a model needs at least one layer")])
        }
        self.inputShape = spec.inputShape
        self.nodes = nodes
        self.dtype = dtype
        self.outputs = Array(repeating: nil, count: nodes.count)
        self.gradientSums = Array(repeating: nil, count: nodes.count)
    }

    public var outputLayer: any Layer { nodes[nodes.count - 1].layer }
    public var outputShape: [Int] { nodes[nodes.count - 1].outputShape }

    /// Every parameter and buffer with its checkpoint key `layer.param` (e.g. `dense_1.kernel`,
    /// `batch_normalization.moving_mean`), in layer order.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        nodes.flatMap { n in (n.layer.parameters + n.layer.buffers).map { ("\(n.layer.name).\($0.name)", $0) } }
    }

    public var parameters: [Parameter] { nodes.flatMap { $0.layer.parameters } }

    /// The checkpoint key of each element of `parameters`, in the same order.
    public var parameterKeys: [String] { nodes.flatMap { n in n.layer.parameters.map { "\(n.layer.name).\($0.name)" } } }

    /// Runs the network on a batch `x` ([batch] + inputShape) and returns the output. With a
    /// `profile`, each layer's time is added to it (`nnrun time`).
    public func forward(_ x: Tensor, _ context: inout LayerContext, profile: LayerProfile? = nil) -> Tensor {
        for (i, node) in nodes.enumerated() {
            let inputs = node.inputs.map { $0 < 0 ? x : outputs[$0]! }
            let started = profile == nil ? 0 : WallClock.now()
            outputs[i] = node.layer.forward(inputs, &context)
            profile?.forward[i] += profile == nil ? 0 : WallClock.now() - started
        }
        return outputs[nodes.count - 1]!
    }

    /// The output of node `i` in the last `forward` ([batch] + `nodes[i].outputShape`; nil before
    /// any forward). It is the layer's own buffer: valid until the next forward.
    public func output(ofNode i: Int) -> Tensor? { outputs.indices.contains(i) ? outputs[i] : nil }

    /// Backpropagates `gradient` — d(loss)/d(output), or d(loss)/d(logits) of the output layer when
    /// `logits` is true — adding into every trainable parameter's gradient.
    public func backward(_ gradient: Tensor, logits: Bool, _ context: inout LayerContext, profile: LayerProfile? = nil) {
        let needs = requiresGradient()
        var incoming = [Tensor?](repeating: nil, count: nodes.count)
        incoming[nodes.count - 1] = gradient
        for i in stride(from: nodes.count - 1, through: 0, by: -1) where needs[i] {
            guard let g = incoming[i] else { continue }
            let node = nodes[i]
            let needsInput = node.inputs.contains { $0 >= 0 && needs[$0] }
            let grads: [Tensor?]
            let started = profile == nil ? 0 : WallClock.now()
            if logits && i == nodes.count - 1, let activated = node.layer as? any ActivatedLayer {
                grads = activated.backward(logitsGradient: g, needsInputGradient: needsInput, &context)
            } else {
                grads = node.layer.backward(g, needsInputGradient: needsInput, &context)
            }
            profile?.backward[i] += profile == nil ? 0 : WallClock.now() - started
            for (j, source) in node.inputs.enumerated() where source >= 0 && needs[source] {
                guard let gj = grads[j] else { continue }
                accumulate(gj, into: &incoming, at: source)
            }
        }
    }

    /// Adds `g` to the gradient arriving at node `k`: the first arrival is used as it is; a
    /// second one (fan-out) is summed into a buffer owned by the model.
    private func accumulate(_ g: Tensor, into incoming: inout [Tensor?], at k: Int) {
        guard let existing = incoming[k] else {
            incoming[k] = g
            return
        }
        let sum = gradientSums[k] ?? Tensor(zeros: [0], dtype: dtype)
        gradientSums[k] = sum
        if existing !== sum {
            sum.reshape(existing.shape)
            sum.copy(from: existing)
        }
        Ops.axpy(1, g, sum)
        incoming[k] = sum
    }

    /// Which nodes must be backpropagated: those with a trainable parameter at or below them.
    private func requiresGradient() -> [Bool] {
        var needs = [Bool](repeating: false, count: nodes.count)
        for (i, n) in nodes.enumerated() {
            needs[i] = n.layer.parameters.contains { $0.isTrainable } || n.inputs.contains { $0 >= 0 && needs[$0] }
        }
        return needs
    }

    /// Sets every parameter gradient to zero (the trainer does this before each step).
    public func zeroGradients() {
        for p in parameters { p.gradient.zero() }
    }
}

/// Seconds spent in each layer's forward and backward passes, summed over the passes profiled.
public final class LayerProfile {
    public var forward: [Double]
    public var backward: [Double]

    public init(layers: Int) {
        forward = Array(repeating: 0, count: layers)
        backward = Array(repeating: 0, count: layers)
    }
}
