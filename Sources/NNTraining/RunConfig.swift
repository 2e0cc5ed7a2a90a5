import NNConfig
import NNData
import NNLayers
import NNModel

/// A run recipe (`configs/*.yaml`), decoded with every default filled in:
///
///     name: digits-mlp
///     seed: 42
///     data: {source: digits, scale: 0.0625, split: {test: 0.4, validation: 0.2, stratify: true}}
///     model: models/mlp.yaml            # a model file, or the same mapping inline
///     loss: categorical_crossentropy
///     metrics: [accuracy]
///     optimizer: {adam: {learning_rate: 0.001}}
///     training: {epochs: 100, batch_size: 32, shuffle: true}
///     output: runs/digits-mlp           # default: runs/<name>
///
/// With `data.target: inputs` (an autoencoder) the loss defaults to `mean_squared_error`, the
/// metrics to none (`accuracy` is an error), and a categorical loss is an error.
public struct RunConfig {
    public var name: String
    public var seed: Int
    public var data: DataConfig
    /// The model mapping, inline (a `model:` path is replaced by the file's contents).
    public var model: ConfigNode
    /// The model file the recipe named, if any (recorded in model.json).
    public var modelFile: String?
    public var loss: String
    public var metrics: [String]
    public var optimizer: OptimizerConfig
    public var training: TrainingConfig
    /// The run folder as written in the recipe; nil means `runs/<name>` (see `outputFolder`), so
    /// `--set name=...` moves the run too.
    public var output: String?
    /// The fine-tuning section of a transfer-learning recipe (`nnrun finetune`), if any.
    public var finetune: FinetuneConfig?

    /// Where the run is written.
    public var outputFolder: String { output ?? "runs/\(name)" }

    public static let keys = ["name", "seed", "data", "model", "loss", "metrics", "optimizer", "training", "finetune", "output"]
    public static let metricNames = ["accuracy"]

    /// Decodes a recipe tree; every problem goes to `diagnostics`.
    static func decode(_ node: ConfigNode, diagnostics: Diagnostics) -> RunConfig? {
        guard let r = MappingReader(node, path: "", diagnostics: diagnostics) else { return nil }
        defer { r.finish() }
        let name = r.string("name")
        if r.has("name"), !isValidName(name) {
            r.report("name", "received \"\(name)\", expected a run name of letters, digits, '-', '_' and '.'")
        }
        let seed = r.int("seed", default: 42, in: 0...Int(Int32.max))
        let data = r.mapping("data").map { DataConfig(from: $0) } ?? DataConfig()
        let model = r.value("model") ?? ConfigNode(.null)
        if !r.has("model") { r.report("model", "missing required key \"model\"") }
        // An autoencoder (data.target: inputs) defaults to the squared error and has no accuracy.
        let reconstructs = data.target == .inputs
        var loss = reconstructs ? "mean_squared_error" : Losses.names[1]
        if let alias = r.node["loss"]?.scalarText.flatMap({ Losses.aliases[$0] }) {
            loss = alias
            r.allow("loss")
        } else {
            loss = r.choice("loss", Losses.names, default: reconstructs ? loss : nil)
        }
        if reconstructs, loss.contains("categorical"), let node = r.node["loss"] {
            diagnostics.report(node, "loss", "received \(loss), but data.target: inputs reconstructs the input values, which are not classes; "
                               + "use mean_squared_error (or binary_crossentropy for values in 0..1 with a sigmoid output)")
        }
        var metrics = reconstructs ? [] : ["accuracy"]
        if let items = r.list("metrics") {
            metrics = []
            for (i, item) in items.enumerated() {
                if let m = item.scalarText, metricNames.contains(m) || m == "acc" {
                    if reconstructs {
                        diagnostics.report(item, "metrics[\(i)]", "received \(m), but with data.target: inputs (an autoencoder) there are no classes "
                                           + "to be accurate about; the run reports loss and val_loss only: remove metrics (or write metrics: [])")
                    } else {
                        metrics.append("accuracy")
                    }
                    continue
                }
                diagnostics.report(item, "metrics[\(i)]", "received \(item.brief), expected one of: \(metricNames.joined(separator: ", "))",
                                   suggestion: item.scalarText.flatMap { didYouMean($0, among: metricNames) })
            }
        }
        let optimizer = OptimizerConfig.decode(r.value("optimizer"), path: "optimizer", diagnostics: diagnostics)
        let produced = ["loss"] + metrics + ["val_loss"] + metrics.map { "val_" + $0 }
        let training = r.mapping("training").map {
            TrainingConfig(from: $0, produced: produced, learningRate: optimizer.learningRate)
        } ?? TrainingConfig()
        let finetune = r.mapping("finetune").map(FinetuneConfig.decode)
        var output: String?
        if r.value("output") != nil { output = r.string("output") }
        return RunConfig(name: name, seed: seed, data: data, model: model, modelFile: nil, loss: loss, metrics: metrics,
                         optimizer: optimizer, training: training, output: output, finetune: finetune)
    }

    /// The resolved recipe: every key, every default, the model inline.
    public func encode() -> ConfigNode {
        .map([("name", .string(name)), ("seed", .int(seed)), ("data", data.encode()), ("model", model.withoutLocations),
              ("loss", .string(loss)), ("metrics", .strings(metrics)), ("optimizer", optimizer.encode()),
              ("training", training.encode())] + (finetune.map { [("finetune", $0.encode())] } ?? [])
             + [("output", output.map { .string($0) } ?? .null)])
    }

    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s.first != "." && s.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }
}

/// The `training:` section. Keras' `fit` arguments: epochs (default 10 here; Keras' 1 is rarely
/// what a recipe wants), batch_size (32, or `full` for plain full-batch gradient descent), shuffle
/// (true: a new order every epoch, a pure function of the seed and the epoch).
public struct TrainingConfig: Equatable, Sendable {
    public var epochs = 10
    /// nil means `full`: one batch holding the whole training split.
    public var batchSize: Int? = 32
    public var shuffle = true
    /// Also write a checkpoint every this many optimizer steps within an epoch (default: only at
    /// the end of each epoch).
    public var checkpointEvery: Int?
    /// `callbacks:` (default none), see `CallbackConfig`.
    public var callbacks: [CallbackConfig] = []

    public init() {}

    /// `produced` are the log names the run writes and `learningRate` the optimizer's, for the callbacks.
    public init(from r: MappingReader, produced: [String] = ["loss", "accuracy", "val_loss", "val_accuracy"], learningRate: Double = 0.001) {
        epochs = r.int("epochs", default: 10, in: 1...1_000_000)
        if let v = r.value("batch_size"), v.scalarText == "full" {
            batchSize = nil
        } else if let v = r.node["batch_size"], ConfigScalar.int(v) == nil {
            r.report("batch_size", "received \(v.brief), expected a whole number >= 1 or full")
        } else {
            batchSize = r.int("batch_size", default: 32, in: 1...10_000_000)
        }
        shuffle = r.bool("shuffle", default: true)
        checkpointEvery = r.optionalInt("checkpoint_every", in: 1...Int(Int32.max))
        if let list = r.value("callbacks") {
            callbacks = CallbackConfig.decodeList(list, path: r.childPath("callbacks"), produced: produced,
                                                  learningRate: learningRate, diagnostics: r.diagnostics)
        }
        r.finish()
    }

    public func encode() -> ConfigNode {
        .map([("epochs", .int(epochs)), ("batch_size", batchSize.map { .int($0) } ?? .string("full")), ("shuffle", .bool(shuffle)),
              ("checkpoint_every", checkpointEvery.map { .int($0) } ?? .null), ("callbacks", .list(callbacks.map { $0.encode() }))])
    }
}
