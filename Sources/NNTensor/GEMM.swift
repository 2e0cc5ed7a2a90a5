/// Which implementation multiplies matrices.
public enum GEMMBackendKind: String, Sendable, CaseIterable {
    /// OpenBLAS, loaded at run time with dlopen("libopenblas.so.0"); no link-time dependency.
    case openblas
    /// nnrun's own blocked GEMM; always available.
    case builtin
}

public enum GEMMError: Error, CustomStringConvertible {
    case unavailable(String)
    case badEnvironment(String)

    public var description: String {
        switch self {
        case .unavailable(let s), .badEnvironment(let s): return s
        }
    }
}

/// General matrix multiply on row-major matrices, C = alpha * op(A) * op(B) + beta * C, where
/// op(X) is X or its transpose; op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are the
/// row strides of A, B, C as stored. Same contract as `cblas_sgemm` with `CblasRowMajor`.
public struct GEMM: Sendable {
    public let kind: GEMMBackendKind
    /// When true, each product runs on the calling thread (for GEMMs issued from several worker
    /// threads at once, which already keep every core busy).
    public var singleThreaded = false

    /// This backend, one thread per product.
    public var singleThreadedCopy: GEMM {
        var g = self
        g.singleThreaded = true
        return g
    }

    /// The backend chosen from the environment: `NNRUN_GEMM=openblas|builtin` forces one;
    /// otherwise OpenBLAS when the machine has it, else the built-in GEMM.
    public static func fromEnvironment(_ env: [String: String]) throws -> GEMM {
        if let threads = env["NNRUN_THREADS"], !(Int(threads).map { (1...64).contains($0) } ?? false) {
            throw GEMMError.badEnvironment("NNRUN_THREADS=\(threads): expected a whole number from 1 to 64")
        }
        if let path = env["NNRUN_OPENBLAS_PATH"], !path.isEmpty, OpenBLAS.shared == nil {
            throw GEMMError.unavailable("NNRUN_OPENBLAS_PATH=\(path): cannot load OpenBLAS from it (or it lacks cblas_sgemm)")
        }
        switch env["NNRUN_GEMM"] {
        case nil, "": return GEMM(kind: OpenBLAS.shared != nil ? .openblas : .builtin)
        case "builtin": return GEMM(kind: .builtin)
        case "openblas":
            guard OpenBLAS.shared != nil else {
                throw GEMMError.unavailable("NNRUN_GEMM=openblas, but libopenblas.so.0 could not be loaded (install Debian's libopenblas0-pthread)")
            }
            return GEMM(kind: .openblas)
        case let other?:
            throw GEMMError.badEnvironment("NNRUN_GEMM=\(other): expected openblas or builtin")
        }
    }

    public init(kind: GEMMBackendKind) {
        self.kind = kind
    }

    /// A human description for `nnrun --version`, e.g. "openblas (OpenBLAS 0.3.21, 1 thread)".
    public var backendDescription: String {
        switch kind {
        case .openblas: return "openblas (" + (OpenBLAS.shared?.describe() ?? "not loaded") + ")"
        case .builtin: return "builtin (blocked SIMD GEMM)"
        }
    }

    /// Products of at least this many multiply-adds are split across the worker pool.
    public static let threadingThreshold = 1 << 20

    /// Threading: one system for everything. A large product is split into row blocks of C, one
    /// per pool thread, each computed by a single-threaded GEMM (OpenBLAS' own threads stay off, so
    /// they never spin against the pool's). Every element of C is computed by one thread with the
    /// same summation order whatever the split, so results do not depend on the thread count.
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        let pool = WorkerPool.shared
        if !singleThreaded, pool.threads > 1, m >= 2 * pool.threads,
           m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k).partialValue >= GEMM.threadingThreshold {
            let single = singleThreadedCopy, parts = pool.threads
            pool.run(count: parts) { p in
                let m0 = p * m / parts, m1 = (p + 1) * m / parts
                single.sgemm(transA: transA, transB: transB, m: m1 - m0, n: n, k: k, alpha: alpha,
                             a: transA ? a + m0 : a + m0 * lda, lda: lda, b: b, ldb: ldb, beta: beta,
                             c: c + m0 * ldc, ldc: ldc)
            }
            return
        }
        if kind == .openblas, let blas = OpenBLAS.shared {
            blas.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                       b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threaded: false)
        } else {
            BuiltinGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    public func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                      a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                      beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if kind == .openblas, let blas = OpenBLAS.shared {
            blas.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                       b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threaded: false)
        } else {
            BuiltinGEMM.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}
