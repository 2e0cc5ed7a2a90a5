import NNConfig

/// Turning the rows of a `CSVReader` into a `Dataset`.
extension CSVReader {
    /// Every data row as one sample: column `labelColumn` is the label, every other column a
    /// feature (in file order), which must be a finite number.
    ///
    /// Labels become class indices by `LabelEncoding.classes`: when every distinct label is a
    /// number they are ordered numerically (`2` before `10`), otherwise as strings; the names go to
    /// `labelNames`. The feature shape is `[columns - 1]`.
    ///
    /// Throws `CSVError` (`file:line:column: column "name": received "x", expected ...`) for the
    /// first bad cell, and when there are no feature columns or no data rows.
    public func dataset(labelColumn: Int) throws -> Dataset {
        guard header.indices.contains(labelColumn) else {
            throw CSVError(location: headerLocation, message: "label column \(labelColumn + 1) does not exist; the header has \(header.count) columns")
        }
        guard header.count >= 2 else {
            throw CSVError(location: headerLocation, message: "the only column is the label \"\(header[labelColumn])\"; expected at least one feature column")
        }
        var features: [Float] = []
        var rawLabels: [Int] = []
        var distinct: [String] = []
        var idOf: [String: Int] = [:]
        try forEachRow { row in
            for i in 0..<header.count where i != labelColumn {
                features.append(try row.number(i))
            }
            let label = row.text(labelColumn)
            guard !label.isEmpty else { throw row.error(field: labelColumn, "received an empty cell, expected a class label") }
            if let id = idOf[label] {
                rawLabels.append(id)
            } else {
                idOf[label] = distinct.count
                rawLabels.append(distinct.count)
                distinct.append(label)
            }
        }
        guard !rawLabels.isEmpty else {
            throw CSVError(location: headerLocation, message: "no data rows after the header")
        }
        let encoding = LabelEncoding.classes(of: distinct)
        return Dataset(features: features, labels: rawLabels.map { encoding.indexOfDistinct[$0] },
                       featureShape: [header.count - 1], labelNames: encoding.names)
    }

    /// The features of every row without labels (for prediction on new data): every column except
    /// `excluding` (when given), which must be finite numbers. Returns the values row-major and the
    /// number of rows; the feature names are `header` without the excluded column.
    public func features(excluding: Int? = nil) throws -> (values: [Float], count: Int) {
        var values: [Float] = []
        var count = 0
        try forEachRow { row in
            for i in 0..<header.count where i != excluding {
                values.append(try row.number(i))
            }
            count += 1
        }
        return (values, count)
    }

    var headerLocation: SourceLocation { SourceLocation(file: file, line: bodyLine - 1, column: 1) }
}

/// How label texts become class indices.
public enum LabelEncoding {
    /// Orders the distinct label texts of a file into classes.
    ///
    /// - When every text is a finite number (`Double` syntax), classes are the distinct numeric
    ///   values in increasing order, so `"1"` and `"1.0"` are one class; a class is named by
    ///   `numericName` (`"1"`, `"2.5"`).
    /// - Otherwise classes are the distinct texts in increasing `String` order (`setosa`,
    ///   `versicolor`, `virginica`), named by themselves.
    ///
    /// Returns the class names and, for each input text, its class index.
    public static func classes(of distinct: [String]) -> (names: [String], indexOfDistinct: [Int]) {
        let numbers = distinct.map { Double($0) }
        if numbers.allSatisfy({ $0?.isFinite == true }) {
            let values = numbers.compactMap { $0 }
            let sorted = Array(Set(values)).sorted()
            var index: [Double: Int] = [:]
            for (i, v) in sorted.enumerated() { index[v] = i }
            return (sorted.map(numericName), values.map { index[$0] ?? 0 })
        }
        let sorted = Array(Set(distinct)).sorted()
        var index: [String: Int] = [:]
        for (i, s) in sorted.enumerated() { index[s] = i }
        return (sorted, distinct.map { index[$0] ?? 0 })
    }

    /// The name of a numeric class: a whole number without a decimal point (`3`, `-1`), anything
    /// else in Swift's shortest round-trip form (`2.5`, `1e-05`). `-0` is named `0`.
    public static func numericName(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }

    /// Whether `written` (a `classes:` entry of a config) names the class `name`: equal texts, or
    /// both finite numbers of equal value (`1.0` names class `1`).
    public static func matches(_ written: String, _ name: String) -> Bool {
        if written == name { return true }
        guard let a = Double(written), let b = Double(name), a.isFinite, b.isFinite else { return false }
        return a == b
    }
}
