import NNData
import NNLayers
import NNTensor

/// Copies rows of a dataset into reusable input and target tensors.
struct BatchAssembler {
    let inputShape: [Int]
    let outputWidth: Int
    let encoding: TargetEncoding
    /// `data.target: inputs`: the target of a sample is its features (an autoencoder).
    let targetIsInput: Bool
    let x: Tensor
    let target: Tensor

    init(inputShape: [Int], outputWidth: Int, encoding: TargetEncoding, targetIsInput: Bool = false, dtype: DType) {
        self.inputShape = inputShape
        self.outputWidth = outputWidth
        self.encoding = encoding
        self.targetIsInput = targetIsInput
        x = Tensor(zeros: [0] + inputShape, dtype: dtype)
        target = Tensor(zeros: [0], dtype: dtype)
    }

    /// Fills `x` with the features of `rows` and `target` with their labels: class indices
    /// ([batch]), one-hot rows ([batch, width]), or the 0/1 label itself for a one-unit output.
    /// With `targetIsInput`, `target` is a copy of `x` as [batch, width] (the output's width equals
    /// the features', `Recipe.checkOutput`), made before any augmentation of `x`.
    func load(_ data: Dataset, rows: ArraySlice<Int>) {
        let width = data.featureCount
        precondition(width == inputShape.reduce(1, *), "data rows of \(width) values for a model input of \(inputShape)")
        x.reshape([rows.count] + inputShape)
        switch x.dtype {
        case .float32:
            let p = x.f32
            data.features.withUnsafeBufferPointer { f in
                for (j, r) in rows.enumerated() {
                    guard let base = f.baseAddress else { continue }
                    (p + j * width).update(from: base + r * width, count: width)
                }
            }
        case .float64:
            for (j, r) in rows.enumerated() {
                for c in 0..<width { x[j * width + c] = Double(data.features[r * width + c]) }
            }
        }
        if targetIsInput {
            target.reshape([rows.count, outputWidth])
            target.copy(from: x)
            return
        }
        switch encoding {
        case .indices:
            target.reshape([rows.count])
            for (j, r) in rows.enumerated() { target[j] = Double(data.labels[r]) }
        case .oneHot where outputWidth == 1:
            target.reshape([rows.count, 1])
            for (j, r) in rows.enumerated() { target[j] = Double(data.labels[r]) }
        case .oneHot:
            target.reshape([rows.count, outputWidth])
            target.zero()
            for (j, r) in rows.enumerated() { target[j * outputWidth + data.labels[r]] = 1 }
        }
    }
}
