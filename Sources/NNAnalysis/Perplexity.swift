import Foundation
import NNTensor

/// t-SNE's input affinities: for each row i, the Gaussian conditional probabilities
/// p(j|i) = exp(−β d²ᵢⱼ) / Σₖ exp(−β d²ᵢₖ) over its candidate neighbours, with βᵢ found by bisection
/// so that the entropy H(Pᵢ) = log(perplexity) to 1e-5 (van der Maaten and Hinton 2008, §2; the
/// search is scikit-learn's `_binary_search_perplexity`: β starts at 1, doubles or halves until
/// bracketed, then bisects, at most 100 steps). Rows run in parallel; each depends only on itself.
enum Perplexity {
    /// `squared[i * m + t]` are row i's squared distances to its m candidates; returns p(j|i) in
    /// the same layout. `skipDiagonal` (exact t-SNE, m = n) gives p(i|i) = 0.
    static func conditional(squared: [Double], rows n: Int, candidates m: Int, perplexity: Double, skipDiagonal: Bool) -> [Double] {
        var p = [Double](repeating: 0, count: n * m)
        let desired = log(perplexity)
        p.withUnsafeMutableBufferPointer { out in
            squared.withUnsafeBufferPointer { d2 in
                let out = out, d2 = d2
                let chunks = min(n, 64)
                WorkerPool.shared.run(count: chunks) { c in
                    for i in (c * n / chunks)..<((c + 1) * n / chunks) {
                        let row = d2.baseAddress! + i * m, pi = out.baseAddress! + i * m
                        var beta = 1.0, lo = -Double.infinity, hi = Double.infinity
                        for _ in 0..<100 {
                            var sum = 0.0
                            for j in 0..<m {
                                let v = (skipDiagonal && j == i) ? 0 : exp(-row[j] * beta)
                                pi[j] = v
                                sum += v
                            }
                            if sum == 0 { sum = 1e-8 }
                            var weighted = 0.0
                            for j in 0..<m {
                                pi[j] /= sum
                                weighted += row[j] * pi[j]
                            }
                            let difference = log(sum) + beta * weighted - desired
                            if abs(difference) <= 1e-5 { break }
                            if difference > 0 {
                                lo = beta
                                beta = hi == .infinity ? beta * 2 : (beta + hi) / 2
                            } else {
                                hi = beta
                                beta = lo == -.infinity ? beta / 2 : (beta + lo) / 2
                            }
                        }
                    }
                }
            }
        }
        return p
    }
}
