import NNTensor

/// Finite-difference gradient checks in double precision (the safety net for hand-written
/// backward passes, as Caffe's GradientChecker).
///
/// For a layer, the scalar objective is L = Σ_i w_i · y_i with fixed random weights w, so
/// dL/dy = w exercises every output. Each input and parameter element x is perturbed by ±h and the
/// central difference (L(x + h) − L(x − h)) / 2h is compared with the analytic gradient:
/// |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|) must hold for every element.
/// Stochastic layers see the same random draws in every evaluation (the context's generator is
/// reset each time).
public enum GradientChecker {
    public struct Result: CustomStringConvertible {
        /// Largest |a − n| / max(|a|, |n|, 1e-12) over all checked elements.
        public var maxRelativeError = 0.0
        /// Elements that failed the tolerance, e.g. `kernel[3]: analytic 0.12 numeric 0.13`.
        public var failures: [String] = []
        public var checked = 0
        public var passed: Bool { failures.isEmpty && checked > 0 }
        public var description: String {
            "checked \(checked), max relative error \(maxRelativeError)" + (failures.isEmpty ? "" : ", failures: \(failures.prefix(5))")
        }
    }

    /// Checks `layer` (built here, in float64) on a random batch of `batch` samples of the given
    /// per-sample input shapes. `input` can shape the random inputs (e.g. keep them away from a kink).
    public static func check(layer: any Layer, inputShapes: [[Int]], batch: Int = 3, mode: Mode = .training,
                             seed: UInt64 = 1, h: Double = 1e-6, rtol: Double = 1e-6, atol: Double = 1e-9,
                             input: (inout RNG) -> Double = { $0.uniform(-1, 1) }) throws -> Result {
        var rng = RNG(seed: seed)
        let outShape = try layer.build(inputShapes: inputShapes, dtype: .float64, rng: &rng)
        let inputs = inputShapes.map { shape in
            Tensor(shape: [batch] + shape, doubles: (0..<(batch * shape.reduce(1, *))).map { _ in input(&rng) })
        }
        let weights = (0..<(batch * outShape.reduce(1, *))).map { _ in rng.uniform(-1, 1) }
        let base = LayerContext(mode: mode, rng: RNG(seed: seed ^ 0x5eed), gemm: GEMM(kind: .builtin))
        let regularized = layer as? any Regularized

        func objective() -> Double {
            var ctx = base
            let y = layer.forward(inputs, &ctx)
            return (0..<y.count).reduce(0.0) { $0 + weights[$1] * y[$1] } + (regularized?.regularizationLoss() ?? 0)
        }

        // Analytic gradients.
        for p in layer.parameters { p.gradient.zero() }
        var ctx = base
        let y = layer.forward(inputs, &ctx)
        let dy = Tensor(shape: y.shape, doubles: Array(weights.prefix(y.count)))
        let dx = layer.backward(dy, needsInputGradient: true, &ctx).map { $0?.doubles }
        regularized?.addRegularizationGradients()

        var result = Result()
        func compare(_ label: String, _ tensor: Tensor, _ analytic: [Double]) {
            result.compare(label, tensor, analytic, h: h, rtol: rtol, atol: atol, objective)
        }
        for (j, x) in inputs.enumerated() {
            guard let g = dx.indices.contains(j) ? dx[j] : nil else { continue }
            compare("input\(j)", x, g)
        }
        for p in layer.parameters { compare(p.name, p.value, p.gradient.doubles) }
        return result
    }

    /// Checks d(loss)/d(output) — and, for losses with a fused activation, d(loss)/d(logits) —
    /// on random predictions `output` and targets `target` (float64 tensors).
    public static func check(loss: any Loss, output: Tensor, target: Tensor, logits: Bool,
                             h: Double = 1e-6, rtol: Double = 1e-6, atol: Double = 1e-9) -> Result {
        let g = Tensor(zeros: output.shape, dtype: .float64)
        if logits { loss.gradient(logits: output, target: target, into: g) } else { loss.gradient(output: output, target: target, into: g) }
        func f() -> Double { logits ? loss.value(logits: output, target: target) : loss.value(output: output, target: target) }
        var result = Result()
        result.compare("output", output, g.doubles, h: h, rtol: rtol, atol: atol, f)
        return result
    }
}

extension GradientChecker.Result {
    /// Compares `analytic` with central differences of `objective` over every element of `tensor`.
    mutating func compare(_ label: String, _ tensor: Tensor, _ analytic: [Double], h: Double, rtol: Double, atol: Double,
                          _ objective: () -> Double) {
        for i in 0..<tensor.count {
            let saved = tensor[i]
            tensor[i] = saved + h
            let plus = objective()
            tensor[i] = saved - h
            let minus = objective()
            tensor[i] = saved
            let numeric = (plus - minus) / (2 * h)
            let a = analytic[i]
            let scale = max(abs(a), abs(numeric))
            checked += 1
            if scale > 1e-7 { maxRelativeError = max(maxRelativeError, abs(a - numeric) / scale) }
            if abs(a - numeric) > atol + rtol * scale {
                failures.append("\(label)[\(i)]: analytic \(a) numeric \(numeric)")
            }
        }
    }
}
