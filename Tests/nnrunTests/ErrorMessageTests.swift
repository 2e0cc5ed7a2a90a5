import Foundation
import Testing

/// One class of bad input: the files written into the sandbox (besides configs/ and models/ of the
/// package), the command, and the exact stderr lines expected. A line ending in "…" is matched as
/// a prefix: used where the rest of the message is not settled (reported as wanting).
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String] = [:]
    /// Files given as bytes (invalid UTF-8).
    var rawFiles: [String: [UInt8]] = [:]
    var args: [String]
    var stderr: [String]
    var status: Int32 = 2

    var testDescription: String { name }

    /// A recipe `configs/bad.yaml` with `text`, checked with `nnrun check`.
    static func recipe(_ name: String, _ text: String, _ stderr: [String]) -> BadInput {
        BadInput(name: name, files: ["configs/bad.yaml": text], args: ["check", "configs/bad.yaml"], stderr: stderr)
    }

    /// The shipped recipe with `--set` overrides.
    static func override(_ name: String, _ overrides: [String], _ stderr: [String]) -> BadInput {
        BadInput(name: name, args: ["check", "configs/mlp.yaml"] + overrides.flatMap { ["--set", $0] }, stderr: stderr)
    }
}

/// Checks `result` against `expected` lines (exact, or prefix for lines ending in "…").
func expectLines(_ result: CLIResult, _ expected: [String], status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
    let lines = result.errorLines
    #expect(lines.count == expected.count, "\(result)", sourceLocation: sourceLocation)
    for (line, want) in zip(lines, expected) {
        if want.hasSuffix("…") {
            #expect(line.hasPrefix(String(want.dropLast())), "\(line)", sourceLocation: sourceLocation)
        } else {
            #expect(line == want, sourceLocation: sourceLocation)
        }
    }
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
}

let layerTypes = "activation, add, average_pool2d, batch_normalization, concatenate, conv2d, conv2d_transpose, dense, dropout, flatten, global_average_pool2d, heaviside, leaky_relu, linear, max_pool2d, relu, reshape, sigmoid, softmax, spatial_dropout2d, tanh, up_sampling2d, zero_padding2d"
let denseKeys = "activation, bias_initializer, bias_regularizer, inputs, kernel_initializer, kernel_regularizer, name, units, use_bias"
let topLevelKeys = "data, finetune, loss, metrics, model, name, optimizer, output, seed, training"
/// The keys `--set` finds at the top of the resolved recipe (finetune only in fine-tuning recipes).
let resolvedTopLevelKeys = "data, loss, metrics, model, name, optimizer, output, seed, training"
let activations = "linear, relu, sigmoid, tanh, softmax, leaky_relu, heaviside"
let losses = "mean_squared_error, categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy"

/// Every class of bad input of the issue, with its exact message.
let badInputs: [BadInput] = [
    // Unknown keys and names, each with "did you mean".
    .recipe("unknown top-level key", """
        name: typo
        model: models/mlp.yaml
        loss: categorical_crossentropy
        trainig: {epochs: 3}
        """, [#"configs/bad.yaml:4:1: trainig: unknown key "trainig"; expected one of: \#(topLevelKeys) (did you mean "training"?)"#]),
    .recipe("unknown layer type", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 32, activation: relu}
            - dropot: {rate: 0.5}
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        """, [#"configs/bad.yaml:6:7: model.layers[1]: unknown layer type "dropot"; expected one of: \#(layerTypes) (did you mean "dropout"?)"#]),
    .recipe("unknown layer option", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 10, activation: softmax, unitz: 3}
        loss: categorical_crossentropy
        """, [#"configs/bad.yaml:5:47: model.layers[0].dense.unitz: unknown key "unitz"; expected one of: \#(denseKeys) (did you mean "units"?)"#]),
    .recipe("unknown activation", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 10, activation: sofmax}
        loss: categorical_crossentropy
        """, [#"configs/bad.yaml:5:38: model.layers[0].dense.activation: received sofmax, expected one of: \#(activations) (did you mean "softmax"?)"#]),
    .recipe("unknown optimizer", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        optimizer: {adan: {learning_rate: 0.001}}
        """, [#"configs/bad.yaml:4:13: optimizer: unknown optimizer "adan"; expected one of: sgd, adam, adamw, rmsprop, perceptron (did you mean "adam"?)"#]),
    .recipe("unknown loss", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropie
        """, [#"configs/bad.yaml:3:7: loss: received categorical_crossentropie, expected one of: \#(losses) (did you mean "categorical_crossentropy"?)"#]),
    .recipe("unknown data source", """
        name: bad
        data: {source: digitz}
        model: models/mlp.yaml
        loss: categorical_crossentropy
        """, [#"configs/bad.yaml:2:16: data.source: unknown data source "digitz"; expected one of: digits, csv, idx (did you mean "digits"?)"#]),

    // Wrong types and out-of-range values.
    BadInput(name: "wrong type in the model file", files: [
        "configs/bad.yaml": "name: bad\nmodel: models/bad.yaml\nloss: categorical_crossentropy\n",
        "models/bad.yaml": """
            input: [64]
            layers:
              - dense: {units: ten, activation: relu}
              - dense: {units: 10, activation: softmax}
            """,
    ], args: ["check", "configs/bad.yaml"], stderr: [
        "models/bad.yaml:3:20: model.layers[0].dense.units: received ten, expected a whole number from 1 to 1000000",
    ]),
    .recipe("epochs 0", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        training:
          epochs: 0
        """, ["configs/bad.yaml:5:11: training.epochs: received 0, expected a whole number from 1 to 1000000"]),
    .recipe("dropout rate 1.5", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 32, activation: relu}
            - dropout: {rate: 1.5}
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        """, ["configs/bad.yaml:6:23: model.layers[1].dropout.rate: received 1.5, expected a number…"]),
    .recipe("negative learning rate", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        optimizer:
          adam: {learning_rate: -0.001}
        """, ["configs/bad.yaml:5:25: optimizer.adam.learning_rate: received -0.001, expected a number > 0"]),
    .recipe("quoted number", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        training: {epochs: "5", shuffle: yes}
        """, [
            #"configs/bad.yaml:4:20: training.epochs: received "5", expected a whole number from 1 to 1000000"#,
            "configs/bad.yaml:4:34: training.shuffle: received yes, expected true or false",
            "2 errors",
        ]),

    // Missing required keys.
    .recipe("missing model", "name: bad\nloss: categorical_crossentropy\n",
            [#"configs/bad.yaml:1:1: model: missing required key "model""#]),
    .recipe("missing units", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {activation: softmax}
        loss: categorical_crossentropy
        """, [#"configs/bad.yaml:5:14: model.layers[0].dense.units: missing required key "units""#]),
    .recipe("no layers", """
        name: bad
        model:
          input: [64]
          layers: []
        loss: categorical_crossentropy
        """, ["configs/bad.yaml:4:11: model.layers: a model needs at least one layer"]),

    // All errors of a file in one pass.
    .recipe("four mistakes", """
        name: four
        seed: -1
        model:
          input: [64]
          layers:
            - dense: {units: 0, activation: relu}
            - dense: {units: 10, activation: sotfmax}
        loss: categorical_crossentropy
        trainig: {epochs: 5}
        """, [
            "configs/bad.yaml:2:7: seed: received -1, expected a whole number from 0 to 2147483647",
            "configs/bad.yaml:6:22: model.layers[0].dense.units: received 0, expected a whole number from 1 to 1000000",
            #"configs/bad.yaml:7:38: model.layers[1].dense.activation: received sotfmax, expected one of: \#(activations) (did you mean "softmax"?)"#,
            #"configs/bad.yaml:9:1: trainig: unknown key "trainig"; expected one of: \#(topLevelKeys) (did you mean "training"?)"#,
            "4 errors",
        ]),
    BadInput(name: "errors in the recipe and its model file together", files: [
        "configs/bad.yaml": "name: bad\nseeed: 1\nmodel: models/bad.yaml\nloss: categorical_crossentropy\n",
        "models/bad.yaml": "input: [64]\nlayers:\n  - dense: {units: 10, activaton: softmax}\n",
    ], args: ["check", "configs/bad.yaml"], stderr: [
        #"configs/bad.yaml:2:1: seeed: unknown key "seeed"; expected one of: \#(topLevelKeys) (did you mean "seed"?)"#,
        #"models/bad.yaml:3:24: model.layers[0].dense.activaton: unknown key "activaton"; expected one of: \#(denseKeys) (did you mean "activation"?)"#,
        "2 errors",
    ]),

    // Combinations that cannot train.
    .recipe("heaviside with adam", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 10, activation: heaviside}
        loss: categorical_crossentropy
        optimizer: {adam: {learning_rate: 0.01}}
        """, ["configs/bad.yaml:5:38: model.layers[0].dense.activation: heaviside is a step function: its derivative is zero almost everywhere, so adam cannot train through it. Use optimizer: perceptron (one dense layer with heaviside), or a differentiable activation such as sigmoid"]),
    .recipe("perceptron on a multi-layer model", """
        name: bad
        model:
          input: [64]
          layers:
            - dense: {units: 32, activation: relu}
            - dense: {units: 10, activation: heaviside}
        loss: categorical_crossentropy
        optimizer: perceptron
        """, ["configs/bad.yaml:8:12: optimizer: the perceptron rule trains exactly one dense layer with activation heaviside, as the model's last layer (flatten may come before it); this model has dense (relu), dense_1 (heaviside)"]),
    .recipe("dense after a 3-D input without flatten", """
        name: bad
        data: {source: digits, shape: [8, 8, 1]}
        model:
          input: [8, 8, 1]
          layers:
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        """, ["configs/bad.yaml:6:7: model.layers[0].dense: dense expects a flat input (one axis per sample), got shape (None, 8, 8, 1); add a flatten layer before it"]),

    // --set overrides.
    .override("--set unknown key", ["training.epohcs=5"],
              [#"--set training.epohcs=5: no key "epohcs" under "training"; expected one of: batch_size, callbacks, checkpoint_every, epochs, shuffle (did you mean "epochs"?)"#]),
    .override("--set unknown top-level key", ["sed=3"],
              [#"--set sed=3: no key "sed" at the top level; expected one of: \#(resolvedTopLevelKeys) (did you mean "seed"?)"#]),
    .override("--set unknown layer option", ["model.layers[0].dense.unit=3"],
              [#"--set model.layers[0].dense.unit=3: no key "unit" under "model.layers[0].dense"; expected one of: activation, bias_initializer, kernel_initializer, name, units, use_bias (did you mean "units"?)"#]),
    .override("--set wrong type", ["training.epochs=ten"],
              ["--set training.epochs=ten: training.epochs: received ten, expected a whole number from 1 to 1000000"]),
    .override("--set out of range", ["optimizer.adam.learning_rate=-1"],
              ["--set optimizer.adam.learning_rate=-1: optimizer.adam.learning_rate: received -1, expected a number > 0"]),
    .override("--set index out of range", ["model.layers[3].dense.units=5"],
              [#"--set model.layers[3].dense.units=5: index [3] is out of range for "model.layers": it has 3 items, [0] to [2]"#]),
    .override("--set without =", ["training.epochs"],
              ["--set training.epochs: expected path=value, such as training.epochs=5"]),
    .override("--set malformed path", ["training..epochs=5"],
              [#"--set training..epochs=5: malformed path "training..epochs"; write keys separated by dots and list indices in brackets, such as model.layers[2].dense.units"#]),
    .override("--set several problems", ["training.epohcs=5", "sed=3"], [
        #"--set training.epohcs=5: no key "epohcs" under "training"; expected one of: batch_size, callbacks, checkpoint_every, epochs, shuffle (did you mean "epochs"?)"#,
        #"--set sed=3: no key "sed" at the top level; expected one of: \#(resolvedTopLevelKeys) (did you mean "seed"?)"#,
        "2 errors",
    ]),
    BadInput(name: "--seed out of range", args: ["check", "configs/mlp.yaml", "--seed", "99999999999"],
             stderr: ["error: --seed 99999999999: expected a whole number from 0 to 2147483647 (see 'nnrun --help')"]),

    // Hostile YAML, refused before or while parsing.
    .recipe("anchor and alias", """
        name: &n bad
        output: *n
        model: models/mlp.yaml
        loss: categorical_crossentropy
        """, ["configs/bad.yaml:1:7: YAML anchors and aliases are not supported in nnrun configs; write the value out"]),
    .recipe("billion laughs", """
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        """, ["configs/bad.yaml:1:4: YAML anchors and aliases are not supported in nnrun configs; write the value out"]),
    .recipe("merge key", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        training:
          <<: {epochs: 3}
        """, ["configs/bad.yaml:5:3: YAML merge keys (<<) are not supported in nnrun configs; write the keys out"]),
    .recipe("file over 1 MiB", "name: big\n# " + String(repeating: "x", count: 1 << 20) + "\n",
            ["configs/bad.yaml: file is …"]),
    BadInput(name: "model file over 1 MiB", files: [
        "configs/bad.yaml": "name: bad\nmodel: models/big.yaml\nloss: categorical_crossentropy\n",
        "models/big.yaml": "input: [64]\n# " + String(repeating: "x", count: 1 << 20) + "\n",
    ], args: ["check", "configs/bad.yaml"], stderr: ["models/big.yaml: file is …"]),
    .recipe("nesting too deep", "name: deep\nx: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n",
            ["configs/bad.yaml:2:68: nesting is deeper than the limit of 64 levels for a config"]),
    .recipe("tab indentation", "name: bad\ndata:\n\tsource: digits\nmodel: models/mlp.yaml\nloss: categorical_crossentropy\n",
            ["configs/bad.yaml:3:1: YAML syntax error: found character that cannot start any token while scanning for the next token; tabs are not allowed for indentation, use spaces"]),
    .recipe("duplicate key", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        name: again
        """, [#"configs/bad.yaml:4:1: name: duplicate key "name" (first defined at line 1)"#]),
    .recipe("syntax error", """
        name: bad
        model: models/mlp.yaml
        loss: categorical_crossentropy
        training: {epochs: 5
        """, ["configs/bad.yaml:5:1: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping (started at line 4, column 11)"]),
    .recipe("two documents", "name: bad\nmodel: models/mlp.yaml\nloss: categorical_crossentropy\n---\nname: other\n",
            ["configs/bad.yaml:4:1: a config must be a single YAML document, but a second one starts here"]),
    BadInput(name: "not UTF-8", rawFiles: ["configs/bad.yaml": Array("name: b".utf8) + [0xFF] + Array("d\n".utf8)],
             args: ["check", "configs/bad.yaml"],
             stderr: ["configs/bad.yaml:1:8: not valid UTF-8 (byte 0xFF at offset 7); save the config as UTF-8"]),
    .recipe("control character", "name: b\u{7}d\nmodel: models/mlp.yaml\nloss: categorical_crossentropy\n",
            ["configs/bad.yaml:1:8: control character (U+0007) is not allowed in a config"]),
    .recipe("empty file", "", ["configs/bad.yaml: config is empty"]),
    .recipe("a list instead of a mapping", "- name: bad\n", ["configs/bad.yaml:1:1: received a list of 1, expected a mapping of keys to values"]),

    // Missing files.
    BadInput(name: "missing config file", args: ["check", "configs/nope.yaml"], stderr: ["configs/nope.yaml: no such file"]),
    BadInput(name: "config is a folder", args: ["check", "configs"], stderr: ["configs: is a directory, not a config file"]),
    .recipe("missing model file", "name: bad\nmodel: models/nope.yaml\nloss: categorical_crossentropy\n",
            [#"configs/bad.yaml:2:8: model: model file "models/nope.yaml" not found (looked for models/nope.yaml, configs/models/nope.yaml, configs/../models/nope.yaml)"#]),
]

@Suite struct ErrorMessageTests {
    /// `nnrun check` prints the exact lines and exits 2; `nnrun fit` and `nnrun summary` print the
    /// same and write nothing.
    @Test(arguments: badInputs)
    func badInputGivesItsOneLineErrors(_ input: BadInput) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        for (path, text) in input.files { try CLI.write(text, to: path, in: dir) }
        for (path, bytes) in input.rawFiles { try Data(bytes).write(to: dir.appendingPathComponent(path)) }
        let before = CLI.listing(dir)
        let check = try CLI.run(input.args, in: dir)
        expectLines(check, input.stderr, status: input.status)
        #expect(check.stdout == "")

        for verb in ["fit", "summary"] {
            let other = try CLI.run([verb] + input.args.dropFirst(), in: dir)
            #expect(other.status == check.status, "\(verb): \(other)")
            #expect(other.stderr == check.stderr, "\(verb)")
            #expect(other.stdout == "", "\(verb)")
        }
        #expect(CLI.listing(dir) == before, "a failed command left files behind")
    }

    @Test func theOutputLayerWidthIsCheckedAtFitTime() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write("""
            name: bad
            model:
              input: [64]
              layers:
                - dense: {units: 32, activation: relu}
                - dense: {units: 7, activation: softmax}
            loss: categorical_crossentropy
            training: {epochs: 1}
            """, to: "configs/bad.yaml", in: dir)
        // `check` reads the (embedded) data, so it catches this too, with the same message.
        let check = try CLI.run(["check", "configs/bad.yaml"], in: dir)
        expectLines(check, ["configs/bad.yaml:6:7: model.layers[1].dense: the output layer has 7 units but the data has 10 classes; use units: 10"], status: 2)
        let fit = try CLI.run(["fit", "configs/bad.yaml", "--progress", "none"], in: dir)
        expectLines(fit, ["configs/bad.yaml:6:7: model.layers[1].dense: the output layer has 7 units but the data has 10 classes; use units: 10"], status: 2)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path))

        // The same with an override (any --set, --seed or --output) keeps the position.
        let fit2 = try CLI.run(["fit", "configs/bad.yaml", "--progress", "none", "--output", "out", "--seed", "3"], in: dir)
        expectLines(fit2, ["configs/bad.yaml:6:7: model.layers[1].dense: the output layer has 7 units but the data has 10 classes; use units: 10"], status: 2)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    @Test func errorsInTheFileKeepTheirPositionWhenThereAreOverrides() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write("""
            name: bad
            model:
              input: [8, 8, 1]
              layers:
                - dense: {units: 10, activation: softmax}
            loss: categorical_crossentropy
            """, to: "configs/bad.yaml", in: dir)
        let plain = try CLI.run(["check", "configs/bad.yaml"], in: dir)
        let expected = ["configs/bad.yaml:5:7: model.layers[0].dense: dense expects a flat input (one axis per sample), got shape (None, 8, 8, 1); add a flatten layer before it"]
        expectLines(plain, expected, status: 2)
        expectLines(try CLI.run(["check", "configs/bad.yaml", "--seed", "3"], in: dir), expected, status: 2)
        expectLines(try CLI.run(["check", "configs/bad.yaml", "--set", "training.epochs=2"], in: dir), expected, status: 2)
        // A default the file does not write is located at its parent: here the layer.
        let viaDefault = try CLI.run(["check", "configs/bad.yaml", "--set", "model.layers[0].dense.kernel_initializer=zeros"], in: dir)
        expectLines(viaDefault, expected, status: 2)
    }

    /// An error caused by a `--set` value names the `--set`, not a line of the file that does not
    /// hold the bad value.
    @Test(arguments: [
        ("model.layers[2].dense.activation=heaviside", "heaviside is a step function"),
        ("model.layers[0].dense.units=", "units"),
    ])
    func anErrorCausedByASetValueNamesTheSet(_ override: String, _ about: String) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["check", "configs/mlp.yaml", "--set", override], in: dir)
        #expect(result.status == 2)
        #expect(result.errorLines.count == 1)
        #expect(result.stderr.contains(about))
        #expect(result.stderr.hasPrefix("--set \(override): "), "\(result.stderr)")
    }

    @Test func aCaseOnlyTypoSuggestsTheKnownSpelling() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write("""
            name: bad
            model:
              input: [64]
              layers:
                - Dense: {units: 10, activation: softmax}
            loss: categorical_crossentropy
            """, to: "configs/bad.yaml", in: dir)
        let result = try CLI.run(["check", "configs/bad.yaml"], in: dir)
        #expect(result.status == 2)
        #expect(result.errorLines == [#"configs/bad.yaml:5:7: model.layers[0]: unknown layer type "Dense"; expected one of: \#(layerTypes) (did you mean "dense"?)"#])
    }

    @Test func hostileInputIsRefusedQuickly() throws {
        // A large but legal-size file of aliases must be refused before any expansion.
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<40 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        try CLI.write(text, to: "configs/bad.yaml", in: dir)
        let started = Date()
        let result = try CLI.run(["check", "configs/bad.yaml"], in: dir, timeout: 30)
        #expect(result.status == 2)
        #expect(result.errorLines.count == 1)
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
