import Foundation
import NNLayers
import NNModel
import NNTensor

/// `nnrun time`: forward and backward time per layer on random data, as Caffe's `caffe time`.
/// Needs no data set: the batch is uniform noise in [0, 1) with random labels.
public struct LayerTiming {
    public struct Report {
        public var names: [String]
        /// Mean milliseconds per batch.
        public var forward: [Double]
        public var backward: [Double]
        public var batch: Int
        public var iterations: Int

        /// A table of the layers, their forward, backward and total times, and the totals.
        public func table() -> String {
            let width = max(names.map(\.count).max() ?? 0, 12) + 2
            func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
                let fill = String(repeating: " ", count: max(0, n - s.count))
                return right ? fill + s : s + fill
            }
            func ms(_ v: Double) -> String { String(format: "%.3f", v) }
            var lines = [pad("Layer (type)", width) + pad("Forward ms", 12, right: true) + pad("Backward ms", 13, right: true) + pad("Total ms", 11, right: true)]
            for (i, name) in names.enumerated() {
                lines.append(pad(name, width) + pad(ms(forward[i]), 12, right: true) + pad(ms(backward[i]), 13, right: true)
                             + pad(ms(forward[i] + backward[i]), 11, right: true))
            }
            let f = forward.reduce(0, +), b = backward.reduce(0, +)
            lines.append(pad("Total", width) + pad(ms(f), 12, right: true) + pad(ms(b), 13, right: true) + pad(ms(f + b), 11, right: true))
            lines.append(String(format: "Batch of %d, mean of %d iterations: %.3f ms forward, %.3f ms forward+backward (%.0f samples/s training, %.0f inference)",
                                batch, iterations, f, f + b, Double(batch) / ((f + b) / 1000), Double(batch) / (f / 1000)))
            return lines.joined(separator: "\n")
        }
    }

    /// Times `iterations` forward+backward passes (after `warmup` untimed ones) of the recipe's
    /// model on a random batch of `batchSize` (the recipe's batch size when nil).
    public static func run(recipe: Recipe, gemm: GEMM, batchSize: Int?, iterations: Int, warmup: Int = 2) throws -> Report {
        let seed = UInt64(recipe.config.seed)
        var rng = RNG(seed: seed, stream: "init")
        let model = try Model(spec: recipe.spec, rng: &rng)
        let batch = batchSize ?? recipe.config.training.batchSize ?? 32
        guard let loss = Losses.make(recipe.config.loss) else { throw LayerError("unknown loss \(recipe.config.loss)") }
        var data = RNG(seed: seed, stream: "time")
        let width = model.outputShape.reduce(1, *)
        let x = Tensor(shape: [batch] + model.inputShape, values: (0..<(batch * model.inputShape.reduce(1, *))).map { _ in Float(data.nextDouble()) })
        let target = Tensor(zeros: loss.targetEncoding == .indices ? [batch] : [batch, width])
        for n in 0..<batch {
            let label = data.below(max(width, 2))
            if loss.targetEncoding == .indices { target[n] = Double(label) } else { target[width == 1 ? n : n * width + label] = width == 1 ? Double(label) : 1 }
        }
        let activated = model.outputLayer as? any ActivatedLayer
        let fused = activated != nil && activated?.activation == loss.fusedActivation
        let gradient = Tensor(zeros: [0])
        let profile = LayerProfile(layers: model.nodes.count)
        for i in 0..<(warmup + iterations) {
            var context = LayerContext(mode: .training, rng: RNG(seed: seed, stream: "dropout", index: UInt64(i)), gemm: gemm)
            model.zeroGradients()
            let p = i < warmup ? nil : profile
            let y = model.forward(x, &context, profile: p)
            gradient.reshape(y.shape)
            if fused, let logits = activated?.logits {
                loss.gradient(logits: logits, target: target, into: gradient)
            } else {
                loss.gradient(output: y, target: target, into: gradient)
            }
            model.backward(gradient, logits: fused, &context, profile: p)
        }
        let scale = 1000 / Double(max(iterations, 1))
        return Report(names: model.nodes.map { "\($0.layer.name) (\(displayName($0.layer.typeName)))" },
                      forward: profile.forward.map { $0 * scale }, backward: profile.backward.map { $0 * scale },
                      batch: batch, iterations: iterations)
    }
}
