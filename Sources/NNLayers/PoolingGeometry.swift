import NNConfig
import NNTensor

/// The options shared by `max_pool2d` and `average_pool2d` (Keras' `MaxPooling2D` and
/// `AveragePooling2D`), with Keras' defaults:
///
/// - `pool_size`: 2, a whole number n (meaning [n, n]) or a list [height, width]; each >= 1.
/// - `strides`: the pool size when absent (or null), same forms; each >= 1.
/// - `padding`: `valid` (windows lie inside the image) or `same` (TensorFlow's rule, see
///   `PoolingGeometry`).
public struct PoolingWindow: Sendable, Equatable {
    public enum Padding: String, Sendable, CaseIterable {
        case valid, same
    }

    /// [height, width] of the window.
    public var poolSize: [Int]
    /// [height, width] step between windows.
    public var strides: [Int]
    public var padding: Padding

    /// `strides` nil means the pool size (Keras' `strides=None`).
    public init(poolSize: [Int] = [2, 2], strides: [Int]? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }

    /// Reads `pool_size`, `strides` and `padding` from `r` (the caller calls `r.finish()`).
    public init(_ r: MappingReader) {
        poolSize = SpatialOption.pair(r, "pool_size", default: [2, 2], in: 1...SpatialOption.maxSize)
        strides = SpatialOption.pair(r, "strides", default: poolSize, in: 1...SpatialOption.maxSize)
        padding = Padding(rawValue: r.choice("padding", Padding.allCases.map(\.rawValue), default: "valid")) ?? .valid
    }

    /// The resolved options, every default written out.
    public func encode() -> ConfigNode {
        .map([("pool_size", .ints(poolSize)), ("strides", .ints(strides)), ("padding", .string(padding.rawValue))])
    }

    /// The geometry of this window over a per-sample input `shape` ([height, width, channels]);
    /// `layer` names the layer type in errors.
    public func geometry(input shape: [Int], layer: String) throws(LayerError) -> PoolingGeometry {
        let (height, width, channels) = try SpatialOption.image(shape, layer)
        var g = PoolingGeometry(height: height, width: width, channels: channels,
                                poolHeight: poolSize[0], poolWidth: poolSize[1],
                                strideHeight: strides[0], strideWidth: strides[1])
        switch padding {
        case .valid:
            guard poolSize[0] <= height, poolSize[1] <= width else {
                throw LayerError("\(layer)'s pool_size \(poolSize[0])x\(poolSize[1]) is larger than its input \(shapeText(shape)) with padding valid; use a smaller pool_size or padding same")
            }
            g.outHeight = (height - poolSize[0]) / strides[0] + 1
            g.outWidth = (width - poolSize[1]) / strides[1] + 1
        case .same:
            g.outHeight = (height + strides[0] - 1) / strides[0]
            g.outWidth = (width + strides[1] - 1) / strides[1]
            g.padTop = max((g.outHeight - 1) * strides[0] + poolSize[0] - height, 0) / 2
            g.padLeft = max((g.outWidth - 1) * strides[1] + poolSize[1] - width, 0) / 2
        }
        _ = try elementCount(g.outputShape, what: "\(layer)'s output")
        return g
    }
}

/// Where the windows of a 2-D pooling layer lie, NHWC.
///
/// Output row `oh` covers input rows `oh · stride_h − pad_top ..< + pool_h`, clipped to the image
/// (likewise for columns). With `valid` padding, out = ⌊(in − pool) / stride⌋ + 1 and nothing is
/// clipped. With `same` padding (TensorFlow's rule, which Keras follows), out = ⌈in / stride⌉, the
/// total padding is max((out − 1) · stride + pool − in, 0) and pad_top = ⌊total / 2⌋ (the extra
/// row, if any, goes at the bottom). The padded positions are never read: max pooling ignores them
/// and average pooling divides by the number of positions inside the image. Every window holds at
/// least one input position (total < pool, so pad_top < pool).
public struct PoolingGeometry: Sendable, Equatable {
    public var height = 0, width = 0, channels = 0
    public var poolHeight = 1, poolWidth = 1, strideHeight = 1, strideWidth = 1
    public var outHeight = 0, outWidth = 0
    public var padTop = 0, padLeft = 0

    /// Per-sample output shape [out_h, out_w, channels].
    public var outputShape: [Int] { [outHeight, outWidth, channels] }
    /// Per-sample input shape [height, width, channels].
    public var inputShape: [Int] { [height, width, channels] }

    /// Input rows covered by output row `oh`, clipped to the image.
    @inline(__always)
    public func rows(_ oh: Int) -> Range<Int> {
        let start = oh * strideHeight - padTop
        return max(start, 0)..<min(start + poolHeight, height)
    }

    /// Input columns covered by output column `ow`, clipped to the image.
    @inline(__always)
    public func columns(_ ow: Int) -> Range<Int> {
        let start = ow * strideWidth - padLeft
        return max(start, 0)..<min(start + poolWidth, width)
    }
}

/// Decoders for the options that the 2-D spatial layers share (pooling, up-sampling, padding).
enum SpatialOption {
    /// The largest window, stride or factor accepted (keeps every product far from overflow).
    static let maxSize = 1_000_000

    /// `key` as a whole number n (meaning [n, n]) or a list [height, width], each in `range`
    /// (Keras accepts both for `pool_size`, `strides`, `size`). Reports and returns `def` otherwise.
    static func pair(_ r: MappingReader, _ key: String, default def: [Int], in range: ClosedRange<Int>) -> [Int] {
        guard let v = r.value(key) else { return def }
        let number = "a whole number" + describe(range)
        if let n = ConfigScalar.int(v) {
            if range.contains(n) { return [n, n] }
        } else if let items = v.items, items.count == 2 {
            var out: [Int] = []
            for (i, item) in items.enumerated() {
                if let n = ConfigScalar.int(item), range.contains(n) {
                    out.append(n)
                } else {
                    r.diagnostics.report(item, "\(r.childPath(key))[\(i)]", "received \(item.brief), expected \(number)")
                }
            }
            return out.count == 2 ? out : def
        }
        r.diagnostics.report(v, r.childPath(key), "received \(v.brief), expected \(number) or a list [height, width] of them")
        return def
    }

    /// " from 1 to 1000000", " >= 0": the range as MappingReader words it.
    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? " >= \(range.lowerBound)" : " from \(range.lowerBound) to \(range.upperBound)"
    }

    /// Checks a per-sample shape is an image [height, width, channels].
    static func image(_ shape: [Int], _ layer: String) throws(LayerError) -> (height: Int, width: Int, channels: Int) {
        guard shape.count == 3 else {
            throw LayerError("\(layer) expects images [height, width, channels], got \(shapeText(shape))")
        }
        return (shape[0], shape[1], shape[2])
    }
}

/// A pooling layer type whose options are `PoolConfig`'s (max_pool2d, average_pool2d).
public protocol PoolLayerKind: Layer {
    static var typeName: String { get }
    init(name: String, config: PoolConfig<Self>)
}

/// The options of `max_pool2d` and `average_pool2d` (Keras' names and defaults): `pool_size` 2,
/// `strides` = pool_size, `padding` valid (see `PoolingWindow`).
public struct PoolConfig<Kind: PoolLayerKind>: LayerConfig, Equatable {
    public var typeName: String { Kind.typeName }
    public var window: PoolingWindow

    public init(poolSize: [Int] = [2, 2], strides: [Int]? = nil, padding: PoolingWindow.Padding = .valid) {
        window = PoolingWindow(poolSize: poolSize, strides: strides, padding: padding)
    }

    public init(_ r: MappingReader) {
        window = PoolingWindow(r)
        r.finish()
    }

    public func encode() -> ConfigNode { window.encode() }
    public func makeLayer(name: String) -> any Layer { Kind(name: name, config: self) }
}
