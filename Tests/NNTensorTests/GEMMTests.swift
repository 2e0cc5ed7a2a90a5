import Testing
@testable import NNTensor

/// One GEMM problem: C = alpha * op(A) * op(B) + beta * C with op(A) m x k, op(B) k x n, stored
/// row-major with `pad` extra elements at the end of every row of A, B and C.
struct GEMMCase: Sendable, CustomTestStringConvertible {
    var m: Int, n: Int, k: Int
    var pad = 0
    var alpha = 1.0, beta = 0.0
    /// Fill C with NaN before the call (only meaningful with beta == 0, which must overwrite it).
    var nanC = false

    var testDescription: String {
        "\(m)x\(n)x\(k) pad=\(pad) alpha=\(alpha) beta=\(beta)\(nanC ? " NaN-C" : "")"
    }
}

/// The transpose flags, (transA, transB).
struct Trans: Sendable, CustomTestStringConvertible {
    var a: Bool, b: Bool
    static let all = [Trans(a: false, b: false), Trans(a: true, b: false), Trans(a: false, b: true), Trans(a: true, b: true)]
    var testDescription: String { (a ? "T" : "N") + (b ? "T" : "N") }
}

let gemmCases: [GEMMCase] = [
    GEMMCase(m: 1, n: 1, k: 1),
    GEMMCase(m: 7, n: 13, k: 5),
    GEMMCase(m: 33, n: 65, k: 17),
    GEMMCase(m: 100, n: 3, k: 200),
    GEMMCase(m: 32, n: 128, k: 64),                        // the MLP shapes: 4-tall panels, no padding
    GEMMCase(m: 6, n: 8, k: 3, pad: 5, alpha: 0.5, beta: 2),
    GEMMCase(m: 7, n: 9, k: 4, pad: 3, alpha: -1.5, beta: 0.25),
    GEMMCase(m: 13, n: 17, k: 11, pad: 1, alpha: 2, beta: 1),
    GEMMCase(m: 11, n: 10, k: 9, pad: 2, alpha: 1, beta: 0, nanC: true),
    GEMMCase(m: 5, n: 7, k: 0, beta: 0.5),                 // k == 0: C = beta * C
    GEMMCase(m: 5, n: 7, k: 0, pad: 2, beta: 0, nanC: true),
    GEMMCase(m: 4, n: 6, k: 3, alpha: 0, beta: 3),         // alpha == 0: C = beta * C
    GEMMCase(m: 80, n: 12, k: 260, alpha: 0.75, beta: -1), // more than one k block and one m block
    GEMMCase(m: 3, n: 2051, k: 2, pad: 1, beta: 0.5),      // more than one n block
]

/// Deterministic values in [-1, 1).
struct TestRNG {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
}

/// Runs `gemm` on case `t`, `trans`, in `T`, and checks every element against a naive Double
/// reference to `tolerance` relative to the magnitude of the terms (|alpha| sum |a||b| + |beta c|);
/// also checks that the padding of C is untouched.
func checkGEMM<T: BinaryFloatingPoint>(_ t: GEMMCase, _ trans: Trans, as _: T.Type, tolerance: Double,
                                       _ gemm: (UnsafePointer<T>, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>, Int) -> Void) {
    let (aRows, aCols) = trans.a ? (t.k, t.m) : (t.m, t.k)
    let (bRows, bCols) = trans.b ? (t.n, t.k) : (t.k, t.n)
    let lda = aCols + t.pad, ldb = bCols + t.pad, ldc = t.n + t.pad
    var rng = TestRNG(state: UInt64(t.m * 1_000_003 + t.n * 1009 + t.k))
    // Padding of A and B is NaN: reading it into a result would show.
    var a = [T](repeating: .nan, count: max(1, aRows * lda))
    var b = [T](repeating: .nan, count: max(1, bRows * ldb))
    var c = [T](repeating: 7, count: max(1, t.m * ldc))
    for i in 0..<aRows { for j in 0..<aCols { a[i * lda + j] = T(rng.next()) } }
    for i in 0..<bRows { for j in 0..<bCols { b[i * ldb + j] = T(rng.next()) } }
    for i in 0..<t.m { for j in 0..<t.n { c[i * ldc + j] = t.nanC ? .nan : T(rng.next()) } }
    let c0 = c
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                gemm(pa.baseAddress!, lda, pb.baseAddress!, ldb, pc.baseAddress!, ldc)
            }
        }
    }
    var failures = 0
    for i in 0..<t.m {
        for j in 0..<t.n {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<t.k {
                let x = Double(trans.a ? a[p * lda + i] : a[i * lda + p])
                let y = Double(trans.b ? b[j * ldb + p] : b[p * ldb + j])
                sum += x * y
                magnitude += abs(x * y)
            }
            var expected = t.alpha * sum
            magnitude *= abs(t.alpha)
            if t.beta != 0 {
                expected += t.beta * Double(c0[i * ldc + j])
                magnitude += abs(t.beta * Double(c0[i * ldc + j]))
            }
            let got = Double(c[i * ldc + j])
            if !(abs(got - expected) <= tolerance * max(magnitude, 1e-3)) {
                failures += 1
                if failures <= 3 { Issue.record("C[\(i), \(j)] = \(got), expected \(expected)") }
            }
        }
        for j in t.n..<ldc where c[i * ldc + j] != 7 {
            Issue.record("padding C[\(i), \(j)] was overwritten")
        }
    }
    #expect(failures == 0)
}

@Suite("GEMM")
struct GEMMTests {
    static let openBLASAvailable = OpenBLAS.shared != nil

    func sgemm(_ gemm: GEMM, _ t: GEMMCase, _ trans: Trans) {
        checkGEMM(t, trans, as: Float.self, tolerance: 1e-5) { a, lda, b, ldb, c, ldc in
            gemm.sgemm(transA: trans.a, transB: trans.b, m: t.m, n: t.n, k: t.k, alpha: Float(t.alpha),
                       a: a, lda: lda, b: b, ldb: ldb, beta: Float(t.beta), c: c, ldc: ldc)
        }
    }

    func dgemm(_ gemm: GEMM, _ t: GEMMCase, _ trans: Trans) {
        checkGEMM(t, trans, as: Double.self, tolerance: 1e-12) { a, lda, b, ldb, c, ldc in
            gemm.dgemm(transA: trans.a, transB: trans.b, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: t.beta, c: c, ldc: ldc)
        }
    }

    @Test("builtin sgemm", arguments: gemmCases, Trans.all)
    func builtinSgemm(_ t: GEMMCase, _ trans: Trans) {
        sgemm(GEMM(kind: .builtin), t, trans)
    }

    @Test("builtin dgemm", arguments: gemmCases, Trans.all)
    func builtinDgemm(_ t: GEMMCase, _ trans: Trans) {
        dgemm(GEMM(kind: .builtin), t, trans)
    }

    @Test("openblas sgemm", .enabled(if: openBLASAvailable), arguments: gemmCases, Trans.all)
    func openblasSgemm(_ t: GEMMCase, _ trans: Trans) {
        sgemm(GEMM(kind: .openblas), t, trans)
    }

    @Test("openblas dgemm", .enabled(if: openBLASAvailable), arguments: gemmCases, Trans.all)
    func openblasDgemm(_ t: GEMMCase, _ trans: Trans) {
        dgemm(GEMM(kind: .openblas), t, trans)
    }

    @Test("every tile remainder: 6- and 4-tall A panels, 8- and 4-wide B panels", arguments: 1...20)
    func remainders(_ m: Int) {
        for n in [1, 3, 4, 5, 7, 8, 9, 10, 12, 16] {
            sgemm(GEMM(kind: .builtin), GEMMCase(m: m, n: n, k: 3, pad: 1, alpha: 1, beta: 0.5), Trans(a: m % 2 == 0, b: n % 2 == 0))
        }
    }

    @Test("empty C is left alone")
    func emptyC() {
        var c: [Float] = [42]
        let a: [Float] = [1], b: [Float] = [1]
        for kind in GEMMBackendKind.allCases where kind == .builtin || Self.openBLASAvailable {
            GEMM(kind: kind).sgemm(transA: false, transB: false, m: 0, n: 1, k: 1, alpha: 1, a: a, lda: 1,
                                   b: b, ldb: 1, beta: 0, c: &c, ldc: 1)
        }
        BuiltinGEMM.sgemm(transA: false, transB: false, m: 1, n: 0, k: 1, alpha: 1, a: a, lda: 1,
                          b: b, ldb: 1, beta: 0, c: &c, ldc: 1)
        #expect(c == [42])
    }

    @Test("NNRUN_GEMM selects the backend")
    func fromEnvironment() throws {
        #expect(try GEMM.fromEnvironment(["NNRUN_GEMM": "builtin"]).kind == .builtin)
        #expect(throws: GEMMError.self) { try GEMM.fromEnvironment(["NNRUN_GEMM": "bogus"]) }
        let auto = try GEMM.fromEnvironment([:])
        #expect(auto.kind == (Self.openBLASAvailable ? .openblas : .builtin))
        #expect(try GEMM.fromEnvironment(["NNRUN_GEMM": ""]).kind == auto.kind)
        if Self.openBLASAvailable {
            #expect(try GEMM.fromEnvironment(["NNRUN_GEMM": "openblas"]).kind == .openblas)
        } else {
            #expect(throws: GEMMError.self) { try GEMM.fromEnvironment(["NNRUN_GEMM": "openblas"]) }
        }
    }

    @Test("OpenBLAS describes itself", .enabled(if: openBLASAvailable))
    func describe() throws {
        let blas = try #require(OpenBLAS.shared)
        let text = blas.describe()
        #expect(text.hasPrefix("OpenBLAS"))
        if OpenBLAS.threadsFromEnvironment() == 1 {
            #expect(text.hasSuffix(", 1 thread"))  // the default when NNRUN_THREADS is unset
        }
        #expect(GEMM(kind: .openblas).backendDescription == "openblas (\(text))")
    }

    @Test("a library that is not there is nil, not a crash")
    func missingLibrary() {
        #expect(OpenBLAS(path: "libnnrun-no-such-blas.so.0", threads: 1) == nil)
        // libc loads but has no cblas_sgemm.
        #expect(OpenBLAS(path: "libc.so.6", threads: 1) == nil)
    }
}
