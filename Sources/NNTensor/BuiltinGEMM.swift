/// nnrun's own GEMM, always available: C = alpha * op(A) * op(B) + beta * C on row-major
/// matrices, with op(A) m x k, op(B) k x n, C m x n, and row strides lda, ldb, ldc; the same
/// contract as `cblas_sgemm(CblasRowMajor, ...)` (see `GEMM`). k == 0 or alpha == 0 gives
/// C = beta * C; beta == 0 overwrites C without reading it.
///
/// `sgemm` is a Goto/BLIS-style blocked GEMM, single-threaded:
///
///     for jc in 0..<n by nc                   B block (kc x nc)
///       for pc in 0..<k by kc                 pack op(B)[pc..., jc...] into 8-wide panels
///         for ic in 0..<m by mc               pack op(A)[ic..., pc...] into 6-tall panels (L2)
///           for jr in 0..<nc by 8 (or 4)      one B panel (kc x 8 floats, L1)
///             for ir in 0..<mc by 6 (or 4)    micro-kernel: a 6 x 8 tile of C in registers
///
/// The first k block applies the caller's beta, later ones accumulate (beta = 1). Packing
/// resolves the transpositions, so the kernels see one layout; partial tiles are computed in a
/// zero-padded scratch tile. The last rows of a block use 4-tall panels when that avoids padding
/// (a batch of 32 rows is 6+6+6+6+4+4), the last 1...4 columns a 4-wide panel. Measured on
/// one Zen 4 core at baseline x86-64 (SSE2): about 46 GFLOPS on large matrices, 40 on the
/// batch-32 MLP shapes. `dgemm`, used for gradient checks on small shapes, is a plain i-k-j loop.
enum BuiltinGEMM {
    /// Largest depth of a block (k is split into equal blocks of at most this): a B panel
    /// (256 x 8 floats = 8 KiB) stays in L1.
    static let kc = 256
    /// Rows of an A block: 72 x 256 pre-broadcast floats = 288 KiB, in L2 (1 MiB on Zen 4).
    static let mc = 72
    /// Columns of a B block: 256 x 2048 floats = 2 MiB.
    static let nc = 2048

    /// C = alpha * op(A) * op(B) + beta * C in single precision; see the type's documentation.
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 || alpha == 0 {
            scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        // Equal k blocks of at most `kc` (784 = 4 x 196, not 3 x 256 + 16: a thin last block
        // would spend more on loading and storing C tiles than on arithmetic).
        let kBlocks = (k + kc - 1) / kc
        let kcMax = (k + kBlocks - 1) / kBlocks
        let ncMax = roundUp(min(n, nc), nr)
        // One allocation per call, 64-byte aligned: packed A, packed B, then the scratch tile.
        let aBytes = paddedRows(min(m, mc)) * kcMax * 16
        let bBytes = ncMax * kcMax * 4
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: aBytes + bBytes + mr * nr * 4, alignment: 64)
        defer { buffer.deallocate() }
        let packedA = buffer
        let packedB = (buffer + aBytes).bindMemory(to: Float.self, capacity: ncMax * kcMax)
        let scratch = (buffer + aBytes + bBytes).bindMemory(to: Float.self, capacity: mr * nr)

        var jc = 0
        while jc < n {
            let ncCur = min(nc, n - jc)
            var pc = 0
            while pc < k {
                let kcCur = min(kcMax, k - pc)
                let betaCur: Float = pc == 0 ? beta : 1
                packB(trans: transB, b: b, ldb: ldb, p0: pc, j0: jc, kc: kcCur, nc: ncCur, dst: packedB)
                var ic = 0
                while ic < m {
                    let mcCur = min(mc, m - ic)
                    packA(trans: transA, a: a, lda: lda, i0: ic, p0: pc, mc: mcCur, kc: kcCur, dst: packedA)
                    macroKernel(mc: mcCur, nc: ncCur, kc: kcCur, packedA: UnsafeRawPointer(packedA),
                                packedB: UnsafeRawPointer(packedB), c: c + ic * ldc + jc, ldc: ldc,
                                alpha: alpha, beta: betaCur, scratch: scratch)
                    ic += mcCur
                }
                pc += kcCur
            }
            jc += ncCur
        }
    }

    /// All tiles of one packed mc x kc block of A times one packed kc x nc block of B, into C
    /// (pointing at the block's top-left element). Walks the A panels exactly as `packA` laid
    /// them out.
    private static func macroKernel(mc: Int, nc: Int, kc: Int, packedA: UnsafeRawPointer,
                                    packedB: UnsafeRawPointer, c: UnsafeMutablePointer<Float>, ldc: Int,
                                    alpha: Float, beta: Float, scratch: UnsafeMutablePointer<Float>) {
        var jr = 0
        var pb = packedB
        while jr < nc {
            let w = panelWidth(remaining: nc - jr)
            let cols = min(w, nc - jr)
            var ir = 0
            var pa = packedA
            while ir < mc {
                let h = panelHeight(remaining: mc - ir)
                tile(height: h, width: w, kc: kc, a: pa, b: pb, rows: min(h, mc - ir), cols: cols,
                     c: c + ir * ldc + jr, ldc: ldc, alpha: alpha, beta: beta, scratch: scratch)
                pa += 16 * h * kc
                ir += h
            }
            pb += 4 * w * kc
            jr += w
        }
    }

    /// Rows of the packed A panels of a block of `rows` rows, padding included.
    static func paddedRows(_ rows: Int) -> Int {
        var total = 0
        var i = 0
        while i < rows {
            let h = panelHeight(remaining: rows - i)
            total += h
            i += h
        }
        return total
    }

    /// C = beta * C on the m x n matrix at `c`; beta == 0 writes zeros (NaN in C does not survive).
    static func scale<T: BinaryFloatingPoint>(m: Int, n: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }

    @inline(__always)
    static func roundUp(_ x: Int, _ multiple: Int) -> Int {
        (x + multiple - 1) / multiple * multiple
    }

    /// Double-precision GEMM, same contract as `sgemm`; a straightforward loop for gradient
    /// checks: row i of C is scaled by beta, then alpha * op(A)[i, p] * op(B)[p, 0..<n] is added
    /// for each p (the inner loop runs along a row of C, and along a row of B unless `transB`).
    static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                      a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                      beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        if m <= 0 || n <= 0 { return }
        scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
        if k <= 0 || alpha == 0 { return }
        for i in 0..<m {
            let row = c + i * ldc
            for p in 0..<k {
                let aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                if transB {
                    var src = b + p
                    for j in 0..<n {
                        row[j] += aip * src.pointee
                        src += ldb
                    }
                } else {
                    let src = b + p * ldb
                    for j in 0..<n { row[j] += aip * src[j] }
                }
            }
        }
    }
}
