import Foundation
import NNConfig
import NNLayers
import NNModel
import NNTensor
import Testing
@testable import NNTraining

/// `Fixtures/callbacks.json`, written by `Fixtures/generate_callbacks.py`: Keras 3's EarlyStopping
/// and ReduceLROnPlateau driven epoch by epoch on fixed sequences, and its learning-rate schedules.
private struct Fixture {
    let root: ConfigNode

    static func load() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "callbacks", withExtension: "json", subdirectory: "Fixtures"))
        return Fixture(root: try JSONReader.parse([UInt8](try Data(contentsOf: url)), file: "callbacks.json"))
    }
}

private func reader(_ options: ConfigNode?) throws -> MappingReader {
    try #require(MappingReader(options ?? .map([]), path: "cb", diagnostics: Diagnostics()))
}

private func numbers(_ node: ConfigNode?) -> [Double] { (node?.items ?? []).compactMap(ConfigScalar.double) }

/// A trainer (a one-layer model, SGD at 0.1) for the callbacks to act on.
private func stubTrainer() throws -> Trainer {
    let recipe = try Recipe.parse("""
        name: stub
        data: {source: digits}
        model: {input: [2], layers: [{dense: {units: 1}}]}
        loss: mean_squared_error
        optimizer: {sgd: {learning_rate: 0.1}}
        """, file: "stub.yaml")
    var rng = RNG(seed: 1)
    let model = try Model(spec: recipe.spec, rng: &rng)
    return Trainer(model: model, loss: MeanSquaredError(), optimizer: recipe.config.optimizer, training: recipe.config.training,
                   seed: 1, gemm: GEMM(kind: .builtin))
}

@Suite struct CallbackTests {
    @Test func earlyStoppingStopsWhereKerasStops() throws {
        let cases = try #require(try Fixture.load().root["early_stopping"]?.items)
        #expect(cases.count == 21)
        let trainer = try stubTrainer()
        for c in cases {
            let monitor = try #require(c["monitor"]?.scalarText)
            let options = (c["options"] ?? .map([])).setting("monitor", to: .string(monitor))
            let es = EarlyStopping(try reader(options))
            let context = CallbackContext(trainer: trainer, log: { _ in })
            var epochs = 0
            for (i, v) in numbers(c["values"]).enumerated() {
                epochs = i + 1
                if try es.epochEnded(i + 1, logs: [monitor: v], context) { break }
            }
            let keras = try #require(c["keras"])
            let label = "\(c["sequence"]?.scalarText ?? "") \(options.jsonText())"
            #expect(epochs == keras["epochs_run"].flatMap(ConfigScalar.int), "\(label)")
            #expect(es.stoppedEpoch == keras["stopped_epoch"].flatMap(ConfigScalar.int), "\(label)")
            #expect(es.bestEpoch == keras["best_epoch"].flatMap(ConfigScalar.int), "\(label)")
            #expect(es.wait == keras["wait"].flatMap(ConfigScalar.int), "\(label)")
        }
    }

    @Test func reduceLROnPlateauReducesWhereKerasReduces() throws {
        let cases = try #require(try Fixture.load().root["reduce_lr_on_plateau"]?.items)
        #expect(cases.count == 9)
        for c in cases {
            let trainer = try stubTrainer()
            let monitor = try #require(c["monitor"]?.scalarText)
            let cb = ReduceLROnPlateau(try reader((c["options"] ?? .map([])).setting("monitor", to: .string(monitor))))
            let context = CallbackContext(trainer: trainer, log: { _ in })
            var rates: [Double] = []
            for (i, v) in numbers(c["values"]).enumerated() {
                _ = try cb.epochEnded(i + 1, logs: [monitor: v], context)
                rates.append(trainer.optimizer.learningRate)
            }
            let expected = numbers(c["keras"]?["rates"])   // float32 in Keras
            #expect(rates.count == expected.count)
            for (r, e) in zip(rates, expected) { #expect(abs(r - e) <= 1e-6 * e, "\(c["options"]?.jsonText() ?? ""): \(rates) vs \(expected)") }
        }
    }

    @Test func schedulesMatchKeras() throws {
        let root = try Fixture.load().root
        let steps = (root["schedules"]?["steps"]?.items ?? []).compactMap(ConfigScalar.int)
        let cases = try #require(root["schedules"]?["cases"]?.items)
        #expect(cases.count == 4 && steps.count == 20)
        for c in cases {
            let type = try #require(c["type"]?.scalarText)
            let schedule = LearningRateSchedule(type: type, try reader(c["options"]), defaultLearningRate: 1)
            // Keras computes in float32: agreement to its precision.
            for (s, e) in zip(steps, numbers(c["rates"])) {
                #expect(abs(schedule.rate(step: s, epoch: 1) - e) <= 1e-6 * max(e, 1e-3), "\(type) step \(s)")
            }
        }
        let step = LearningRateSchedule(type: "step_decay", try reader(.map([("drop", .double(0.5)), ("epochs_drop", .int(2))])),
                                        defaultLearningRate: 0.1)
        #expect((1...5).map { step.rate(step: 0, epoch: $0) } == [0.1, 0.1, 0.05, 0.05, 0.025])
    }

    @Test func modelCheckpointTemplatesFormatLikePython() {
        let values: [String: Double] = ["epoch": 7, "val_loss": 0.123456, "accuracy": 0.9]
        #expect(ModelCheckpoint.format("ck/{epoch:02d}-{val_loss:.4f}.safetensors", values: values).text == "ck/07-0.1235.safetensors")
        #expect(ModelCheckpoint.format("{epoch}_{accuracy:.1e}", values: values).text == "7_9.0e-01")
        #expect(ModelCheckpoint.format("{epoch:x}", values: values).problem
                == "the placeholder {epoch:x} has format \"x\"; expected one like 02d, .4f or .3e")
    }
}
