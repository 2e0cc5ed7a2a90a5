/// Where the patches of a 2-D convolution come from: an NHWC image side (`height` x `width` x
/// `channels`) and a grid of `outHeight` x `outWidth` patch positions.
///
/// Patch (oy, ox) reads the image pixels
///
///     iy = oy·strideH − padTop  + ky·dilationH,   ky in 0..<kernelHeight
///     ix = ox·strideW − padLeft + kx·dilationW,   kx in 0..<kernelWidth
///
/// and pixels outside the image are zeros (the padding). For `conv2d` the image side is the layer's
/// input and the patch grid its output; for `conv2d_transpose` (the adjoint) the image side is the
/// layer's output and the patch grid its input.
public struct Im2ColGeometry: Sendable, Equatable {
    public var height: Int, width: Int, channels: Int
    public var outHeight: Int, outWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideH = 1, strideW = 1
    public var dilationH = 1, dilationW = 1
    public var padTop = 0, padLeft = 0

    public init(height: Int, width: Int, channels: Int, outHeight: Int, outWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideH: Int = 1, strideW: Int = 1,
                dilationH: Int = 1, dilationW: Int = 1, padTop: Int = 0, padLeft: Int = 0) {
        self.height = height
        self.width = width
        self.channels = channels
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.padTop = padTop
        self.padLeft = padLeft
    }

    /// Values per patch, K = kernelHeight · kernelWidth · channels: the width of a column row.
    public var patchSize: Int { kernelHeight * kernelWidth * channels }
    /// Patches per image, outHeight · outWidth: the rows of the column matrix per image.
    public var patchesPerImage: Int { outHeight * outWidth }
    /// Values per image on the image side, height · width · channels.
    public var imageSize: Int { height * width * channels }
    /// Values of the column matrix per image, patchesPerImage · patchSize.
    public var columnsPerImage: Int { patchesPerImage * patchSize }

    /// True when the column matrix IS the image (a 1x1 kernel, stride 1, no padding, same grid):
    /// im2col would copy the image unchanged, so callers use the image directly.
    public var isIdentity: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && outHeight == height && outWidth == width
    }
}

/// The im2col / col2im kernels of convolution as one GEMM (Caffe's approach), NHWC, float32 and
/// float64.
///
/// The column matrix of `count` images is row-major [count · outHeight · outWidth, K] with
/// K = kernelHeight · kernelWidth · channels: one row per patch position (image, oy, ox) in NHWC
/// order, and within a row the values in (ky, kx, c) order, so that a Keras kernel
/// [kh, kw, cin, cout] viewed as [K, cout] multiplies it directly.
///
/// `col2im` is the adjoint (transpose) of `im2col`: it scatters each column value back onto the
/// pixel it came from and sums; values that came from the padding are dropped. So for any x and c,
/// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.
///
/// Each call dispatches on the dtype once and works image by image, so disjoint image ranges can
/// run on different threads.
public enum Im2Col {
    /// Writes the column matrix of images `first ..< first + count` of `images` (NHWC, each
    /// `geometry.imageSize` values) into the start of `columns`.
    public static func im2col(_ images: Tensor, first: Int, count: Int, geometry g: Im2ColGeometry, into columns: Tensor) {
        precondition(images.dtype == columns.dtype, "im2col: dtype mismatch")
        precondition(first >= 0 && count >= 0 && (first + count) * g.imageSize <= images.count, "im2col: images out of range")
        precondition(count * g.columnsPerImage <= columns.count, "im2col: column buffer too small")
        switch images.dtype {
        case .float32:
            for i in 0..<count {
                im2col(images.f32 + (first + i) * g.imageSize, columns.f32 + i * g.columnsPerImage, g)
            }
        case .float64:
            for i in 0..<count {
                im2col(images.f64 + (first + i) * g.imageSize, columns.f64 + i * g.columnsPerImage, g)
            }
        }
    }

    /// Overwrites images `first ..< first + count` of `images` with col2im of the start of
    /// `columns`: each image is zeroed, then every column value is added onto its source pixel.
    public static func col2im(_ columns: Tensor, geometry g: Im2ColGeometry, into images: Tensor, first: Int, count: Int) {
        precondition(images.dtype == columns.dtype, "col2im: dtype mismatch")
        precondition(first >= 0 && count >= 0 && (first + count) * g.imageSize <= images.count, "col2im: images out of range")
        precondition(count * g.columnsPerImage <= columns.count, "col2im: column buffer too small")
        switch images.dtype {
        case .float32:
            for i in 0..<count {
                let image = images.f32 + (first + i) * g.imageSize
                image.update(repeating: 0, count: g.imageSize)
                col2im(columns.f32 + i * g.columnsPerImage, image, g)
            }
        case .float64:
            for i in 0..<count {
                let image = images.f64 + (first + i) * g.imageSize
                image.update(repeating: 0, count: g.imageSize)
                col2im(columns.f64 + i * g.columnsPerImage, image, g)
            }
        }
    }

    // MARK: One image

    /// The taps kx in lo..<hi of a kernel row starting at image column ix0 land inside the image
    /// (0 ≤ ix0 + kx·dilationW < width); the others read padding.
    @inline(__always)
    static func insideTaps(_ ix0: Int, _ g: Im2ColGeometry) -> (lo: Int, hi: Int) {
        let kw = g.kernelWidth, d = g.dilationW
        if d == 1 {  // no divisions on the common path
            let lo = min(kw, max(0, -ix0))
            return (lo, max(lo, min(kw, g.width - ix0)))
        }
        let lo = ix0 >= 0 ? 0 : min(kw, (-ix0 + d - 1) / d)
        let hi = ix0 > g.width - 1 ? 0 : min(kw, (g.width - 1 - ix0) / d + 1)
        return (lo, max(lo, hi))
    }

    /// im2col of one image. A patch wholly inside the image with adjacent columns (dilationW = 1)
    /// is kernelHeight runs of kernelWidth · channels contiguous values in both the image and the
    /// column row, copied run by run; a border patch's kernel row is zeros, the run of taps inside
    /// the image, zeros.
    @inline(__always)
    static func im2col<T: TensorScalar & SIMDScalar>(_ image: UnsafeMutablePointer<T>, _ col: UnsafeMutablePointer<T>, _ g: Im2ColGeometry) {
        let c = g.channels, kh = g.kernelHeight, kw = g.kernelWidth, dw = g.dilationW, rowStride = g.width * c
        let runLength = kw * c, tapStride = g.dilationH * rowStride
        var dst = col
        for oy in 0..<g.outHeight {
            let iy0 = oy * g.strideH - g.padTop
            let rowsInside = iy0 >= 0 && iy0 + (kh - 1) * g.dilationH < g.height
            for ox in 0..<g.outWidth {
                let ix0 = ox * g.strideW - g.padLeft
                let (lo, hi) = insideTaps(ix0, g)
                if rowsInside && lo == 0 && hi == kw && dw == 1 {
                    let src = image + iy0 * rowStride + ix0 * c
                    for ky in 0..<kh {
                        copy(dst, src + ky * tapStride, runLength)
                        dst += runLength
                    }
                    continue
                }
                for ky in 0..<kh {
                    let iy = iy0 + ky * g.dilationH
                    if iy < 0 || iy >= g.height {
                        fill(dst, runLength)
                        dst += runLength
                        continue
                    }
                    // Pixel offsets are formed only for taps inside the image (lo ..< hi).
                    let row = image + iy * rowStride
                    fill(dst, lo * c)
                    if dw == 1 {
                        if hi > lo { copy(dst + lo * c, row + (ix0 + lo) * c, (hi - lo) * c) }
                    } else {
                        for kx in lo..<hi { copy(dst + kx * c, row + (ix0 + kx * dw) * c, c) }
                    }
                    fill(dst + hi * c, (kw - hi) * c)
                    dst += runLength
                }
            }
        }
    }

    /// col2im of one image: the mirror of `im2col`, adding instead of copying and skipping padding.
    @inline(__always)
    static func col2im<T: TensorScalar & SIMDScalar>(_ col: UnsafeMutablePointer<T>, _ image: UnsafeMutablePointer<T>, _ g: Im2ColGeometry) {
        let c = g.channels, kh = g.kernelHeight, kw = g.kernelWidth, dw = g.dilationW, rowStride = g.width * c
        let runLength = kw * c, tapStride = g.dilationH * rowStride
        var src = col
        for oy in 0..<g.outHeight {
            let iy0 = oy * g.strideH - g.padTop
            let rowsInside = iy0 >= 0 && iy0 + (kh - 1) * g.dilationH < g.height
            for ox in 0..<g.outWidth {
                let ix0 = ox * g.strideW - g.padLeft
                let (lo, hi) = insideTaps(ix0, g)
                if rowsInside && lo == 0 && hi == kw && dw == 1 {
                    let dst = image + iy0 * rowStride + ix0 * c
                    for ky in 0..<kh {
                        add(src, into: dst + ky * tapStride, runLength)
                        src += runLength
                    }
                    continue
                }
                for ky in 0..<kh {
                    let iy = iy0 + ky * g.dilationH
                    if iy >= 0 && iy < g.height {
                        let row = image + iy * rowStride
                        if dw == 1 {
                            if hi > lo { add(src + lo * c, into: row + (ix0 + lo) * c, (hi - lo) * c) }
                        } else {
                            for kx in lo..<hi { add(src + kx * c, into: row + (ix0 + kx * dw) * c, c) }
                        }
                    }
                    src += runLength
                }
            }
        }
    }

    // MARK: Runs

    /// dst[0..<n] = src[0..<n]: memmove for long runs; short ones four lanes at a time and then
    /// one by one, written so that the compiler does not turn them into a memcpy call (which costs
    /// more than a few moves).
    @inline(__always)
    static func copy<T: TensorScalar & SIMDScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafeMutablePointer<T>, _ n: Int) {
        if n >= 32 {
            dst.update(from: src, count: n)
            return
        }
        var i = 0
        while i + 4 <= n {
            UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<T>.self), as: SIMD4<T>.self)
            i += 4
        }
        if i < n { dst[i] = src[i] }
        if i + 1 < n { dst[i + 1] = src[i + 1] }
        if i + 2 < n { dst[i + 2] = src[i + 2] }
    }

    /// dst[0..<n] = 0, as `copy`.
    @inline(__always)
    static func fill<T: TensorScalar & SIMDScalar>(_ dst: UnsafeMutablePointer<T>, _ n: Int) {
        if n >= 32 {
            dst.update(repeating: 0, count: n)
            return
        }
        var i = 0
        while i + 4 <= n {
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD4<T>(), as: SIMD4<T>.self)
            i += 4
        }
        if i < n { dst[i] = 0 }
        if i + 1 < n { dst[i + 1] = 0 }
        if i + 2 < n { dst[i + 2] = 0 }
    }

    /// dst[0..<n] += src[0..<n], eight then four lanes at a time (the compiler does not vectorise
    /// the scalar loop: it cannot prove the buffers apart).
    @inline(__always)
    static func add<T: TensorScalar & SIMDScalar>(_ src: UnsafeMutablePointer<T>, into dst: UnsafeMutablePointer<T>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let a = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<T>.self)
            let b = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD8<T>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: a + b, as: SIMD8<T>.self)
            i += 8
        }
        if i + 4 <= n {
            let a = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<T>.self)
            let b = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD4<T>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: a + b, as: SIMD4<T>.self)
            i += 4
        }
        if i < n { dst[i] += src[i] }
        if i + 1 < n { dst[i + 1] += src[i + 1] }
        if i + 2 < n { dst[i + 2] += src[i + 2] }
    }
}

extension Ops {
    /// C = op(A) · op(B) + beta · C on sub-blocks of tensors: A starts at element `aOffset` of `a`,
    /// B at `bOffset` of `b`, C at `cOffset` of `c`; otherwise as `matmul` (A viewed as [m, k] or
    /// [k, m] when `transA`, B as [k, n] or [n, k] when `transB`, C as [m, n], all contiguous).
    /// Convolution layers use it to multiply one batch chunk at a time in place.
    public static func matmulBlock(_ a: Tensor, at aOffset: Int, _ b: Tensor, at bOffset: Int,
                                   into c: Tensor, at cOffset: Int, m: Int, n: Int, k: Int,
                                   transA: Bool = false, transB: Bool = false, beta: Double = 0, gemm: GEMM) {
        precondition(a.dtype == b.dtype && b.dtype == c.dtype, "dtype mismatch in matmulBlock")
        precondition(aOffset >= 0 && bOffset >= 0 && cOffset >= 0, "matmulBlock: negative offset")
        precondition(a.count >= aOffset + m * k && b.count >= bOffset + k * n && c.count >= cOffset + m * n,
                     "matmulBlock: buffers too small")
        let lda = transA ? m : k, ldb = transB ? k : n
        switch a.dtype {
        case .float32:
            gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.f32 + aOffset, lda: lda,
                       b: b.f32 + bOffset, ldb: ldb, beta: Float(beta), c: c.f32 + cOffset, ldc: n)
        case .float64:
            gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.f64 + aOffset, lda: lda,
                       b: b.f64 + bOffset, ldb: ldb, beta: beta, c: c.f64 + cOffset, ldc: n)
        }
    }

    /// Sets rows `first ..< first + count` of `x` (viewed as [x.count / n, n], n = row.count) to
    /// `row`: a bias written ahead of a GEMM that then accumulates (beta = 1) onto it.
    public static func setRows(_ x: Tensor, first: Int, count: Int, to row: Tensor) {
        precondition(x.dtype == row.dtype && (first + count) * row.count <= x.count, "setRows: out of range")
        switch x.dtype {
        case .float32: setRows(x.f32 + first * row.count, count, row.f32, row.count)
        case .float64: setRows(x.f64 + first * row.count, count, row.f64, row.count)
        }
    }

    @inline(__always)
    static func setRows<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ rows: Int, _ row: UnsafeMutablePointer<T>, _ n: Int) {
        for r in 0..<rows { (x + r * n).update(from: row, count: n) }
    }
}

