import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// reshape, zero_padding2d and up_sampling2d: gradient checks, values against PyTorch
/// (`Fixtures/layers3.json`), shape errors and config decoding.
@Suite("Shape layers")
struct ShapeLayerTests {
    // MARK: reshape

    @Test("reshape gradient check", arguments: [[6, 4], [-1, 2, 2], [24]])
    func reshapeGradient(target: [Int]) throws {
        let layer = Reshape(name: "reshape", config: .init(targetShape: target))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 3, 4]], batch: 2)
        #expect(result.checked == 48)
        Layers3.expectPassed(result, "reshape to \(target)")
    }

    @Test("reshape keeps the row-major order and infers -1")
    func reshapeValues() throws {
        let layer = Reshape(name: "reshape", config: .init(targetShape: [-1, 3]))
        var rng = RNG(seed: 1)
        #expect(try layer.build(inputShapes: [[2, 2, 3]], dtype: .float64, rng: &rng) == [4, 3])
        var ctx = makeContext()
        let x = Tensor(shape: [2, 2, 2, 3], doubles: (0..<24).map(Double.init))
        let y = layer.forward([x], &ctx)
        #expect(y.shape == [2, 4, 3] && y.doubles == x.doubles)
        #expect(x.shape == [2, 2, 2, 3], "the input is not reshaped")
        let dx = try #require(layer.backward(y, needsInputGradient: true, &ctx)[0])
        #expect(dx.shape == [2, 2, 2, 3] && dx.doubles == x.doubles)
    }

    @Test("reshape with a different element count is a LayerError naming both shapes")
    func reshapeErrors() throws {
        func message(_ target: [Int], _ input: [Int]) -> String? {
            var rng = RNG(seed: 1)
            do {
                _ = try Reshape(name: "r", config: .init(targetShape: target)).build(inputShapes: [input], dtype: .float32, rng: &rng)
                return nil
            } catch { return error.message }
        }
        #expect(message([3, 4], [2, 5]) == "reshape cannot reshape its input (None, 2, 5) (10 values) into (None, 3, 4) (12 values)")
        #expect(message([-1, 3], [2, 5]) == "reshape cannot reshape its input (None, 2, 5) (10 values) into (None, -1, 3): 10 is not a multiple of 3")
        #expect(message([-1, -1], [4]) != nil)
        #expect(message([5, -1], [2, 5]) == nil)
    }

    @Test("reshape config: target_shape required, at most one -1, no 0, round trip")
    func reshapeDecoding() throws {
        #expect(try Layers3.decodeOK("reshape", [("target_shape", .ints([7, 7, 64]))]) as? Reshape.Config == .init(targetShape: [7, 7, 64]))
        #expect(try Layers3.decodeOK("reshape", [("target_shape", .ints([-1, 8]))]) as? Reshape.Config == .init(targetShape: [-1, 8]))
        let cases: [([(String, ConfigNode)], [String])] = [
            ([], ["layer.target_shape: missing required key \"target_shape\""]),
            ([("target_shape", .ints([-1, 2, -1]))], ["layer.target_shape: received [-1, 2, -1], expected at most one -1 (only one dimension can be inferred)"]),
            ([("target_shape", .ints([4, 0]))], ["layer.target_shape[1]: received 0, expected a dimension >= 1 (or -1 for one inferred dimension)"]),
            ([("target_shape", .ints([4, -3]))], ["layer.target_shape[1]: received -3, expected a whole number from -1 to 1073741824"]),
            ([("target_shape", .ints([]))], ["layer.target_shape: received an empty list, expected a list of dimensions such as [7, 7, 64]"]),
            ([("target_shape", .int(4))], ["layer.target_shape: received 4, expected a list of whole numbers"]),
            ([("target_shape", .ints([4])), ("target", .ints([4]))],
             ["layer.target: unknown key \"target\"; expected one of: target_shape"]),
        ]
        for (options, errors) in cases {
            #expect(Layers3.decode("reshape", options).errors == errors, "\(options)")
        }
        try Layers3.expectRoundTrip(Reshape.Config(targetShape: [2, -1, 4]))
    }

    // MARK: zero_padding2d

    @Test("zero_padding2d gradient check", arguments: [
        ZeroPadding2D.Config(padding: 1),
        ZeroPadding2D.Config(top: 2, bottom: 2, left: 0, right: 0),
        ZeroPadding2D.Config(top: 1, bottom: 0, left: 2, right: 3),
    ])
    func zeroPaddingGradient(config: ZeroPadding2D.Config) throws {
        let result = try GradientChecker.check(layer: ZeroPadding2D(name: "pad", config: config), inputShapes: [[3, 2, 2]], batch: 2)
        #expect(result.checked == 24)
        Layers3.expectPassed(result, "zero_padding2d \(config)")
    }

    @Test("zero_padding2d matches PyTorch's pad", arguments: [DType.float64, .float32])
    func zeroPaddingReference(dtype: DType) throws {
        let c = try Layers3.load().zero_padding
        let p = try #require(c.padding)
        let config = ZeroPadding2D.Config(top: p[0][0], bottom: p[0][1], left: p[1][0], right: p[1][1])
        let (y, dx) = try Layers3.run(ZeroPadding2D(name: "pad", config: config), [c.input], upstream: c.upstream, dtype: dtype)
        let tol = dtype == .float64 ? 1e-9 : 1e-5
        expectClose(y, c.output.data, rtol: tol, atol: tol / 10, "output")
        expectClose(dx[0], c.grad_input.data, rtol: tol, atol: tol / 10, "d input")
    }

    @Test("zero_padding2d accepts Keras' three forms and rejects others")
    func zeroPaddingDecoding() throws {
        let i = ConfigNode.int, l = ConfigNode.ints
        let accepted: [(ConfigNode?, ZeroPadding2D.Config)] = [
            (nil, .init(top: 1, bottom: 1, left: 1, right: 1)),
            (i(2), .init(top: 2, bottom: 2, left: 2, right: 2)),
            (l([1, 3]), .init(top: 1, bottom: 1, left: 3, right: 3)),
            (.list([l([1, 0]), l([2, 3])]), .init(top: 1, bottom: 0, left: 2, right: 3)),
            (i(0), .init(top: 0, bottom: 0, left: 0, right: 0)),
        ]
        for (value, expected) in accepted {
            let options = value.map { [("padding", $0)] } ?? []
            #expect(try Layers3.decodeOK("zero_padding2d", options) as? ZeroPadding2D.Config == expected, "\(String(describing: value))")
            try Layers3.expectRoundTrip(expected)
        }
        let expected = "expected a whole number from 0 to 1000000, a list [height, width] or a list [[top, bottom], [left, right]] of them"
        let rejected: [(ConfigNode, String)] = [
            (i(-1), "-1"),
            (l([1, 2, 3]), "[1, 2, 3]"),
            (.list([l([1]), l([2])]), "[[1], [2]]"),
            (.list([l([1, 0]), i(2)]), "[[1, 0], 2]"),
            (.list([l([1, -1]), l([2, 3])]), "[[1, -1], [2, 3]]"),
            (.string("same"), "\"same\""),
        ]
        for (value, shown) in rejected {
            #expect(Layers3.decode("zero_padding2d", [("padding", value)]).errors == ["layer.padding: received \(shown), \(expected)"])
        }
        #expect(Layers3.decode("zero_padding2d", [("paddings", i(1))]).errors.first?.contains("did you mean \"padding\"") == true)
    }

    @Test("zero_padding2d output shape; a flat input is a LayerError")
    func zeroPaddingShapes() throws {
        var rng = RNG(seed: 1)
        #expect(try ZeroPadding2D(name: "p", config: .init(top: 1, bottom: 0, left: 2, right: 3))
            .build(inputShapes: [[28, 28, 1]], dtype: .float32, rng: &rng) == [29, 33, 1])
        let error = #expect(throws: LayerError.self) {
            try ZeroPadding2D(name: "p", config: .init()).build(inputShapes: [[10]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message == "zero_padding2d expects images [height, width, channels], got (None, 10)")
    }

    // MARK: up_sampling2d

    @Test("up_sampling2d gradient check", arguments: [[2, 2], [1, 3], [3, 1]])
    func upSamplingGradient(size: [Int]) throws {
        let layer = UpSampling2D(name: "up", config: .init(size: size))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 3, 2]], batch: 2)
        #expect(layer.outputShape == [2 * size[0], 3 * size[1], 2])
        #expect(result.checked == 24)
        Layers3.expectPassed(result, "up_sampling2d \(size)")
    }

    @Test("up_sampling2d matches PyTorch's nearest interpolation", arguments: [DType.float64, .float32])
    func upSamplingReference(dtype: DType) throws {
        let c = try Layers3.load().up_sampling
        let (y, dx) = try Layers3.run(UpSampling2D(name: "up", config: .init(size: try #require(c.size))), [c.input],
                                      upstream: c.upstream, dtype: dtype)
        let tol = dtype == .float64 ? 1e-9 : 1e-5
        expectClose(y, c.output.data, rtol: tol, atol: tol / 10, "output")
        expectClose(dx[0], c.grad_input.data, rtol: tol, atol: tol / 10, "d input")
    }

    @Test("up_sampling2d config: size forms, nearest only (bilinear not supported yet)")
    func upSamplingDecoding() throws {
        #expect(try Layers3.decodeOK("up_sampling2d", []) as? UpSampling2D.Config == .init(size: [2, 2]))
        #expect(try Layers3.decodeOK("up_sampling2d", [("size", .int(3))]) as? UpSampling2D.Config == .init(size: [3, 3]))
        #expect(try Layers3.decodeOK("up_sampling2d", [("size", .ints([1, 2])), ("interpolation", Layers3.plain("nearest"))])
            as? UpSampling2D.Config == .init(size: [1, 2]))
        let cases: [([(String, ConfigNode)], String)] = [
            ([("interpolation", Layers3.plain("bilinear"))], "layer.interpolation: interpolation \"bilinear\" is not supported yet; only nearest is"),
            ([("interpolation", Layers3.plain("nearst"))], "layer.interpolation: received nearst, expected nearest (did you mean \"nearest\"?)"),
            ([("size", .int(0))], "layer.size: received 0, expected a whole number from 1 to 1000000 or a list [height, width] of them"),
            ([("sizes", .int(2))], "layer.sizes: unknown key \"sizes\"; expected one of: interpolation, size (did you mean \"size\"?)"),
        ]
        for (options, message) in cases {
            #expect(Layers3.decode("up_sampling2d", options).errors == [message], "\(options)")
        }
        try Layers3.expectRoundTrip(UpSampling2D.Config(size: [2, 3]))
    }

    @Test("up_sampling2d on a flat input is a LayerError")
    func upSamplingFlat() throws {
        var rng = RNG(seed: 1)
        let error = #expect(throws: LayerError.self) {
            try UpSampling2D(name: "u", config: .init()).build(inputShapes: [[4, 4]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message == "up_sampling2d expects images [height, width, channels], got (None, 4, 4)")
    }
}
