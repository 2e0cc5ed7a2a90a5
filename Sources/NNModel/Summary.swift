import Foundation
import NNLayers

/// Keras' `model.summary()` table, plus the activation memory per sample:
///
///     Model: "digits-mlp"
///     ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━┓
///     ┃ Layer (type)                ┃ Output Shape         ┃     Param # ┃ Trainable ┃
///     ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━┩
///     │ dense (Dense)               │ (None, 128)          │       8,320 │ Y         │
///     └─────────────────────────────┴──────────────────────┴─────────────┴───────────┘
///      Total params: 17,226 (67.29 KB)
///
/// A `Mode` column appears when some layer is frozen: the mode each layer runs in while the model
/// trains (`inference` for a frozen batch normalization, Keras' rule), and a `Connected to` column
/// when some layer does not simply take the previous one.
public func summary(of model: Model, name: String) -> String {
    let isGraph = model.nodes.enumerated().contains { i, n in n.inputs != [i - 1] }
    let hasFrozen = model.parameters.contains { !$0.isTrainable }
    var headers = ["Layer (type)", "Output Shape", "Param #", "Trainable"]
    if hasFrozen { headers.append("Mode") }
    if isGraph { headers.append("Connected to") }
    var rows: [[String]] = []
    for node in model.nodes {
        let l = node.layer
        let trainable = l.parameters.isEmpty ? "-" : (l.parameters.allSatisfy(\.isTrainable) ? "Y" : "N")
        let count = l.parameterCount + l.buffers.reduce(0) { $0 + $1.value.count }
        var row = ["\(l.name) (\(displayName(l.typeName)))", shapeText(node.outputShape), grouped(count), trainable]
        if hasFrozen {
            let frozenNormalization = l.typeName == "batch_normalization" && l.parameters.contains { !$0.isTrainable }
            row.append(frozenNormalization ? "inference" : "training")
        }
        if isGraph {
            row.append(node.inputs.map { $0 < 0 ? "input" : model.nodes[$0].layer.name }.joined(separator: ", "))
        }
        rows.append(row)
    }
    var widths = headers.map(\.count)
    for row in rows { for (j, cell) in row.enumerated() { widths[j] = max(widths[j], cell.count) } }
    widths = widths.map { $0 + 2 }
    let rightAligned: Set<Int> = [2]

    func cell(_ s: String, _ j: Int) -> String {
        let padding = String(repeating: " ", count: widths[j] - 1 - s.count)
        return rightAligned.contains(j) ? padding + s + " " : " " + s + padding
    }
    func line(_ l: String, _ fill: String, _ mid: String, _ r: String) -> String {
        l + widths.map { String(repeating: fill, count: $0) }.joined(separator: mid) + r
    }

    var out = ["Model: \"\(name)\""]
    out.append(line("┏", "━", "┳", "┓"))
    out.append("┃" + headers.enumerated().map { cell($1, $0) }.joined(separator: "┃") + "┃")
    out.append(line("┡", "━", "╇", "┩"))
    for (i, row) in rows.enumerated() {
        out.append("│" + row.enumerated().map { cell($1, $0) }.joined(separator: "│") + "│")
        if i < rows.count - 1 { out.append(line("├", "─", "┼", "┤")) }
    }
    out.append(line("└", "─", "┴", "┘"))

    let bytesPerValue = model.dtype.byteCount
    let total = model.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
    let trainable = model.parameters.filter(\.isTrainable).reduce(0) { $0 + $1.value.count }
    let activations = model.nodes.reduce(0) { $0 + $1.outputShape.reduce(1, *) }
    out.append(" Total params: \(grouped(total)) (\(byteText(total * bytesPerValue)))")
    out.append(" Trainable params: \(grouped(trainable)) (\(byteText(trainable * bytesPerValue)))")
    out.append(" Non-trainable params: \(grouped(total - trainable)) (\(byteText((total - trainable) * bytesPerValue)))")
    out.append(" Activation memory: \(byteText(activations * bytesPerValue)) per sample (layer outputs, forward pass)")
    return out.joined(separator: "\n")
}

/// Keras' class name for a YAML type: `dense` → `Dense`, `leaky_relu` → `LeakyReLU`,
/// `max_pool2d` → `MaxPool2D`.
public func displayName(_ type: String) -> String {
    let special = ["relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "softmax": "Softmax"]
    if let s = special[type] { return s }
    let camel = type.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    return camel.replacingOccurrences(of: "2d", with: "2D")
}

/// 17226 → "17,226".
public func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

/// Keras' byte sizes: "67.29 KB", "0.00 B" (1 KB = 1024 B).
public func byteText(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(bytes)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    let hundredths = Int((v * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac) \(units[u])"
}
