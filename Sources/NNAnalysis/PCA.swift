import NNTensor

/// Principal component analysis: the directions of largest variance of the centred data.
///
/// With X centred (mean μ subtracted), C = XᵀX / (n − 1) = V diag(λ) Vᵀ; the components are the
/// rows of Vᵀ for the largest λ, `explainedVariance` = λ, and `explainedVarianceRatio` = λ / tr(C).
/// A sample x projects to (x − μ) Vₖ, divided by √λ per component when `whiten` (unit variance).
///
/// Solvers: `full` decomposes the d x d covariance (or the n x n Gram matrix when d > n) exactly
/// (`SymmetricEigen`); `randomized` is Halko, Martinsson and Tropp, "Finding structure with
/// randomness", SIAM Review 2011 (Algorithm 4.4 with q power iterations): Q = orth((XXᵀ)^q X Ω)
/// for a Gaussian Ω of k + 10 columns, then the exact decomposition of the small Qᵀ X. `auto` is
/// `full` when min(n, d) ≤ 200, else `randomized` when k is a count below 0.8 min(n, d).
///
/// Signs follow scikit-learn's `svd_flip(u_based_decision=False)`: each component's entry of
/// largest magnitude is positive, so results are deterministic and comparable.
public struct PCA: Sendable {
    /// How many components to keep.
    public enum Components: Sendable, Equatable {
        /// Exactly this many (1 ... min(n, d)).
        case count(Int)
        /// The fewest components whose cumulative ratio exceeds this fraction in (0, 1), as
        /// scikit-learn's `n_components=0.95`.
        case fraction(Double)
    }

    public enum Solver: String, Sendable, CaseIterable { case auto, full, randomized }

    public struct Options: Sendable, Equatable {
        public var components: Components = .count(2)
        public var whiten = false
        public var solver: Solver = .auto
        /// Power iterations of the randomized solver (scikit-learn's `iterated_power`, default 7
        /// when k < 0.1 min(n, d), else 4; here a fixed default of 7).
        public var powerIterations = 7
        public init(components: Components = .count(2), whiten: Bool = false, solver: Solver = .auto) {
            self.components = components
            self.whiten = whiten
            self.solver = solver
        }
    }

    public var mean: [Double]
    /// k x d, one component per row.
    public var components: Matrix
    public var explainedVariance: [Double]
    public var explainedVarianceRatio: [Double]
    public var whiten: Bool
    /// The solver that ran (`auto` resolved).
    public var solver: Solver

    /// Checks `options` against data of `n` rows and `d` features without fitting; returns the
    /// solver `auto` resolves to. Throws `AnalysisError.option` for a count or fraction that does
    /// not fit.
    public static func validate(_ options: Options, rows n: Int, columns d: Int) throws -> Solver {
        let rank = min(n, d)
        guard n >= 2 else { throw AnalysisError.option("n_components", "PCA needs at least 2 rows; the data has \(n)") }
        switch options.components {
        case .count(let k) where k < 1 || k > rank:
            throw AnalysisError.option("n_components", "received \(k), expected a count from 1 to min(rows, features) = \(rank)")
        case .fraction(let f) where !(f > 0 && f < 1):
            throw AnalysisError.option("n_components", "received \(f), expected a fraction strictly between 0 and 1")
        default: break
        }
        var solver = options.solver
        if solver == .auto {
            if case .count(let k) = options.components, rank > 200, Double(k) < 0.8 * Double(rank) { solver = .randomized } else { solver = .full }
        }
        if solver == .randomized, case .fraction = options.components {
            throw AnalysisError.option("n_components", "the randomized solver needs a count of components, not a fraction; use solver: full")
        }
        return solver
    }

    /// Fits the components of `x` (n x d). `rng` draws the randomized solver's test matrix.
    public static func fit(_ x: Matrix, options: Options = Options(), rng: inout RNG, gemm: GEMM) throws -> PCA {
        try x.checkFinite()
        let n = x.rows, d = x.columns
        let solver = try validate(options, rows: n, columns: d)
        let mean = x.columnMeans()
        let xc = x.centered(mean)
        var totalVariance = 0.0
        for v in xc.values { totalVariance += v * v }
        totalVariance /= Double(n - 1)

        var values: [Double], vectors: Matrix
        if solver == .randomized, case .count(let k) = options.components {
            (values, vectors) = randomized(xc, k: k, powerIterations: options.powerIterations, rng: &rng, gemm: gemm)
        } else {
            (values, vectors) = exact(xc, gemm: gemm)
        }
        values = values.map { max($0, 0) }
        var k: Int
        switch options.components {
        case .count(let c): k = c
        case .fraction(let f):
            var cumulative = 0.0
            k = 0
            while k < values.count {
                cumulative += values[k] / totalVariance
                k += 1
                if cumulative > f { break }
            }
        }
        var comps = [Double]()
        for c in 0..<k {
            var row = Array(vectors.values[c * d ..< (c + 1) * d])
            let big = row.indices.max { abs(row[$0]) < abs(row[$1]) || (abs(row[$0]) == abs(row[$1]) && $0 > $1) } ?? 0
            if row[big] < 0 { row = row.map { -$0 } }
            comps += row
        }
        let variance = Array(values.prefix(k))
        return PCA(mean: mean, components: Matrix(rows: k, columns: d, values: comps), explainedVariance: variance,
                   explainedVarianceRatio: variance.map { totalVariance > 0 ? $0 / totalVariance : 0 },
                   whiten: options.whiten, solver: solver)
    }

    /// Projects `x` (m x d) onto the components: m x k.
    public func transform(_ x: Matrix, gemm: GEMM) throws -> Matrix {
        try x.checkFinite()
        precondition(x.columns == mean.count, "PCA fitted on \(mean.count) features, given \(x.columns)")
        var y = LinearAlgebra.product(x.centered(mean), components, transB: true, gemm: gemm)
        if whiten {
            let k = components.rows
            for i in 0..<y.rows { for c in 0..<k { y.values[i * k + c] /= max(explainedVariance[c], 1e-300).squareRoot() } }
        }
        return y
    }

    /// Every eigenpair of the covariance of centred `xc`, largest first (eigenvectors as rows of d).
    static func exact(_ xc: Matrix, gemm: GEMM) -> ([Double], Matrix) {
        let n = xc.rows, d = xc.columns
        if d <= n {
            let cov = LinearAlgebra.product(xc, xc, transA: true, alpha: 1 / Double(n - 1), gemm: gemm)
            let e = SymmetricEigen(cov)
            return (e.values, e.vectors)
        }
        // d > n: decompose the n x n Gram matrix XXᵀ/(n−1) = U Λ Uᵀ; then v = Xᵀu / √(λ(n−1)).
        let gram = LinearAlgebra.product(xc, xc, transB: true, alpha: 1 / Double(n - 1), gemm: gemm)
        let e = SymmetricEigen(gram)
        var v = LinearAlgebra.product(e.vectors, xc, gemm: gemm)   // n x d, row i = uᵢᵀ X
        for i in 0..<n {
            let s = (max(e.values[i], 0) * Double(n - 1)).squareRoot()
            for j in 0..<d { v.values[i * d + j] = s > 1e-300 ? v.values[i * d + j] / s : 0 }
        }
        return (e.values, v)
    }

    /// The top k + 10 eigenpairs by Halko et al.'s randomized range finder.
    static func randomized(_ xc: Matrix, k: Int, powerIterations: Int, rng: inout RNG, gemm: GEMM) -> ([Double], Matrix) {
        let n = xc.rows, d = xc.columns
        let l = min(k + 10, min(n, d))
        let omega = Matrix(rows: d, columns: l, values: (0..<(d * l)).map { _ in rng.normal() })
        var q = LinearAlgebra.product(xc, omega, gemm: gemm)            // n x l
        LinearAlgebra.orthonormalizeColumns(&q)
        for _ in 0..<powerIterations {
            var z = LinearAlgebra.product(xc, q, transA: true, gemm: gemm)   // d x l
            LinearAlgebra.orthonormalizeColumns(&z)
            q = LinearAlgebra.product(xc, z, gemm: gemm)
            LinearAlgebra.orthonormalizeColumns(&q)
        }
        let b = LinearAlgebra.product(q, xc, transA: true, gemm: gemm)      // l x d
        let small = LinearAlgebra.product(b, b, transB: true, alpha: 1 / Double(n - 1), gemm: gemm)   // l x l
        let e = SymmetricEigen(small)
        var v = LinearAlgebra.product(e.vectors, b, gemm: gemm)             // l x d: uᵀB
        for i in 0..<l {
            let s = (max(e.values[i], 0) * Double(n - 1)).squareRoot()
            for j in 0..<d { v.values[i * d + j] = s > 1e-300 ? v.values[i * d + j] / s : 0 }
        }
        return (e.values, v)
    }
}
