/// The register micro-kernels of the built-in SGEMM: one h x w tile of C (h = 6, or 4 for the
/// last rows of a block; w = 8, or 4 for the last columns) from one packed panel of A and one
/// packed panel of B.
///
/// Packed layouts (see BuiltinGEMMPack.swift), for a block of depth `kc`:
/// - A panel of height h: for each p in 0..<kc, for each row r in 0..<h, the value A[r, p]
///   repeated four times (a pre-broadcast SIMD4), so 4h floats per p. The kernel never
///   shuffles: on the baseline x86-64 target (SSE2, no `vbroadcastss`) a broadcast would cost a
///   shuffle per row and step, on the same execution ports as the multiplies and adds.
/// - B panel of width w: for each p, the w values B[p, 0..<w].
///
/// Both panels are 16-byte aligned (the buffers are 64-byte aligned and panel sizes are
/// multiples of 16 bytes). The accumulators are SIMD4<Float> locals kept in XMM registers:
/// 12 accumulators + 2 B vectors + 1 A vector + 1 temporary = the 16 XMM registers.
/// The update is `a * b + c`, never `addingProduct`: without FMA in the target that would be a
/// libm `fmaf` call per lane. The k loop is deliberately not unrolled: LLVM then interleaves
/// the steps and spills accumulators (measured 20% slower).
extension BuiltinGEMM {
    /// Rows of a full micro-tile (height of a packed A panel).
    static let mr = 6
    /// Columns of a full micro-tile (width of a packed B panel): two SIMD4<Float>.
    static let nr = 8

    /// Height of the next A panel when `remaining` rows of a block are left: 6, except that the
    /// last rows go in 4-tall panels when that wastes less (7 or 8 rows left: 4 + 4 instead of
    /// 6 + padded 6; 1...4 left: one 4). A batch of 32 rows is then 6+6+6+6+4+4, no padding.
    @inline(__always)
    static func panelHeight(remaining: Int) -> Int {
        remaining <= 4 || remaining == 7 || remaining == 8 ? 4 : 6
    }

    /// Width of the next B panel when `remaining` columns are left: 8, or 4 for the last 1...4
    /// (10 output classes are 8 + 4 columns instead of 8 + 8).
    @inline(__always)
    static func panelWidth(remaining: Int) -> Int {
        remaining <= 4 ? 4 : 8
    }

    /// C[0..<h, 0..<w] = alpha * (Apanel * Bpanel) + beta * C with h = tall ? 6 : 4 and
    /// w = wide ? 8 : 4, C at `c` with row stride `ldc` (any alignment). With beta == 0, C is
    /// only written, never read (NaN or garbage in C does not propagate, as in BLAS).
    /// `tall` and `wide` are constants at every call site, so each variant compiles to its own
    /// branch-free loop.
    @inline(__always)
    static func microKernel(tall: Bool, wide: Bool, kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        var acc = Accumulators()
        var pa = a
        var pb = b
        let aStride = tall ? 96 : 64
        let bStride = wide ? 32 : 16
        var p = 0
        while p < kc {
            acc.step(tall: tall, wide: wide, a: pa, b: pb)
            pa += aStride
            pb += bStride
            p += 1
        }
        acc.write(tall: tall, wide: wide, c: c, ldc: ldc, alpha: alpha, beta: beta)
    }

    // The four variants as separate functions: each inlines `microKernel` with constant flags,
    // so each gets its own loop (one generic copy with run-time flags would branch per step).
    static func kernel6x8(kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                          c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        microKernel(tall: true, wide: true, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
    }

    static func kernel4x8(kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                          c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        microKernel(tall: false, wide: true, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
    }

    static func kernel6x4(kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                          c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        microKernel(tall: true, wide: false, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
    }

    static func kernel4x4(kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                          c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        microKernel(tall: false, wide: false, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
    }

    /// One tile of C from an A panel of height `height` and a B panel of width `width`:
    /// C[0..<rows, 0..<cols] = alpha * (Apanel * Bpanel) + beta * C. A full tile goes straight
    /// to C; a partial one (rows < height or cols < width, from zero-padded panels) is computed
    /// into `scratch` (6 x 8, aligned) and its valid part merged: C = scratch + beta * C, or
    /// C = scratch when beta == 0.
    @inline(__always)
    static func tile(height: Int, width: Int, kc: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
                     rows: Int, cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
                     scratch: UnsafeMutablePointer<Float>) {
        let full = rows == height && cols == width
        let out = full ? c : scratch
        let outLd = full ? ldc : nr
        let outBeta: Float = full ? beta : 0
        switch (height == mr, width == nr) {
        case (true, true): kernel6x8(kc: kc, a: a, b: b, c: out, ldc: outLd, alpha: alpha, beta: outBeta)
        case (false, true): kernel4x8(kc: kc, a: a, b: b, c: out, ldc: outLd, alpha: alpha, beta: outBeta)
        case (true, false): kernel6x4(kc: kc, a: a, b: b, c: out, ldc: outLd, alpha: alpha, beta: outBeta)
        case (false, false): kernel4x4(kc: kc, a: a, b: b, c: out, ldc: outLd, alpha: alpha, beta: outBeta)
        }
        if full { return }
        for i in 0..<rows {
            let src = scratch + i * nr
            let dst = c + i * ldc
            if beta == 0 {
                for j in 0..<cols { dst[j] = src[j] }
            } else {
                for j in 0..<cols { dst[j] = beta * dst[j] + src[j] }
            }
        }
    }
}

/// The accumulators of a tile of up to 6 x 8: row r is (c[r]0, c[r]1), columns 0..<4 and 4..<8.
/// A struct of locals that the optimiser keeps in registers; with `tall` or `wide` false the
/// unused ones are dead code.
struct Accumulators {
    typealias V = SIMD4<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()

    /// One rank-1 update: row r of the tile += A[r, p] * B[p, 0..<w], with the pre-broadcast A
    /// values at `a` (16 bytes per row) and the B values at `b`.
    @inline(__always)
    mutating func step(tall: Bool, wide: Bool, a: UnsafeRawPointer, b: UnsafeRawPointer) {
        let b0 = b.load(as: V.self)
        let b1 = wide ? b.load(fromByteOffset: 16, as: V.self) : V()
        var x = a.load(as: V.self)
        c00 = x * b0 + c00
        if wide { c01 = x * b1 + c01 }
        x = a.load(fromByteOffset: 16, as: V.self)
        c10 = x * b0 + c10
        if wide { c11 = x * b1 + c11 }
        x = a.load(fromByteOffset: 32, as: V.self)
        c20 = x * b0 + c20
        if wide { c21 = x * b1 + c21 }
        x = a.load(fromByteOffset: 48, as: V.self)
        c30 = x * b0 + c30
        if wide { c31 = x * b1 + c31 }
        if tall {
            x = a.load(fromByteOffset: 64, as: V.self)
            c40 = x * b0 + c40
            if wide { c41 = x * b1 + c41 }
            x = a.load(fromByteOffset: 80, as: V.self)
            c50 = x * b0 + c50
            if wide { c51 = x * b1 + c51 }
        }
    }

    /// C[r, 0..<w] = alpha * acc[r] + beta * C[r, 0..<w] for the rows of the tile (unaligned;
    /// C is not read when beta == 0).
    @inline(__always)
    func write(tall: Bool, wide: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        let va = V(repeating: alpha)
        let vb = V(repeating: beta)
        // One test of beta per tile, outside the row stores.
        if beta == 0 {
            writeRows(tall: tall) { lo, hi, r in
                let raw = UnsafeMutableRawPointer(c + r * ldc)
                raw.storeBytes(of: va * lo, as: V.self)
                if wide { raw.storeBytes(of: va * hi, toByteOffset: 16, as: V.self) }
            }
        } else {
            writeRows(tall: tall) { lo, hi, r in
                let raw = UnsafeMutableRawPointer(c + r * ldc)
                raw.storeBytes(of: vb * raw.loadUnaligned(as: V.self) + va * lo, as: V.self)
                if wide {
                    let old = raw.loadUnaligned(fromByteOffset: 16, as: V.self)
                    raw.storeBytes(of: vb * old + va * hi, toByteOffset: 16, as: V.self)
                }
            }
        }
    }

    /// Calls `row(lo, hi, r)` for each row r of the tile.
    @inline(__always)
    func writeRows(tall: Bool, _ row: (V, V, Int) -> Void) {
        row(c00, c01, 0)
        row(c10, c11, 1)
        row(c20, c21, 2)
        row(c30, c31, 3)
        if tall {
            row(c40, c41, 4)
            row(c50, c51, 5)
        }
    }
}
