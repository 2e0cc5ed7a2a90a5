/// Tensor kernels shared by layers, losses and optimizers. Each public function checks dtypes,
/// dispatches once on the dtype, and runs a generic loop specialised for Float or Double.
/// Matrices are row-major views of the tensors' flat buffers.
public enum Ops {
    /// C = op(A) · op(B) + beta · C, with A viewed as [m, k] (or [k, m] when `transA`), B as
    /// [k, n] (or [n, k] when `transB`) and C as [m, n]. `beta = 1` accumulates (parameter
    /// gradients); `beta = 0` overwrites.
    public static func matmul(_ a: Tensor, _ b: Tensor, into c: Tensor, m: Int, n: Int, k: Int,
                              transA: Bool = false, transB: Bool = false, beta: Double = 0, gemm: GEMM) {
        precondition(a.dtype == b.dtype && b.dtype == c.dtype, "dtype mismatch in matmul")
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "matmul: buffers too small")
        let lda = transA ? m : k, ldb = transB ? k : n
        switch a.dtype {
        case .float32:
            gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.f32, lda: lda,
                       b: b.f32, ldb: ldb, beta: Float(beta), c: c.f32, ldc: n)
        case .float64:
            gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.f64, lda: lda,
                       b: b.f64, ldb: ldb, beta: beta, c: c.f64, ldc: n)
        }
    }

    /// Adds `row` (length n) to every row of `x` viewed as [count / n, n].
    public static func addRow(_ row: Tensor, to x: Tensor) {
        switch x.dtype {
        case .float32: addRow(row.f32, x.f32, rows: x.count / row.count, n: row.count)
        case .float64: addRow(row.f64, x.f64, rows: x.count / row.count, n: row.count)
        }
    }

    /// `into[j] += Σ_i x[i, j]` for x viewed as [count / n, n] with n = into.count (bias gradients).
    public static func accumulateColumnSums(of x: Tensor, into sums: Tensor) {
        switch x.dtype {
        case .float32: columnSums(x.f32, sums.f32, rows: x.count / sums.count, n: sums.count)
        case .float64: columnSums(x.f64, sums.f64, rows: x.count / sums.count, n: sums.count)
        }
    }

    /// y += alpha · x, elementwise over x.count elements.
    public static func axpy(_ alpha: Double, _ x: Tensor, _ y: Tensor) {
        precondition(x.dtype == y.dtype && y.count >= x.count)
        switch x.dtype {
        case .float32: axpy(Float(alpha), x.f32, y.f32, x.count)
        case .float64: axpy(alpha, x.f64, y.f64, x.count)
        }
    }

    /// True when every element is finite.
    public static func allFinite(_ x: Tensor) -> Bool { firstNonFinite(x) == nil }

    /// The index of the first element that is NaN or infinite, if any.
    public static func firstNonFinite(_ x: Tensor) -> Int? {
        switch x.dtype {
        case .float32: let p = x.f32; for i in 0..<x.count where !p[i].isFinite { return i }
        case .float64: let p = x.f64; for i in 0..<x.count where !p[i].isFinite { return i }
        }
        return nil
    }

    /// Index of the largest element of each row of x viewed as [rows, n].
    public static func argmaxRows(_ x: Tensor, n: Int) -> [Int] {
        let rows = x.count / n
        var out = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = 0
            var bestValue = x[r * n]
            for j in 1..<max(n, 1) where x[r * n + j] > bestValue {
                best = j
                bestValue = x[r * n + j]
            }
            out[r] = best
        }
        return out
    }

    // MARK: Generic loops

    @inline(__always)
    static func addRow<T: TensorScalar>(_ row: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, rows: Int, n: Int) {
        for r in 0..<rows {
            let xr = x + r * n
            for j in 0..<n { xr[j] += row[j] }
        }
    }

    @inline(__always)
    static func columnSums<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ sums: UnsafeMutablePointer<T>, rows: Int, n: Int) {
        for r in 0..<rows {
            let xr = x + r * n
            for j in 0..<n { sums[j] += xr[j] }
        }
    }

    @inline(__always)
    static func axpy<T: TensorScalar>(_ alpha: T, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { y[i] += alpha * x[i] }
    }
}
