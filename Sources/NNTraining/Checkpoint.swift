import NNCheckpoint
import NNModel
import NNTensor

/// A problem with a run folder or its checkpoint files: one line naming the file (and the tensor).
public struct CheckpointError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The two safetensors files of a checkpoint:
/// - `weights.safetensors`: every parameter and buffer under its key `layer.param`
///   (`conv2d.kernel`, `batch_normalization.moving_mean`), in layer order;
/// - `optimizer.safetensors`: each slot variable under `layer.param.slot` (`dense.kernel.m`,
///   `dense.kernel.v` for Adam, `.momentum` for SGD, `.rms` and `.momentum` for RMSprop), with the
///   optimizer's name and iteration count in `__metadata__`.
public enum Checkpoint {
    public static let weightsFile = "weights.safetensors"
    public static let optimizerFile = "optimizer.safetensors"

    public static func weights(of model: Model) -> [UInt8] {
        SafeTensorsArchive.encode(model.namedParameters.map { ($0.key, $0.parameter.value) },
                                  metadata: [("format", "nnrun"), ("nnrun_version", nnrunVersion)])
    }

    public static func optimizerState(_ optimizer: any Optimizer, of model: Model) -> [UInt8] {
        let keys = model.parameterKeys
        var tensors: [(name: String, tensor: Tensor)] = []
        for (index, key) in keys.enumerated() {
            for slot in optimizer.slots where index < slot.tensors.count {
                if let t = slot.tensors[index] { tensors.append(("\(key).\(slot.name)", t)) }
            }
        }
        return SafeTensorsArchive.encode(tensors, metadata: [("optimizer", optimizer.name), ("iterations", String(optimizer.iterations))])
    }

    /// How each layer's weights came out of `load`.
    public enum LayerOutcome: String, Sendable {
        case loaded, new
        case reinitialized = "re-initialised"
    }

    /// Copies the tensors of `archive` into `model` by key. With `expectAll`, every parameter and
    /// buffer of the model must be in the archive with its shape, and the archive must hold
    /// nothing else (a checkpoint of this very architecture). Without, a layer whose tensors are
    /// all present with the right shapes is loaded, one with a missing tensor is new, one with a
    /// different shape keeps its fresh initial values (re-initialised). Layers not in `only` (when
    /// given) are new without looking. Values must be finite.
    /// Returns each layer's outcome, in layer order; throws naming the file and the tensor.
    @discardableResult
    public static func load(_ archive: SafeTensorsArchive, into model: Model, expectAll: Bool, only: Set<String>? = nil) throws -> [(layer: String, outcome: LayerOutcome, detail: String)] {
        let entries = Dictionary(archive.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let known = Set(model.namedParameters.map(\.key))
        if expectAll, let extra = archive.entries.first(where: { !known.contains($0.name) }) {
            throw CheckpointError(archive.file, "tensor \"\(extra.name)\" is not a parameter of this model (a checkpoint of another architecture?)")
        }
        var report: [(String, LayerOutcome, String)] = []
        for node in model.nodes {
            let layer = node.layer
            let tensors = layer.parameters + layer.buffers
            guard !tensors.isEmpty else { continue }
            if let only, !only.contains(layer.name) {
                report.append((layer.name, .new, ""))
                continue
            }
            var outcome = LayerOutcome.loaded, detail = ""
            for p in tensors {
                let key = "\(layer.name).\(p.name)"
                guard let e = entries[key] else {
                    if expectAll { throw CheckpointError(archive.file, "tensor \"\(key)\" is missing (a checkpoint of another architecture?)") }
                    outcome = .new
                    break
                }
                guard e.dtype == "F32" || e.dtype == "F64" else {
                    throw CheckpointError(archive.file, "tensor \"\(key)\": dtype \(e.dtype), expected F32")
                }
                if e.shape != p.value.shape {
                    if expectAll {
                        throw CheckpointError(archive.file, "tensor \"\(key)\": shape \(e.shape), but the model's is \(p.value.shape) (a checkpoint of another architecture?)")
                    }
                    outcome = .reinitialized
                    detail = "\(p.name) \(e.shape) in the checkpoint, \(p.value.shape) here"
                    break
                }
            }
            if outcome == .loaded {
                for p in tensors {
                    let key = "\(layer.name).\(p.name)"
                    guard let e = entries[key] else { continue }
                    archive.copy(e, into: p.value)
                    if let bad = Ops.firstNonFinite(p.value) {
                        throw CheckpointError(archive.file, "tensor \"\(key)\": value \(p.value[bad]) at index \(bad) is not finite")
                    }
                }
            }
            report.append((layer.name, outcome, detail))
        }
        return report
    }

    /// Restores the optimizer's slots and iteration count from `archive` (written by
    /// `optimizerState` for this model and optimizer).
    public static func restore(_ optimizer: any Optimizer, from archive: SafeTensorsArchive, model: Model) throws {
        let name = archive.metadata.first { $0.key == "optimizer" }?.value
        guard name == optimizer.name else {
            throw CheckpointError(archive.file, "holds the state of optimizer \(name ?? "(none)"), but the recipe uses \(optimizer.name)")
        }
        guard let text = archive.metadata.first(where: { $0.key == "iterations" })?.value, let iterations = Int(text), iterations >= 0 else {
            throw CheckpointError(archive.file, "__metadata__ has no valid \"iterations\"")
        }
        let parameters = model.parameters
        let index = Dictionary(model.parameterKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for e in archive.entries {
            guard let dot = e.name.lastIndex(of: "."), let i = index[String(e.name[..<dot])] else {
                throw CheckpointError(archive.file, "tensor \"\(e.name)\" belongs to no parameter of this model")
            }
            let p = parameters[i].value
            guard e.shape == p.shape, e.dtype == "F32" || e.dtype == "F64" else {
                throw CheckpointError(archive.file, "tensor \"\(e.name)\": \(e.dtype) \(e.shape), expected F32 \(p.shape)")
            }
            let t = Tensor(zeros: p.shape, dtype: p.dtype)
            archive.copy(e, into: t)
            if let bad = Ops.firstNonFinite(t) {
                throw CheckpointError(archive.file, "tensor \"\(e.name)\": value \(t[bad]) at index \(bad) is not finite")
            }
            guard optimizer.restoreSlot(String(e.name[e.name.index(after: dot)...]), index: i, t) else {
                throw CheckpointError(archive.file, "tensor \"\(e.name)\": \(optimizer.name) has no slot \"\(e.name[e.name.index(after: dot)...])\"")
            }
        }
        optimizer.iterations = iterations
    }
}
