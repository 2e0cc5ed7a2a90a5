import NNConfig
import NNTensor

/// A 2-D convolution (Keras' `Conv2D`, NHWC): y = f(conv(x, W) + b).
///
/// Input [batch, H, W, cin], kernel W [kh, kw, cin, cout] (Keras' layout), bias b [cout], output
/// [batch, Ho, Wo, cout] with Ho, Wo and the padding from `ConvGeometry` (valid or TensorFlow's
/// same). For output pixel (oy, ox) and filter o:
///
///     z[oy, ox, o] = b[o] + Σ_{ky, kx, c} x[oy·sh − pad_top + ky·dh, ox·sw − pad_left + kx·dw, c] · W[ky, kx, c, o]
///
/// (pixels outside the input are zero), a cross-correlation as in every framework.
///
/// Computed as im2col + GEMM, a batch chunk at a time: the chunk's column matrix
/// col [n·Ho·Wo, K], K = kh·kw·cin (columns in (ky, kx, c) order, see `Im2Col`), times the
/// kernel viewed as [K, cout] gives the chunk's NHWC output rows directly (the rows are first set
/// to the bias and the GEMM accumulates onto them). A 1x1 kernel with stride 1 needs no im2col:
/// the input is its own column matrix. Backward, with
/// dz = f'(z) ⊙ dy: dW += colᵀ · dz, db += Σ_rows dz, dcol = dz · Wᵀ, dx = col2im(dcol). The
/// columns are recomputed chunk by chunk in backward rather than kept for the whole batch, so
/// memory stays at one chunk's column buffer (`ConvChunking`).
///
/// In float32 on a CPU with AVX2 and FMA, `DirectConvolution` computes the same products without
/// the column matrix: forward (with the bias and a linear or ReLU activation fused into the
/// store), dW, and dx of stride-1 undilated convolutions as the convolution of the zero-padded dz
/// with the spatially flipped kernel. The products are the same; only the float32 rounding differs.
///
/// YAML: `conv2d: {filters: 32, kernel_size: 3, strides: 1, padding: valid, dilation_rate: 1,
/// activation: linear, use_bias: true, kernel_initializer: glorot_uniform, bias_initializer: zeros}`;
/// only `filters` and `kernel_size` are required. As in Keras, strides > 1 cannot be combined with
/// dilation_rate > 1.
public final class Conv2D: ActivatedLayer, ConvLayerKind {
    public typealias Config = ConvConfig<Conv2D>
    public static let typeName = "conv2d"

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public var activation: Activation { settings.activation }
    public private(set) var outputShape: [Int] = []
    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(zeros: [0, 0, 0, 0]))
    public private(set) var bias: Parameter?
    /// Valid after `build`.
    public private(set) var geometry = Im2ColGeometry(height: 0, width: 0, channels: 0, outHeight: 0, outWidth: 0,
                                                      kernelHeight: 1, kernelWidth: 1)
    /// The most values one chunk's column matrix may hold (tests lower it to force several chunks).
    var maxColumnElements = ConvChunking.defaultMaxColumnElements
    /// Whether float32 passes use `DirectConvolution` when the CPU has it (tests turn it off to
    /// compare with im2col + GEMM).
    var allowsDirectKernel = true
    /// The direct kernel's forward convolution and the input-gradient one (nil: strided or dilated),
    /// set by `build` for float32 on a CPU that runs them.
    private var direct: DirectConvolution?
    private var directInputGradient: DirectConvolution?
    /// The kernel packed for `direct`, and flipped for `directInputGradient`.
    private let packedKernel = Tensor(zeros: [0])
    private let packedFlippedKernel = Tensor(zeros: [0])

    public private(set) var logits = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var logitsGradient = Tensor(zeros: [0])
    private var inputGradient = Tensor(zeros: [0])
    /// One scratch buffer per worker thread, reused by every chunk of every pass: a chunk's column
    /// matrix, or its zero-padded images for the direct kernel.
    private var workerColumns: [Tensor] = []
    /// Kernel-gradient partial sums of workers 1, 2, ... (worker 0 writes the gradient itself).
    private var partialGradients: [Tensor] = []
    private var input: Tensor?
    /// Threads that process batch chunks (the process-wide pool).
    private let pool = WorkerPool.shared

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        let shape = try singleInput(inputShapes, typeName)
        let g = try settings.geometry.convolution(input: shape, typeName: typeName)
        let kernelShape = settings.geometry.kernelSize + [g.channels, settings.filters]
        _ = try elementCount(kernelShape, what: "the kernel of \(name)")
        outputShape = [g.outHeight, g.outWidth, settings.filters]
        _ = try elementCount(outputShape, what: "the output of \(name)")
        _ = try elementCount([g.patchesPerImage, g.patchSize], what: "the im2col buffer of \(name) (one image)")
        geometry = g
        let directKernel = dtype == .float32 && DirectConvolution.isAvailable && !g.isIdentity
        direct = directKernel ? DirectConvolution(geometry: g, filters: settings.filters) : nil
        directInputGradient = directKernel ? DirectConvolution.inputGradient(of: g, filters: settings.filters) : nil
        (kernel, bias) = makeKernelAndBias(kernelShape: kernelShape, units: settings.filters, useBias: settings.useBias,
                                           kernelInitializer: settings.kernelInitializer,
                                           biasInitializer: settings.biasInitializer, dtype: dtype, rng: &rng)
        logits = Tensor(zeros: [0], dtype: dtype)
        output = settings.activation.runsInPlace ? logits : Tensor(zeros: [0], dtype: dtype)
        logitsGradient = Tensor(zeros: [0], dtype: dtype)
        inputGradient = Tensor(zeros: [0], dtype: dtype)
        workerColumns = []
        partialGradients = []
        return outputShape
    }

    /// Images per chunk for a batch of `batch`.
    private func chunkSize(_ batch: Int) -> Int {
        ConvChunking.imagesPerChunk(batch: batch, perImage: geometry.columnsPerImage, maxColumnElements: maxColumnElements,
                                    threads: pool.threads)
    }

    /// True when a batch of `n` takes several chunks, so the chunks themselves keep the workers
    /// busy; a batch of one chunk (one image of a large network) splits its products over them instead.
    private func chunksRunInParallel(_ n: Int) -> Bool { pool.threads > 1 && chunkSize(n) < n }

    /// The GEMM for chunk products: single-threaded when the chunks run in parallel, else the pool's.
    private func chunkGEMM(_ n: Int, _ gemm: GEMM) -> GEMM {
        chunksRunInParallel(n) ? gemm.singleThreadedCopy : gemm
    }

    /// Runs `body(worker, first, count)` over the batch's chunks: chunk c goes to worker c % threads
    /// (a fixed assignment, so any reduction over workers sums in the same order every run), each
    /// worker with its own scratch buffer of `scratchPerImage` values per image of a chunk (the
    /// column matrix by default) and single-threaded GEMMs.
    private func forEachChunk(_ n: Int, scratchPerImage: Int? = nil, _ body: (_ worker: Int, _ first: Int, _ count: Int) -> Void) {
        let chunk = chunkSize(n), chunks = (n + chunk - 1) / chunk
        let workers = min(pool.threads, chunks)
        for w in 0..<workers { _ = scratch(w, count: chunk * (scratchPerImage ?? geometry.columnsPerImage)) }
        pool.run(count: workers) { w in
            for c in stride(from: w, to: chunks, by: workers) {
                body(w, c * chunk, min(chunk, n - c * chunk))
            }
        }
    }

    /// Worker `w`'s scratch buffer, resized to `count` values.
    private func scratch(_ w: Int, count: Int) -> Tensor {
        while workerColumns.count <= w { workerColumns.append(Tensor(zeros: [0], dtype: kernel.value.dtype)) }
        workerColumns[w].reshape([count])
        return workerColumns[w]
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        input = x
        let n = x.batch, g = geometry, cout = settings.filters
        logits.reshape([n] + outputShape)
        if g.isIdentity {
            Ops.matmul(x, kernel.value, into: logits, m: n * g.patchesPerImage, n: cout, k: g.channels, gemm: context.gemm)
            if let bias { Ops.addRow(bias.value, to: logits) }
        } else if allowsDirectKernel, let direct {
            forwardDirect(x, direct)
            if fusesActivation { return output }
        } else {
            let gemm = chunkGEMM(n, context.gemm)
            forEachChunk(n) { w, first, count in
                forwardChunk(x, first: first, count: count, columns: workerColumns[w], gemm: gemm)
            }
        }
        output.reshape(logits.shape)
        settings.activation.forward(logits, into: output, width: cout)
        return output
    }

    /// The direct kernel adds the bias and applies linear or ReLU itself (both run in place, so
    /// `output` is `logits`).
    private var fusesActivation: Bool { settings.activation == .relu || settings.activation == .linear }

    /// logits = act(b + conv(x, W)) with the direct kernel (act fused when `fusesActivation`): the
    /// batch's chunks over the workers, or, when the batch is one chunk (one image of a large
    /// network), its windows split over them.
    private func forwardDirect(_ x: Tensor, _ direct: DirectConvolution) {
        let n = x.batch, relu = settings.activation == .relu
        direct.pack(kernel.value, into: packedKernel)
        guard pool.threads > 1 && !chunksRunInParallel(n) else {
            forEachChunk(n, scratchPerImage: direct.scratchCount(images: 1)) { w, first, count in
                direct.run(x, first: first, count: count, packed: packedKernel, bias: bias?.value, relu: relu,
                           into: logits, scratch: workerColumns[w])
            }
            return
        }
        let prepared = direct.prepare(x, first: 0, count: n, scratch: scratch(0, count: direct.scratchCount(images: n)))
        let pixels = n * geometry.patchesPerImage, parts = pool.threads
        pool.run(count: parts) { p in
            direct.compute(prepared, pixels: (p * pixels / parts)..<((p + 1) * pixels / parts), packed: packedKernel,
                           bias: bias?.value, relu: relu, into: logits, at: 0)
        }
    }

    /// z[first ..< first + count] = b + im2col(x[first ..< first + count]) · W, using `columns` as scratch.
    /// Chunks touch disjoint parts of `logits`, so they can run concurrently with one buffer each.
    private func forwardChunk(_ x: Tensor, first: Int, count: Int, columns: Tensor, gemm: GEMM) {
        let g = geometry, rows = count * g.patchesPerImage
        Im2Col.im2col(x, first: first, count: count, geometry: g, into: columns)
        if let bias { Ops.setRows(logits, first: first * g.patchesPerImage, count: rows, to: bias.value) }
        Ops.matmulBlock(columns, at: 0, kernel.value, at: 0, into: logits, at: first * g.patchesPerImage * settings.filters,
                        m: rows, n: settings.filters, k: g.patchSize, beta: bias == nil ? 0 : 1, gemm: gemm)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        logitsGradient.reshape(outputGradient.shape)
        settings.activation.backward(outputGradient: outputGradient, output: output, logits: logits,
                                     into: logitsGradient, width: settings.filters)
        return backward(logitsGradient: logitsGradient, needsInputGradient: needsInputGradient, &context)
    }

    public func backward(logitsGradient dz: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard let x = input else { return [nil] }
        let n = x.batch, g = geometry, cout = settings.filters
        if let bias, bias.isTrainable { Ops.accumulateColumnSums(of: dz, into: bias.gradient) }
        let kernelGradient = kernel.isTrainable
        if needsInputGradient { inputGradient.reshape(x.shape) }
        if g.isIdentity {
            let rows = n * g.patchesPerImage
            if kernelGradient {
                Ops.matmul(x, dz, into: kernel.gradient, m: g.channels, n: cout, k: rows, transA: true, beta: 1, gemm: context.gemm)
            }
            if needsInputGradient {
                Ops.matmul(dz, kernel.value, into: inputGradient, m: rows, n: g.channels, k: cout, transB: true, gemm: context.gemm)
            }
        } else if kernelGradient || needsInputGradient {
            let gemm = chunkGEMM(n, context.gemm)
            // Worker 0 adds into the kernel gradient itself; the others into partial sums that are
            // added afterwards in worker order (deterministic for a given thread count).
            while partialGradients.count < pool.threads - 1 {
                partialGradients.append(Tensor(zeros: kernel.value.shape, dtype: kernel.value.dtype))
            }
            for p in partialGradients { p.zero() }
            // The direct kernels (dW, and dx when stride 1 and undilated) when the batch takes
            // several chunks; for one chunk the GEMMs split over the workers instead.
            let directChunks = allowsDirectKernel && chunkSize(n) < n
            let directKernelGradient = directChunks && kernelGradient ? direct : nil
            let directGradient = directChunks && needsInputGradient ? directInputGradient : nil
            if let directGradient { directGradient.packFlipped(kernel.value, into: packedFlippedKernel) }
            let needsColumns = (kernelGradient && directKernelGradient == nil) || (needsInputGradient && directGradient == nil)
            let scratchPerImage = max(needsColumns ? g.columnsPerImage : 0, directKernelGradient?.scratchCount(images: 1) ?? 0,
                                      directGradient?.scratchCount(images: 1) ?? 0)
            forEachChunk(n, scratchPerImage: scratchPerImage) { w, first, count in
                backwardChunk(x, dz, first: first, count: count, columns: workerColumns[w],
                              kernelGradient: w == 0 ? kernel.gradient : partialGradients[w - 1],
                              computeKernelGradient: kernelGradient, inputGradient: needsInputGradient,
                              directKernelGradient: directKernelGradient, directGradient: directGradient, gemm: gemm)
            }
            if kernelGradient { for p in partialGradients { Ops.axpy(1, p, kernel.gradient) } }
        }
        return [needsInputGradient ? inputGradient : nil]
    }

    /// One chunk of backward: dW += colᵀ · dz (col recomputed here, or read from the images by the
    /// direct kernel), then dcol = dz · Wᵀ in the same buffer and dx = col2im(dcol), or dx = the
    /// direct kernel's conv(pad(dz), W flipped) (see `DirectConvolution.inputGradient`). Chunks
    /// write disjoint parts of dx; the dW accumulation is the only shared write (a reduction).
    private func backwardChunk(_ x: Tensor, _ dz: Tensor, first: Int, count: Int, columns: Tensor, kernelGradient dW: Tensor,
                               computeKernelGradient kernelGradient: Bool, inputGradient needsInputGradient: Bool,
                               directKernelGradient: DirectConvolution?, directGradient: DirectConvolution?, gemm: GEMM) {
        let g = geometry, cout = settings.filters, rows = count * g.patchesPerImage
        let dzOffset = first * g.patchesPerImage * cout
        if let directKernelGradient {
            let prepared = directKernelGradient.prepare(x, first: first, count: count, scratch: columns)
            directKernelGradient.accumulateKernelGradient(prepared, pixels: 0..<rows, dz: dz, at: dzOffset, into: dW)
        } else if kernelGradient {
            Im2Col.im2col(x, first: first, count: count, geometry: g, into: columns)
            Ops.matmulBlock(columns, at: 0, dz, at: dzOffset, into: dW, at: 0,
                            m: g.patchSize, n: cout, k: rows, transA: true, beta: 1, gemm: gemm)
        }
        if let directGradient {
            directGradient.run(dz, first: first, count: count, packed: packedFlippedKernel, bias: nil, relu: false,
                               into: inputGradient, scratch: columns)
        } else if needsInputGradient {
            Ops.matmulBlock(dz, at: dzOffset, kernel.value, at: 0, into: columns, at: 0,
                            m: rows, n: g.patchSize, k: cout, transB: true, gemm: gemm)
            Im2Col.col2im(columns, geometry: g, into: inputGradient, first: first, count: count)
        }
    }
}
