import NNLayers

extension Model {
    /// The weight penalties of every regularised layer (`Regularized`), summed: the term Keras adds
    /// to the training loss of each batch. 0 for a model without regularisers.
    public func regularizationLoss() -> Double {
        nodes.reduce(0) { sum, node in sum + ((node.layer as? any Regularized)?.regularizationLoss() ?? 0) }
    }

    /// Adds the penalties' gradients into the parameters' gradients (after `backward`, before the
    /// optimizer step).
    public func addRegularizationGradients() {
        for node in nodes { (node.layer as? any Regularized)?.addRegularizationGradients() }
    }

    /// Whether any layer carries a regulariser.
    public var hasRegularization: Bool {
        nodes.contains { node in
            guard let r = node.layer as? any Regularized else { return false }
            return r.kernelRegularizer != nil || r.biasRegularizer != nil
        }
    }
}
