import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// add and concatenate: gradient checks with 2 and 3 inputs, values, shape errors, config decoding.
@Suite("Merge layers")
struct MergeTests {
    // MARK: add

    @Test("add gradient check", arguments: [2, 3])
    func addGradient(inputs: Int) throws {
        let shape = [2, 3, 4]
        let result = try GradientChecker.check(layer: Add(name: "add"), inputShapes: Array(repeating: shape, count: inputs), batch: 2)
        #expect(result.checked == inputs * 2 * 24)
        Layers3.expectPassed(result, "add of \(inputs)")
    }

    @Test("add sums its inputs and hands the output gradient itself to every input")
    func addValues() throws {
        let layer = Add(name: "add")
        var rng = RNG(seed: 1)
        #expect(try layer.build(inputShapes: [[3], [3], [3]], dtype: .float32, rng: &rng) == [3])
        var ctx = makeContext()
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 3], values: [10, 20, 30, 40, 50, 60])
        let c = Tensor(shape: [2, 3], values: [0.5, 0.5, 0.5, -1, -1, -1])
        let y = layer.forward([a, b, c], &ctx)
        #expect(y.floats == [11.5, 22.5, 33.5, 43, 54, 65])
        #expect(a.floats == [1, 2, 3, 4, 5, 6], "inputs are never written")
        let dy = Tensor(shape: [2, 3], values: [1, -1, 2, -2, 3, -3])
        let dx = layer.backward(dy, needsInputGradient: true, &ctx)
        #expect(dx.count == 3 && dx.allSatisfy { $0 === dy })
        #expect(layer.backward(dy, needsInputGradient: false, &ctx).allSatisfy { $0 == nil })
    }

    @Test("add rejects different shapes, naming both, and a single input")
    func addErrors() throws {
        var rng = RNG(seed: 1)
        let error = #expect(throws: LayerError.self) {
            try Add(name: "add").build(inputShapes: [[8, 8, 16], [8, 8, 32]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message == "add needs inputs of the same shape, got (None, 8, 8, 16) and (None, 8, 8, 32)")
        let third = #expect(throws: LayerError.self) {
            try Add(name: "add").build(inputShapes: [[4], [4], [5]], dtype: .float32, rng: &rng)
        }
        #expect(third?.message == "add needs inputs of the same shape, got (None, 4) and (None, 5)")
        let single = #expect(throws: LayerError.self) {
            try Add(name: "add").build(inputShapes: [[4]], dtype: .float32, rng: &rng)
        }
        #expect(single?.message == "add needs at least 2 inputs, got 1; list them in the layer's inputs")
    }

    // MARK: concatenate

    @Test("concatenate gradient check", arguments: [
        (-1, [[2, 3, 4], [2, 3, 2]]),            // channels
        (3, [[2, 3, 4], [2, 3, 1], [2, 3, 2]]),  // channels, positive axis, 3 inputs
        (-2, [[2, 3, 4], [2, 1, 4]]),            // a middle axis
        (1, [[2, 3], [1, 3], [3, 3]]),           // the first per-sample axis
        (-1, [[5], [2]]),                        // flat features
    ])
    func concatenateGradient(axis: Int, shapes: [[Int]]) throws {
        let layer = Concatenate(name: "concatenate", config: .init(axis: axis))
        let result = try GradientChecker.check(layer: layer, inputShapes: shapes, batch: 2)
        #expect(result.checked == shapes.reduce(0) { $0 + 2 * $1.reduce(1, *) })
        Layers3.expectPassed(result, "concatenate axis \(axis) of \(shapes)")
    }

    /// NumPy's `np.concatenate(parts, axis=axis)` for [batch] + shape tensors, written out.
    static func concatenated(_ parts: [Tensor], sampleAxis a: Int) -> [Double] {
        let batch = parts[0].batch
        let rows = batch * parts[0].shape[1...a].reduce(1, *)
        let pieces = parts.map { $0.count / rows }
        var out: [Double] = []
        for r in 0..<rows {
            for (p, piece) in zip(parts, pieces) { out += (0..<piece).map { p[r * piece + $0] } }
        }
        return out
    }

    @Test("concatenate values, and axis 3 is axis -1 for images", arguments: [DType.float64, .float32])
    func concatenateValues(dtype: DType) throws {
        let shapes = [[2, 3, 4], [2, 3, 1]]
        var ctx = makeContext()
        var outputs: [[Double]] = []
        let inputs = shapes.enumerated().map { i, s in
            Tensor(shape: [2] + s, doubles: randomValues(2 * s.reduce(1, *), seed: UInt64(10 + i)), dtype: dtype)
        }
        for axis in [-1, 3] {
            let layer = Concatenate(name: "c", config: .init(axis: axis))
            var rng = RNG(seed: 1)
            #expect(try layer.build(inputShapes: shapes, dtype: dtype, rng: &rng) == [2, 3, 5])
            #expect(layer.sampleAxis == 2)
            outputs.append(layer.forward(inputs, &ctx).doubles)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == Self.concatenated(inputs, sampleAxis: 2))

        // Along height: the gradient splits back into the pieces.
        let layer = Concatenate(name: "c", config: .init(axis: 1))
        var rng = RNG(seed: 1)
        let parts = [[1, 2, 2], [3, 2, 2]]
        #expect(try layer.build(inputShapes: parts, dtype: dtype, rng: &rng) == [4, 2, 2])
        let xs = parts.enumerated().map { i, s in Tensor(shape: [2] + s, doubles: randomValues(2 * s.reduce(1, *), seed: UInt64(20 + i)), dtype: dtype) }
        let y = layer.forward(xs, &ctx)
        #expect(y.doubles == Self.concatenated(xs, sampleAxis: 1))
        let dx = layer.backward(y, needsInputGradient: true, &ctx)
        #expect(try dx.map { try #require($0).doubles } == xs.map(\.doubles), "split(concat(x)) == x")
    }

    @Test("concatenate rejects mismatched shapes (naming both), bad axes and a single input")
    func concatenateErrors() throws {
        var rng = RNG(seed: 1)
        func message(_ axis: Int, _ shapes: [[Int]]) -> String? {
            do {
                _ = try Concatenate(name: "c", config: .init(axis: axis)).build(inputShapes: shapes, dtype: .float32, rng: &rng)
                return nil
            } catch { return error.message }
        }
        #expect(message(-1, [[8, 8, 16], [4, 4, 32]]) == "concatenate needs inputs whose shapes match except on axis -1, got (None, 8, 8, 16) and (None, 4, 4, 32)")
        #expect(message(-1, [[8, 8, 16], [8, 16]]) == "concatenate needs inputs whose shapes match except on axis -1, got (None, 8, 8, 16) and (None, 8, 16)")
        #expect(message(2, [[8, 8, 16], [8, 4, 32]]) == "concatenate needs inputs whose shapes match except on axis 2, got (None, 8, 8, 16) and (None, 8, 4, 32)")
        #expect(message(4, [[8, 8, 16], [8, 8, 16]]) == "concatenate axis 4 does not exist for inputs (None, 8, 8, 16); use -1 to -3 or 1 to 3")
        #expect(message(-4, [[8, 8, 16], [8, 8, 16]]) != nil)
        #expect(message(-1, [[8]]) == "concatenate needs at least 2 inputs, got 1; list them in the layer's inputs")
        #expect(message(-1, [[8], [3]]) == nil)
    }

    @Test("buffers are reused batch after batch, and a smaller last batch works")
    func concatenateBuffersReused() throws {
        let layer = Concatenate(name: "c", config: .init())
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[2, 3], [2, 1]], dtype: .float32, rng: &rng)
        var ctx = makeContext()
        var outputs: [Tensor] = []
        for batch in [3, 3, 1] {
            let xs = [Tensor(zeros: [batch, 2, 3]), Tensor(zeros: [batch, 2, 1])]
            let y = layer.forward(xs, &ctx)
            outputs.append(y)
            #expect(y.shape == [batch, 2, 4])
            let dx = layer.backward(y, needsInputGradient: true, &ctx)
            #expect(dx.map { $0?.shape } == [[batch, 2, 3], [batch, 2, 1]])
        }
        #expect(outputs.allSatisfy { $0 === outputs[0] })
    }

    // MARK: Config decoding

    @Test("decoding: add has no options; concatenate's axis defaults to -1 and is never 0")
    func decoding() throws {
        #expect(try Layers3.decodeOK("add", []) is Add.Config)
        #expect(Layers3.decode("add", [("axis", .int(1))]).errors == ["layer.axis: unknown key \"axis\"; expected no keys here"])
        #expect(try Layers3.decodeOK("concatenate", []) as? Concatenate.Config == .init(axis: -1))
        #expect(try Layers3.decodeOK("concatenate", [("axis", .int(3))]) as? Concatenate.Config == .init(axis: 3))
        #expect(try Layers3.decodeOK("concatenate", [("axis", .int(-2))]) as? Concatenate.Config == .init(axis: -2))
        #expect(Layers3.decode("concatenate", [("axis", .int(0))]).errors
            == ["layer.axis: received 0, expected a non-zero axis such as -1 (axis 0 is the batch, which is never concatenated)"])
        #expect(Layers3.decode("concatenate", [("axes", .int(1))]).errors
            == ["layer.axes: unknown key \"axes\"; expected one of: axis (did you mean \"axis\"?)"])
        try Layers3.expectRoundTrip(Add.Config())
        try Layers3.expectRoundTrip(Concatenate.Config())
        try Layers3.expectRoundTrip(Concatenate.Config(axis: 2))
    }
}
