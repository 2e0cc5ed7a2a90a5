import Glibc
import Synchronization

/// OpenBLAS, loaded at run time with `dlopen`, so that nnrun has no link-time dependency on BLAS
/// and runs (with the built-in GEMM) on machines without it.
///
/// The library is `libopenblas.so.0` (Debian's `libopenblas0-pthread`), or whatever path or soname
/// the environment variable `NNRUN_OPENBLAS_PATH` names. Only the CBLAS entry points `cblas_sgemm`
/// and `cblas_dgemm` are required; the `openblas_*` thread and configuration queries are used when
/// present. OpenBLAS runs on one thread: `GEMM` splits large products across nnrun's worker pool
/// itself, so there is one set of threads, not two spinning against each other.
///
/// The function pointers are immutable after `init`, and OpenBLAS's GEMM is thread-safe, hence
/// `@unchecked Sendable`.
final class OpenBLAS: @unchecked Sendable {
    /// `CBLAS_ORDER`, `CBLAS_TRANSPOSE` values from cblas.h.
    static let cblasRowMajor: Int32 = 101
    static let cblasNoTrans: Int32 = 111
    static let cblasTrans: Int32 = 112

    /// `void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)`,
    /// with 32-bit `blasint` (Debian builds OpenBLAS without INTERFACE64).
    typealias SgemmFn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
                                        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
                                        Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias DgemmFn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Double,
                                        UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32,
                                        Double, UnsafeMutablePointer<Double>?, Int32) -> Void
    typealias SetThreadsFn = @convention(c) (Int32) -> Void
    typealias GetThreadsFn = @convention(c) () -> Int32
    typealias GetStringFn = @convention(c) () -> UnsafePointer<CChar>?

    /// The process-wide instance, or nil when the library (or one of the two GEMM symbols) is missing.
    static let shared: OpenBLAS? = {
        let env = getenv("NNRUN_OPENBLAS_PATH").map { String(cString: $0) } ?? ""
        return OpenBLAS(path: env.isEmpty ? "libopenblas.so.0" : env,
                        threads: OpenBLAS.threadsFromEnvironment())
    }()

    /// The most threads one GEMM may use: `NNRUN_THREADS`, default the number of cores.
    static func threadsFromEnvironment() -> Int { WorkerPool.threadsFromEnvironment() }

    /// Products with fewer multiply-adds than this run on one thread.
    static let threadingThreshold = 1 << 20

    /// The `dlopen` handle; kept open for the life of the process.
    private let handle: UnsafeMutableRawPointer
    private let sgemmFn: SgemmFn
    private let dgemmFn: DgemmFn
    private let setThreadsFn: SetThreadsFn?
    private let getThreadsFn: GetThreadsFn?
    private let getConfigFn: GetStringFn?
    private let getCorenameFn: GetStringFn?
    /// Path or soname the library was loaded from.
    let path: String
    /// Threads a large product may use.
    let maxThreads: Int
    /// The thread count OpenBLAS is set to now (changed only when a call needs another).
    private let currentThreads = Atomic<Int>(0)

    /// Loads `path` and resolves the symbols; nil when the library cannot be opened or lacks
    /// `cblas_sgemm`/`cblas_dgemm`. Sets the OpenBLAS thread count to `threads` when it can.
    init?(path: String, threads: Int) {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let s = dlsym(h, "cblas_sgemm"), let d = dlsym(h, "cblas_dgemm") else {
            dlclose(h)
            return nil
        }
        handle = h
        self.path = path
        sgemmFn = unsafeBitCast(s, to: SgemmFn.self)
        dgemmFn = unsafeBitCast(d, to: DgemmFn.self)
        setThreadsFn = dlsym(h, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreadsFn.self) }
        getThreadsFn = dlsym(h, "openblas_get_num_threads").map { unsafeBitCast($0, to: GetThreadsFn.self) }
        getConfigFn = dlsym(h, "openblas_get_config").map { unsafeBitCast($0, to: GetStringFn.self) }
        getCorenameFn = dlsym(h, "openblas_get_corename").map { unsafeBitCast($0, to: GetStringFn.self) }
        maxThreads = max(1, threads)
        useThreads(1)
    }

    /// Sets OpenBLAS' thread count to `n` unless it already is.
    private func useThreads(_ n: Int) {
        guard let setThreadsFn, currentThreads.load(ordering: .relaxed) != n else { return }
        setThreadsFn(Int32(n))
        currentThreads.store(n, ordering: .relaxed)
    }

    @inline(__always) private func threads(m: Int, n: Int, k: Int) {
        let macs = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k).partialValue
        useThreads(macs >= OpenBLAS.threadingThreshold || macs < 0 ? maxThreads : 1)
    }

    /// Threads OpenBLAS uses, when the library can tell.
    var threadCount: Int? { getThreadsFn.map { Int($0()) } }

    /// E.g. "OpenBLAS 0.3.21 Cooperlake, 1 thread": version (the first two words of
    /// `openblas_get_config()`), the core the dynamic-arch build picked, and the thread count.
    func describe() -> String {
        var parts: [String] = []
        if let cfg = getConfigFn?() {
            let words = String(cString: cfg).split(separator: " ")
            parts.append(words.prefix(2).joined(separator: " "))
        } else {
            parts.append("OpenBLAS")
        }
        if let core = getCorenameFn?() {
            let name = trimmedASCII(String(cString: core))
            if !name.isEmpty { parts.append(name) }
        }
        var text = parts.joined(separator: " ")
        text += ", 1 thread per product; large products split over \(WorkerPool.shared.threads) pool thread" + (WorkerPool.shared.threads == 1 ? "" : "s")
        return text
    }

    /// True when every size fits CBLAS's 32-bit `blasint`.
    @inline(__always)
    private static func fitsInt32(_ values: Int...) -> Bool {
        values.allSatisfy { $0 <= Int(Int32.max) }
    }

    /// C = alpha * op(A) * op(B) + beta * C, row-major; see `GEMM.sgemm`. Leading dimensions are
    /// raised to at least 1 (CBLAS rejects 0 even when the matrix is empty); sizes beyond Int32
    /// go to the built-in GEMM.
    func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true) {
        guard OpenBLAS.fitsInt32(m, n, k, lda, ldb, ldc) else {
            BuiltinGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if threaded { threads(m: m, n: n, k: k) } else { useThreads(1) }
        sgemmFn(OpenBLAS.cblasRowMajor, transA ? OpenBLAS.cblasTrans : OpenBLAS.cblasNoTrans,
                transB ? OpenBLAS.cblasTrans : OpenBLAS.cblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                beta, c, Int32(max(ldc, 1)))
    }

    /// Double-precision twin of `sgemm`.
    func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
               a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
               beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threaded: Bool = true) {
        guard OpenBLAS.fitsInt32(m, n, k, lda, ldb, ldc) else {
            BuiltinGEMM.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if threaded { threads(m: m, n: n, k: k) } else { useThreads(1) }
        dgemmFn(OpenBLAS.cblasRowMajor, transA ? OpenBLAS.cblasTrans : OpenBLAS.cblasNoTrans,
                transB ? OpenBLAS.cblasTrans : OpenBLAS.cblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                beta, c, Int32(max(ldc, 1)))
    }
}

/// `s` without leading and trailing ASCII whitespace (NNTensor does not import Foundation).
private func trimmedASCII(_ s: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
    guard let first = s.firstIndex(where: { !isSpace($0) }),
          let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(s[first...last])
}
