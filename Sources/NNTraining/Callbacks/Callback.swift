import NNConfig
import NNModel

/// Something that watches training and may steer it, with Keras' callback names and semantics
/// (`training.callbacks:` in a recipe). The trainer calls, in order: `epochBegins` before an
/// epoch's first step, `stepBegins` before every step, `stepEnded` after it (true stops training
/// at once), `epochEnded` with the epoch's logs (true stops after this epoch), and `trainingEnded`
/// once at the end, whatever the reason. Every callback's state is saved with each checkpoint and
/// restored on resume.
public protocol Callback: AnyObject {
    /// The callback's type name as written in YAML (`early_stopping`).
    var typeName: String { get }
    /// One line for the banner printed when training starts, stating the policy.
    var banner: String? { get }
    /// The options with every default filled in, as the recipe's resolved form records them.
    func encodeConfig() -> ConfigNode
    /// (option key, log name) pairs of the values it reads from the epoch logs.
    var monitoredNames: [(key: String, name: String)] { get }
    func epochBegins(_ epoch: Int, _ run: CallbackContext)
    func stepBegins(_ step: Int, epoch: Int, _ run: CallbackContext)
    func stepEnded(_ step: Int, loss: Double, _ run: CallbackContext) -> Bool
    func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool
    func trainingEnded(_ run: CallbackContext) throws
    /// State to save (`null` when there is none), and restoring it.
    func encodeState() -> ConfigNode
    func restoreState(_ node: ConfigNode, folder: String, model: Model) throws
    /// Extra files for the run folder (name → bytes), e.g. the best weights so far.
    func files(_ run: CallbackContext) -> [(name: String, contents: [UInt8])]
}

extension Callback {
    public var banner: String? { nil }
    public func encodeConfig() -> ConfigNode { .map([]) }
    public var monitoredNames: [(key: String, name: String)] { [] }
    public func epochBegins(_ epoch: Int, _ run: CallbackContext) {}
    public func stepBegins(_ step: Int, epoch: Int, _ run: CallbackContext) {}
    public func stepEnded(_ step: Int, loss: Double, _ run: CallbackContext) -> Bool { false }
    public func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool { false }
    public func trainingEnded(_ run: CallbackContext) throws {}
    public func encodeState() -> ConfigNode { .null }
    public func restoreState(_ node: ConfigNode, folder: String, model: Model) throws {}
    public func files(_ run: CallbackContext) -> [(name: String, contents: [UInt8])] { [] }
}

/// What callbacks may see and touch: the trainer (its model, optimizer and history) and where
/// messages go.
public final class CallbackContext {
    public unowned let trainer: Trainer
    public let log: (String) -> Void

    public init(trainer: Trainer, log: @escaping (String) -> Void) {
        self.trainer = trainer
        self.log = log
    }

    public var model: Model { trainer.model }
    public var optimizer: any Optimizer { trainer.optimizer }
}

/// `min` or `max`: which direction of a monitored value is better. `auto` picks max for names
/// containing `acc` (accuracy) and min otherwise, as Keras does.
public enum MonitorMode: String, Sendable {
    case min, max

    static func decode(_ r: MappingReader, monitor: String) -> MonitorMode {
        let mode = r.choice("mode", ["auto", "min", "max"], default: "auto")
        if mode == "auto" { return monitor.contains("acc") ? .max : .min }
        return MonitorMode(rawValue: mode) ?? .min
    }

    /// Whether `value` improves on `reference` by more than `minDelta` (≥ 0).
    func improves(_ value: Double, on reference: Double, minDelta: Double = 0) -> Bool {
        self == .min ? value + minDelta < reference : value - minDelta > reference
    }

    var worst: Double { self == .min ? .infinity : -.infinity }
}
