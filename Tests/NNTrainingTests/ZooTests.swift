import Foundation
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTensor
import Testing
@testable import NNTraining

/// The package root, three levels above this file.
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func packagePath(_ relative: String) -> String { packageRoot.appendingPathComponent(relative).path }

/// A model file of the zoo, loaded and built as a recipe's `model:` is (YAML loader, ModelSpec, Model).
private func buildModel(_ file: String) throws -> Model {
    let node = try YAMLLoader.load(path: packagePath(file))
    let diagnostics = Diagnostics()
    let spec = ModelSpec.decode(node, path: "model", registry: .builtIn, diagnostics: diagnostics)
    try diagnostics.throwIfAny()
    var rng = RNG(seed: 1, stream: "zoo")
    return try Model(spec: try #require(spec), rng: &rng)
}

/// (total, trainable, non-trainable) parameters, counted as `nnrun summary` counts them: every
/// parameter and buffer; trainable ones; the rest (batch normalization's moving statistics).
private func parameterCounts(_ model: Model) -> (total: Int, trainable: Int, nonTrainable: Int) {
    let total = model.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
    let trainable = model.parameters.filter(\.isTrainable).reduce(0) { $0 + $1.value.count }
    return (total, trainable, total - trainable)
}

/// What each model of the zoo must be. The Keras counts are keras.applications' own (Keras 3.15.1,
/// `scripts/gen_vgg16.py --check` and `scripts/gen_resnet50.py --check` compare layer by layer);
/// the small models' counts are those of the same networks built in Keras.
struct ZooModel: Sendable, CustomTestStringConvertible {
    var file: String
    var total: Int
    var trainable: Int
    var layers: Int
    var outputShape: [Int]
    /// Output shapes of some layers along the way, by name.
    var shapes: [String: [Int]]

    var nonTrainable: Int { total - trainable }
    var testDescription: String { file }
}

private let zoo: [ZooModel] = [
    ZooModel(file: "models/cnn.yaml", total: 151_306, trainable: 151_306, layers: 8, outputShape: [10],
             shapes: ["conv2d_1": [8, 8, 64], "max_pool2d": [4, 4, 64], "flatten": [1024]]),
    ZooModel(file: "models/lenet.yaml", total: 61_706, trainable: 61_706, layers: 8, outputShape: [10],
             shapes: ["c1": [28, 28, 6], "s2": [14, 14, 6], "c3": [10, 10, 16], "s4": [5, 5, 16], "flatten": [400]]),
    ZooModel(file: "models/resnet.yaml", total: 152_106, trainable: 151_274, layers: 28, outputShape: [10],
             shapes: ["stem_relu": [8, 8, 32], "block1_out": [8, 8, 32], "block2_shortcut_bn": [4, 4, 64],
                      "block3_out": [4, 4, 64], "avg_pool": [64]]),
    ZooModel(file: "models/vgg16.yaml", total: 138_357_544, trainable: 138_357_544, layers: 22, outputShape: [1000],
             shapes: ["block1_conv2": [224, 224, 64], "block3_pool": [28, 28, 256], "block5_pool": [7, 7, 512],
                      "flatten": [25088], "fc2": [4096]]),
    ZooModel(file: "models/resnet50.yaml", total: 25_636_712, trainable: 25_583_592, layers: 176, outputShape: [1000],
             shapes: ["conv1_pad": [230, 230, 3], "conv1_conv": [112, 112, 64], "pool1_pool": [56, 56, 64],
                      "conv2_block3_out": [56, 56, 256], "conv3_block1_1_conv": [28, 28, 128],
                      "conv4_block6_out": [14, 14, 1024], "conv5_block3_out": [7, 7, 2048], "avg_pool": [2048]]),
]

/// The backend the environment selects (NNRUN_GEMM, else OpenBLAS when present).
private func environmentGEMM() throws -> GEMM {
    try GEMM.fromEnvironment(ProcessInfo.processInfo.environment)
}

/// What the tests keep of a training run.
private struct ZooRun: Sendable {
    var testAccuracy: Double
    var testLoss: Double
    var epochs: Int
    var seconds: Double
}

private func fit(_ recipe: Recipe) throws -> ZooRun {
    let start = Date()
    let result = try FitJob(recipe: recipe, gemm: try environmentGEMM()).run(write: false)
    return ZooRun(testAccuracy: result.testAccuracy, testLoss: result.testLoss,
                  epochs: result.history.epochs.count, seconds: Date().timeIntervalSince(start))
}

@Suite struct ZooTests {
    // MARK: Parameter counts and shapes

    @Test(arguments: zoo)
    func parameterCountsAndShapes(_ expected: ZooModel) throws {
        let model = try buildModel(expected.file)
        let counts = parameterCounts(model)
        #expect(counts.total == expected.total, "\(expected.file): total")
        #expect(counts.trainable == expected.trainable, "\(expected.file): trainable")
        #expect(counts.nonTrainable == expected.nonTrainable, "\(expected.file): non-trainable")
        #expect(model.nodes.count == expected.layers)
        #expect(model.outputShape == expected.outputShape)
        let byName = Dictionary(model.nodes.map { ($0.layer.name, $0.outputShape) }, uniquingKeysWith: { a, _ in a })
        for (name, shape) in expected.shapes {
            #expect(byName[name] == shape, "\(expected.file): \(name)")
        }
        // `nnrun summary` reports the same numbers.
        let table = summary(of: model, name: expected.file)
        let grouped = { (n: Int) in NNModel.grouped(n) }
        #expect(table.contains(" Total params: \(grouped(expected.total)) "))
        #expect(table.contains(" Trainable params: \(grouped(expected.trainable)) "))
        #expect(table.contains(" Non-trainable params: \(grouped(expected.nonTrainable)) "))
        #expect(table.contains("(None, \(expected.outputShape.map(String.init).joined(separator: ", ")))"))
    }

    @Test func resnet50IsKerasGraph() throws {
        let model = try buildModel("models/resnet50.yaml")
        let names = model.nodes.map(\.layer.name)
        let inputs = { (name: String) -> [String] in
            guard let node = model.nodes.first(where: { $0.layer.name == name }) else { return ["(missing)"] }
            return node.inputs.map { $0 < 0 ? "input" : names[$0] }
        }
        // Projection shortcuts: the first block of each stage; identity shortcuts: the others.
        #expect(inputs("conv2_block1_0_conv") == ["pool1_pool"])
        #expect(inputs("conv2_block1_add") == ["conv2_block1_0_bn", "conv2_block1_3_bn"])
        #expect(inputs("conv2_block2_add") == ["conv2_block1_out", "conv2_block2_3_bn"])
        #expect(inputs("conv3_block1_0_conv") == ["conv2_block3_out"])
        #expect(inputs("conv5_block3_add") == ["conv5_block2_out", "conv5_block3_3_bn"])
        #expect(names.filter { $0.hasSuffix("_add") }.count == 16)          // 3 + 4 + 6 + 3 blocks
        #expect(names.filter { $0.hasSuffix("_0_conv") }.count == 4)        // one projection per stage
        #expect(model.nodes.filter { $0.layer.typeName == "batch_normalization" }.count == 53)
        #expect(names.first == "conv1_pad" && names.last == "predictions")
        // Stride 2 on the first 1x1 convolution of stages 3-5 (Keras' ResNet50), 1 in stage 2.
        #expect(model.nodes.first { $0.layer.name == "conv2_block1_1_conv" }?.outputShape == [56, 56, 64])
        #expect(model.nodes.first { $0.layer.name == "conv4_block1_1_conv" }?.outputShape == [14, 14, 256])
    }

    @Test func smallResnetHasBothShortcutKinds() throws {
        let model = try buildModel("models/resnet.yaml")
        let names = model.nodes.map(\.layer.name)
        let adds = model.nodes.filter { $0.layer.typeName == "add" }
        #expect(adds.count == 3)
        let shortcutInputs = adds.map { names[$0.inputs[0]] }
        #expect(shortcutInputs == ["stem_relu", "block2_shortcut_bn", "block2_out"])   // identity, projection, identity
        #expect(model.nodes.first { $0.layer.name == "block2_shortcut_conv" }.map { names[$0.inputs[0]] } == "block1_out")
    }

    // MARK: The recipes load without data

    @Test func recipesLoad() throws {
        let cnn = try Recipe.load(path: packagePath("configs/cnn.yaml"))
        #expect(cnn.config.name == "digits-cnn" && cnn.config.seed == 2)
        #expect(cnn.config.training.epochs == 30 && cnn.config.training.batchSize == 32)
        #expect(cnn.config.data.shape == [8, 8, 1] && cnn.config.data.scale == 0.0625)
        #expect(cnn.spec.inputShape == [8, 8, 1])
        #expect(cnn.resolved["optimizer"]?["adam"]?["learning_rate"] == .double(0.001))

        let resnet = try Recipe.load(path: packagePath("configs/resnet.yaml"))
        #expect(resnet.config.name == "digits-resnet" && resnet.config.data.shape == [8, 8, 1])
        #expect(resnet.spec.layers.count == 28)

        let lenet = try Recipe.load(path: packagePath("configs/lenet-mnist.yaml"))
        #expect(lenet.config.data.source == .idx(images: "data/mnist/train-images-idx3-ubyte.gz",
                                                 labels: "data/mnist/train-labels-idx1-ubyte.gz"))
        #expect(lenet.config.data.shape == [28, 28, 1] && lenet.spec.inputShape == [28, 28, 1])
        #expect(abs(lenet.config.data.scale - 1.0 / 255) < 1e-15)
    }

    /// The LeNet recipe end to end on a small synthetic MNIST (IDX files written here, gzipped by
    /// a stored-block gzip writer), for one epoch: the IDX source, the 28x28x1 shape and the model fit.
    @Test func lenetRecipeTrainsOnIDXFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let count = 300
        var rng = RNG(seed: 5)
        var pixels = [UInt8](repeating: 0, count: count * 28 * 28)
        var labels = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let label = i % 10
            labels[i] = UInt8(label)
            // Class c: a bright 6x6 square at a class-specific place, plus noise.
            let (top, left) = (2 + (label / 5) * 12, 2 + (label % 5) * 5)
            for r in 0..<28 {
                for c in 0..<28 {
                    let inside = (top..<top + 6).contains(r) && (left..<left + 6).contains(c)
                    pixels[(i * 28 + r) * 28 + c] = inside ? 200 + UInt8(rng.below(56)) : UInt8(rng.below(30))
                }
            }
        }
        func header(_ magic: UInt32, _ sizes: [Int]) -> [UInt8] {
            var out: [UInt8] = []
            for v in [magic] + sizes.map({ UInt32($0) }) {
                out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
            }
            return out
        }
        let imagesPath = dir.appendingPathComponent("train-images-idx3-ubyte.gz").path
        let labelsPath = dir.appendingPathComponent("train-labels-idx1-ubyte").path
        try Data(storedGzip(header(0x803, [count, 28, 28]) + pixels)).write(to: URL(fileURLWithPath: imagesPath))
        try Data(header(0x801, [count]) + labels).write(to: URL(fileURLWithPath: labelsPath))

        let recipe = try Recipe.load(path: packagePath("configs/lenet-mnist.yaml"), overrides: [
            "data.source.idx.images=\(imagesPath)", "data.source.idx.labels=\(labelsPath)",
            "data.split.test=0.2", "training.epochs=3", "training.batch_size=32",
        ])
        let run = try fit(recipe)
        #expect(run.epochs == 3)
        #expect(run.testAccuracy >= 0.9, "test accuracy \(run.testAccuracy) on an easy synthetic set")
    }

    /// Without the MNIST files, the recipe fails with a config error naming the missing file.
    @Test func lenetRecipeWithoutMNISTNamesTheFile() throws {
        let recipe = try Recipe.load(path: packagePath("configs/lenet-mnist.yaml"), overrides: [
            "data.source.idx.images=nowhere/train-images-idx3-ubyte.gz",
        ])
        let error = try #require(throws: ConfigErrors.self) { _ = try fit(recipe) }
        #expect(error.errors.first?.path == "data.source.idx.images")
        #expect(error.errors.first?.message.hasPrefix("cannot read data file \"nowhere/train-images-idx3-ubyte.gz\": no such file") == true)
    }

    // MARK: Accuracy floors of the shipped recipes (slow in a debug build)

    @Test func cnnRecipeReachesItsAccuracyFloor() throws {
        let run = try fit(try Recipe.load(path: packagePath("configs/cnn.yaml")))
        print("configs/cnn.yaml: test accuracy \(run.testAccuracy), loss \(run.testLoss), \(run.seconds) s")
        #expect(run.epochs == 30)
        #expect(run.testAccuracy >= 0.985, "test accuracy \(run.testAccuracy)")
    }

    @Test func resnetRecipeReachesItsAccuracyFloor() throws {
        let run = try fit(try Recipe.load(path: packagePath("configs/resnet.yaml")))
        print("configs/resnet.yaml: test accuracy \(run.testAccuracy), loss \(run.testLoss), \(run.seconds) s")
        #expect(run.testAccuracy >= 0.98, "test accuracy \(run.testAccuracy)")
    }
}

/// `data` as a gzip member of stored (uncompressed) DEFLATE blocks (RFC 1952, RFC 1951 §3.2.4).
private func storedGzip(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
    var start = 0
    repeat {
        let end = min(data.count, start + 65535)
        let len = end - start
        out.append(end == data.count ? 1 : 0)
        out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8((~len >> 8) & 0xFF)]
        out += data[start..<end]
        start = end
    } while start < data.count
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    crc ^= 0xFFFF_FFFF
    let size = UInt32(truncatingIfNeeded: data.count)
    for v in [crc, size] {
        out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
    return out
}
