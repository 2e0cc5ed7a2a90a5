import NNConfig
import NNData
import NNLayers
import NNModel

/// Checks between a recipe's model and its data (`fit` before training, `check` when the data can
/// be read): config errors at the model's lines.
extension Recipe {
    /// The input must hold one sample of `data`; the output one unit per class (or, for an
    /// autoencoder, one value per input value).
    public func checkData(_ model: Model, _ data: Dataset) throws {
        try checkInput(model, features: data.featureCount, shape: data.featureShape)
        if config.data.target == .inputs {
            try checkReconstruction(model, features: data.featureCount)
        } else {
            try checkOutput(model, classes: data.labelNames.count, loss: config.loss)
        }
    }

    /// With `data.target: inputs` the output must hold as many values as a sample (any shape).
    func checkReconstruction(_ model: Model, features: Int) throws {
        let width = model.outputShape.reduce(1, *)
        guard width != features else { return }
        let last = spec.layers[spec.layers.count - 1]
        throw ConfigErrors([ConfigError(location: last.node.location, path: last.path,
            message: "the output layer has \(width) value\(width == 1 ? "" : "s") (\(model.outputShape)) but data.target: inputs reconstructs "
                + "samples of \(features) values; use units: \(features) (or an output of shape \(model.inputShape))")])
    }

    /// The model's input must hold exactly one sample of the data.
    /// The model's input shape must be the data's sample shape (no silent reinterpretation: flat
    /// rows become images only through `data.shape`).
    func checkInput(_ model: Model, features: Int, shape: [Int]) throws {
        guard model.inputShape != shape else { return }
        let node = config.model["input"] ?? config.model
        let hint = model.inputShape.reduce(1, *) == features
            ? "set data.shape: \(model.inputShape) to read the data that way, or use input: \(shape)"
            : "use input: \(shape)"
        throw ConfigErrors([ConfigError(location: node.location, path: "model.input",
            message: "received \(model.inputShape), but each sample of the data has shape \(shape) (\(features) values); \(hint)")])
    }

    /// The output layer must have one unit per class (or one unit for two classes).
    func checkOutput(_ model: Model, classes: Int, loss: String) throws {
        let width = model.outputShape.reduce(1, *)
        let binary = width == 1 && classes == 2
        guard width == classes || binary else {
            let last = spec.layers[spec.layers.count - 1]
            throw ConfigErrors([ConfigError(location: last.node.location, path: last.path,
                message: "the output layer has \(width) unit\(width == 1 ? "" : "s") but the data has \(classes) classes; use units: \(classes)")])
        }
        if width == 1, (model.outputLayer as? any ActivatedLayer)?.activation == .softmax {
            let last = spec.layers[spec.layers.count - 1]
            throw ConfigErrors([ConfigError(location: last.node.location, path: last.path,
                message: "softmax over one unit is always 1; for two classes with one unit use activation: sigmoid")])
        }
        if width == 1 && loss.contains("categorical") {
            let last = spec.layers[spec.layers.count - 1]
            throw ConfigErrors([ConfigError(location: last.node.location, path: last.path,
                message: "\(loss) needs one output unit per class; for two classes with one sigmoid unit use binary_crossentropy")])
        }
    }
}
