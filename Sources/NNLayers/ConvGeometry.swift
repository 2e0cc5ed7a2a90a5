import NNConfig
import NNTensor

/// Keras' `padding:` of a convolution.
///
/// - `valid`: no padding; only windows that fit entirely inside the input.
/// - `same`: zero padding so that out = ceil(in / stride) (TensorFlow's rule, which Keras follows):
///   pad_total = max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0), pad_before = ⌊pad_total / 2⌋,
///   pad_after = the rest (one more after than before when pad_total is odd).
public enum ConvPadding: String, Sendable, CaseIterable {
    case valid, same
}

/// The spatial options that `conv2d` and `conv2d_transpose` share, decoded from YAML, and the
/// output-size arithmetic of both layers.
///
/// YAML (Keras' names): `kernel_size` (required: an int for a square kernel, or [height, width]),
/// `strides` (default 1, or [sh, sw]), `padding` (`valid` (default) or `same`), `dilation_rate`
/// (default 1, or [dh, dw]). Every size is a whole number from 1 to `maxSize`; as in Keras, strides
/// greater than 1 cannot be combined with a dilation_rate greater than 1. A dilated kernel covers
/// an effective size of (k − 1)·dilation + 1 pixels.
///
/// Per spatial axis, for input size `in`, kernel `k`, stride `s`, dilation `d`, k_eff = (k − 1)·d + 1:
///
/// - conv2d, valid: out = ⌊(in − k_eff) / s⌋ + 1, no padding; k_eff > in is an error.
/// - conv2d, same: out = ⌈in / s⌉, padding as in `ConvPadding.same`.
/// - conv2d_transpose (Keras `Conv2DTranspose`, output_padding None), the adjoint of a conv2d whose
///   input is the transpose's output: the "full" transposed output has (in − 1)·s + k_eff pixels
///   (input pixel i spreads over full positions i·s + j·d), and
///   - valid: out = (in − 1)·s + max(k_eff, s), crop_before = 0 (when s > k_eff the last s − k_eff
///     pixels get no contribution: they hold the bias only);
///   - same: out = in·s, crop_before = ⌊max(k_eff − s, 0) / 2⌋ (so Y[o] = full[o + crop_before],
///     positions past the full output are zero): exactly TensorFlow's/Keras' cropping, which is
///     the conv2d `same` padding of an input of size in·s.
public struct ConvGeometry: Sendable, Equatable {
    /// [height, width] of the kernel.
    public var kernelSize: [Int]
    /// [vertical, horizontal] step between windows.
    public var strides: [Int] = [1, 1]
    public var padding: ConvPadding = .valid
    /// [vertical, horizontal] spacing of the kernel taps (1: adjacent pixels).
    public var dilationRate: [Int] = [1, 1]

    /// The largest kernel size, stride or dilation accepted.
    public static let maxSize = 4096

    public init(kernelSize: [Int], strides: [Int] = [1, 1], padding: ConvPadding = .valid, dilationRate: [Int] = [1, 1]) {
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
    }

    /// Reads `kernel_size`, `strides`, `padding` and `dilation_rate` from a layer's options.
    /// Strides > 1 together with dilation_rate > 1 are rejected, as Keras' `Conv2D` and
    /// `Conv2DTranspose` do.
    public init(_ r: MappingReader) {
        kernelSize = Self.pair(r, "kernel_size", default: nil)
        strides = Self.pair(r, "strides", default: [1, 1])
        padding = ConvPadding(rawValue: r.choice("padding", ConvPadding.allCases.map(\.rawValue), default: "valid")) ?? .valid
        dilationRate = Self.pair(r, "dilation_rate", default: [1, 1])
        if strides.contains(where: { $0 > 1 }) && dilationRate.contains(where: { $0 > 1 }) {
            r.report("dilation_rate", "received \(Self.text(dilationRate)) with strides \(Self.text(strides)); "
                     + "dilation_rate > 1 cannot be combined with strides > 1 (Keras rejects it too): set one of them to 1")
        }
    }

    /// The options as resolved YAML entries, in Keras' `get_config` order.
    public func encode() -> [(String, ConfigNode)] {
        [("kernel_size", .ints(kernelSize)), ("strides", .ints(strides)), ("padding", .string(padding.rawValue)),
         ("dilation_rate", .ints(dilationRate))]
    }

    /// An int n (meaning [n, n]) or a list of two ints, each from 1 to `maxSize`; `nil` default
    /// makes the key required. On error, reports and returns the default (or [1, 1]).
    static func pair(_ r: MappingReader, _ key: String, default def: [Int]?) -> [Int] {
        let fallback = def ?? [1, 1]
        let expected = "a whole number from 1 to \(maxSize), or a list of two of them [height, width]"
        guard let v = r.value(key) else {
            if def == nil {
                r.report(key, r.has(key) ? "received null, but \"\(key)\" is required" : "missing required key \"\(key)\"")
            }
            return fallback
        }
        let range = 1...maxSize
        if let n = ConfigScalar.int(v) {
            guard range.contains(n) else {
                r.report(key, "received \(v.brief), expected \(expected)")
                return fallback
            }
            return [n, n]
        }
        guard let items = v.items, items.count == 2 else {
            r.report(key, "received \(v.brief), expected \(expected)")
            return fallback
        }
        var out: [Int] = []
        for (i, item) in items.enumerated() {
            if let n = ConfigScalar.int(item), range.contains(n) {
                out.append(n)
            } else {
                r.diagnostics.report(item, "\(r.childPath(key))[\(i)]", "received \(item.brief), expected a whole number from 1 to \(maxSize)")
            }
        }
        return out.count == 2 ? out : fallback
    }

    // MARK: Arithmetic

    /// (k − 1)·d + 1: the span of a kernel of k taps d pixels apart.
    public static func effectiveKernel(_ k: Int, dilation d: Int) -> Int { (k - 1) * d + 1 }

    /// conv2d along one axis: the output size and the padding before the first pixel, or nil when
    /// the (dilated) kernel does not fit a `valid` input.
    public static func convolutionAxis(input: Int, kernel: Int, stride: Int, dilation: Int,
                                       padding: ConvPadding) -> (output: Int, padBefore: Int)? {
        let span = effectiveKernel(kernel, dilation: dilation)
        switch padding {
        case .valid:
            guard span <= input else { return nil }
            return ((input - span) / stride + 1, 0)
        case .same:
            let out = (input + stride - 1) / stride
            let total = max((out - 1) * stride + span - input, 0)
            return (out, total / 2)
        }
    }

    /// conv2d_transpose along one axis: the output size and how many leading pixels of the full
    /// transposed output are cropped (see the type's documentation).
    public static func transposedAxis(input: Int, kernel: Int, stride: Int, dilation: Int,
                                      padding: ConvPadding) -> (output: Int, cropBefore: Int) {
        let span = effectiveKernel(kernel, dilation: dilation)
        switch padding {
        case .valid: return ((input - 1) * stride + max(span, stride), 0)
        case .same: return (input * stride, max(span - stride, 0) / 2)
        }
    }

    /// The [height, width, channels] of a convolution's per-sample input, or a LayerError that
    /// says what went wrong.
    static func image(_ shape: [Int], typeName: String) throws(LayerError) -> (height: Int, width: Int, channels: Int) {
        guard shape.count == 3 else {
            let hint: String
            switch shape.count {
            case 1:
                hint = "\(typeName) after flatten? Convolutions need the spatial axes: move flatten after the last "
                    + "convolution or pooling layer, or reshape flat data to [height, width, channels]"
            case 2:
                hint = "give the images a channel axis, e.g. input: [\(shape[0]), \(shape[1]), 1]"
            default:
                hint = "\(typeName) works on single images, one [height, width, channels] tensor per sample"
            }
            throw LayerError("\(typeName) expects images [height, width, channels], got \(shapeText(shape)); \(hint)")
        }
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw LayerError("\(typeName) expects images [height, width, channels] with every size at least 1, got \(shapeText(shape))")
        }
        return (shape[0], shape[1], shape[2])
    }

    /// The im2col geometry of conv2d on a per-sample input `shape` [H, W, C]: the image side is the
    /// input, the patch grid the output [Ho, Wo]. Throws when the input is not an image or a
    /// `valid` kernel does not fit it.
    public func convolution(input shape: [Int], typeName: String) throws(LayerError) -> Im2ColGeometry {
        let (h, w, c) = try Self.image(shape, typeName: typeName)
        guard let rows = Self.convolutionAxis(input: h, kernel: kernelSize[0], stride: strides[0], dilation: dilationRate[0], padding: padding),
              let cols = Self.convolutionAxis(input: w, kernel: kernelSize[1], stride: strides[1], dilation: dilationRate[1], padding: padding)
        else {
            let dilation = dilationRate[0] == dilationRate[1] ? "\(dilationRate[0])" : "\(dilationRate[0])x\(dilationRate[1])"
            throw LayerError("the \(kernelSize[0])x\(kernelSize[1]) kernel (with dilation \(dilation)) does not fit the "
                             + "\(h)x\(w) input with padding \(padding.rawValue); use padding: same or a smaller kernel_size")
        }
        return Im2ColGeometry(height: h, width: w, channels: c, outHeight: rows.output, outWidth: cols.output,
                              kernelHeight: kernelSize[0], kernelWidth: kernelSize[1], strideH: strides[0], strideW: strides[1],
                              dilationH: dilationRate[0], dilationW: dilationRate[1], padTop: rows.padBefore, padLeft: cols.padBefore)
    }

    /// The im2col geometry of conv2d_transpose with `filters` output channels on a per-sample input
    /// `shape` [H, W, C]: the adjoint conv2d's view, whose image side is the transpose's output
    /// [Ho, Wo, filters] and whose patch grid is the transpose's input [H, W].
    public func transposed(input shape: [Int], filters: Int, typeName: String) throws(LayerError) -> Im2ColGeometry {
        let (h, w, _) = try Self.image(shape, typeName: typeName)
        let rows = Self.transposedAxis(input: h, kernel: kernelSize[0], stride: strides[0], dilation: dilationRate[0], padding: padding)
        let cols = Self.transposedAxis(input: w, kernel: kernelSize[1], stride: strides[1], dilation: dilationRate[1], padding: padding)
        return Im2ColGeometry(height: rows.output, width: cols.output, channels: filters, outHeight: h, outWidth: w,
                              kernelHeight: kernelSize[0], kernelWidth: kernelSize[1], strideH: strides[0], strideW: strides[1],
                              dilationH: dilationRate[0], dilationW: dilationRate[1], padTop: rows.cropBefore, padLeft: cols.cropBefore)
    }

    static func text(_ pair: [Int]) -> String { "[" + pair.map(String.init).joined(separator: ", ") + "]" }
}

/// How convolution layers split a batch into chunks: each chunk's column matrix holds at most
/// `maxColumnElements` values (but at least one image), so the buffer stays bounded whatever the
/// batch size, and is reused chunk after chunk.
///
/// The default, 2^18 values (1 MiB of float32, Zen 4's L2), keeps the columns in cache between
/// im2col writing them and the GEMM reading them. Measured on the MNIST-shape conv2d (26x26x32 →
/// 64, 3x3, batch 128, one thread, OpenBLAS): 2^16 to 2^20 values per chunk run forward+backward
/// in 99–105 ms (about 80 GFLOPS); 2^21 in 135 ms and 2^23 in 146 ms, when the columns spill to
/// memory.
struct ConvChunking {
    static let defaultMaxColumnElements = 1 << 18

    /// Images per chunk for a batch of `batch` images whose column matrices hold `perImage` values each.
    static func imagesPerChunk(batch: Int, perImage: Int, maxColumnElements: Int, threads: Int = 1) -> Int {
        let largest = max(1, min(batch, maxColumnElements / max(perImage, 1)))
        guard threads > 1, batch > 1 else { return largest }
        // Enough chunks to give every thread the same number (balanced), none larger than `largest`.
        var chunks = (batch + largest - 1) / largest
        chunks = min(batch, (chunks + threads - 1) / threads * threads)
        return (batch + chunks - 1) / chunks
    }
}

/// A convolution layer type whose options are `ConvConfig`'s (conv2d, conv2d_transpose).
public protocol ConvLayerKind: Layer {
    static var typeName: String { get }
    init(name: String, config: ConvConfig<Self>)
}

/// The options of `conv2d` and `conv2d_transpose` (Keras' names and defaults): `filters` and
/// `kernel_size` required; `strides` 1, `padding` valid, `dilation_rate` 1 (see `ConvGeometry`),
/// `activation` linear, `use_bias` true, `kernel_initializer` glorot_uniform, `bias_initializer` zeros;
/// optional `kernel_regularizer` / `bias_regularizer` (see `Regularizer`).
public struct ConvConfig<Kind: ConvLayerKind>: LayerConfig, Equatable {
    public var typeName: String { Kind.typeName }
    public var filters: Int
    public var geometry: ConvGeometry
    public var activation: Activation = .linear
    public var useBias = true
    public var kernelInitializer: Initializer = .glorotUniform
    public var biasInitializer: Initializer = .constant(0)
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?

    public init(filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: ConvPadding = .valid,
                dilationRate: [Int] = [1, 1], activation: Activation = .linear) {
        self.filters = filters
        self.geometry = ConvGeometry(kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate)
        self.activation = activation
    }

    public init(_ r: MappingReader) {
        filters = r.int("filters", in: 1...1_000_000)
        geometry = ConvGeometry(r)
        activation = Activation.decode(r, "activation", default: .linear)
        useBias = r.bool("use_bias", default: true)
        kernelInitializer = Initializer.decode(r, "kernel_initializer", default: .glorotUniform)
        biasInitializer = Initializer.decode(r, "bias_initializer", default: .constant(0))
        kernelRegularizer = Regularizer.decode(r, "kernel_regularizer")
        biasRegularizer = Regularizer.decode(r, "bias_regularizer")
        r.finish()
    }

    public func encode() -> ConfigNode {
        .map([("filters", .int(filters))] + geometry.encode()
             + [("activation", activation.encode()), ("use_bias", .bool(useBias)),
                ("kernel_initializer", kernelInitializer.encode()), ("bias_initializer", biasInitializer.encode())]
             + regularizerEntries(kernel: kernelRegularizer, bias: biasRegularizer))
    }

    public func makeLayer(name: String) -> any Layer { Kind(name: name, config: self) }
    public var outputActivation: Activation? { activation }
}
