import NNConfig

/// The input transformation a run applies to every sample, kept with the checkpoint so that
/// `predict` scales new data exactly as training did:
///
///     x_j <- (scale * x_j - mean_j) / std_j        (j = feature index within a sample)
///
/// `mean` and `std` are nil unless `standardize: true`; then they are fitted on the training split
/// only (`fit`). The arithmetic is Float, in this order, everywhere, so training and prediction
/// see bit-identical inputs.
public struct InputScaling: Sendable, Equatable {
    /// Multiplies every feature first (the recipe's `scale:`, default 1).
    public var scale: Double
    /// Per-feature mean of the scaled training features; nil without standardization.
    public var mean: [Float]?
    /// Per-feature population standard deviation (divide by n) of the scaled training features;
    /// a constant feature gets 1, as in scikit-learn's StandardScaler. nil without standardization.
    public var std: [Float]?

    public init(scale: Double = 1, mean: [Float]? = nil, std: [Float]? = nil) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// Whether the fitted statistics (if any) are for samples of `featureCount` values.
    public func matches(featureCount: Int) -> Bool {
        (mean?.count ?? featureCount) == featureCount && (std?.count ?? featureCount) == featureCount
    }

    /// Scales `values` (rows of `featureCount` features, row-major) in place. Call `matches` first
    /// on statistics from a file: when they do not fit, only `scale` is applied.
    public func apply(to values: inout [Float], featureCount: Int) {
        let s = Float(scale)
        guard featureCount > 0, let mean, let std, matches(featureCount: featureCount) else {
            if s != 1 { for i in values.indices { values[i] *= s } }
            return
        }
        values.withUnsafeMutableBufferPointer { v in
            var j = 0
            for i in v.indices {
                v[i] = (s * v[i] - mean[j]) / std[j]
                j += 1
                if j == featureCount { j = 0 }
            }
        }
    }

    /// Fits standardization on `features` (the raw training rows, `featureCount` each) after
    /// multiplying by `scale`: `mean_j = (1/n) sum_i x_ij`, `std_j = sqrt((1/n) sum_i (x_ij - mean_j)^2)`,
    /// accumulated in Double, two passes. A feature whose std is 0 (or below 1e-10 * |mean_j|,
    /// i.e. rounding noise of a constant column) gets std 1, so it maps to 0 instead of dividing by 0.
    public static func fit(features: [Float], featureCount: Int, scale: Double) -> InputScaling {
        let n = featureCount > 0 ? features.count / featureCount : 0
        guard n > 0 else { return InputScaling(scale: scale) }
        let s = Float(scale)
        var sum = [Double](repeating: 0, count: featureCount)
        for i in 0..<n {
            for j in 0..<featureCount { sum[j] += Double(s * features[i * featureCount + j]) }
        }
        let mean = sum.map { $0 / Double(n) }
        var squares = [Double](repeating: 0, count: featureCount)
        for i in 0..<n {
            for j in 0..<featureCount {
                let d = Double(s * features[i * featureCount + j]) - mean[j]
                squares[j] += d * d
            }
        }
        let std: [Float] = (0..<featureCount).map { j in
            let sd = (squares[j] / Double(n)).squareRoot()
            return sd == 0 || sd < 1e-10 * abs(mean[j]) ? 1 : Float(sd)
        }
        return InputScaling(scale: scale, mean: mean.map { Float($0) }, std: std)
    }

    /// `{scale: 1.0, mean: [...] | null, std: [...] | null}`. Floats are written in their shortest
    /// round-trip form, so `decode(encode())` gives back identical bits.
    public func encode() -> ConfigNode {
        func floats(_ xs: [Float]?) -> ConfigNode {
            guard let xs else { return .null }
            return .list(xs.map { ConfigNode(.scalar(text: "\($0)", quoted: false)) })
        }
        return .map([("scale", .double(scale)), ("mean", floats(mean)), ("std", floats(std))])
    }

    /// Reads what `encode()` wrote (e.g. from `model.json`), reporting problems to `diagnostics`:
    /// `scale` > 0, `mean` and `std` both present or both absent, of equal length, finite, std > 0.
    public static func decode(_ node: ConfigNode, path: String, diagnostics: Diagnostics) -> InputScaling? {
        guard let reader = MappingReader(node, path: path, diagnostics: diagnostics) else { return nil }
        let before = diagnostics.errors.count
        let scale = reader.double("scale", default: 1, in: 0...Double.greatestFiniteMagnitude, exclusiveMin: true)
        func floats(_ key: String, positive: Bool) -> [Float]? {
            guard let items = reader.list(key) else { return nil }
            var out: [Float] = []
            for (i, item) in items.enumerated() {
                if let d = ConfigScalar.double(item), Float(d).isFinite, !positive || d > 0 {
                    out.append(Float(d))
                } else {
                    diagnostics.report(item, "\(reader.childPath(key))[\(i)]",
                                       "received \(item.brief), expected a finite number\(positive ? " > 0" : "")")
                }
            }
            return out
        }
        let mean = floats("mean", positive: false)
        let std = floats("std", positive: true)
        if (mean == nil) != (std == nil) {
            reader.report(mean == nil ? "std" : "mean", "mean and std must be given together")
        } else if let mean, let std, mean.count != std.count {
            reader.report("std", "received \(std.count) values, expected \(mean.count) (one per feature, as in mean)")
        }
        reader.finish()
        guard diagnostics.errors.count == before else { return nil }
        return InputScaling(scale: scale, mean: mean, std: std)
    }
}
