import NNConfig

/// Maps the YAML type name of a layer (`dense`, `dropout`, ...) to the code that decodes its
/// options and makes it. A value, not a global: a model is built with the registry it is given,
/// and every type it can name is compiled in (nothing in a config or checkpoint selects code
/// outside this table).
public struct LayerRegistry: Sendable {
    /// Decodes the options of a layer of YAML type `type`; problems go to the reader's diagnostics
    /// (a config is still returned, with defaults, so checking can go on).
    public typealias Factory = @Sendable (_ type: String, _ options: MappingReader) -> any LayerConfig

    private var factories: [String: Factory] = [:]

    public init() {}

    public mutating func register(_ type: String, _ factory: @escaping Factory) {
        factories[type] = factory
    }

    public var typeNames: [String] { factories.keys.sorted() }

    public func decodeConfig(type: String, options: MappingReader) -> (any LayerConfig)? {
        factories[type].map { $0(type, options) }
    }

    /// Every layer nnrun ships.
    public static let builtIn: LayerRegistry = {
        var r = LayerRegistry()
        r.register("dense") { _, o in Dense.Config(o) }
        r.register("dropout") { _, o in Dropout.Config(o) }
        r.register("spatial_dropout2d") { _, o in SpatialDropout2D.Config(o) }
        r.register("flatten") { _, o in Flatten.Config(o) }
        r.register("conv2d") { _, o in Conv2D.Config(o) }
        r.register("conv2d_transpose") { _, o in Conv2DTranspose.Config(o) }
        r.register("max_pool2d") { _, o in MaxPool2D.Config(o) }
        r.register("average_pool2d") { _, o in AveragePool2D.Config(o) }
        r.register("global_average_pool2d") { _, o in GlobalAveragePool2D.Config(o) }
        r.register("reshape") { _, o in Reshape.Config(o) }
        r.register("zero_padding2d") { _, o in ZeroPadding2D.Config(o) }
        r.register("up_sampling2d") { _, o in UpSampling2D.Config(o) }
        r.register("batch_normalization") { _, o in BatchNormalization.Config(o) }
        r.register("add") { _, o in Add.Config(o) }
        r.register("concatenate") { _, o in Concatenate.Config(o) }
        for type in ActivationLayer.typeNames {
            r.register(type) { type, o in ActivationLayer.Config(typeName: type, o) }
        }
        return r
    }()
}
