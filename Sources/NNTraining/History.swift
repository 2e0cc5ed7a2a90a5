/// What each epoch produced, in order: Keras' `History`, one row per epoch with the training
/// metrics (`loss`, `accuracy`) and the validation ones (`val_loss`, `val_accuracy`).
public struct History: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var value: Double
    }

    public private(set) var epochs: [[Entry]] = []

    public init() {}

    public mutating func append(_ logs: [(String, Double)]) {
        epochs.append(logs.map { Entry(name: $0.0, value: $0.1) })
    }

    /// Column names: sorted, as Keras' CSVLogger writes them.
    public var keys: [String] { Array(Set(epochs.flatMap { $0.map(\.name) })).sorted() }

    public func values(of key: String) -> [Double] {
        epochs.compactMap { $0.first { $0.name == key }?.value }
    }

    /// `history.csv`: a header `epoch,accuracy,loss,val_accuracy,val_loss`, then one row per epoch.
    /// Epochs are numbered from 1, as the progress lines print them (Keras' CSVLogger counts from 0).
    /// Values are written in the shortest form that reads back bit for bit (`nan`, `inf` when not finite).
    public func csv() -> String {
        let keys = keys
        var lines = [(["epoch"] + keys).joined(separator: ",")]
        for (i, row) in epochs.enumerated() {
            let cells = keys.map { k in row.first { $0.name == k }.map { Self.exact($0.value) } ?? "" }
            lines.append(([String(i + 1)] + cells).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Shortest decimal text that reads back as the same Double.
    static func exact(_ v: Double) -> String { v.isNaN ? "nan" : "\(v)" }
}
