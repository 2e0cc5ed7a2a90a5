import Foundation
import NNTensor

/// t-distributed stochastic neighbour embedding (van der Maaten and Hinton, "Visualizing data using
/// t-SNE", JMLR 9, 2008), exact or with Barnes-Hut (van der Maaten, "Accelerating t-SNE using
/// tree-based algorithms", JMLR 15, 2014), following scikit-learn's `TSNE` step for step.
///
/// Input affinities P come from `JointProbabilities` (all pairs for `exact`, 3·perplexity nearest
/// neighbours for Barnes-Hut). In the embedding, qᵢⱼ = wᵢⱼ / Z with wᵢⱼ = 1 / (1 + ‖yᵢ − yⱼ‖²) and
/// Z = Σ_{k≠l} w_kl; the cost is KL(P‖Q) = Σ pᵢⱼ log(pᵢⱼ / qᵢⱼ) and its gradient
///
///     ∂C/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ) wᵢⱼ (yᵢ − yⱼ) = 4 (Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ) − Σⱼ wᵢⱼ² (yᵢ − yⱼ) / Z),
///
/// an attractive sum over the non-zero pᵢⱼ and a repulsive sum over all pairs, computed exactly or
/// with `BarnesHutTree` (2-D). Both run on `WorkerPool.shared`, per point, with Z summed in point
/// order, so results are bit-identical for any thread count.
///
/// Optimisation (as scikit-learn): gradient descent with momentum and per-coordinate gains
/// (Jacobs' delta-bar-delta: +0.2 when the step keeps its sign, ×0.8 otherwise, at least 0.01);
/// 250 iterations with P multiplied by `earlyExaggeration` and momentum 0.5, then momentum 0.8 up
/// to `maxIter` in all. Every 50 iterations the cost is checked: the run stops after 300
/// iterations without improvement (250 in the first stage) or when ‖∇‖ ≤ 1e-7. `learningRate` nil
/// is scikit-learn's `auto`: max(n / earlyExaggeration / 4, 50). Initialisation `pca` is the first
/// components scaled to a first-column standard deviation of 1e-4; `random` is N(0, 1e-4²).
public struct TSNE: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        /// `exact` below 1,000 rows, else `barnes_hut`.
        case auto, exact
        case barnesHut = "barnes_hut"
    }

    public enum Initialization: String, Sendable, CaseIterable { case pca, random }

    public struct Options: Sendable, Equatable {
        public var components = 2
        public var perplexity = 30.0
        public var earlyExaggeration = 12.0
        /// nil = `auto`.
        public var learningRate: Double? = nil
        public var maxIter = 1000
        public var initialization: Initialization = .pca
        public var theta = 0.5
        public var method: Method = .auto
        public init() {}
    }

    /// n x components.
    public var embedding: Matrix
    /// KL(P‖Q) at the end (with the Barnes-Hut Z when that method ran).
    public var klDivergence: Double
    /// Iterations run.
    public var iterations: Int
    /// The method that ran (`auto` resolved) and the learning rate used.
    public var method: Method
    public var learningRate: Double

    /// Rows at which `auto` switches from exact to Barnes-Hut.
    public static let exactLimit = 1000

    /// Checks `o` against data of `n` rows and `d` features without embedding; returns the method
    /// `auto` resolves to.
    public static func validate(_ o: Options, rows n: Int, columns d: Int) throws -> Method {
        guard n >= 2 else { throw AnalysisError.option("perplexity", "t-SNE needs at least 2 rows; the data has \(n)") }
        guard o.perplexity > 0, o.perplexity < Double(n) else {
            throw AnalysisError.option("perplexity", "received \(ConfigNumber.text(o.perplexity)), but the data has \(n) rows; perplexity must be below the number of rows (scikit-learn's rule; 5 to 50 is usual)")
        }
        var method = o.method
        if method == .auto { method = n < exactLimit ? .exact : .barnesHut }
        guard o.components >= 1, method == .exact || o.components == 2 else {
            throw AnalysisError.option("n_components", "received \(o.components); Barnes-Hut embeds in 2 dimensions only (use method: exact for others)")
        }
        guard o.components <= d || o.initialization == .random else {
            throw AnalysisError.option("n_components", "received \(o.components), but PCA initialisation needs at most the \(d) features")
        }
        return method
    }

    public static func fit(_ x: Matrix, options o: Options, rng: inout RNG, gemm: GEMM) throws -> TSNE {
        try x.checkFinite()
        let n = x.rows
        let method = try validate(o, rows: n, columns: x.columns)
        let p = method == .exact ? JointProbabilities.exact(x, perplexity: o.perplexity, gemm: gemm)
                                 : JointProbabilities.nearestNeighbors(x, perplexity: o.perplexity, gemm: gemm)
        let dims = o.components
        var y: [Double]
        switch o.initialization {
        case .pca:
            let projected = try PCA.fit(x, options: PCA.Options(components: .count(dims)), rng: &rng, gemm: gemm).transform(x, gemm: gemm)
            var mean = 0.0, squares = 0.0
            for i in 0..<n { mean += projected[i, 0] }
            mean /= Double(n)
            for i in 0..<n { squares += (projected[i, 0] - mean) * (projected[i, 0] - mean) }
            let std = (squares / Double(n)).squareRoot()
            y = projected.values.map { std > 0 ? $0 / std * 1e-4 : 0 }
        case .random:
            y = (0..<(n * dims)).map { _ in 1e-4 * rng.normal() }
        }
        let rate = o.learningRate ?? max(Double(n) / o.earlyExaggeration / 4, 50)
        let objective = TSNEObjective(p: p, dims: dims, theta: method == .barnesHut ? o.theta : nil)
        let exploration = min(250, o.maxIter)
        var state = Descent(y: y, rate: rate)
        var kl = state.run(objective, from: 0, to: exploration, momentum: 0.5, exaggeration: o.earlyExaggeration, patience: 250)
        var last = state.lastIteration
        if o.maxIter > exploration {
            state.reset()
            kl = state.run(objective, from: last + 1, to: o.maxIter, momentum: 0.8, exaggeration: 1, patience: 300)
            last = state.lastIteration
        }
        return TSNE(embedding: Matrix(rows: n, columns: dims, values: state.y), klDivergence: kl,
                    iterations: last + 1, method: method, learningRate: rate)
    }

    /// scikit-learn's `_gradient_descent` with momentum and gains.
    struct Descent {
        var y: [Double]
        var update: [Double]
        var gains: [Double]
        let rate: Double
        var lastIteration = 0

        init(y: [Double], rate: Double) {
            self.y = y
            self.rate = rate
            update = [Double](repeating: 0, count: y.count)
            gains = [Double](repeating: 1, count: y.count)
        }

        mutating func reset() {
            update = [Double](repeating: 0, count: y.count)
            gains = [Double](repeating: 1, count: y.count)
        }

        /// Iterations start..<end; returns the last cost computed.
        mutating func run(_ objective: TSNEObjective, from start: Int, to end: Int, momentum: Double,
                          exaggeration: Double, patience: Int) -> Double {
            var error = Double.greatestFiniteMagnitude, best = Double.greatestFiniteMagnitude, bestIteration = start
            var gradient = [Double](repeating: 0, count: y.count)
            var i = start
            while i < end {
                let check = (i + 1) % 50 == 0
                let cost = objective.gradient(y, into: &gradient, exaggeration: exaggeration, cost: check || i == end - 1)
                if let cost { error = cost }
                var norm = 0.0
                for t in 0..<y.count {
                    let g = gradient[t]
                    if update[t] * g < 0 { gains[t] += 0.2 } else { gains[t] = max(gains[t] * 0.8, 0.01) }
                    let scaled = g * gains[t]
                    norm += scaled * scaled
                    update[t] = momentum * update[t] - rate * scaled
                    y[t] += update[t]
                }
                lastIteration = i
                if check {
                    if error < best {
                        best = error
                        bestIteration = i
                    } else if i - bestIteration > patience {
                        break
                    }
                    if norm.squareRoot() <= 1e-7 { break }
                }
                i += 1
            }
            return error
        }
    }
}
