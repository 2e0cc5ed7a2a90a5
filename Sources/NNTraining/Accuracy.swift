import NNTensor

/// Predicted classes: the argmax of each row, or score ≥ 0.5 for a one-unit output.
func predictedClasses(_ scores: Tensor, width: Int) -> [Int] {
    if width == 1 { return (0..<scores.count).map { scores[$0] >= 0.5 ? 1 : 0 } }
    return Ops.argmaxRows(scores, n: width)
}
