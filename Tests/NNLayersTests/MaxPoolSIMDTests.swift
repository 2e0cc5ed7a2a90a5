import NNConfig
import NNTensor
import Testing
@testable import NNLayers

/// The float32 max pool takes a 4-channel SIMD path when channels % 4 == 0, and in inference an
/// 8-channel one without positions when channels % 8 == 0; both must agree exactly with the generic
/// path (run here in float64 on the same values, which are exact in both).
struct MaxPoolSIMDTests {
    @Test(arguments: [("valid", 2, 2), ("same", 3, 2), ("valid", 3, 1)])
    func simdPathMatchesTheGenericOne(padding: String, pool: Int, stride: Int) throws {
        let shape = [5, 7, 8]
        var rng = RNG(seed: 5)
        let values = (0..<(2 * shape.reduce(1, *))).map { _ in Double(rng.below(1000)) / 8 }
        var outputs: [[Double]] = [], gradients: [[Double]] = []
        for (dtype, mode) in [(DType.float32, Mode.training), (.float64, .training), (.float32, .inference)] {
            let diagnostics = Diagnostics()
            let node = ConfigNode.map([("pool_size", .int(pool)), ("strides", .int(stride)), ("padding", .string(padding))])
            let reader = try #require(MappingReader(node, path: "p", diagnostics: diagnostics))
            let layer = MaxPool2D.Config(reader).makeLayer(name: "p")
            var r = RNG(seed: 1)
            _ = try layer.build(inputShapes: [shape], dtype: dtype, rng: &r)
            var ctx = LayerContext(mode: mode, rng: RNG(seed: 1), gemm: GEMM(kind: .builtin))
            let y = layer.forward([Tensor(shape: [2] + shape, doubles: values, dtype: dtype)], &ctx)
            outputs.append(y.doubles)
            if mode == .inference { continue }  // 8 channels: the inference path records no positions
            let dy = Tensor(shape: y.shape, doubles: (0..<y.count).map { Double($0 % 7) }, dtype: dtype)
            gradients.append(try #require(layer.backward(dy, needsInputGradient: true, &ctx)[0]).doubles)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[2] == outputs[1])
        #expect(gradients[0] == gradients[1])
    }
}
