import CKernels

/// A convolution computed without im2col: CKernels' AVX2+FMA kernel (`conv.h`) reads each
/// output pixel's patch straight from the image and sums [6 pixels x 16 filters] tiles in
/// registers, adding the bias and a fused ReLU before the one store. Float32 only.
///
/// The product is the one `Im2Col` + GEMM computes for the same `Im2ColGeometry` (image side
/// [height, width, channels] NHWC, patch grid [outHeight, outWidth], kernel [K, filters] with
/// K = kh·kw·channels in (ky, kx, c) order); only the summation order differs (each output value
/// is summed over k in one fixed order, whatever the thread count). Padding is done by copying
/// the images into a zero-bordered scratch buffer first (the image is 1/(kh·kw) of the column
/// matrix im2col would write); `valid` convolutions read the images in place.
///
/// `isAvailable` is false on CPUs without AVX2 and FMA; layers then use im2col + GEMM.
public struct DirectConvolution: Sendable {
    /// True when this CPU runs the kernel.
    public static let isAvailable = nn_conv_available() != 0

    public let geometry: Im2ColGeometry
    public let filters: Int
    /// [height, width] of the zero-padded image the kernel reads, or nil when it reads the image in place.
    let padded: (height: Int, width: Int)?
    /// Offset of each kernel tap (ky, kx) from its window's first value, in the image it reads.
    let tapOffsets: [Int]

    public init(geometry g: Im2ColGeometry, filters: Int) {
        geometry = g
        self.filters = filters
        let needHeight = (g.outHeight - 1) * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1
        let needWidth = (g.outWidth - 1) * g.strideW + (g.kernelWidth - 1) * g.dilationW + 1
        if g.padTop == 0 && g.padLeft == 0 && needHeight <= g.height && needWidth <= g.width {
            padded = nil
        } else {
            padded = (max(needHeight, g.padTop + g.height), max(needWidth, g.padLeft + g.width))
        }
        let rowStride = (padded?.width ?? g.width) * g.channels
        tapOffsets = (0..<g.kernelHeight).flatMap { ky in
            (0..<g.kernelWidth).map { kx in ky * g.dilationH * rowStride + kx * g.dilationW * g.channels }
        }
    }

    /// The geometry of the input gradient of a stride-1, undilated convolution as a convolution
    /// of its own: dx = conv(pad(dz), W') with W' the kernel flipped in space and its channel axes
    /// swapped (`packFlipped`), dz padded by kh − 1 − padTop above and kw − 1 − padLeft to the left.
    /// Nil for strided or dilated convolutions.
    public static func inputGradient(of g: Im2ColGeometry, filters: Int) -> DirectConvolution? {
        guard g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 else { return nil }
        let adjoint = Im2ColGeometry(height: g.outHeight, width: g.outWidth, channels: filters,
                                     outHeight: g.height, outWidth: g.width,
                                     kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                                     padTop: g.kernelHeight - 1 - g.padTop, padLeft: g.kernelWidth - 1 - g.padLeft)
        return DirectConvolution(geometry: adjoint, filters: g.channels)
    }

    /// Values of the packed kernel.
    public var packedCount: Int { nn_conv_packed_count(geometry.patchSize, filters) }

    /// Values of the scratch buffer `run` needs for `count` images (0 when it reads them in place).
    public func scratchCount(images count: Int) -> Int {
        padded.map { count * $0.height * $0.width * geometry.channels } ?? 0
    }

    /// Packs a kernel [K, filters] (Keras' [kh, kw, channels, filters]) for `run` into `packed`.
    public func pack(_ kernel: Tensor, into packed: Tensor) {
        precondition(kernel.dtype == .float32 && kernel.count == geometry.patchSize * filters, "DirectConvolution.pack: kernel shape")
        packed.reshape([packedCount])
        nn_conv_pack_f32(kernel.f32, geometry.patchSize, filters, packed.f32)
    }

    /// Packs, for the `inputGradient` convolution, the kernel of the forward convolution
    /// [kh, kw, filters, channels] of this one (i.e. its W [kh, kw, cin, cout] with cin = `filters`).
    public func packFlipped(_ forwardKernel: Tensor, into packed: Tensor) {
        let g = geometry
        precondition(forwardKernel.dtype == .float32 && forwardKernel.count == g.patchSize * filters,
                     "DirectConvolution.packFlipped: kernel shape")
        packed.reshape([packedCount])
        nn_conv_pack_flipped_f32(forwardKernel.f32, g.kernelHeight, g.kernelWidth, filters, g.channels, packed.f32)
    }

    /// The images the kernel reads for images `first ..< first + count`: in place, or copied into
    /// `scratch` (at least `scratchCount(images: count)` values) with their zero padding.
    public func prepare(_ images: Tensor, first: Int, count: Int, scratch: Tensor) -> UnsafeMutablePointer<Float> {
        let g = geometry
        precondition(images.dtype == .float32 && scratch.dtype == .float32, "DirectConvolution: float32 only")
        precondition(first >= 0 && count >= 0 && (first + count) * g.imageSize <= images.count, "DirectConvolution: images out of range")
        let source = images.f32 + first * g.imageSize
        guard let padded else { return source }
        precondition(scratch.count >= scratchCount(images: count), "DirectConvolution: scratch too small")
        let c = g.channels, run = g.width * c, target = scratch.f32
        target.update(repeating: 0, count: scratchCount(images: count))
        for i in 0..<count {
            for y in 0..<g.height {
                (target + ((i * padded.height + g.padTop + y) * padded.width + g.padLeft) * c)
                    .update(from: source + (i * g.height + y) * run, count: run)
            }
        }
        return target
    }

    /// Rows `pixels` of `output` (viewed as [rows, filters], row p for window p of the prepared
    /// images, numbered image by image in NHWC order, starting at element `outputOffset`)
    /// = act(bias + conv), act = ReLU when `relu`, else the identity. `prepared` comes from `prepare`
    /// and holds at least the images those windows read.
    public func compute(_ prepared: UnsafeMutablePointer<Float>, pixels: Range<Int>, packed: Tensor, bias: Tensor?,
                        relu: Bool, into output: Tensor, at outputOffset: Int) {
        precondition(output.dtype == .float32 && outputOffset + pixels.upperBound * filters <= output.count,
                     "DirectConvolution: output too small")
        precondition(packed.count == packedCount && (bias?.count ?? filters) == filters, "DirectConvolution: kernel or bias")
        withDescription { description in
            nn_conv_f32(description, prepared, pixels.lowerBound, pixels.upperBound, packed.f32, bias?.f32,
                        relu ? 1 : 0, output.f32 + outputOffset)
        }
    }

    /// The kernel gradient over windows `pixels` of the prepared images: dW [K, filters] +=
    /// Σ_p col[p, ·]ᵀ · dz[p, ·], with dz's row p at element `dzOffset + p·filters` of `dz`.
    public func accumulateKernelGradient(_ prepared: UnsafeMutablePointer<Float>, pixels: Range<Int>, dz: Tensor,
                                         at dzOffset: Int, into kernelGradient: Tensor) {
        precondition(dz.dtype == .float32 && dzOffset + pixels.upperBound * filters <= dz.count, "DirectConvolution: dz too small")
        precondition(kernelGradient.dtype == .float32 && kernelGradient.count == geometry.patchSize * filters,
                     "DirectConvolution: kernel gradient shape")
        withDescription { description in
            nn_conv_kernel_gradient_f32(description, prepared, pixels.lowerBound, pixels.upperBound, dz.f32 + dzOffset,
                                        kernelGradient.f32)
        }
    }

    /// The C description of the images `prepare` returns and of the windows.
    private func withDescription(_ body: (UnsafePointer<nn_conv_geometry>) -> Void) {
        let g = geometry
        tapOffsets.withUnsafeBufferPointer { taps in
            var description = nn_conv_geometry(height: padded?.height ?? g.height, width: padded?.width ?? g.width,
                                               channels: g.channels, out_height: g.outHeight, out_width: g.outWidth,
                                               stride_h: g.strideH, stride_w: g.strideW,
                                               taps: taps.count, tap_offsets: taps.baseAddress, filters: filters)
            body(&description)
        }
    }

    /// Images `first ..< first + count` in one call on this thread: `prepare`, then `compute` of
    /// all their windows into their rows of `output`.
    public func run(_ images: Tensor, first: Int, count: Int, packed: Tensor, bias: Tensor?, relu: Bool,
                    into output: Tensor, scratch: Tensor) {
        let prepared = prepare(images, first: first, count: count, scratch: scratch)
        compute(prepared, pixels: 0..<(count * geometry.patchesPerImage), packed: packed, bias: bias, relu: relu,
                into: output, at: first * geometry.patchesPerImage * filters)
    }
}
