import NNConfig

/// Maps the YAML type name of a layer (`dense`, `dropout`, ...) to the code that decodes its
/// options and makes it. A value, not a global: a model is built with the registry it is given,
/// and every type it can name is compiled in (nothing in a config or checkpoint selects code
/// outside this table).
public struct LayerRegistry: Sendable {
    /// Makes a layer named `name` of YAML type `type` from its options; decoding problems go to the
    /// reader's diagnostics (the layer is still returned, with defaults, so checking can go on).
    public typealias Factory = @Sendable (_ name: String, _ type: String, _ options: MappingReader) -> any Layer

    private var factories: [String: Factory] = [:]

    public init() {}

    public mutating func register(_ type: String, _ factory: @escaping Factory) {
        factories[type] = factory
    }

    public var typeNames: [String] { factories.keys.sorted() }

    public func makeLayer(type: String, name: String, options: MappingReader) -> (any Layer)? {
        factories[type].map { $0(name, type, options) }
    }

    /// Every layer nnrun ships.
    public static let builtIn: LayerRegistry = {
        var r = LayerRegistry()
        r.register("dense") { name, _, o in Dense(name: name, config: Dense.Config(o)) }
        r.register("dropout") { name, _, o in Dropout(name: name, o) }
        r.register("flatten") { name, _, o in Flatten(name: name, o) }
        for type in ActivationLayer.typeNames {
            r.register(type) { name, type, o in ActivationLayer(name: name, typeName: type, o) }
        }
        return r
    }()
}
