import Foundation
import NNConfig
import NNModel

/// A learning-rate schedule, set before every step from the step number (a pure function of it, so
/// a resumed run follows the same rates). Keras' schedules and the classic step decay:
///
///     - exponential_decay: {initial_learning_rate: (the optimizer's), decay_steps: 100, decay_rate: 0.96, staircase: false}
///         lr = initial · decay_rate ^ (step / decay_steps)        (the exponent floored with staircase)
///     - cosine_decay: {initial_learning_rate: (the optimizer's), decay_steps: 1000, alpha: 0, warmup_target: null, warmup_steps: 0}
///         with warmup_target: lr rises linearly from initial to warmup_target over warmup_steps, then
///         decays from warmup_target; decay: lr₀ · ((1 − alpha) · ½(1 + cos(π · min(s, decay_steps) / decay_steps)) + alpha)
///         (Loshchilov and Hutter 2017, SGDR, without restarts; Goyal et al. 2017 for the warmup)
///     - step_decay: {initial_learning_rate: (the optimizer's), drop: 0.5, epochs_drop: 10}
///         lr = initial · drop ^ floor((epoch − 1) / epochs_drop)
///
/// `step` counts the steps taken before the current one (Keras' `optimizer.iterations`), from 0.
public final class LearningRateSchedule: Callback {
    public enum Kind: Sendable {
        case exponential(decaySteps: Int, decayRate: Double, staircase: Bool)
        case cosine(decaySteps: Int, alpha: Double, warmupTarget: Double?, warmupSteps: Int)
        case step(drop: Double, epochsDrop: Int)
    }

    public let typeName: String
    public let initial: Double
    public let kind: Kind

    init(type: String, _ r: MappingReader, defaultLearningRate: Double) {
        typeName = type
        let positive = 0...Double.greatestFiniteMagnitude
        // 0 is allowed: a warmup may start there.
        initial = r.double("initial_learning_rate", default: defaultLearningRate, in: positive)
        switch type {
        case "exponential_decay":
            kind = .exponential(decaySteps: r.int("decay_steps", in: 1...Int(Int32.max)),
                                decayRate: r.double("decay_rate", in: positive, exclusiveMin: true),
                                staircase: r.bool("staircase", default: false))
        case "cosine_decay":
            let decay = r.int("decay_steps", in: 1...Int(Int32.max))
            let alpha = r.double("alpha", default: 0, in: 0...1)
            let target = r.value("warmup_target") != nil ? r.double("warmup_target", in: positive, exclusiveMin: true) : nil
            kind = .cosine(decaySteps: decay, alpha: alpha, warmupTarget: target, warmupSteps: r.int("warmup_steps", default: 0, in: 0...Int(Int32.max)))
        default:
            kind = .step(drop: r.double("drop", default: 0.5, in: positive, exclusiveMin: true),
                         epochsDrop: r.int("epochs_drop", default: 10, in: 1...1_000_000))
        }
    }

    public func encodeConfig() -> ConfigNode {
        var entries: [(String, ConfigNode)] = [("initial_learning_rate", .double(initial))]
        switch kind {
        case .exponential(let steps, let rate, let staircase):
            entries += [("decay_steps", .int(steps)), ("decay_rate", .double(rate)), ("staircase", .bool(staircase))]
        case .cosine(let steps, let alpha, let target, let warmup):
            entries += [("decay_steps", .int(steps)), ("alpha", .double(alpha)), ("warmup_target", target.map { .double($0) } ?? .null),
                        ("warmup_steps", .int(warmup))]
        case .step(let drop, let every):
            entries += [("drop", .double(drop)), ("epochs_drop", .int(every))]
        }
        return .map(entries)
    }

    public var banner: String? { "Learning-rate schedule: \(typeName) from \(ConfigNode.formatNumber(initial))" }

    /// The learning rate of the step after `step` steps, in epoch `epoch` (1-based).
    public func rate(step: Int, epoch: Int) -> Double {
        let s = Double(step)
        switch kind {
        case .exponential(let steps, let rate, let staircase):
            let p = s / Double(steps)
            return initial * pow(rate, staircase ? p.rounded(.down) : p)
        case .cosine(let steps, let alpha, let target, let warmup):
            func decayed(_ s: Double, from lr: Double) -> Double {
                let fraction = min(s, Double(steps)) / Double(steps)
                return lr * ((1 - alpha) * 0.5 * (1 + cos(Double.pi * fraction)) + alpha)
            }
            guard let target else { return decayed(s, from: initial) }
            if step < warmup { return initial + (target - initial) * s / Double(warmup) }
            return decayed(s - Double(warmup), from: target)
        case .step(let drop, let every):
            return initial * pow(drop, Double((epoch - 1) / every))
        }
    }

    public func stepBegins(_ step: Int, epoch: Int, _ run: CallbackContext) {
        run.optimizer.learningRate = rate(step: step, epoch: epoch)
    }
}
