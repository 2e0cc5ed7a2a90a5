import Foundation
import NNTensor

/// k-means clustering: Lloyd's algorithm from k-means++ seeds, the best of `nInit` runs.
///
/// Seeding is greedy k-means++ (Arthur and Vassilvitskii, "k-means++: the advantages of careful
/// seeding", SODA 2007), as scikit-learn does it: the first centre is a uniform row; each next one
/// is the best, by resulting potential Σ minⱼ ‖x − cⱼ‖², of 2 + ⌊ln k⌋ rows drawn with probability
/// proportional to their squared distance to the nearest centre so far.
///
/// Lloyd iterations assign each row to its nearest centre (distances from one GEMM, ‖c‖² − 2x·c,
/// ties to the lower index) and move each centre to the mean of its rows. A cluster left empty is
/// moved to the row farthest from its centre. A run stops when the labels repeat, or when the
/// centres moved by Σ‖Δc‖² ≤ tol · mean feature variance (scikit-learn's relative tolerance), or
/// after `maxIter` iterations; the labels are then recomputed against the final centres.
///
/// The `nInit` runs are independent (run i draws from `RNG(seed: s, stream: "kmeans", index: i)`,
/// s drawn from the caller's generator), run in parallel, and the lowest inertia wins (the lowest
/// run index on a tie), so the result is the same for every thread count.
public struct KMeans: Sendable {
    public struct Options: Sendable, Equatable {
        public var clusters = 8
        public var nInit = 10
        public var maxIter = 300
        public var tol = 1e-4
        public init(clusters: Int = 8) { self.clusters = clusters }
    }

    /// k x d.
    public var centers: Matrix
    /// The cluster of each row, 0..<k.
    public var labels: [Int]
    /// Σ ‖xᵢ − c_{labelᵢ}‖².
    public var inertia: Double
    /// Lloyd iterations of the winning run.
    public var iterations: Int

    /// Checks `options` against data of `n` rows without clustering.
    public static func validate(_ options: Options, rows n: Int) throws {
        let k = options.clusters
        guard k >= 1 else { throw AnalysisError.option("n_clusters", "received \(k), expected a count >= 1") }
        guard k <= n else {
            throw AnalysisError.option("n_clusters", "received \(k), but the data has only \(n) rows; n_clusters must be at most the number of rows")
        }
    }

    public static func fit(_ x: Matrix, options: Options, rng: inout RNG, gemm: GEMM) throws -> KMeans {
        try x.checkFinite()
        try validate(options, rows: x.rows)
        let n = x.rows, k = options.clusters
        var variance = 0.0
        let mean = x.columnMeans()
        for i in 0..<n { for j in 0..<x.columns { let v = x[i, j] - mean[j]; variance += v * v } }
        let tolerance = options.tol * variance / Double(max(n * x.columns, 1))
        let seed = rng.next()
        var runs = [KMeans?](repeating: nil, count: options.nInit)
        let single = gemm.singleThreadedCopy
        let norms = x.rowSquaredNorms()
        runs.withUnsafeMutableBufferPointer { out in
            let out = out
            WorkerPool.shared.run(count: options.nInit) { r in
                var local = RNG(seed: seed, stream: "kmeans", index: UInt64(r))
                let start = seedPlusPlus(x, norms: norms, k: k, rng: &local)
                out[r] = lloyd(x, centers: start, maxIter: options.maxIter, tolerance: tolerance, gemm: single)
            }
        }
        var best = runs[0]!
        for run in runs.dropFirst() where run!.inertia < best.inertia { best = run! }
        return best
    }

    /// Greedy k-means++ seeds (k x d).
    static func seedPlusPlus(_ x: Matrix, norms: [Double], k: Int, rng: inout RNG) -> Matrix {
        let n = x.rows, d = x.columns
        let trials = 2 + Int(log(Double(k)))
        var centers = Matrix(zeros: k, d)
        func distances(to row: Int) -> [Double] {
            (0..<n).map { i in
                var s = 0.0
                for j in 0..<d { let v = x.values[i * d + j] - x.values[row * d + j]; s += v * v }
                return s
            }
        }
        let first = rng.below(n)
        for j in 0..<d { centers[0, j] = x[first, j] }
        var closest = distances(to: first)
        var potential = closest.reduce(0, +)
        for c in 1..<max(k, 1) {
            var cumulative = [Double](repeating: 0, count: n)
            var s = 0.0
            for i in 0..<n { s += closest[i]; cumulative[i] = s }
            var bestRow = 0, bestPotential = Double.infinity, bestDistances: [Double] = []
            for _ in 0..<trials {
                let target = rng.nextDouble() * potential
                var lo = 0, hi = n - 1    // first index with cumulative >= target
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < target { lo = mid + 1 } else { hi = mid } }
                let candidate = distances(to: lo).enumerated().map { min($1, closest[$0]) }
                let p = candidate.reduce(0, +)
                if p < bestPotential { bestPotential = p; bestRow = lo; bestDistances = candidate }
            }
            for j in 0..<d { centers[c, j] = x[bestRow, j] }
            closest = bestDistances
            potential = bestPotential
        }
        return centers
    }

    /// Nearest centre of each row and the squared distance to it.
    static func assign(_ x: Matrix, _ centers: Matrix, gemm: GEMM) -> ([Int], [Double]) {
        let n = x.rows, k = centers.rows
        // Cᵀ stored d x k, so the product streams rows (the built-in double GEMM is a plain loop).
        let dots = LinearAlgebra.product(x, centers.transposed, gemm: gemm)   // n x k
        let centerNorms = centers.rowSquaredNorms(), norms = x.rowSquaredNorms()
        var labels = [Int](repeating: 0, count: n), distances = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var best = 0, bestValue = Double.infinity
            for c in 0..<k {
                let v = centerNorms[c] - 2 * dots.values[i * k + c]
                if v < bestValue { bestValue = v; best = c }
            }
            labels[i] = best
            distances[i] = max(0, bestValue + norms[i])
        }
        return (labels, distances)
    }

    static func lloyd(_ x: Matrix, centers start: Matrix, maxIter: Int, tolerance: Double, gemm: GEMM) -> KMeans {
        let n = x.rows, d = x.columns, k = start.rows
        var centers = start
        var previous: [Int] = []
        var iterations = 0
        for _ in 0..<maxIter {
            iterations += 1
            let (labels, distances) = assign(x, centers, gemm: gemm)
            var sums = Matrix(zeros: k, d)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                counts[labels[i]] += 1
                for j in 0..<d { sums.values[labels[i] * d + j] += x.values[i * d + j] }
            }
            // Empty clusters take the rows farthest from their centres (each row once).
            let empty = (0..<k).filter { counts[$0] == 0 }
            if !empty.isEmpty {
                let far = (0..<n).sorted { distances[$0] != distances[$1] ? distances[$0] > distances[$1] : $0 < $1 }
                for (e, row) in zip(empty, far) where counts[labels[row]] > 1 {
                    counts[labels[row]] -= 1
                    for j in 0..<d { sums.values[labels[row] * d + j] -= x.values[row * d + j]; sums.values[e * d + j] = x.values[row * d + j] }
                    counts[e] = 1
                }
            }
            var shift = 0.0
            for c in 0..<k where counts[c] > 0 {
                for j in 0..<d {
                    let v = sums.values[c * d + j] / Double(counts[c])
                    shift += (v - centers.values[c * d + j]) * (v - centers.values[c * d + j])
                    centers.values[c * d + j] = v
                }
            }
            if labels == previous { break }
            if shift <= tolerance { break }
            previous = labels
        }
        let (labels, distances) = assign(x, centers, gemm: gemm)
        return KMeans(centers: centers, labels: labels, inertia: distances.reduce(0, +), iterations: iterations)
    }
}
