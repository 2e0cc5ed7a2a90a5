import NNData
import NNLayers
import NNModel
import NNTensor

/// Trains a model on the training split and reports the validation split after every epoch, the
/// way Keras' `fit(validation_data=...)` does.
///
/// Each step: zero the gradients, forward in training mode, loss (from the logits when the output
/// activation and the loss fuse), backward, reduce the gradients (one point, where a data-parallel
/// allreduce would go), update. Randomness is a pure function of the seed: the order of epoch e is
/// `epochOrder(seed, e)`, the dropout masks of step s come from `RNG(seed, "dropout", s)`.
public final class Trainer {
    public let model: Model
    public let loss: any Loss
    public let optimizerConfig: OptimizerConfig
    public let training: TrainingConfig
    public let seed: UInt64
    public let gemm: GEMM
    public let optimizer: any Optimizer
    /// Where training stands (steps, history, the unfinished epoch): what a checkpoint saves
    /// besides the weights and the optimizer's slots.
    public private(set) var progress = TrainingProgress()
    /// Optimizer steps taken so far.
    public var step: Int { progress.step }
    public var history: History { progress.history }
    /// Called after every epoch and, with `checkpointEvery`, every that many steps within an
    /// epoch, to write a checkpoint; an error stops training and is rethrown by `fit`.
    public var checkpoint: ((Trainer) throws -> Void)?
    public var checkpointEvery: Int?
    /// Called at the start of every epoch (1-based), before its first step.
    public var epochBegins: ((Int) -> Void)?
    /// Keras-style callbacks (early stopping, schedules, ...), called in this order.
    public var callbacks: [any Callback] = []
    /// Where callbacks print their messages.
    public var log: (String) -> Void = { _ in }
    /// Augments each training batch in place (never validation or test), with the generator
    /// `RNG(seed, "augment", step)`.
    public var augmenter: Augmenter?
    /// The epoch an early stop ended training after, if one did.
    public private(set) var stoppedEpoch: Int?
    /// The step at which a callback stopped training in the middle of an epoch (terminate_on_nan).
    public private(set) var terminatedAtStep: Int?
    /// True when the loss reads the output layer's logits (softmax + cross-entropy, sigmoid + BCE).
    public let fused: Bool
    /// True for `optimizer: perceptron`: SGD on one sample at a time, with y − t handed to the step
    /// layer as its logits gradient, which is exactly Rosenblatt's rule w += lr (t − y) x.
    public let perceptron: Bool
    /// What the model learns to output (`data.target`): with `inputs` (an autoencoder) the logs
    /// hold `loss` and `val_loss` only, and `evaluate`'s accuracy is NaN.
    public let target: DataConfig.Target
    private let assembler: BatchAssembler
    private let gradient: Tensor

    public init(model: Model, loss: any Loss, optimizer: OptimizerConfig, training: TrainingConfig, seed: UInt64, gemm: GEMM,
                target: DataConfig.Target = .labels) {
        self.model = model
        self.loss = loss
        self.optimizerConfig = optimizer
        self.perceptron = optimizer.isPerceptron
        self.optimizer = optimizer.make()
        self.training = training
        self.seed = seed
        self.gemm = gemm
        let activation = (model.outputLayer as? any ActivatedLayer)?.activation
        fused = activation != nil && activation == loss.fusedActivation
        let width = model.outputShape.reduce(1, *)
        self.target = target
        assembler = BatchAssembler(inputShape: model.inputShape, outputWidth: width, encoding: loss.targetEncoding,
                                   targetIsInput: target == .inputs, dtype: model.dtype)
        gradient = Tensor(zeros: [0], dtype: model.dtype)
    }

    private var outputWidth: Int { model.outputShape.reduce(1, *) }

    /// Runs the epochs from where `progress` stands to `training.epochs`, reporting to `reporter`,
    /// and returns the history. Resumed in the middle of an epoch, it trains that epoch's remaining
    /// batches (the order is a function of the seed and the epoch, so they are the same batches).
    public func fit(train: Dataset, validation: Dataset?, progress reporter: any ProgressReporter) throws -> History {
        stoppedEpoch = nil
        terminatedAtStep = nil
        let batchSize = perceptron ? 1 : training.batchSize ?? max(train.count, 1)
        let ranges = batchRanges(count: train.count, batchSize: batchSize)
        let context = CallbackContext(trainer: self, log: log)
        training: for epoch in stride(from: progress.epochsRun + 1, through: training.epochs, by: 1) {
            epochBegins?(epoch)
            for c in callbacks { c.epochBegins(epoch, context) }
            reporter.epochBegin(epoch, of: training.epochs, steps: ranges.count)
            let started = WallClock.now()
            let order = epochOrder(count: train.count, seed: seed, epoch: epoch, shuffle: training.shuffle)
            for i in progress.batchesInEpoch..<ranges.count {
                for c in callbacks { c.stepBegins(progress.step, epoch: epoch, context) }
                let rows = order[ranges[i]]
                let (batchLoss, batchCorrect) = trainStep(train, rows: rows)
                if callbacks.reduce(false, { $1.stepEnded(progress.step, loss: batchLoss, context) || $0 }) {
                    terminatedAtStep = progress.step
                    break training
                }
                progress.addBatch(loss: batchLoss, correct: batchCorrect, count: rows.count)
                reporter.batchEnd(i + 1, of: ranges.count, logs: measured(progress.epochLogs))
                if let every = checkpointEvery, progress.step % every == 0, i + 1 < ranges.count { try checkpoint?(self) }
            }
            var logs = measured(progress.epochLogs)
            if let validation, validation.count > 0 {
                let v = evaluate(validation)
                logs += measured([("val_accuracy", v.accuracy), ("val_loss", v.loss)])
            }
            progress.endEpoch(logs)
            reporter.epochEnd(epoch, of: training.epochs, steps: ranges.count, logs: logs, seconds: WallClock.now() - started)
            let named = Dictionary(logs, uniquingKeysWith: { a, _ in a })
            var stop = false
            for c in callbacks { stop = try c.epochEnded(epoch, logs: named, context) || stop }
            if stop { stoppedEpoch = epoch }
            try checkpoint?(self)
            if stop { break }
        }
        for c in callbacks { try c.trainingEnded(context) }
        return progress.history
    }

    /// `logs` without the accuracies when there are no classes to be accurate about (`target: inputs`).
    private func measured(_ logs: [(String, Double)]) -> [(String, Double)] {
        target == .inputs ? logs.filter { !$0.0.hasSuffix("accuracy") } : logs
    }

    /// Continues from a checkpoint: the progress it saved (weights and optimizer slots are restored
    /// into the model and the optimizer by the caller).
    public func restore(_ saved: TrainingProgress) {
        progress = saved
    }

    /// One optimizer step on `rows`; returns the batch's mean loss and number of correct predictions.
    func trainStep(_ data: Dataset, rows: ArraySlice<Int>) -> (Double, Int) {
        assembler.load(data, rows: rows)
        progress.step += 1
        if let augmenter {
            var rng = RNG(seed: seed, stream: "augment", index: UInt64(progress.step))
            augmenter.apply(to: assembler.x, rng: &rng)
        }
        var context = LayerContext(mode: .training, rng: RNG(seed: seed, stream: "dropout", index: UInt64(progress.step)), gemm: gemm)
        model.zeroGradients()
        let output = model.forward(assembler.x, &context)
        let batchLoss = lossAndGradient(output)
        model.backward(gradient, logits: fused || perceptron, &context)
        // The penalty of kernel_regularizer / bias_regularizer is part of the loss, as in Keras.
        let penalty = model.regularizationLoss()
        model.addRegularizationGradients()
        reduceGradients()
        optimizer.step(model.parameters)
        return (batchLoss + penalty, countCorrect(output, data, rows))
    }

    /// Fills `gradient` with d(loss)/d(output) (or d(logits)) and returns the loss.
    private func lossAndGradient(_ output: Tensor) -> Double {
        gradient.reshape(output.shape)
        if perceptron {
            for i in 0..<output.count { gradient[i] = output[i] - assembler.target[i] }
            return loss.value(output: output, target: assembler.target)
        }
        if let logits = fusedLogits {
            loss.gradient(logits: logits, target: assembler.target, into: gradient)
        } else {
            loss.gradient(output: output, target: assembler.target, into: gradient)
        }
        return lossValue(output)
    }

    /// The output layer's logits of the last forward pass, when the loss reads them.
    private var fusedLogits: Tensor? { fused ? (model.outputLayer as? any ActivatedLayer)?.logits : nil }

    /// The loss of the last forward pass (whose output is `output`) against the loaded targets.
    private func lossValue(_ output: Tensor) -> Double {
        if let logits = fusedLogits { return loss.value(logits: logits, target: assembler.target) }
        return loss.value(output: output, target: assembler.target)
    }

    /// Where gradients of all parameters meet before the update: a data-parallel run would
    /// average them across processes here. Single process: nothing to do.
    private func reduceGradients() {}

    /// Loss and accuracy on a whole dataset, in inference mode.
    /// Inference runs in slices of at most this many samples, whatever batch size is asked for:
    /// the results are the same, and memory stays bounded (layers keep a buffer per output).
    public static let maxInferenceSlice = 256

    public func evaluate(_ data: Dataset, batchSize: Int = 256) -> (loss: Double, accuracy: Double) {
        var lossSum = 0.0, correct = 0
        for range in batchRanges(count: data.count, batchSize: min(batchSize, Trainer.maxInferenceSlice)) {
            let r = evaluateRows(data, rows: Array(range)[...])
            lossSum += r.loss * Double(range.count)
            correct += r.correct
        }
        let n = Double(max(data.count, 1))
        return (lossSum / n + model.regularizationLoss(), target == .inputs ? .nan : Double(correct) / n)
    }

    /// The model's outputs on every sample of `data` in inference mode, row-major [count, width],
    /// and each sample's predicted class (as accuracy counts it).
    public func predict(_ data: Dataset) -> (outputs: [Float], classes: [Int]) {
        var outputs: [Float] = [], classes: [Int] = []
        outputs.reserveCapacity(data.count * outputWidth)
        for range in batchRanges(count: data.count, batchSize: Trainer.maxInferenceSlice) {
            assembler.load(data, rows: Array(range)[...])
            var context = LayerContext(mode: .inference, rng: RNG(seed: seed), gemm: gemm)
            let output = model.forward(assembler.x, &context)
            outputs += output.floats
            classes += predictedClasses(classScores(output), width: outputWidth)
        }
        return (outputs, classes)
    }

    private func evaluateRows(_ data: Dataset, rows: ArraySlice<Int>) -> (loss: Double, correct: Int) {
        assembler.load(data, rows: rows)
        var context = LayerContext(mode: .inference, rng: RNG(seed: seed), gemm: gemm)
        let output = model.forward(assembler.x, &context)
        return (lossValue(output), countCorrect(output, data, rows))
    }

    /// Class scores of the last forward pass: the output, except for a multi-unit step layer,
    /// whose 0/1 outputs tie, where the logits decide (multi-class perceptron).
    private func classScores(_ output: Tensor) -> Tensor {
        if let layer = model.outputLayer as? any ActivatedLayer, layer.activation == .heaviside, outputWidth > 1 {
            return layer.logits
        }
        return output
    }

    private func countCorrect(_ output: Tensor, _ data: Dataset, _ rows: ArraySlice<Int>) -> Int {
        if target == .inputs { return 0 }
        let predicted = predictedClasses(classScores(output), width: outputWidth)
        return zip(predicted, rows).reduce(0) { $0 + ($1.0 == data.labels[$1.1] ? 1 : 0) }
    }
}
