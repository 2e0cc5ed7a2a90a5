import NNTensor

/// The few dense products and factorisations the unsupervised methods share, on `Matrix`.
enum LinearAlgebra {
    /// C = op(A) op(B) (double precision GEMM); `transA`/`transB` transpose the operand.
    static func product(_ a: Matrix, _ b: Matrix, transA: Bool = false, transB: Bool = false, alpha: Double = 1, gemm: GEMM) -> Matrix {
        let m = transA ? a.columns : a.rows, k = transA ? a.rows : a.columns
        let n = transB ? b.rows : b.columns
        precondition(k == (transB ? b.columns : b.rows), "inner dimensions differ")
        var c = Matrix(zeros: m, n)
        if m == 0 || n == 0 { return c }
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.values.withUnsafeMutableBufferPointer { pc in
                    gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: pa.baseAddress!, lda: max(a.columns, 1), b: pb.baseAddress!, ldb: max(b.columns, 1),
                               beta: 0, c: pc.baseAddress!, ldc: max(n, 1))
                }
            }
        }
        return c
    }

    /// Makes the columns of `a` orthonormal in place (modified Gram-Schmidt, twice for stability,
    /// "twice is enough": Giraud et al. 2005). A column that becomes numerically zero is left zero.
    static func orthonormalizeColumns(_ a: inout Matrix) {
        let n = a.rows, l = a.columns
        for _ in 0..<2 {
            for j in 0..<l {
                for p in 0..<j {
                    var dot = 0.0
                    for i in 0..<n { dot += a.values[i * l + p] * a.values[i * l + j] }
                    for i in 0..<n { a.values[i * l + j] -= dot * a.values[i * l + p] }
                }
                var norm = 0.0
                for i in 0..<n { norm += a.values[i * l + j] * a.values[i * l + j] }
                norm = norm.squareRoot()
                let scale = norm > 1e-300 ? 1 / norm : 0
                for i in 0..<n { a.values[i * l + j] *= scale }
            }
        }
    }
}
