import NNConfig

/// Where a training run stands after some steps: the step count, the finished epochs' history,
/// and the running sums of the unfinished epoch. With the weights and the optimizer's slots, this
/// is everything a resumed run needs to continue bit for bit: the shuffle of epoch e is
/// `epochOrder(seed, e)` and the dropout masks of step s come from `RNG(seed, "dropout", s)`, both
/// pure functions, so no generator state has to be carried.
public struct TrainingProgress: Equatable, Sendable {
    /// Optimizer steps taken.
    public var step = 0
    /// One entry per finished epoch.
    public var history = History()
    /// Batches of the unfinished epoch already trained (0 between epochs).
    public var batchesInEpoch = 0
    /// Their summed loss (each batch's mean times its size), correct predictions and samples.
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0

    public init() {}

    public var epochsRun: Int { history.epochs.count }

    mutating func addBatch(loss: Double, correct: Int, count: Int) {
        batchesInEpoch += 1
        lossSum += loss * Double(count)
        self.correct += correct
        seen += count
    }

    /// The training metrics of the unfinished epoch so far.
    var epochLogs: [(String, Double)] {
        let n = Double(max(seen, 1))
        return [("accuracy", Double(correct) / n), ("loss", lossSum / n)]
    }

    mutating func endEpoch(_ logs: [(String, Double)]) {
        history.append(logs)
        batchesInEpoch = 0
        lossSum = 0
        correct = 0
        seen = 0
    }

    /// `{step, epochs_run, batches_in_epoch, loss_sum, correct, seen, history: {loss: [...], ...}}`.
    /// Numbers are written in their shortest round-trip form (non-finite ones as `.nan`, `.inf`),
    /// so decoding gives back the same bits.
    public func encode() -> ConfigNode {
        .map([("step", .int(step)), ("epochs_run", .int(epochsRun)), ("batches_in_epoch", .int(batchesInEpoch)),
              ("loss_sum", .double(lossSum)), ("correct", .int(correct)), ("seen", .int(seen)),
              ("history", .map(history.keys.map { key in (key, .list(history.values(of: key).map { .double($0) })) }))])
    }

    /// Reads what `encode` wrote (model.json's `training_state`); problems go to `diagnostics`.
    public static func decode(_ node: ConfigNode, path: String, diagnostics: Diagnostics) -> TrainingProgress? {
        guard let r = MappingReader(node, path: path, diagnostics: diagnostics) else { return nil }
        defer { r.finish() }
        var p = TrainingProgress()
        let big = 0...Int.max
        p.step = r.int("step", default: 0, in: big)
        let epochs = r.int("epochs_run", default: 0, in: big)
        p.batchesInEpoch = r.int("batches_in_epoch", default: 0, in: big)
        p.lossSum = r.value("loss_sum").flatMap(exactNumber) ?? .nan
        p.correct = r.int("correct", default: 0, in: big)
        p.seen = r.int("seen", default: 0, in: big)
        var columns: [(String, [Double])] = []
        if let h = r.mapping("history") {
            for key in (h.node.entries ?? []).map(\.key) {
                let values = (h.node[key]?.items ?? []).map { exactNumber($0) ?? .nan }
                if values.count != epochs { h.report(key, "received \(values.count) values, expected \(epochs) (epochs_run)") }
                columns.append((key, values))
                h.allow(key)
            }
            h.finish()
        }
        for e in 0..<epochs where columns.allSatisfy({ e < $0.1.count }) {
            p.history.append(columns.map { ($0.0, $0.1[e]) })
        }
        return p
    }

    /// A number as `encode` wrote it: decimal, or `.nan`, `.inf`, `-.inf` (JSON has no spelling
    /// for those, so model.json holds them as strings).
    static func exactNumber(_ node: ConfigNode) -> Double? {
        switch node.scalarText {
        case ".nan": return .nan
        case ".inf": return .infinity
        case "-.inf": return -.infinity
        default: return ConfigScalar.double(node)
        }
    }
}
