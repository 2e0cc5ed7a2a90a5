import NNConfig
import NNTensor

/// Elementwise sum of two or more inputs of identical shape: y = x₁ + x₂ + ... (residual
/// connections). Backward hands the output gradient, unchanged, to every input (the same tensor
/// for all of them, which the layer contract allows).
///
/// YAML (Keras' `Add`): `add: {}`, with `inputs: [a, b, ...]` on the layer entry.
public final class Add: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "add"
        public init() {}
        public init(_ r: MappingReader) { r.finish() }
        public func encode() -> ConfigNode { .map([]) }
        public func makeLayer(name: String) -> any Layer { Add(name: name) }
    }

    public let name: String
    public var config: any LayerConfig { Config() }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var inputCount = 0
    private var output = Tensor(zeros: [0])

    public init(name: String) { self.name = name }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        guard inputShapes.count >= 2 else {
            throw LayerError("add needs at least 2 inputs, got \(inputShapes.count); list them in the layer's inputs")
        }
        for shape in inputShapes.dropFirst() where shape != inputShapes[0] {
            throw LayerError("add needs inputs of the same shape, got \(shapeText(inputShapes[0])) and \(shapeText(shape))")
        }
        inputCount = inputShapes.count
        outputShape = inputShapes[0]
        output = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        output.reshape(inputs[0].shape)
        output.copy(from: inputs[0])
        for x in inputs.dropFirst() { Ops.axpy(1, x, output) }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        Array(repeating: needsInputGradient ? outputGradient : nil, count: inputCount)
    }
}

/// Joins two or more inputs along one axis; every other axis must match. For per-sample shapes of
/// rank r, `axis` is -1 (the last, the default) down to -r, or 1 up to r counting the batch as axis
/// 0 as Keras does (for NHWC images, axis 3 and axis -1 are both the channels). With
/// inner_i = the product of input i's dimensions from the axis on, each row of the output (one per
/// batch item and index of the axes before the axis) is the inputs' rows of inner_i values one
/// after another; backward cuts the gradient's rows back into the inputs' pieces.
///
/// YAML (Keras' `Concatenate`): `concatenate: {axis: -1}`, with `inputs: [a, b, ...]`.
public final class Concatenate: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "concatenate"
        public var axis = -1

        public init(axis: Int = -1) { self.axis = axis }

        public init(_ r: MappingReader) {
            axis = r.int("axis", default: -1, in: -64...64)
            if axis == 0 {
                r.report("axis", "received 0, expected a non-zero axis such as -1 (axis 0 is the batch, which is never concatenated)")
                axis = -1
            }
            r.finish()
        }

        public func encode() -> ConfigNode { .map([("axis", .int(axis))]) }
        public func makeLayer(name: String) -> any Layer { Concatenate(name: name, config: self) }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    /// Index of the concatenated axis in the per-sample shape, after build.
    public private(set) var sampleAxis = 0
    /// Values per row for each input (product of its dimensions from `sampleAxis` on).
    private var pieces: [Int] = []
    /// Rows per sample (product of the dimensions before `sampleAxis`).
    private var rowsPerSample = 1
    private var inputShapes: [[Int]] = []
    private var output = Tensor(zeros: [0])
    private var gradients: [Tensor] = []

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        guard inputShapes.count >= 2 else {
            throw LayerError("concatenate needs at least 2 inputs, got \(inputShapes.count); list them in the layer's inputs")
        }
        let first = inputShapes[0], rank = first.count
        let axis = settings.axis
        guard rank >= 1, (-rank...rank).contains(axis), axis != 0 else {
            throw LayerError("concatenate axis \(axis) does not exist for inputs \(shapeText(first)); use -1 to -\(rank) or 1 to \(rank)")
        }
        let a = axis < 0 ? rank + axis : axis - 1
        for shape in inputShapes.dropFirst() {
            var other = shape, base = first
            let sameRank = shape.count == rank
            if sameRank { other[a] = 0; base[a] = 0 }
            guard sameRank, other == base else {
                throw LayerError("concatenate needs inputs whose shapes match except on axis \(axis), got \(shapeText(first)) and \(shapeText(shape))")
            }
        }
        var shape = first
        shape[a] = inputShapes.reduce(0) { $0 + $1[a] }
        _ = try elementCount(shape, what: "concatenate's output")
        sampleAxis = a
        self.inputShapes = inputShapes
        pieces = inputShapes.map { $0[a...].reduce(1, *) }
        rowsPerSample = first[..<a].reduce(1, *)
        output = Tensor(zeros: [0], dtype: dtype)
        gradients = inputShapes.map { _ in Tensor(zeros: [0], dtype: dtype) }
        outputShape = shape
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let n = inputs[0].batch
        output.reshape([n] + outputShape)
        switch output.dtype {
        case .float32: Self.copy(inputs.map(\.f32), output.f32, rows: n * rowsPerSample, pieces: pieces, join: true)
        case .float64: Self.copy(inputs.map(\.f64), output.f64, rows: n * rowsPerSample, pieces: pieces, join: true)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return Array(repeating: nil, count: pieces.count) }
        let n = outputGradient.batch
        for (g, shape) in zip(gradients, inputShapes) { g.reshape([n] + shape) }
        switch outputGradient.dtype {
        case .float32: Self.copy(gradients.map(\.f32), outputGradient.f32, rows: n * rowsPerSample, pieces: pieces, join: false)
        case .float64: Self.copy(gradients.map(\.f64), outputGradient.f64, rows: n * rowsPerSample, pieces: pieces, join: false)
        }
        return gradients
    }

    /// Copies the parts into the whole (`join`) or the whole into the parts: row r of the whole is
    /// row r of every part, `pieces[i]` values each, one after another.
    static func copy<T: TensorScalar>(_ parts: [UnsafeMutablePointer<T>], _ whole: UnsafeMutablePointer<T>, rows: Int,
                                      pieces: [Int], join: Bool) {
        let width = pieces.reduce(0, +)
        for r in 0..<rows {
            var offset = r * width
            for (part, piece) in zip(parts, pieces) {
                let p = part + r * piece
                if join { (whole + offset).update(from: p, count: piece) } else { p.update(from: whole + offset, count: piece) }
                offset += piece
            }
        }
    }
}
