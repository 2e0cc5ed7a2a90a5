import NNConfig
import NNTensor

/// Adds rows and columns of zeros around NHWC images:
/// [batch, H, W, C] → [batch, top + H + bottom, left + W + right, C], with
/// y[n, top + h, left + w, c] = x[n, h, w, c] and zeros elsewhere. Backward crops the gradient:
/// dx[n, h, w, c] = dy[n, top + h, left + w, c].
///
/// YAML (Keras' `ZeroPadding2D`), `padding` in one of Keras' three forms, default 1:
/// `zero_padding2d: {padding: 1}` (every side), `{padding: [1, 2]}` ([rows above and below,
/// columns left and right]) or `{padding: [[1, 0], [2, 3]]}` ([[top, bottom], [left, right]]).
public final class ZeroPadding2D: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "zero_padding2d"
        public var top = 1, bottom = 1, left = 1, right = 1

        public init(top: Int, bottom: Int, left: Int, right: Int) {
            (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
        }

        /// The same padding on every side.
        public init(padding: Int = 1) {
            self.init(top: padding, bottom: padding, left: padding, right: padding)
        }

        public init(_ r: MappingReader) {
            if let v = r.value("padding") {
                if let sides = Self.decode(v) {
                    (top, bottom, left, right) = sides
                } else {
                    r.report("padding", "received \(Self.describe(v)), expected a whole number from 0 to \(SpatialOption.maxSize), a list [height, width] or a list [[top, bottom], [left, right]] of them")
                }
            }
            r.finish()
        }

        /// The four sides of one of Keras' three forms, or nil.
        static func decode(_ v: ConfigNode) -> (Int, Int, Int, Int)? {
            func amount(_ node: ConfigNode) -> Int? {
                ConfigScalar.int(node).flatMap { (0...SpatialOption.maxSize).contains($0) ? $0 : nil }
            }
            if let p = amount(v) { return (p, p, p, p) }
            guard let items = v.items, items.count == 2 else { return nil }
            if let h = amount(items[0]), let w = amount(items[1]) { return (h, h, w, w) }
            guard let rows = items[0].items, let columns = items[1].items, rows.count == 2, columns.count == 2,
                  let t = amount(rows[0]), let b = amount(rows[1]), let l = amount(columns[0]), let r = amount(columns[1])
            else { return nil }
            return (t, b, l, r)
        }

        /// `[[1, 2], 3]`: the value as written, for the error message.
        static func describe(_ v: ConfigNode) -> String {
            guard let items = v.items else { return v.brief }
            return "[" + items.map(describe).joined(separator: ", ") + "]"
        }

        public func encode() -> ConfigNode {
            .map([("padding", .list([.ints([top, bottom]), .ints([left, right])]))])
        }

        public func makeLayer(name: String) -> any Layer { ZeroPadding2D(name: name, config: self) }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        inputShape = try singleInput(inputShapes, typeName)
        let image = try SpatialOption.image(inputShape, typeName)
        let s = settings
        outputShape = [s.top + image.height + s.bottom, s.left + image.width + s.right, image.channels]
        _ = try elementCount(outputShape, what: "zero_padding2d's output")
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.reshape([x.batch] + outputShape)
        output.zero()
        switch x.dtype {
        case .float32: copyRows(x.f32, output.f32, batch: x.batch, crop: false)
        case .float64: copyRows(x.f64, output.f64, batch: x.batch, crop: false)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        let n = outputGradient.batch
        gradient.reshape([n] + inputShape)
        switch gradient.dtype {
        case .float32: copyRows(gradient.f32, outputGradient.f32, batch: n, crop: true)
        case .float64: copyRows(gradient.f64, outputGradient.f64, batch: n, crop: true)
        }
        return [gradient]
    }

    /// Copies every image row between `small` (the input layout) and its place inside `padded`:
    /// small → padded, or padded → small when `crop`.
    private func copyRows<T: TensorScalar>(_ small: UnsafeMutablePointer<T>, _ padded: UnsafeMutablePointer<T>, batch: Int, crop: Bool) {
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let paddedWidth = outputShape[1]
        for n in 0..<batch {
            for row in 0..<h {
                let s = small + (n * h + row) * w * c
                let p = padded + ((n * outputShape[0] + settings.top + row) * paddedWidth + settings.left) * c
                if crop { s.update(from: p, count: w * c) } else { p.update(from: s, count: w * c) }
            }
        }
    }
}
