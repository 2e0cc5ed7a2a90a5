import NNTensor

/// Trustworthiness of an embedding (Venna and Kaski, "Neighborhood preservation in nonlinear
/// projection methods: an experimental study", ICANN 2001), as scikit-learn's
/// `sklearn.manifold.trustworthiness`:
///
///     T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σᵢ Σ_{j ∈ Nᵢᵏ} max(0, r(i, j) − k)
///
/// where Nᵢᵏ are the k nearest neighbours of i in the embedding and r(i, j) is the rank of j among
/// i's neighbours in the input space (1 = nearest). 1 means every embedded neighbourhood was a
/// neighbourhood in the input. Ranks are counted directly, r(i, j) = 1 + #{m ≠ i : (d²ᵢₘ, m) <
/// (d²ᵢⱼ, j)}, so no row is sorted; equal distances rank by index. O(n² (d + k)), parallel.
public enum Trustworthiness {
    public static func score(input x: Matrix, embedding y: Matrix, k: Int = 5, gemm: GEMM) throws -> Double {
        precondition(x.rows == y.rows, "input and embedding row counts differ")
        let n = x.rows
        guard k >= 1, Double(k) < Double(n) / 2 else {
            throw AnalysisError.option("n_neighbors", "received \(k), expected a count from 1 to below rows / 2 = \(Double(n) / 2)")
        }
        let embedded = NearestNeighbors.search(y, k: k, gemm: gemm).indices
        var penalty = [Int](repeating: 0, count: n)
        penalty.withUnsafeMutableBufferPointer { penalty in
            let penalty = penalty
            NearestNeighbors.forEachBlock(x, gemm: gemm) { rows, block in
                for (r, i) in rows.enumerated() {
                    let d = block.baseAddress! + r * n
                    var sum = 0
                    for t in 0..<k {
                        let j = embedded[i * k + t], dj = d[j]
                        var rank = 1
                        for m in 0..<n where m != i && (d[m] < dj || (d[m] == dj && m < j)) { rank += 1 }
                        sum += max(0, rank - k)
                    }
                    penalty[i] = sum
                }
            }
        }
        let total = Double(penalty.reduce(0, +))
        let nd = Double(n), kd = Double(k)
        return 1 - total * 2 / (nd * kd * (2 * nd - 3 * kd - 1))
    }
}
