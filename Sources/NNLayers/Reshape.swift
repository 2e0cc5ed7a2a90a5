import NNConfig
import NNTensor

/// Gives each sample a new shape with the same elements in the same (row-major) order:
/// [batch, d1, ..., dk] → [batch] + target_shape. One entry of `target_shape` may be -1: it is
/// inferred so that the element counts match, as Keras' `Reshape` does. No copy: the output is a
/// view of the input's buffer (`Tensor.view`), and backward views the gradient in the input's shape.
///
/// YAML (Keras' `Reshape`): `reshape: {target_shape: [7, 7, 64]}`; `target_shape` is required,
/// every entry >= 1 except at most one -1.
public final class Reshape: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "reshape"
        /// As written, -1 included (the resolved shape is the layer's `outputShape`).
        public var targetShape: [Int]

        public init(targetShape: [Int]) { self.targetShape = targetShape }

        public init(_ r: MappingReader) {
            targetShape = r.intList("target_shape", in: -1...maxTensorElements)
            if let items = r.node["target_shape"]?.items {
                if items.isEmpty {
                    r.report("target_shape", "received an empty list, expected a list of dimensions such as [7, 7, 64]")
                }
                for (i, item) in items.enumerated() where ConfigScalar.int(item) == 0 {
                    r.diagnostics.report(item, "\(r.childPath("target_shape"))[\(i)]",
                                         "received 0, expected a dimension >= 1 (or -1 for one inferred dimension)")
                }
                if targetShape.filter({ $0 == -1 }).count > 1 {
                    r.report("target_shape", "received \(targetShape), expected at most one -1 (only one dimension can be inferred)")
                }
            }
            r.finish()
        }

        public func encode() -> ConfigNode { .map([("target_shape", .ints(targetShape))]) }
        public func makeLayer(name: String) -> any Layer { Reshape(name: name, config: self) }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        inputShape = try singleInput(inputShapes, typeName)
        outputShape = try Self.resolve(settings.targetShape, input: inputShape)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    /// `target` with its -1 (if any) replaced by the dimension that makes its element count equal
    /// the input's; a LayerError naming both shapes when that is impossible.
    static func resolve(_ target: [Int], input: [Int]) throws(LayerError) -> [Int] {
        let count = try elementCount(input, what: "reshape's input")
        let inferred = target.indices.filter { target[$0] == -1 }
        guard !target.isEmpty, inferred.count <= 1, target.allSatisfy({ $0 == -1 || $0 >= 1 }) else {
            throw LayerError("reshape target_shape \(target) is not a shape: use dimensions >= 1 and at most one -1")
        }
        let known = try elementCount(target.filter { $0 != -1 }, what: "reshape's target_shape")
        var shape = target
        if let i = inferred.first {
            guard count % known == 0 else {
                throw LayerError("reshape cannot reshape its input \(shapeText(input)) (\(count) values) into \(shapeText(target)): \(count) is not a multiple of \(known)")
            }
            shape[i] = count / known
        } else if known != count {
            throw LayerError("reshape cannot reshape its input \(shapeText(input)) (\(count) values) into \(shapeText(target)) (\(known) values)")
        }
        return shape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.view(x, as: [x.batch] + outputShape)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        gradient.view(outputGradient, as: [outputGradient.batch] + inputShape)
        return [gradient]
    }
}
