/// Packing for the built-in SGEMM: copies a block of op(A) or op(B) into the panel layouts the
/// micro-kernel reads (see BuiltinGEMMKernel.swift), resolving the transposition here so that
/// the kernel sees a single layout, and zero-padding partial panels so that edge tiles need no
/// special case in the kernel.
extension BuiltinGEMM {
    /// Packs the `mc` x `kc` block of op(A) whose top-left element is op(A)[i0, p0] into panels
    /// at `dst`, of heights h = `panelHeight(remaining:)` (6, or 4 at the end). A panel at block
    /// row i holds, for each p, h SIMD4 values, the r-th being op(A)[i0 + i + r, p0 + p]
    /// broadcast to four lanes (16h bytes per p); rows past `mc` are zero. op(A)[i, p] is
    /// a[i * lda + p], or a[p * lda + i] when `trans`.
    static func packA(trans: Bool, a: UnsafePointer<Float>, lda: Int, i0: Int, p0: Int, mc: Int, kc: Int,
                      dst: UnsafeMutableRawPointer) {
        typealias V = SIMD4<Float>
        var panel = dst
        var i = 0
        while i < mc {
            let h = panelHeight(remaining: mc - i)
            let rows = min(h, mc - i)
            let step = 16 * h
            if !trans {
                // Row r of the panel is contiguous in A: read it along p, write with stride `step`.
                for r in 0..<h {
                    var out = panel + 16 * r
                    if r < rows {
                        let src = a + (i0 + i + r) * lda + p0
                        for p in 0..<kc {
                            out.storeBytes(of: V(repeating: src[p]), as: V.self)
                            out += step
                        }
                    } else {
                        for _ in 0..<kc {
                            out.storeBytes(of: V(), as: V.self)
                            out += step
                        }
                    }
                }
            } else {
                // Column p of op(A) is row p of A: the panel's h values are contiguous.
                var src = a + p0 * lda + i0 + i
                var out = panel
                for _ in 0..<kc {
                    for r in 0..<h {
                        let v: Float = r < rows ? src[r] : 0
                        out.storeBytes(of: V(repeating: v), toByteOffset: 16 * r, as: V.self)
                    }
                    out += step
                    src += lda
                }
            }
            panel += step * kc
            i += h
        }
    }

    /// Packs the `kc` x `nc` block of op(B) whose top-left element is op(B)[p0, j0] into panels
    /// at `dst`, of widths w = `panelWidth(remaining:)` (8, or 4 at the end). A panel at block
    /// column j holds, for each p, the w values op(B)[p0 + p, j0 + j + 0..<w]; columns past `nc`
    /// are zero. op(B)[p, j] is b[p * ldb + j], or b[j * ldb + p] when `trans`.
    static func packB(trans: Bool, b: UnsafePointer<Float>, ldb: Int, p0: Int, j0: Int, kc: Int, nc: Int,
                      dst: UnsafeMutablePointer<Float>) {
        typealias V = SIMD4<Float>
        var panel = dst
        var j = 0
        while j < nc {
            let w = panelWidth(remaining: nc - j)
            let cols = min(w, nc - j)
            if !trans {
                // Row p of the panel is contiguous in B: copy it as SIMD4 vectors.
                var src = b + p0 * ldb + j0 + j
                var out = panel
                if cols == w {
                    for _ in 0..<kc {
                        let raw = UnsafeRawPointer(src)
                        let o = UnsafeMutableRawPointer(out)
                        o.storeBytes(of: raw.loadUnaligned(as: V.self), as: V.self)
                        if w == nr {
                            o.storeBytes(of: raw.loadUnaligned(fromByteOffset: 16, as: V.self), toByteOffset: 16, as: V.self)
                        }
                        src += ldb
                        out += w
                    }
                } else {
                    for _ in 0..<kc {
                        for c in 0..<w { out[c] = c < cols ? src[c] : 0 }
                        src += ldb
                        out += w
                    }
                }
            } else {
                // Column j of op(B) is row j of B. Full panels: 4 x 4 blocks, read along rows of
                // B and transposed in registers; the rest (p tail, partial panel) element-wise.
                var pDone = 0
                if cols == w {
                    pDone = kc & ~3
                    for quarter in 0..<(w / 4) {
                        let src = b + (j0 + j + 4 * quarter) * ldb + p0
                        transpose4(src: src, ld: ldb, count: pDone, dst: panel + 4 * quarter, dstStride: w)
                    }
                }
                for c in 0..<w {
                    var out = panel + pDone * w + c
                    if c < cols {
                        let src = b + (j0 + j + c) * ldb + p0
                        for p in pDone..<kc {
                            out.pointee = src[p]
                            out += w
                        }
                    } else {
                        for _ in pDone..<kc {
                            out.pointee = 0
                            out += w
                        }
                    }
                }
            }
            panel += w * kc
            j += w
        }
    }

    /// Transposes a 4 x `count` strip (rows src, src + ld, src + 2ld, src + 3ld; `count` a
    /// multiple of 4) into `count` rows of 4 at `dst`, row p at dst + p * dstStride:
    /// dst[p * dstStride + r] = src[r * ld + p].
    @inline(__always)
    static func transpose4(src: UnsafePointer<Float>, ld: Int, count: Int,
                           dst: UnsafeMutablePointer<Float>, dstStride: Int) {
        typealias V = SIMD4<Float>
        let r0 = UnsafeRawPointer(src), r1 = UnsafeRawPointer(src + ld)
        let r2 = UnsafeRawPointer(src + 2 * ld), r3 = UnsafeRawPointer(src + 3 * ld)
        var p = 0
        while p < count {
            let x0 = r0.loadUnaligned(fromByteOffset: 4 * p, as: V.self)
            let x1 = r1.loadUnaligned(fromByteOffset: 4 * p, as: V.self)
            let x2 = r2.loadUnaligned(fromByteOffset: 4 * p, as: V.self)
            let x3 = r3.loadUnaligned(fromByteOffset: 4 * p, as: V.self)
            let out = UnsafeMutableRawPointer(dst + p * dstStride)
            let s = 4 * dstStride
            out.storeBytes(of: V(x0[0], x1[0], x2[0], x3[0]), as: V.self)
            out.storeBytes(of: V(x0[1], x1[1], x2[1], x3[1]), toByteOffset: s, as: V.self)
            out.storeBytes(of: V(x0[2], x1[2], x2[2], x3[2]), toByteOffset: 2 * s, as: V.self)
            out.storeBytes(of: V(x0[3], x1[3], x2[3], x3[3]), toByteOffset: 3 * s, as: V.self)
            p += 4
        }
    }
}
