import Foundation
import NNTensor

/// The t-SNE cost KL(P‖Q) and its gradient for an embedding y (n x dims, row-major): the
/// attractive part over the non-zero pᵢⱼ of `p`, the repulsive part over all pairs, exactly
/// (`theta` nil) or with a Barnes-Hut quadtree (2-D). See `TSNE` for the formulas.
struct TSNEObjective: Sendable {
    let p: JointProbabilities
    let dims: Int
    let theta: Double?

    /// Writes ∂C/∂y into `gradient` (with P multiplied by `exaggeration`); returns the cost when
    /// `cost` is true (KL of the exaggerated P, as scikit-learn reports it during that stage).
    func gradient(_ y: [Double], into gradient: inout [Double], exaggeration: Double, cost: Bool) -> Double? {
        let n = p.rows, dims = self.dims
        var sumQ = [Double](repeating: 0, count: n)
        var repulsive = [Double](repeating: 0, count: n * dims)
        var klTerms = [Double](repeating: 0, count: cost ? n : 0)
        let chunks = min(n, 64)
        y.withUnsafeBufferPointer { y in
            sumQ.withUnsafeMutableBufferPointer { sumQ in
                repulsive.withUnsafeMutableBufferPointer { rep in
                    gradient.withUnsafeMutableBufferPointer { grad in
                        let (y, sumQ, rep, grad) = (y.baseAddress!, sumQ.baseAddress!, rep.baseAddress!, grad.baseAddress!)
                        func range(_ c: Int) -> Range<Int> { (c * n / chunks)..<((c + 1) * n / chunks) }
                        if let theta {
                            // One thread builds the tree while the others compute the attraction.
                            var tree: BarnesHutTree?
                            withUnsafeMutablePointer(to: &tree) { slot in
                                WorkerPool.shared.run(count: chunks + 1) { c in
                                    if c == 0 { slot.pointee = BarnesHutTree(y, count: n) } else { attraction(range(c - 1), y, exaggeration: exaggeration, into: grad) }
                                }
                            }
                            let built = tree!, groups = built.groupCount, parts = min(groups, 64)
                            WorkerPool.shared.run(count: parts) { c in
                                built.repulsion(groups: (c * groups / parts)..<((c + 1) * groups / parts), y,
                                                theta2: theta * theta, sumQ: sumQ, force: rep)
                            }
                        } else {
                            WorkerPool.shared.run(count: chunks) { c in
                                exactRepulsion(range(c), y, sumQ: sumQ, force: rep)
                                attraction(range(c), y, exaggeration: exaggeration, into: grad)
                            }
                        }
                    }
                }
            }
        }
        var z = 0.0
        for s in sumQ { z += s }
        z = max(z, .leastNormalMagnitude)
        for t in 0..<(n * dims) { gradient[t] = 4 * (gradient[t] - repulsive[t] / z) }
        guard cost else { return nil }
        y.withUnsafeBufferPointer { y in
            klTerms.withUnsafeMutableBufferPointer { terms in
                let terms = terms
                WorkerPool.shared.run(count: chunks) { c in
                    for i in (c * n / chunks)..<((c + 1) * n / chunks) {
                        var s = 0.0
                        for e in p.rowStart[i]..<p.rowStart[i + 1] {
                            let j = p.columns[e]
                            var d2 = 0.0
                            for a in 0..<dims { let d = y[i * dims + a] - y[j * dims + a]; d2 += d * d }
                            let pij = p.values[e] * exaggeration, qij = 1 / (1 + d2) / z
                            s += pij * log(max(pij, .ulpOfOne) / max(qij, .ulpOfOne))
                        }
                        terms[i] = s
                    }
                }
            }
        }
        return klTerms.reduce(0, +)
    }

    /// Σ_{j≠i} wᵢⱼ and Σ_{j≠i} wᵢⱼ² (yᵢ − yⱼ) over all pairs, for i in `range`.
    func exactRepulsion(_ range: Range<Int>, _ y: UnsafePointer<Double>, sumQ: UnsafeMutablePointer<Double>, force: UnsafeMutablePointer<Double>) {
        let n = p.rows, dims = self.dims
        for i in range {
            var s = 0.0
            for a in 0..<dims { force[i * dims + a] = 0 }
            for j in 0..<n where j != i {
                var d2 = 0.0
                for a in 0..<dims { let d = y[i * dims + a] - y[j * dims + a]; d2 += d * d }
                let w = 1 / (1 + d2)
                s += w
                for a in 0..<dims { force[i * dims + a] += w * w * (y[i * dims + a] - y[j * dims + a]) }
            }
            sumQ[i] = s
        }
    }

    /// Σⱼ e·pᵢⱼ wᵢⱼ (yᵢ − yⱼ) over the stored pᵢⱼ (e the exaggeration), for i in `range`.
    func attraction(_ range: Range<Int>, _ y: UnsafePointer<Double>, exaggeration: Double, into grad: UnsafeMutablePointer<Double>) {
        let dims = self.dims
        p.rowStart.withUnsafeBufferPointer { rowStart in
            p.columns.withUnsafeBufferPointer { columns in
                p.values.withUnsafeBufferPointer { values in
                    for i in range {
                        if dims == 2 {
                            let xi = y[2 * i], yi = y[2 * i + 1]
                            var gx = 0.0, gy = 0.0
                            for e in rowStart[i]..<rowStart[i + 1] {
                                let j = columns[e]
                                let dx = xi - y[2 * j], dy = yi - y[2 * j + 1]
                                let pw = values[e] / (1 + dx * dx + dy * dy)
                                gx += pw * dx
                                gy += pw * dy
                            }
                            grad[2 * i] = gx * exaggeration
                            grad[2 * i + 1] = gy * exaggeration
                            continue
                        }
                        for a in 0..<dims { grad[i * dims + a] = 0 }
                        for e in rowStart[i]..<rowStart[i + 1] {
                            let j = columns[e]
                            var d2 = 0.0
                            for a in 0..<dims { let d = y[i * dims + a] - y[j * dims + a]; d2 += d * d }
                            let pw = values[e] * exaggeration / (1 + d2)
                            for a in 0..<dims { grad[i * dims + a] += pw * (y[i * dims + a] - y[j * dims + a]) }
                        }
                    }
                }
            }
        }
    }
}
