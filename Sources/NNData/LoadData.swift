import NNConfig

/// Loads, filters, shapes, splits and scales the data a `data:` section describes.
///
/// 1. the source: the embedded digits, a CSV file, or a pair of IDX files (a relative path is looked
///    up in the current directory, then in `baseDirectory`, the folder of the configuration file);
/// 2. `classes`: keep only those labels, re-indexed in the listed order; `shape`: the per-sample shape;
/// 3. `split` (see `splitRows`), seeded by `seed`;
/// 4. scaling: `x <- scale * x`, then with `standardize` `(x - mean_j) / std_j` with statistics fitted
///    on the training split only and applied to all three (`InputScaling`).
///
/// Throws `ConfigErrors` for problems a configuration caused, each pointing at the YAML node (a
/// missing label column, a class or shape that does not fit the data, a split that leaves a split
/// or a class's training rows empty, a data file that cannot be read); `CSVError` for a malformed
/// CSV (`file:line:column`); `IDXError` for an invalid IDX file.
public func loadData(_ config: DataConfig, seed: UInt64, baseDirectory: String?) throws
    -> (splits: DataSplits, scaling: InputScaling)
{
    let dataset = try loadDataset(config, baseDirectory: baseDirectory)
    let splits = try makeSplits(dataset, config: config, seed: seed)
    return applyScaling(splits, config: config)
}

/// Steps 1 and 2 of `loadData`: the whole data set after `classes` and `shape`, unscaled and unsplit
/// (what `evaluate` re-splits with the rows of `split.json`, and what `embed` projects).
public func loadDataset(_ config: DataConfig, baseDirectory: String?) throws -> Dataset {
    let origin = config.origin
    let diagnostics = Diagnostics()
    var dataset: Dataset
    switch config.source {
    case .digits:
        dataset = Dataset.digits()
    case .csv(let path, let label):
        let reader: CSVReader
        do {
            reader = try CSVReader.open(path, baseDirectory: baseDirectory)
        } catch let error as DataFileError {
            // A file the recipe names that is not there is a mistake in the recipe: point at it.
            throw ConfigErrors([origin.error(origin.csvPath ?? origin.source, "source.csv.path",
                                             "cannot read data file \"\(path)\": \(error.reason)")])
        }
        guard let column = reader.columnIndex(label) else {
            let columns = reader.header.map { "\"\($0)\"" }.joined(separator: ", ")
            let written = origin.label != nil
            let hint = written ? "" : " (the default label column; set label: to choose another)"
            throw ConfigErrors([origin.error(
                origin.label ?? origin.csvPath ?? origin.source, written ? "source.csv.label" : "source.csv",
                "\(reader.file) has no column \"\(label)\"\(hint); its columns are: \(columns)",
                suggestion: didYouMean(label, among: reader.header))])
        }
        dataset = try reader.dataset(labelColumn: column)
    case .idx(let images, let labels):
        dataset = try loadIDXDataset(images: images, labels: labels, origin: origin, baseDirectory: baseDirectory)
    }

    if let classes = config.classes {
        dataset = filterClasses(dataset, classes, origin: origin, diagnostics: diagnostics) ?? dataset
    }
    if let shape = config.shape {
        if let reshaped = dataset.reshaped(shape) {
            dataset = reshaped
        } else {
            let values = shape.reduce(1, *)
            diagnostics.report(origin.error(origin.shape, "shape",
                "received [\(shape.map(String.init).joined(separator: ", "))] (\(values) values per sample), but the data has \(dataset.featureCount) features per sample"))
        }
    }
    try diagnostics.throwIfAny()
    return dataset
}

/// Step 3 of `loadData`: splits `dataset` by `config.split` and checks that the result is usable:
/// no split may be empty and every class needs at least one training row (a `ConfigError` at
/// `split:` otherwise, naming the counts).
public func makeSplits(_ dataset: Dataset, config: DataConfig, seed: UInt64) throws -> DataSplits {
    let origin = config.origin
    let rows = splitRows(labels: dataset.labels, classCount: dataset.classCount, split: config.split, seed: seed)
    let sizes = "\(rows.train.count) train / \(rows.validation.count) validation / \(rows.test.count) test"
    var errors: [ConfigError] = []
    let empty = [("train", rows.train), ("validation", rows.validation), ("test", rows.test)].filter { $0.1.isEmpty }.map(\.0)
    if !empty.isEmpty {
        errors.append(origin.error(origin.split, "split",
            "splitting \(dataset.count) rows gives \(sizes): the \(empty.joined(separator: " and ")) split\(empty.count > 1 ? "s are" : " is") empty; use smaller fractions or more data"))
    }
    let trainCounts = dataset.subset(rows.train).classCounts
    let starved = trainCounts.indices.filter { trainCounts[$0] == 0 && !rows.train.isEmpty }
    if !starved.isEmpty {
        let names = starved.prefix(10).map { "\"\(dataset.labelNames[$0])\"" }.joined(separator: ", ")
        errors.append(origin.error(origin.split, "split",
            "splitting gives \(sizes), and \(starved.count > 1 ? "classes" : "class") \(names)\(starved.count > 10 ? ", ..." : "") \(starved.count > 1 ? "get" : "gets") no training rows; use stratify: true, smaller fractions, or more data"))
    }
    if !errors.isEmpty { throw ConfigErrors(errors) }
    return DataSplits(dataset: dataset, trainRows: rows.train, validationRows: rows.validation, testRows: rows.test)
}

/// Step 4 of `loadData`: fits the input scaling on the training split (when `standardize`) and
/// applies it to all three splits.
public func applyScaling(_ splits: DataSplits, config: DataConfig) -> (splits: DataSplits, scaling: InputScaling) {
    let n = splits.train.featureCount
    let scaling = config.standardize
        ? InputScaling.fit(features: splits.train.features, featureCount: n, scale: config.scale)
        : InputScaling(scale: config.scale)
    var out = splits
    scaling.apply(to: &out.train.features, featureCount: n)
    scaling.apply(to: &out.validation.features, featureCount: n)
    scaling.apply(to: &out.test.features, featureCount: n)
    return (out, scaling)
}

/// Keeps the rows whose class is listed in `classes` (matched by `LabelEncoding.matches`), with
/// class indices renumbered in the listed order and `labelNames` the matched names. Reports each
/// entry that names no class of the data (with a did-you-mean) and returns nil then.
func filterClasses(_ dataset: Dataset, _ classes: [String], origin: DataConfig.Origin, diagnostics: Diagnostics) -> Dataset? {
    let names = dataset.labelNames
    var newIndex = [Int](repeating: -1, count: names.count)
    var kept: [String] = []
    var ok = true
    for (i, written) in classes.enumerated() {
        guard let c = names.firstIndex(where: { LabelEncoding.matches(written, $0) }) else {
            let shown = names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", ..." : "")
            let location = i < origin.classEntries.count ? origin.classEntries[i] : origin.classes
            diagnostics.report(origin.error(location ?? origin.classes, "classes[\(i)]",
                "class \"\(written)\" is not in the data; its classes are: \(shown)",
                suggestion: didYouMean(written, among: names)))
            ok = false
            continue
        }
        newIndex[c] = kept.count
        kept.append(names[c])
    }
    guard ok else { return nil }
    let rows = dataset.labels.indices.filter { newIndex[dataset.labels[$0]] >= 0 }
    var filtered = dataset.subset(rows)
    filtered.labels = filtered.labels.map { newIndex[$0] }
    filtered.labelNames = kept
    return filtered
}
