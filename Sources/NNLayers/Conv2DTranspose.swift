import NNConfig
import NNTensor

/// A transposed 2-D convolution (Keras' `Conv2DTranspose`, NHWC; "deconvolution"):
/// y = f(convᵀ(x, W) + b), the adjoint of a conv2d, which upsamples by the stride.
///
/// Input [batch, H, W, cin], kernel W [kh, kw, cout, cin] (Keras' layout for the transpose:
/// output channels before input channels), bias b [cout], output [batch, Ho, Wo, cout] with
/// Ho = (H − 1)·sh + max(kh_eff, sh) for `valid` and Ho = H·sh for `same` (likewise Wo; see
/// `ConvGeometry`). Each input pixel scatters its contribution over the output:
///
///     z[i·sh − crop_top + ky·dh, j·sw − crop_left + kx·dw, o] += Σ_c x[i, j, c] · W[ky, kx, o, c]
///
/// plus b[o] everywhere (contributions falling outside the output are cropped away). With the
/// kernel viewed as [K, cin], K = kh·kw·cout, and `Im2Col` on the output side:
///
///     forward:  col = x · Wᵀ  ([n·H·W, K]),  z = col2im(col) + b
///     backward: dcol = im2col(dz),  dx = dcol · W,  dW += dcolᵀ · x,  db += Σ_pixels dz
///
/// with dz = f'(z) ⊙ dy, a batch chunk at a time (`ConvChunking`). This is exactly conv2d's
/// backward pass with the roles of input and output exchanged, so `conv2d_transpose` with a kernel
/// W computes the input gradient of a `conv2d` with the same W, strides, padding and dilation
/// whose input has this layer's output size.
///
/// YAML: `conv2d_transpose: {filters: 16, kernel_size: 3, strides: 2, padding: same,
/// dilation_rate: 1, activation: linear, use_bias: true, kernel_initializer: glorot_uniform,
/// bias_initializer: zeros}`; only `filters` and `kernel_size` are required. As in Keras, strides > 1
/// cannot be combined with dilation_rate > 1. Keras' `output_padding` is not supported (it is
/// always None).
public final class Conv2DTranspose: ActivatedLayer, ConvLayerKind {
    public typealias Config = ConvConfig<Conv2DTranspose>
    public static let typeName = "conv2d_transpose"

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public var activation: Activation { settings.activation }
    public private(set) var outputShape: [Int] = []
    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(zeros: [0, 0, 0, 0]))
    public private(set) var bias: Parameter?
    /// The adjoint conv2d's geometry: image side = this layer's output, patch grid = its input.
    /// Valid after `build`.
    public private(set) var geometry = Im2ColGeometry(height: 0, width: 0, channels: 0, outHeight: 0, outWidth: 0,
                                                      kernelHeight: 1, kernelWidth: 1)
    /// The input channels, valid after `build`.
    private var inputChannels = 0
    /// The most values one chunk's column matrix may hold (tests lower it to force several chunks).
    var maxColumnElements = ConvChunking.defaultMaxColumnElements

    public private(set) var logits = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var logitsGradient = Tensor(zeros: [0])
    private var inputGradient = Tensor(zeros: [0])
    /// One chunk's column matrix, reused by every chunk of every pass.
    private var columns = Tensor(zeros: [0])
    private var input: Tensor?

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        let shape = try singleInput(inputShapes, typeName)
        let g = try settings.geometry.transposed(input: shape, filters: settings.filters, typeName: typeName)
        let cin = shape[2]
        let kernelShape = settings.geometry.kernelSize + [settings.filters, cin]
        _ = try elementCount(kernelShape, what: "the kernel of \(name)")
        outputShape = [g.height, g.width, settings.filters]
        _ = try elementCount(outputShape, what: "the output of \(name)")
        _ = try elementCount([g.patchesPerImage, g.patchSize], what: "the col2im buffer of \(name) (one image)")
        geometry = g
        inputChannels = cin
        (kernel, bias) = makeKernelAndBias(kernelShape: kernelShape, units: settings.filters, useBias: settings.useBias,
                                           kernelInitializer: settings.kernelInitializer,
                                           biasInitializer: settings.biasInitializer, dtype: dtype, rng: &rng)
        logits = Tensor(zeros: [0], dtype: dtype)
        output = settings.activation.runsInPlace ? logits : Tensor(zeros: [0], dtype: dtype)
        logitsGradient = Tensor(zeros: [0], dtype: dtype)
        inputGradient = Tensor(zeros: [0], dtype: dtype)
        columns = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    /// Images per chunk for a batch of `batch`.
    private func chunkSize(_ batch: Int) -> Int {
        ConvChunking.imagesPerChunk(batch: batch, perImage: geometry.columnsPerImage, maxColumnElements: maxColumnElements)
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        input = x
        let n = x.batch, g = geometry, cout = settings.filters
        logits.reshape([n] + outputShape)
        if g.isIdentity {
            // 1x1, stride 1: the output pixels are the input pixels, z = x · Wᵀ.
            Ops.matmul(x, kernel.value, into: logits, m: n * g.patchesPerImage, n: cout, k: inputChannels,
                       transB: true, gemm: context.gemm)
        } else {
            let chunk = chunkSize(n)
            columns.reshape([chunk * g.patchesPerImage, g.patchSize])
            for first in stride(from: 0, to: n, by: chunk) {
                forwardChunk(x, first: first, count: min(chunk, n - first), columns: columns, gemm: context.gemm)
            }
        }
        if let bias { Ops.addRow(bias.value, to: logits) }
        output.reshape(logits.shape)
        settings.activation.forward(logits, into: output, width: cout)
        return output
    }

    /// z[first ..< first + count] = col2im(x[first ..< first + count] · Wᵀ), using `columns` as
    /// scratch. Chunks write disjoint parts of `logits`.
    private func forwardChunk(_ x: Tensor, first: Int, count: Int, columns: Tensor, gemm: GEMM) {
        let g = geometry, rows = count * g.patchesPerImage
        Ops.matmulBlock(x, at: first * g.patchesPerImage * inputChannels, kernel.value, at: 0, into: columns, at: 0,
                        m: rows, n: g.patchSize, k: inputChannels, transB: true, gemm: gemm)
        Im2Col.col2im(columns, geometry: g, into: logits, first: first, count: count)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        logitsGradient.reshape(outputGradient.shape)
        settings.activation.backward(outputGradient: outputGradient, output: output, logits: logits,
                                     into: logitsGradient, width: settings.filters)
        return backward(logitsGradient: logitsGradient, needsInputGradient: needsInputGradient, &context)
    }

    public func backward(logitsGradient dz: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard let x = input else { return [nil] }
        let n = x.batch, g = geometry, cout = settings.filters, cin = inputChannels
        if let bias, bias.isTrainable { Ops.accumulateColumnSums(of: dz, into: bias.gradient) }
        let kernelGradient = kernel.isTrainable
        if needsInputGradient { inputGradient.reshape(x.shape) }
        if g.isIdentity {
            let rows = n * g.patchesPerImage
            if kernelGradient {
                // dW [cout, cin] += dzᵀ · x
                Ops.matmul(dz, x, into: kernel.gradient, m: cout, n: cin, k: rows, transA: true, beta: 1, gemm: context.gemm)
            }
            if needsInputGradient {
                Ops.matmul(dz, kernel.value, into: inputGradient, m: rows, n: cin, k: cout, gemm: context.gemm)
            }
        } else if kernelGradient || needsInputGradient {
            let chunk = chunkSize(n)
            columns.reshape([chunk * g.patchesPerImage, g.patchSize])
            for first in stride(from: 0, to: n, by: chunk) {
                backwardChunk(x, dz, first: first, count: min(chunk, n - first), columns: columns,
                              kernelGradient: kernelGradient, inputGradient: needsInputGradient, gemm: context.gemm)
            }
        }
        return [needsInputGradient ? inputGradient : nil]
    }

    /// One chunk of backward: dcol = im2col(dz), dW += dcolᵀ · x, dx = dcol · W. Chunks write
    /// disjoint parts of dx; the dW accumulation is the only shared write (a reduction).
    private func backwardChunk(_ x: Tensor, _ dz: Tensor, first: Int, count: Int, columns: Tensor,
                               kernelGradient: Bool, inputGradient needsInputGradient: Bool, gemm: GEMM) {
        let g = geometry, cin = inputChannels, rows = count * g.patchesPerImage
        let xOffset = first * g.patchesPerImage * cin
        Im2Col.im2col(dz, first: first, count: count, geometry: g, into: columns)
        if kernelGradient {
            Ops.matmulBlock(columns, at: 0, x, at: xOffset, into: kernel.gradient, at: 0,
                            m: g.patchSize, n: cin, k: rows, transA: true, beta: 1, gemm: gemm)
        }
        if needsInputGradient {
            Ops.matmulBlock(columns, at: 0, kernel.value, at: 0, into: inputGradient, at: xOffset,
                            m: rows, n: cin, k: g.patchSize, gemm: gemm)
        }
    }
}
