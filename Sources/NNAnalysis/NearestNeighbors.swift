import NNTensor

/// Exact Euclidean nearest neighbours by brute force: squared distances come from one GEMM per
/// block of rows, ‖xᵢ − xⱼ‖² = ‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ (clamped at 0), and blocks run in parallel on
/// `WorkerPool.shared`. Each row's result depends only on that row, so it is the same for any thread
/// count. Ties are broken by the smaller index (scikit-learn leaves their order unspecified).
public enum NearestNeighbors {
    /// The `k` nearest other rows of every row of `x` (a row is never its own neighbour):
    /// `indices[i * k + r]` is the r-th nearest (r = 0 closest), `squaredDistances` likewise.
    public static func search(_ x: Matrix, k: Int, gemm: GEMM) -> (indices: [Int], squaredDistances: [Double]) {
        let n = x.rows
        precondition(k >= 1 && k < n, "k = \(k) neighbours of \(n) rows")
        var indices = [Int](repeating: 0, count: n * k)
        var distances = [Double](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { idx in
            distances.withUnsafeMutableBufferPointer { dist in
                let idx = idx, dist = dist
                forEachBlock(x, gemm: gemm) { rows, block in
                    for (r, i) in rows.enumerated() {
                        let d = block.baseAddress! + r * n
                        let outI = idx.baseAddress! + i * k, outD = dist.baseAddress! + i * k
                        var filled = 0
                        for j in 0..<n where j != i {
                            let v = d[j]
                            if filled == k && v >= outD[k - 1] { continue }   // ties keep the smaller index
                            var p = filled == k ? k - 1 : filled
                            if filled < k { filled += 1 }
                            while p > 0 && outD[p - 1] > v {
                                outD[p] = outD[p - 1]
                                outI[p] = outI[p - 1]
                                p -= 1
                            }
                            outD[p] = v
                            outI[p] = j
                        }
                    }
                }
            }
        }
        return (indices, distances)
    }

    /// Calls `body(rows, distances)` for consecutive blocks of rows, where `distances` holds the
    /// squared distances of those rows to all n rows (row-major, rows.count x n). Blocks run
    /// concurrently: `body` must only write what belongs to its rows.
    static func forEachBlock(_ x: Matrix, blockRows: Int = 96, gemm: GEMM, _ body: (Range<Int>, UnsafeBufferPointer<Double>) -> Void) {
        let n = x.rows, d = x.columns
        let norms = x.rowSquaredNorms()
        let blocks = (n + blockRows - 1) / blockRows
        let single = gemm.singleThreadedCopy
        let xt = x.transposed   // d x n: the product streams rows (the built-in double GEMM is a plain loop)
        x.values.withUnsafeBufferPointer { xs in
            xt.values.withUnsafeBufferPointer { xts in
                norms.withUnsafeBufferPointer { norms in
                    let (xs, xts, norms) = (xs, xts, norms)
                    WorkerPool.shared.run(count: blocks) { b in
                        let rows = (b * blockRows)..<min(n, (b + 1) * blockRows)
                        var buffer = [Double](repeating: 0, count: rows.count * n)
                        buffer.withUnsafeMutableBufferPointer { out in
                            single.dgemm(transA: false, transB: false, m: rows.count, n: n, k: d, alpha: -2,
                                         a: xs.baseAddress! + rows.lowerBound * d, lda: max(d, 1), b: xts.baseAddress!, ldb: max(n, 1),
                                         beta: 0, c: out.baseAddress!, ldc: n)
                            for (r, i) in rows.enumerated() {
                                for j in 0..<n { out[r * n + j] = max(0, out[r * n + j] + norms[i] + norms[j]) }
                                out[r * n + i] = 0
                            }
                            body(rows, UnsafeBufferPointer(out))
                        }
                    }
                }
            }
        }
    }
}
