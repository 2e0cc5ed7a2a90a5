/// Per-epoch values of one run, as `history.csv` holds them: column name (`loss`, `accuracy`,
/// `val_loss`, `val_accuracy`, ...) to one value per epoch, epoch 1 first.
public struct RunHistory: Sendable, Equatable {
    /// The run's name in legends (its folder name for `nnrun plot`).
    public var name: String
    public var columns: [String: [Double]]
    /// The epoch (1-based) whose weights were kept (best monitored value), marked on the curves.
    public var bestEpoch: Int?
    /// The epoch (1-based) at which early stopping ended the run, marked on the curves.
    public var stoppedEpoch: Int?

    public init(name: String, columns: [String: [Double]], bestEpoch: Int? = nil, stoppedEpoch: Int? = nil) {
        self.name = name
        self.columns = columns
        self.bestEpoch = bestEpoch
        self.stoppedEpoch = stoppedEpoch
    }

    /// The metrics to draw, one panel each: names without the `val_` prefix, `loss` first, then
    /// the others sorted.
    public var metrics: [String] {
        let base = Set(columns.keys.map { $0.hasPrefix("val_") ? String($0.dropFirst(4)) : $0 })
        return base.sorted { ($0 == "loss" ? "" : $0) < ($1 == "loss" ? "" : $1) }
    }

    public var epochCount: Int { columns.values.map(\.count).max() ?? 0 }
}
