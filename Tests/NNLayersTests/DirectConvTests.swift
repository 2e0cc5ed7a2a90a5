import Foundation
import Testing
@testable import NNLayers
import NNTensor

/// One geometry on which the direct kernel must agree with im2col + GEMM.
struct DirectConvCase: Sendable, CustomTestStringConvertible {
    var input: [Int]
    var filters: Int
    var kernel: [Int]
    var strides = [1, 1]
    var padding = ConvPadding.valid
    var dilation = [1, 1]
    var activation = Activation.relu
    var useBias = true
    var batch = 3
    /// Images per chunk (nil: the layer's default budget).
    var imagesPerChunk: Int?

    var testDescription: String {
        "\(input) -> \(filters) k\(kernel) s\(strides) \(padding) d\(dilation) \(activation.name)"
            + (useBias ? "" : " no bias") + " batch \(batch)" + (imagesPerChunk.map { " chunk \($0)" } ?? "")
    }

    func makeLayer(direct: Bool) throws -> Conv2D {
        var config = Conv2D.Config(filters: filters, kernelSize: kernel, strides: strides, padding: padding,
                                   dilationRate: dilation, activation: activation)
        config.useBias = useBias
        config.biasInitializer = .randomUniform(min: -0.5, max: 0.5)
        let layer = Conv2D(name: "c", config: config)
        layer.allowsDirectKernel = direct
        var rng = RNG(seed: 3)
        _ = try layer.build(inputShapes: [input], dtype: .float32, rng: &rng)
        if let imagesPerChunk { layer.maxColumnElements = imagesPerChunk * layer.geometry.columnsPerImage }
        return layer
    }
}

@Suite("Direct convolution kernel (AVX2+FMA) against im2col + GEMM")
struct DirectConvTests {
    static let cases: [DirectConvCase] = [
        // The MNIST-shape layers: several chunks, 64 filters (4 blocks of 16), valid.
        DirectConvCase(input: [12, 12, 32], filters: 64, kernel: [3, 3], batch: 5, imagesPerChunk: 2),
        DirectConvCase(input: [12, 12, 1], filters: 32, kernel: [3, 3], batch: 4),
        // same padding (the padded copy), a partial block of filters, ragged last tile.
        DirectConvCase(input: [8, 8, 32], filters: 20, kernel: [3, 3], padding: .same, batch: 3, imagesPerChunk: 1),
        DirectConvCase(input: [7, 9, 3], filters: 17, kernel: [3, 3], strides: [2, 2], padding: .same, activation: .linear, batch: 4),
        DirectConvCase(input: [6, 7, 2], filters: 5, kernel: [2, 3], dilation: [2, 1], activation: .sigmoid, imagesPerChunk: 1),
        DirectConvCase(input: [6, 7, 2], filters: 5, kernel: [3, 3], padding: .same, dilation: [2, 2], activation: .tanh),
        DirectConvCase(input: [6, 6, 4], filters: 33, kernel: [4, 4], padding: .same, useBias: false, batch: 2, imagesPerChunk: 1),
        DirectConvCase(input: [5, 6, 3], filters: 7, kernel: [1, 1], strides: [2, 2], activation: .linear),
        DirectConvCase(input: [5, 5, 3], filters: 3, kernel: [5, 5], batch: 7, imagesPerChunk: 2),
        // One image: one chunk, its windows split over the workers.
        DirectConvCase(input: [9, 9, 8], filters: 16, kernel: [3, 3], padding: .same, batch: 1),
        DirectConvCase(input: [11, 10, 6], filters: 24, kernel: [3, 3], batch: 2),
    ]

    static func random(_ shape: [Int], _ rng: inout RNG) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) })
    }

    @Test("forward, dx, dW and db agree with im2col + GEMM to float32 rounding", arguments: cases)
    func agrees(c: DirectConvCase) throws {
        try #require(DirectConvolution.isAvailable, "this CPU has no AVX2+FMA (see the availability test)")
        let direct = try c.makeLayer(direct: true), reference = try c.makeLayer(direct: false)
        #expect(direct.kernel.value.floats == reference.kernel.value.floats)
        var rng = RNG(seed: 11)
        let x = Self.random([c.batch] + c.input, &rng)
        let dy = Self.random([c.batch] + direct.outputShape, &rng)
        for gemm in [GEMM(kind: .builtin)] + (ConvSupport.openBLAS.map { [$0] } ?? []) {
            var ctx = makeContext(.training, gemm: gemm)
            let y = direct.forward([x], &ctx).doubles, yRef = reference.forward([x], &ctx).doubles
            expectClose(y, yRef, rtol: 1e-5, atol: 2e-5, "\(c.testDescription) forward \(gemm.kind)")
            for layer in [direct, reference] { for p in layer.parameters { p.gradient.zero() } }
            let dx = try #require(direct.backward(dy, needsInputGradient: true, &ctx).first ?? nil).doubles
            let dxRef = try #require(reference.backward(dy, needsInputGradient: true, &ctx).first ?? nil).doubles
            expectClose(dx, dxRef, rtol: 1e-5, atol: 2e-5, "\(c.testDescription) dx \(gemm.kind)")
            for (p, q) in zip(direct.parameters, reference.parameters) {
                expectClose(p.gradient.doubles, q.gradient.doubles, rtol: 1e-5, atol: 1e-4, "\(c.testDescription) d\(p.name)")
            }
        }
    }

    @Test("the output does not depend on the thread count or the chunking (bit-identical)")
    func deterministic() throws {
        try #require(DirectConvolution.isAvailable)
        let c = DirectConvCase(input: [10, 10, 8], filters: 24, kernel: [3, 3], padding: .same, batch: 4)
        var rng = RNG(seed: 5)
        let x = Self.random([c.batch] + c.input, &rng)
        var outputs: [[Float]] = []
        for chunk in [nil, 1, 4] as [Int?] {
            var variant = c
            variant.imagesPerChunk = chunk
            let layer = try variant.makeLayer(direct: true)
            var ctx = makeContext(.training)
            outputs.append(layer.forward([x], &ctx).floats)
        }
        // Image by image, and the windows of a one-image batch split over the workers.
        for i in 0..<c.batch {
            let layer = try c.makeLayer(direct: true)
            var ctx = makeContext(.inference)
            let one = Tensor(shape: [1] + c.input, values: Array(x.floats[(i * x.itemCount)..<((i + 1) * x.itemCount)]))
            let y = layer.forward([one], &ctx).floats
            #expect(y == Array(outputs[0][(i * y.count)..<((i + 1) * y.count)]), "image \(i) alone")
        }
        #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0])
    }

    @Test("the fused ReLU keeps NaN (terminate_on_nan sees it), as the separate pass does")
    func nanPropagates() throws {
        try #require(DirectConvolution.isAvailable)
        let c = DirectConvCase(input: [6, 6, 2], filters: 4, kernel: [3, 3], batch: 1)
        var rng = RNG(seed: 2)
        let x = Self.random([1] + c.input, &rng)
        x.f32[0] = .nan  // pixel (0, 0): only window (0, 0) reads it
        var ctx = makeContext(.training)
        let y = try c.makeLayer(direct: true).forward([x], &ctx).floats
        let yRef = try c.makeLayer(direct: false).forward([x], &ctx).floats
        #expect(y.indices.filter { y[$0].isNaN } == [0, 1, 2, 3])
        #expect(y.indices.filter { yRef[$0].isNaN } == [0, 1, 2, 3])
    }

    @Test("the kernel is used exactly when /proc/cpuinfo lists avx2 and fma (Linux)")
    func availability() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let words = Set(flags.split(separator: " ").map(String.init))
        #expect(DirectConvolution.isAvailable == (words.contains("avx2") && words.contains("fma")))
    }
}
