import Foundation
import NNConfig
import Testing
@testable import NNLayers
import NNTensor

// MARK: - Fixture

/// `Fixtures/conv.json`, written by `Fixtures/generate_conv.py` (PyTorch 2.15.0, float64; checked
/// against Keras 3.15.1's Conv2D/Conv2DTranspose with `--check-keras`).
struct ConvReference: Decodable, Sendable {
    struct Case: Decodable, Sendable {
        var name: String
        var layer: String
        var batch: Int
        var input_hw: [Int]
        var cin: Int
        var filters: Int
        var kernel_size: [Int]
        var strides: [Int]
        var padding: String
        var dilation_rate: [Int]
        var activation: String
        var use_bias: Bool
        var input: FixtureTensor
        var kernel: FixtureTensor
        var bias: FixtureTensor?
        var upstream: FixtureTensor
        var output: FixtureTensor
        var grad_input: FixtureTensor
        var grad_kernel: FixtureTensor
        var grad_bias: FixtureTensor?

        var label: String { "\(layer) \(name)" }
    }

    var versions: [String: String]
    var cases: [Case]

    static let shared: Result<ConvReference, any Error> = Result {
        try JSONDecoder().decode(ConvReference.self, from: fixtureData("conv"))
    }

    static func load() throws -> ConvReference { try shared.get() }
}

// MARK: - Helpers

enum ConvSupport {
    /// The built-in registry plus the two convolution layers (until LayerRegistry.builtIn lists them).
    static let registry: LayerRegistry = {
        var r = LayerRegistry.builtIn
        r.register("conv2d") { _, o in Conv2D.Config(o) }
        r.register("conv2d_transpose") { _, o in Conv2DTranspose.Config(o) }
        return r
    }()

    /// Decodes the options `node` of a layer of type `type` (path `layers[0].<type>`); returns the
    /// config and every error line.
    static func decode(_ type: String, _ node: ConfigNode) throws -> (config: any LayerConfig, errors: [String]) {
        let diagnostics = Diagnostics()
        let reader = try #require(MappingReader(node, path: "layers[0].\(type)", diagnostics: diagnostics))
        let config = try #require(registry.decodeConfig(type: type, options: reader))
        return (config, diagnostics.errors.map(\.description))
    }

    static func decode(_ type: String, _ pairs: [(String, ConfigNode)]) throws -> (config: any LayerConfig, errors: [String]) {
        try decode(type, .map(pairs))
    }

    /// A layer for a fixture case in `dtype`, holding the case's kernel and bias; with
    /// `imagesPerChunk`, its column buffer holds that many images (so a batch takes several chunks).
    static func layer(_ c: ConvReference.Case, dtype: DType, imagesPerChunk: Int? = nil) throws -> any ActivatedLayer {
        let padding = try #require(ConvPadding(rawValue: c.padding))
        let activation = try #require(Activation(name: c.activation))
        let layer: any ActivatedLayer
        switch c.layer {
        case "conv2d":
            var config = Conv2D.Config(filters: c.filters, kernelSize: c.kernel_size, strides: c.strides, padding: padding,
                                       dilationRate: c.dilation_rate, activation: activation)
            config.useBias = c.use_bias
            layer = Conv2D(name: "conv2d", config: config)
        default:
            var config = Conv2DTranspose.Config(filters: c.filters, kernelSize: c.kernel_size, strides: c.strides,
                                                padding: padding, dilationRate: c.dilation_rate, activation: activation)
            config.useBias = c.use_bias
            layer = Conv2DTranspose(name: "conv2d_transpose", config: config)
        }
        var rng = RNG(seed: 1)
        let shape = try layer.build(inputShapes: [c.input_hw + [c.cin]], dtype: dtype, rng: &rng)
        if let imagesPerChunk {
            if let conv = layer as? Conv2D { conv.maxColumnElements = imagesPerChunk * conv.geometry.columnsPerImage }
            if let conv = layer as? Conv2DTranspose { conv.maxColumnElements = imagesPerChunk * conv.geometry.columnsPerImage }
        }
        #expect([c.batch] + shape == c.output.shape, "\(c.label): output shape")
        #expect(layer.parameters[0].value.shape == c.kernel.shape, "\(c.label): kernel shape")
        for (i, v) in c.kernel.data.enumerated() { layer.parameters[0].value[i] = v }
        #expect(layer.parameters.count == (c.use_bias ? 2 : 1))
        if let bias = c.bias, c.use_bias {
            for (i, v) in bias.data.enumerated() { layer.parameters[1].value[i] = v }
        }
        return layer
    }

    /// Forward and backward of a fixture case: (output, dx, dkernel, dbias).
    static func run(_ c: ConvReference.Case, dtype: DType, gemm: GEMM, imagesPerChunk: Int? = nil) throws
        -> (y: [Double], dx: [Double], dw: [Double], db: [Double]?) {
        let layer = try layer(c, dtype: dtype, imagesPerChunk: imagesPerChunk)
        var ctx = makeContext(.training, gemm: gemm)
        let y = layer.forward([c.input.tensor(dtype)], &ctx).doubles
        let dx = try #require(layer.backward(c.upstream.tensor(dtype), needsInputGradient: true, &ctx).first ?? nil)
        return (y, dx.doubles, layer.parameters[0].gradient.doubles, c.use_bias ? layer.parameters[1].gradient.doubles : nil)
    }

    static var openBLAS: GEMM? { try? GEMM.fromEnvironment(["NNRUN_GEMM": "openblas"]) }
}

// MARK: - Configuration

@Suite("Conv2D and Conv2DTranspose configuration")
struct ConvConfigTests {
    @Test("conv2d defaults: only filters and kernel_size are required")
    func conv2dDefaults() throws {
        let (decoded, errors) = try ConvSupport.decode("conv2d", [("filters", .int(8)), ("kernel_size", .int(3))])
        #expect(errors == [])
        let config = try #require(decoded as? Conv2D.Config)
        #expect(config.filters == 8)
        #expect(config.geometry == ConvGeometry(kernelSize: [3, 3], strides: [1, 1], padding: .valid, dilationRate: [1, 1]))
        #expect(config.activation == .linear)
        #expect(config.useBias)
        #expect(config.kernelInitializer == .glorotUniform)
        #expect(config.biasInitializer == .constant(0))
        #expect(config.outputActivation == .linear)
        // The resolved config lists every option, in Keras' get_config order.
        #expect(config.encode().entries?.map(\.key) == ["filters", "kernel_size", "strides", "padding", "dilation_rate",
                                                       "activation", "use_bias", "kernel_initializer", "bias_initializer"])
    }

    @Test("conv2d_transpose defaults")
    func transposeDefaults() throws {
        let (decoded, errors) = try ConvSupport.decode("conv2d_transpose", [("filters", .int(4)), ("kernel_size", .ints([2, 3]))])
        #expect(errors == [])
        let config = try #require(decoded as? Conv2DTranspose.Config)
        #expect(config.typeName == "conv2d_transpose")
        #expect(config.geometry == ConvGeometry(kernelSize: [2, 3]))
        #expect(config.useBias && config.activation == .linear && config.kernelInitializer == .glorotUniform)
    }

    @Test("kernel_size: 3 is [3, 3]; strides and dilation_rate take an int or a pair")
    func intOrPair() throws {
        for type in ["conv2d", "conv2d_transpose"] {
            let a = try ConvSupport.decode(type, [("filters", .int(2)), ("kernel_size", .int(3)), ("strides", .int(2))])
            let b = try ConvSupport.decode(type, [("filters", .int(2)), ("kernel_size", .ints([3, 3])), ("strides", .ints([2, 2]))])
            #expect(a.errors == [] && b.errors == [])
            #expect(a.config.encode() == b.config.encode())
        }
        let c = try ConvSupport.decode("conv2d", [("filters", .int(2)), ("kernel_size", .ints([1, 5])),
                                                  ("dilation_rate", .ints([2, 1])), ("padding", .string("same"))])
        #expect(c.errors == [])
        #expect((c.config as? Conv2D.Config)?.geometry == ConvGeometry(kernelSize: [1, 5], padding: .same, dilationRate: [2, 1]))
    }

    static let badSizes: [(ConfigNode, String)] = [
        (.int(0), "received 0"), (.int(-1), "received -1"), (.ints([1]), "received a list of 1"),
        (.ints([1, 2, 3]), "received a list of 3"), (.string("two"), "received \"two\""), (.int(5000), "received 5000"),
    ]

    @Test("strides and dilation_rate of 0, negative, or not one or two values are config errors naming the key",
          arguments: ["strides", "dilation_rate", "kernel_size"], badSizes.indices)
    func rejectsBadSizes(key: String, index: Int) throws {
        let (value, received) = Self.badSizes[index]
        for type in ["conv2d", "conv2d_transpose"] {
            var pairs: [(String, ConfigNode)] = [("filters", .int(4)), ("kernel_size", .int(3))]
            pairs.removeAll { $0.0 == key }
            pairs.append((key, value))
            let (_, errors) = try ConvSupport.decode(type, pairs)
            #expect(errors == ["layers[0].\(type).\(key): \(received), expected a whole number from 1 to 4096, "
                               + "or a list of two of them [height, width]"])
        }
    }

    @Test("a bad element of a pair is reported at its index")
    func badPairElement() throws {
        let (_, errors) = try ConvSupport.decode("conv2d", [("filters", .int(4)), ("kernel_size", .int(3)), ("strides", .ints([1, 0]))])
        #expect(errors == ["layers[0].conv2d.strides[1]: received 0, expected a whole number from 1 to 4096"])
    }

    @Test("filters and kernel_size are required; padding is valid or same")
    func requiredAndChoices() throws {
        let (_, errors) = try ConvSupport.decode("conv2d", [("padding", .string("full"))])
        #expect(errors.contains("layers[0].conv2d.filters: missing required key \"filters\""))
        #expect(errors.contains("layers[0].conv2d.kernel_size: missing required key \"kernel_size\""))
        #expect(errors.contains("layers[0].conv2d.padding: received \"full\", expected one of: valid, same"))
        let zero = try ConvSupport.decode("conv2d_transpose", [("filters", .int(0)), ("kernel_size", .int(2))])
        #expect(zero.errors == ["layers[0].conv2d_transpose.filters: received 0, expected a whole number from 1 to 1000000"])
    }

    @Test("strides > 1 with dilation_rate > 1 is rejected, as Keras does", arguments: ["conv2d", "conv2d_transpose"])
    func stridedDilation(type: String) throws {
        let (_, errors) = try ConvSupport.decode(type, [("filters", .int(4)), ("kernel_size", .int(3)),
                                                        ("strides", .ints([1, 2])), ("dilation_rate", .int(2))])
        #expect(errors == ["layers[0].\(type).dilation_rate: received [2, 2] with strides [1, 2]; dilation_rate > 1 cannot be "
                           + "combined with strides > 1 (Keras rejects it too): set one of them to 1"])
    }

    @Test("unknown keys get a did-you-mean")
    func unknownKeys() throws {
        let (_, errors) = try ConvSupport.decode("conv2d", [("filter", .int(4)), ("kernal_size", .int(3)), ("stride", .int(2))])
        #expect(errors.contains { $0.hasPrefix("layers[0].conv2d.filter: unknown key \"filter\"") && $0.hasSuffix("(did you mean \"filters\"?)") })
        #expect(errors.contains { $0.hasPrefix("layers[0].conv2d.kernal_size: unknown key") && $0.hasSuffix("(did you mean \"kernel_size\"?)") })
        #expect(errors.contains { $0.hasPrefix("layers[0].conv2d.stride: unknown key") && $0.hasSuffix("(did you mean \"strides\"?)") })
    }

    @Test("encode then decode gives the same config", arguments: ["conv2d", "conv2d_transpose"])
    func roundTrip(type: String) throws {
        let pairs: [(String, ConfigNode)] = [
            ("filters", .int(16)), ("kernel_size", .ints([2, 3])), ("strides", .ints([2, 1])), ("padding", .string("same")),
            ("activation", .string("relu")), ("use_bias", .bool(false)), ("kernel_initializer", .string("he_normal")),
            ("bias_initializer", .map([("constant", .map([("value", .double(0.5))]))])),
        ]
        let (first, errors) = try ConvSupport.decode(type, pairs)
        #expect(errors == [])
        let (second, errors2) = try ConvSupport.decode(type, first.encode())
        #expect(errors2 == [])
        #expect(second.encode() == first.encode())
        if let a = first as? Conv2D.Config { #expect(a == second as? Conv2D.Config) }
        if let a = first as? Conv2DTranspose.Config { #expect(a == second as? Conv2DTranspose.Config) }
        #expect(first.outputActivation == .relu)
        let layer = first.makeLayer(name: "up")
        #expect(layer.typeName == type && layer.name == "up")
    }
}

// MARK: - Shapes and layer errors

@Suite("Conv2D and Conv2DTranspose shapes")
struct ConvShapeTests {
    static func build(_ layer: any Layer, _ shape: [Int]) throws(LayerError) -> [Int] {
        var rng = RNG(seed: 1)
        return try layer.build(inputShapes: [shape], dtype: .float32, rng: &rng)
    }

    static func conv(_ filters: Int, _ k: [Int], strides: [Int] = [1, 1], padding: ConvPadding = .valid,
                     dilation: [Int] = [1, 1]) -> Conv2D {
        Conv2D(name: "conv2d", config: .init(filters: filters, kernelSize: k, strides: strides, padding: padding, dilationRate: dilation))
    }

    static func transpose(_ filters: Int, _ k: [Int], strides: [Int] = [1, 1], padding: ConvPadding = .valid,
                          dilation: [Int] = [1, 1]) -> Conv2DTranspose {
        Conv2DTranspose(name: "conv2d_transpose", config: .init(filters: filters, kernelSize: k, strides: strides,
                                                                padding: padding, dilationRate: dilation))
    }

    @Test("conv2d output shapes and parameter counts follow Keras")
    func conv2dShapes() throws {
        // (input, kernel, strides, padding, dilation) -> output; values from Keras' compute_output_shape.
        #expect(try Self.build(Self.conv(32, [3, 3]), [28, 28, 1]) == [26, 26, 32])
        #expect(try Self.build(Self.conv(64, [3, 3]), [26, 26, 32]) == [24, 24, 64])
        #expect(try Self.build(Self.conv(32, [3, 3], padding: .same), [8, 8, 1]) == [8, 8, 32])
        #expect(try Self.build(Self.conv(4, [3, 3], strides: [2, 2], padding: .same), [7, 6, 3]) == [4, 3, 4])
        #expect(try Self.build(Self.conv(4, [3, 3], strides: [2, 2]), [7, 6, 3]) == [3, 2, 4])
        #expect(try Self.build(Self.conv(4, [2, 3], strides: [3, 1]), [8, 5, 1]) == [3, 3, 4])
        #expect(try Self.build(Self.conv(4, [3, 3], dilation: [2, 2]), [7, 6, 3]) == [3, 2, 4])
        #expect(try Self.build(Self.conv(4, [7, 7], strides: [2, 2], padding: .same), [224, 224, 3]) == [112, 112, 4])
        let lenet = Self.conv(6, [5, 5])
        _ = try Self.build(lenet, [28, 28, 1])
        #expect(lenet.parameterCount == 5 * 5 * 1 * 6 + 6)
        #expect(lenet.kernel.value.shape == [5, 5, 1, 6])
        // The padding of `same`: TensorFlow's, more after than before when the total is odd.
        let g = Self.conv(1, [4, 4], padding: .same)
        _ = try Self.build(g, [6, 7, 1])
        #expect(g.geometry.padTop == 1 && g.geometry.padLeft == 1)
        let s2 = Self.conv(1, [3, 3], strides: [2, 2], padding: .same)
        _ = try Self.build(s2, [6, 7, 1])
        #expect(s2.geometry.padTop == 0 && s2.geometry.padLeft == 1)
    }

    @Test("conv2d_transpose output shapes follow Keras (output_padding None)")
    func transposeShapes() throws {
        #expect(try Self.build(Self.transpose(8, [3, 3]), [4, 5, 2]) == [6, 7, 8])
        #expect(try Self.build(Self.transpose(8, [3, 3], strides: [2, 2]), [4, 5, 2]) == [9, 11, 8])
        #expect(try Self.build(Self.transpose(8, [3, 3], strides: [2, 2], padding: .same), [4, 5, 2]) == [8, 10, 8])
        #expect(try Self.build(Self.transpose(8, [1, 1], strides: [2, 2]), [4, 5, 2]) == [8, 10, 8])
        #expect(try Self.build(Self.transpose(8, [2, 2], strides: [3, 3]), [3, 3, 2]) == [9, 9, 8])
        #expect(try Self.build(Self.transpose(8, [3, 3], dilation: [2, 2]), [4, 5, 2]) == [8, 9, 8])
        let t = Self.transpose(8, [3, 3], strides: [2, 2], padding: .same)
        _ = try Self.build(t, [4, 5, 2])
        #expect(t.kernel.value.shape == [3, 3, 8, 2])
        #expect(t.parameterCount == 3 * 3 * 8 * 2 + 8)
    }

    @Test("a kernel larger than a valid input is a LayerError saying what to do")
    func kernelTooLarge() {
        #expect(throws: LayerError.self) { try Self.build(Self.conv(4, [5, 5]), [4, 4, 1]) }
        do {
            _ = try Self.build(Self.conv(4, [5, 5]), [4, 4, 1])
        } catch {
            #expect(error.message == "the 5x5 kernel (with dilation 1) does not fit the 4x4 input with padding valid; "
                    + "use padding: same or a smaller kernel_size")
        }
        do {
            _ = try Self.build(Self.conv(4, [3, 2], dilation: [2, 1]), [4, 9, 1])
        } catch {
            #expect(error.message == "the 3x2 kernel (with dilation 2x1) does not fit the 4x9 input with padding valid; "
                    + "use padding: same or a smaller kernel_size")
        }
        // The same kernel fits with `same`.
        #expect((try? Self.build(Self.conv(4, [5, 5], padding: .same), [4, 4, 1])) == [4, 4, 4])
    }

    @Test("a 1-D or 2-D input is a LayerError that says why", arguments: ["conv2d", "conv2d_transpose"])
    func notAnImage(type: String) {
        let layer: any Layer = type == "conv2d" ? Self.conv(4, [3, 3]) : Self.transpose(4, [3, 3])
        do {
            _ = try Self.build(layer, [64])
            Issue.record("no error for a 1-D input")
        } catch {
            #expect(error.message == "\(type) expects images [height, width, channels], got (None, 64); \(type) after flatten? "
                    + "Convolutions need the spatial axes: move flatten after the last convolution or pooling layer, "
                    + "or reshape flat data to [height, width, channels]")
        }
        do {
            _ = try Self.build(layer, [28, 28])
            Issue.record("no error for a 2-D input")
        } catch {
            #expect(error.message == "\(type) expects images [height, width, channels], got (None, 28, 28); "
                    + "give the images a channel axis, e.g. input: [28, 28, 1]")
        }
        #expect(throws: LayerError.self) { try Self.build(layer, [2, 8, 8, 1]) }
        #expect(throws: LayerError.self) {
            var rng = RNG(seed: 1)
            _ = try layer.build(inputShapes: [[8, 8, 1], [8, 8, 1]], dtype: .float32, rng: &rng)
        }
    }

    @Test("sizes too large for a tensor are LayerErrors, not crashes")
    func hugeShapes() {
        #expect(throws: LayerError.self) { try Self.build(Self.conv(1_000_000, [3, 3]), [100_000, 100_000, 3]) }
        #expect(throws: LayerError.self) { try Self.build(Self.conv(1_000_000, [4096, 4096], padding: .same), [8, 8, 3]) }
        #expect(throws: LayerError.self) { try Self.build(Self.transpose(1000, [3, 3], strides: [4096, 4096]), [100, 100, 3]) }
    }
}

// MARK: - im2col / col2im

@Suite("im2col and col2im")
struct ConvIm2ColTests {
    /// A 2x3 image with 2 channels, a 2x2 kernel, `same`-style padding 1 at the top only.
    @Test("im2col lays patches out as [(image, oy, ox), (ky, kx, c)] with zeros for padding")
    func layout() {
        let g = Im2ColGeometry(height: 2, width: 3, channels: 2, outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2,
                               strideW: 2, padTop: 1)
        // pixel (y, x) channel c holds 100·y + 10·x + c
        var pixels: [Double] = []
        for y in 0..<2 { for x in 0..<3 { for c in 0..<2 { pixels.append(Double(100 * y + 10 * x + c)) } } }
        let image = Tensor(shape: [1, 2, 3, 2], doubles: pixels)
        let col = Tensor(zeros: [4, 8], dtype: .float64)
        Im2Col.im2col(image, first: 0, count: 1, geometry: g, into: col)
        let expected: [Double] = [
            0, 0, 0, 0, 0, 1, 10, 11,            // (oy 0, ox 0): rows -1 (padding) and 0, columns 0 and 1
            0, 0, 0, 0, 20, 21, 0, 0,            // (0, 1): columns 2 and 3 (3 is past the edge)
            0, 1, 10, 11, 100, 101, 110, 111,    // (1, 0)
            20, 21, 0, 0, 120, 121, 0, 0,        // (1, 1)
        ]
        #expect(col.doubles == expected)
    }

    static let geometries: [Im2ColGeometry] = [
        Im2ColGeometry(height: 5, width: 6, channels: 3, outHeight: 3, outWidth: 4, kernelHeight: 3, kernelWidth: 3),
        Im2ColGeometry(height: 6, width: 7, channels: 2, outHeight: 3, outWidth: 4, kernelHeight: 3, kernelWidth: 3,
                       strideH: 2, strideW: 2, padTop: 0, padLeft: 1),
        Im2ColGeometry(height: 6, width: 7, channels: 2, outHeight: 6, outWidth: 7, kernelHeight: 3, kernelWidth: 2,
                       dilationH: 2, dilationW: 3, padTop: 2, padLeft: 1),
        Im2ColGeometry(height: 4, width: 4, channels: 5, outHeight: 4, outWidth: 4, kernelHeight: 1, kernelWidth: 1),
        // A transposed conv's view: patches reach past the image on both sides (cropping).
        Im2ColGeometry(height: 6, width: 8, channels: 3, outHeight: 3, outWidth: 4, kernelHeight: 4, kernelWidth: 3,
                       strideH: 2, strideW: 2, padTop: 1, padLeft: 0),
    ]

    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for random x and c: col2im is exactly im2col's adjoint.
    @Test("col2im is the adjoint of im2col", arguments: geometries.indices, [DType.float64, .float32])
    func adjoint(index: Int, dtype: DType) {
        let g = Self.geometries[index], n = 3
        let x = Tensor(shape: [n, g.height, g.width, g.channels], doubles: randomValues(n * g.imageSize, seed: 5), dtype: dtype)
        let c = Tensor(shape: [n * g.patchesPerImage, g.patchSize], doubles: randomValues(n * g.columnsPerImage, seed: 6), dtype: dtype)
        let col = Tensor(zeros: c.shape, dtype: dtype)
        let back = Tensor(zeros: x.shape, dtype: dtype)
        // Two calls over image ranges, as the layers' chunks do.
        Im2Col.im2col(x, first: 0, count: 1, geometry: g, into: col)
        let rest = Tensor(zeros: [(n - 1) * g.patchesPerImage, g.patchSize], dtype: dtype)
        Im2Col.im2col(x, first: 1, count: n - 1, geometry: g, into: rest)
        for i in 0..<rest.count { col[g.columnsPerImage + i] = rest[i] }
        back.zero()
        for i in 0..<back.count { back[i] = 99 }  // col2im overwrites its images
        Im2Col.col2im(c, geometry: g, into: back, first: 0, count: n)
        let lhs = (0..<col.count).reduce(0.0) { $0 + col[$1] * c[$1] }
        let rhs = (0..<x.count).reduce(0.0) { $0 + x[$1] * back[$1] }
        expectClose(lhs, rhs, rtol: dtype == .float64 ? 1e-12 : 1e-5, atol: dtype == .float64 ? 1e-12 : 1e-4, "adjoint \(index)")
        if g.isIdentity { #expect(col.doubles == x.doubles) }
    }
}

// MARK: - Gradient checks

/// One gradient-check configuration.
struct ConvGradCase: Sendable, CustomTestStringConvertible {
    var transpose = false
    var input: [Int]
    var filters = 3
    var kernel: [Int]
    var strides = [1, 1]
    var padding = ConvPadding.valid
    var dilation = [1, 1]
    var activation = Activation.linear
    var useBias = true
    /// Force one image per chunk.
    var chunked = false

    var testDescription: String {
        "\(transpose ? "conv2d_transpose" : "conv2d") \(input) k\(kernel) s\(strides) \(padding) d\(dilation) \(activation.name)"
            + (useBias ? "" : " no bias") + (chunked ? " chunked" : "")
    }

    func makeLayer() -> any ActivatedLayer {
        if transpose {
            var config = Conv2DTranspose.Config(filters: filters, kernelSize: kernel, strides: strides, padding: padding,
                                                dilationRate: dilation, activation: activation)
            config.useBias = useBias
            config.biasInitializer = .randomUniform(min: -0.5, max: 0.5)
            let layer = Conv2DTranspose(name: "t", config: config)
            if chunked { layer.maxColumnElements = 1 }
            return layer
        }
        var config = Conv2D.Config(filters: filters, kernelSize: kernel, strides: strides, padding: padding,
                                   dilationRate: dilation, activation: activation)
        config.useBias = useBias
        config.biasInitializer = .randomUniform(min: -0.5, max: 0.5)
        let layer = Conv2D(name: "c", config: config)
        if chunked { layer.maxColumnElements = 1 }
        return layer
    }
}

@Suite("Conv2D and Conv2DTranspose gradient checks (float64 finite differences)")
struct ConvGradientCheckTests {
    static let conv2d: [ConvGradCase] = [
        ConvGradCase(input: [5, 5, 2], kernel: [3, 3]),
        ConvGradCase(input: [5, 5, 2], kernel: [3, 3], padding: .same),
        ConvGradCase(input: [6, 7, 2], kernel: [3, 3], strides: [2, 2], padding: .same),
        ConvGradCase(input: [6, 7, 2], kernel: [3, 3], strides: [2, 2], chunked: true),
        ConvGradCase(input: [6, 7, 2], kernel: [3, 3], padding: .same, dilation: [2, 2]),
        ConvGradCase(input: [6, 7, 2], kernel: [2, 3], dilation: [2, 1], chunked: true),
        ConvGradCase(input: [6, 7, 2], kernel: [2, 3], strides: [1, 2], padding: .same),
        ConvGradCase(input: [6, 7, 2], kernel: [4, 4], padding: .same, useBias: false),
        ConvGradCase(input: [5, 5, 2], kernel: [3, 3], padding: .same, activation: .relu),
        ConvGradCase(input: [6, 7, 2], kernel: [2, 3], activation: .sigmoid, chunked: true),
        ConvGradCase(input: [5, 5, 2], kernel: [1, 1]),
        ConvGradCase(input: [5, 6, 2], kernel: [1, 1], strides: [2, 2], activation: .tanh),
    ]

    static let transposed: [ConvGradCase] = [
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [3, 3]),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [3, 3], padding: .same),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [3, 3], strides: [2, 2]),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [3, 3], strides: [2, 2], padding: .same, chunked: true),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [4, 4], strides: [2, 2], padding: .same),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [2, 3], strides: [1, 2], padding: .same, activation: .sigmoid),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [2, 2], padding: .same, dilation: [3, 3], useBias: false),
        ConvGradCase(transpose: true, input: [3, 3, 2], kernel: [2, 2], strides: [3, 3], chunked: true),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [3, 3], strides: [2, 2], activation: .relu),
        ConvGradCase(transpose: true, input: [3, 4, 2], kernel: [1, 1]),
    ]

    func check(_ c: ConvGradCase) throws {
        let layer = c.makeLayer()
        let result = try GradientChecker.check(layer: layer, inputShapes: [c.input], batch: 2,
                                               input: GradientCheckTests.awayFromKink)
        let cin = c.input[2], out = layer.outputShape
        let parameters = c.kernel[0] * c.kernel[1] * cin * c.filters + (c.useBias ? c.filters : 0)
        #expect(result.checked == parameters + 2 * c.input.reduce(1, *))
        #expect(result.passed, "\(c.testDescription): \(result)")
        // Every element passes |a − n| ≤ 1e-9 + 1e-6·|g|. The largest relative error is looser than
        // Dense's 1e-6: the objective sums ~100 outputs, so the central difference carries ~1e-10 of
        // rounding, which is a few 1e-6 relative on the small (~1e-4) gradients that convolution
        // edges produce. Measured: up to 4.5e-6.
        #expect(result.maxRelativeError < 1e-5, "\(c.testDescription): \(result)")
        #expect(out.count == 3 && out[2] == c.filters)
        if c.activation == .relu || c.activation == .leakyReLU(slope: 0.2) {
            // relu runs in place: zeros in `logits` are activated values, not logits at the kink.
            let minAbsLogit = layer.logits.doubles.map(abs).filter { !(c.activation.runsInPlace && $0 == 0) }.min() ?? 1
            #expect(minAbsLogit > 1e-3, "a logit at \(minAbsLogit) is too close to the kink for a meaningful check")
        }
    }

    @Test("conv2d", arguments: conv2d)
    func conv2dGradients(_ c: ConvGradCase) throws { try check(c) }

    @Test("conv2d_transpose", arguments: transposed)
    func transposeGradients(_ c: ConvGradCase) throws { try check(c) }
}

// MARK: - Reference values (PyTorch)

@Suite("Conv2D and Conv2DTranspose against PyTorch")
struct ConvReferenceTests {
    static let caseNames: [String] = {
        guard let reference = try? ConvReference.load() else { return ["fixture missing"] }
        return reference.cases.map(\.label)
    }()

    static func compare(_ got: (y: [Double], dx: [Double], dw: [Double], db: [Double]?), _ c: ConvReference.Case,
                        rtol: Double, atol: Double, _ what: String) {
        expectClose(got.y, c.output.data, rtol: rtol, atol: atol, what + " output")
        expectClose(got.dx, c.grad_input.data, rtol: rtol, atol: atol, what + " d input")
        expectClose(got.dw, c.grad_kernel.data, rtol: rtol, atol: atol, what + " d kernel")
        #expect((got.db == nil) == (c.grad_bias == nil), "\(what): bias gradient presence")
        if let db = got.db, let expected = c.grad_bias { expectClose(db, expected.data, rtol: rtol, atol: atol, what + " d bias") }
    }

    @Test("float64 matches PyTorch to 1e-9 (builtin and openblas GEMM; the batch in one chunk, or 1 or 2 images per chunk)",
          arguments: caseNames.indices)
    func float64(index: Int) throws {
        let c = try ConvReference.load().cases[index]
        let backends = [GEMM(kind: .builtin)] + (ConvSupport.openBLAS.map { [$0] } ?? [])
        for gemm in backends {
            for chunk in [nil, 1, 2] as [Int?] {
                let got = try ConvSupport.run(c, dtype: .float64, gemm: gemm, imagesPerChunk: chunk)
                Self.compare(got, c, rtol: 1e-9, atol: 1e-12, "\(c.label) float64 \(gemm.kind)" + (chunk.map { " \($0) per chunk" } ?? ""))
            }
        }
    }

    /// float32: sums of up to 50 products of O(1) values, so absolute rounding of ~1e-6; the atol
    /// covers values that cancel to near zero.
    @Test("float32 matches PyTorch to 1e-4 (builtin and openblas GEMM)", arguments: caseNames.indices)
    func float32(index: Int) throws {
        let c = try ConvReference.load().cases[index]
        let backends = [GEMM(kind: .builtin)] + (ConvSupport.openBLAS.map { [$0] } ?? [])
        for gemm in backends {
            let got = try ConvSupport.run(c, dtype: .float32, gemm: gemm)
            Self.compare(got, c, rtol: 1e-4, atol: 1e-5, "\(c.label) float32 \(gemm.kind)")
        }
    }

    @Test("the fixture covers both layers, both paddings, strides, dilation, even kernels and no bias")
    func coverage() throws {
        let reference = try ConvReference.load()
        #expect(reference.versions["torch"] == "2.15.0")
        for layer in ["conv2d", "conv2d_transpose"] {
            let cases = reference.cases.filter { $0.layer == layer }
            #expect(Set(cases.map(\.padding)) == ["valid", "same"])
            #expect(cases.contains { $0.strides != [1, 1] && $0.padding == "same" })
            #expect(cases.contains { $0.dilation_rate != [1, 1] })
            #expect(cases.contains { $0.padding == "same" && $0.kernel_size.contains { $0 % 2 == 0 } })
            #expect(cases.contains { !$0.use_bias })
            #expect(cases.contains { $0.kernel_size == [1, 1] && $0.strides == [1, 1] })
        }
    }
}

// MARK: - Buffers and accumulation

@Suite("Conv2D and Conv2DTranspose buffers")
struct ConvBufferTests {
    @Test("backward adds into the parameter gradients; no input gradient when not asked",
          arguments: ["conv2d", "conv2d_transpose"])
    func accumulates(type: String) throws {
        let c = try #require(try ConvReference.load().cases.first { $0.layer == type && $0.use_bias && $0.strides == [2, 2] })
        let layer = try ConvSupport.layer(c, dtype: .float64)
        var ctx = makeContext(.training)
        _ = layer.forward([c.input.tensor()], &ctx)
        let dy = c.upstream.tensor()
        _ = layer.backward(dy, needsInputGradient: true, &ctx)
        let grads = try #require(layer.backward(dy, needsInputGradient: false, &ctx).first)
        #expect(grads == nil)
        expectClose(layer.parameters[0].gradient.doubles, c.grad_kernel.data.map { 2 * $0 }, rtol: 1e-9, atol: 1e-12, "\(type) 2x kernel")
        if let db = c.grad_bias {
            expectClose(layer.parameters[1].gradient.doubles, db.data.map { 2 * $0 }, rtol: 1e-9, atol: 1e-12, "\(type) 2x bias")
        }
        // A frozen kernel gets no gradient, but the input gradient is still right.
        layer.parameters[0].isTrainable = false
        layer.parameters[0].gradient.zero()
        _ = layer.forward([c.input.tensor()], &ctx)
        let dx = try #require(layer.backward(dy, needsInputGradient: true, &ctx).first ?? nil)
        #expect(layer.parameters[0].gradient.doubles.allSatisfy { $0 == 0 })
        expectClose(dx.doubles, c.grad_input.data, rtol: 1e-9, atol: 1e-12, "\(type) dx with a frozen kernel")
    }

    @Test("a smaller batch after a larger one reuses the buffers and gives the same per-sample results",
          arguments: ["conv2d", "conv2d_transpose"])
    func smallerBatch(type: String) throws {
        let c = try #require(try ConvReference.load().cases.first { $0.layer == type && $0.padding == "same" && $0.batch == 2 })
        let layer = try ConvSupport.layer(c, dtype: .float64, imagesPerChunk: 2)
        var ctx = makeContext(.training)
        let x = c.input.tensor()
        let big = Tensor(shape: [3] + Array(x.shape.dropFirst()), doubles: x.doubles + Array(x.doubles.prefix(x.itemCount)))
        let output = layer.forward([big], &ctx)
        let buffer = UnsafeRawPointer(output.f64)
        let yBig = output.doubles
        let perSample = yBig.count / 3
        expectClose(Array(yBig.prefix(2 * perSample)), c.output.data, rtol: 1e-9, atol: 1e-12, "\(type) batch 3")
        expectClose(Array(yBig.suffix(perSample)), Array(c.output.data.prefix(perSample)), rtol: 1e-9, atol: 1e-12, "\(type) sample 3")
        let first = Tensor(shape: [1] + Array(x.shape.dropFirst()), doubles: Array(x.doubles.prefix(x.itemCount)))
        let y1 = layer.forward([first], &ctx)
        #expect(y1.shape == [1] + layer.outputShape)
        expectClose(y1.doubles, Array(c.output.data.prefix(perSample)), rtol: 1e-9, atol: 1e-12, "\(type) batch 1")
        // The same buffer, not a new allocation.
        #expect(y1 === output && UnsafeRawPointer(y1.f64) == buffer)
        let dy = Tensor(shape: y1.shape, doubles: Array(c.upstream.data.prefix(perSample)))
        let dx1 = try #require(layer.backward(dy, needsInputGradient: true, &ctx).first ?? nil)
        let dx2 = try #require(layer.backward(dy, needsInputGradient: true, &ctx).first ?? nil)
        #expect(dx1 === dx2 && dx1.shape == first.shape)
    }
}

// MARK: - Timing (not a test)

/// Forward+backward timings of the issue's shapes. Run in a release build:
///
///     NNRUN_CONV_BENCH=1 swift test -c release -Xswiftc -enable-testing --scratch-path .build-conv --filter ConvBenchmark
@Suite("ConvBenchmark", .enabled(if: ProcessInfo.processInfo.environment["NNRUN_CONV_BENCH"] != nil))
struct ConvBenchmark {
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Best of `repeats` runs of `body`, in milliseconds.
    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()
        var best = Double.infinity
        for _ in 0..<repeats { best = min(best, seconds(clock.measure(body)) * 1000) }
        return best
    }

    static func measure(_ label: String, input: [Int], filters: Int, kernel: Int, padding: ConvPadding, batch: Int,
                        chunk: Int? = nil, needsInputGradient: Bool = true, direct: Bool = false, gemm: GEMM) throws {
        let layer = Conv2D(name: "c", config: .init(filters: filters, kernelSize: [kernel, kernel], padding: padding, activation: .relu))
        if let chunk { layer.maxColumnElements = chunk }
        layer.allowsDirectKernel = direct
        var rng = RNG(seed: 1)
        let out = try layer.build(inputShapes: [input], dtype: .float32, rng: &rng)
        let x = Tensor(shape: [batch] + input, values: (0..<(batch * input.reduce(1, *))).map { _ in Float(rng.uniform(-1, 1)) })
        let dy = Tensor(shape: [batch] + out, values: (0..<(batch * out.reduce(1, *))).map { _ in Float(rng.uniform(-1, 1)) })
        var ctx = makeContext(.training, gemm: gemm)
        let repeats = 10
        let forward = best(repeats) { _ = layer.forward([x], &ctx) }
        let backward = best(repeats) { _ = layer.backward(dy, needsInputGradient: needsInputGradient, &ctx) }
        let g = layer.geometry
        let chunkImages = ConvChunking.imagesPerChunk(batch: batch, perImage: g.columnsPerImage, maxColumnElements: layer.maxColumnElements)
        let columns = Tensor(zeros: [chunkImages * g.patchesPerImage, g.patchSize])
        let im2col = best(repeats) {
            for first in stride(from: 0, to: batch, by: chunkImages) {
                Im2Col.im2col(x, first: first, count: min(chunkImages, batch - first), geometry: g, into: columns)
            }
        }
        let dx = Tensor(zeros: x.shape)
        let col2im = best(repeats) {
            for first in stride(from: 0, to: batch, by: chunkImages) {
                Im2Col.col2im(columns, geometry: g, into: dx, first: first, count: min(chunkImages, batch - first))
            }
        }
        let flops = 2.0 * Double(batch * g.patchesPerImage * g.patchSize * filters)
        let total = forward + backward
        // im2col runs once in forward and once in backward; col2im once in backward (for dx).
        let share = (2 * im2col + (needsInputGradient ? col2im : 0)) / total
        print(String(format: "%@ [%@]: forward %.2f ms (%.0f GFLOPS), backward %.2f ms (%.0f GFLOPS), total %.2f ms; "
                     + "im2col %.2f ms, col2im %.2f ms, im2col+col2im share %.0f%% (chunk %d images)",
                     label, direct ? "direct" : "\(gemm.kind)", forward, flops / forward / 1e6, backward,
                     (needsInputGradient ? 2 : 1) * flops / backward / 1e6, total,
                     im2col, col2im, share * 100, chunkImages))
    }

    @Test("timings")
    func timings() throws {
        let backends = [GEMM(kind: .builtin)] + (ConvSupport.openBLAS.map { [$0] } ?? [])
        for direct in [true, false, true, false] where DirectConvolution.isAvailable {
            try Self.measure("mnist conv2 26x26x32 -> 64 3x3 valid, batch 128", input: [26, 26, 32], filters: 64, kernel: 3,
                             padding: .valid, batch: 128, direct: direct, gemm: backends.last ?? GEMM(kind: .builtin))
            try Self.measure("mnist conv2 (no dx)", input: [26, 26, 32], filters: 64, kernel: 3,
                             padding: .valid, batch: 128, needsInputGradient: false, direct: direct,
                             gemm: backends.last ?? GEMM(kind: .builtin))
            try Self.measure("mnist conv1 28x28x1 -> 32 3x3 valid, batch 128 (no dx)", input: [28, 28, 1], filters: 32, kernel: 3,
                             padding: .valid, batch: 128, needsInputGradient: false, direct: direct,
                             gemm: backends.last ?? GEMM(kind: .builtin))
        }
        for gemm in backends {
            try Self.measure("mnist conv2 26x26x32 -> 64 3x3 valid, batch 128", input: [26, 26, 32], filters: 64, kernel: 3,
                             padding: .valid, batch: 128, gemm: gemm)
            for chunk in [1 << 16, 1 << 20, 1 << 21, 1 << 23] {
                try Self.measure("  same, chunk budget \(chunk)", input: [26, 26, 32], filters: 64, kernel: 3,
                                 padding: .valid, batch: 128, chunk: chunk, gemm: gemm)
            }
            try Self.measure("mnist conv1 28x28x1 -> 32 3x3 valid, batch 128 (no dx)", input: [28, 28, 1], filters: 32, kernel: 3,
                             padding: .valid, batch: 128, needsInputGradient: false, gemm: gemm)
            try Self.measure("digits conv1 8x8x1 -> 32 3x3 same, batch 32 (no dx)", input: [8, 8, 1], filters: 32, kernel: 3,
                             padding: .same, batch: 32, needsInputGradient: false, gemm: gemm)
            try Self.measure("digits conv2 8x8x32 -> 64 3x3 same, batch 32", input: [8, 8, 32], filters: 64, kernel: 3,
                             padding: .same, batch: 32, gemm: gemm)
        }
    }
}
