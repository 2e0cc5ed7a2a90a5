#!/usr/bin/env python3
"""Generate models/resnet50.yaml: keras.applications.ResNet50 (include_top=True), layer by layer.

ResNet-50 (He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016) as
Keras 3 builds it (keras/src/applications/resnet.py, `ResNet50` with `stack1`/`block1`):

    ZeroPadding2D(3) -> Conv2D 64 7x7/2 valid -> BN -> relu -> ZeroPadding2D(1) -> MaxPool 3x3/2
    -> stages conv2..conv5 of [3, 4, 6, 3] bottleneck blocks with 64/128/256/512 filters
       (1x1 f, 3x3 f same, 1x1 4f; each conv followed by BN; relu after the first two; the sum
       with the shortcut, then relu). The first block of a stage has a projection shortcut
       (1x1 conv 4f + BN); the others add their input. Stride 2 on the first block's first 1x1
       conv and its shortcut in conv3..conv5, stride 1 in conv2.
    -> GlobalAveragePooling2D -> Dense 1000 softmax

Every convolution has a bias (Keras' default use_bias=True) and every batch normalization
epsilon 1.001e-5 (momentum 0.99, Keras' default). Layer names and layer order are Keras'
(conv1_pad, conv1_conv, ..., conv2_block1_0_conv, ..., avg_pool, predictions), so weights
exported from Keras map key by key.

Parameters: 25,636,712 in total = 25,583,592 trainable + 53,120 non-trainable (the moving mean
and variance of the 53 batch normalizations); the test Tests/NNTrainingTests/ZooTests.swift
asserts them through nnrun's loader.

Usage:
    python3 scripts/gen_resnet50.py            # writes models/resnet50.yaml, prints the counts
    python3 scripts/gen_resnet50.py --check    # also compares with keras.applications.ResNet50
                                               # (needs keras; weights=None, so nothing is downloaded)
Standard library only, except for --check.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "models", "resnet50.yaml")
EPSILON = "1.001e-5"


def conv_out(size, kernel, stride, padding):
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


class Builder:
    """Collects layers as (yaml type, name, options, inputs) and tracks shapes and parameters."""

    def __init__(self, input_shape):
        self.layers = []
        self.shapes = {"input": tuple(input_shape)}
        self.params = {}
        self.trainable = 0
        self.non_trainable = 0
        self.last = "input"

    def add(self, kind, name, options, inputs=None, shape=None, trainable=0, non_trainable=0):
        inputs = inputs or [self.last]
        explicit = inputs != [self.last]
        self.layers.append((kind, name, options, inputs if explicit else None))
        self.shapes[name] = shape
        self.params[name] = trainable + non_trainable
        self.trainable += trainable
        self.non_trainable += non_trainable
        self.last = name
        return name

    def conv(self, name, filters, kernel, stride=1, padding="valid", source=None):
        h, w, c = self.shapes[source or self.last]
        options = [("filters", filters), ("kernel_size", kernel)]
        if stride != 1:
            options.append(("strides", stride))
        if padding != "valid":
            options.append(("padding", padding))
        shape = (conv_out(h, kernel, stride, padding), conv_out(w, kernel, stride, padding), filters)
        return self.add("conv2d", name, options, [source] if source else None, shape,
                        trainable=kernel * kernel * c * filters + filters)

    def bn(self, name, source=None):
        shape = self.shapes[source or self.last]
        c = shape[-1]
        return self.add("batch_normalization", name, [("epsilon", EPSILON)], [source] if source else None, shape,
                        trainable=2 * c, non_trainable=2 * c)

    def relu(self, name, source=None):
        return self.add("activation", name, [("activation", "relu")], [source] if source else None,
                        self.shapes[source or self.last])

    def block(self, name, filters, stride, projection):
        """Keras' block1: the bottleneck residual block."""
        x = self.last
        self.conv(f"{name}_1_conv", filters, 1, stride)
        self.bn(f"{name}_1_bn")
        self.relu(f"{name}_1_relu")
        self.conv(f"{name}_2_conv", filters, 3, 1, "same")
        self.bn(f"{name}_2_bn")
        self.relu(f"{name}_2_relu")
        residual_in = self.last
        if projection:
            # Keras creates the shortcut conv after the first two convs, and the two BNs after both.
            shortcut_conv = self.conv(f"{name}_0_conv", 4 * filters, 1, stride, source=x)
            self.conv(f"{name}_3_conv", 4 * filters, 1, source=residual_in)
            main_conv = self.last
            shortcut = self.bn(f"{name}_0_bn", source=shortcut_conv)
            main = self.bn(f"{name}_3_bn", source=main_conv)
        else:
            shortcut = x
            self.conv(f"{name}_3_conv", 4 * filters, 1)
            main = self.bn(f"{name}_3_bn")
        self.add("add", f"{name}_add", [], [shortcut, main], self.shapes[main])
        self.relu(f"{name}_out")


def build():
    b = Builder((224, 224, 3))
    b.add("zero_padding2d", "conv1_pad", [("padding", 3)], shape=(230, 230, 3))
    b.conv("conv1_conv", 64, 7, 2)
    b.bn("conv1_bn")
    b.relu("conv1_relu")
    b.add("zero_padding2d", "pool1_pad", [("padding", 1)], shape=(114, 114, 64))
    b.add("max_pool2d", "pool1_pool", [("pool_size", 3), ("strides", 2)], shape=(56, 56, 64))
    for stage, (filters, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], start=2):
        for i in range(1, blocks + 1):
            b.block(f"conv{stage}_block{i}", filters, stride if i == 1 else 1, projection=i == 1)
    c = b.shapes[b.last][-1]
    b.add("global_average_pool2d", "avg_pool", [], shape=(c,))
    b.add("dense", "predictions", [("units", 1000), ("activation", "softmax")], shape=(1000,),
          trainable=c * 1000 + 1000)
    return b


def yaml_text(b):
    lines = [
        "# ResNet50 as keras.applications builds it (include_top=True): 224x224x3 images, 1000 classes.",
        "# GENERATED by scripts/gen_resnet50.py; edit the generator, not this file.",
        "# Parameters: %s total = %s trainable + %s non-trainable (batch-norm moving statistics)."
        % (f"{b.trainable + b.non_trainable:,}", f"{b.trainable:,}", f"{b.non_trainable:,}"),
        "input: [224, 224, 3]",
        "layers:",
    ]
    for kind, name, options, inputs in b.layers:
        items = [f"name: {name}"] + [f"{k}: {v}" for k, v in options]
        if inputs is not None:
            items.append(f"inputs: [{', '.join(inputs)}]")
        lines.append(f"  - {kind}: {{{', '.join(items)}}}")
    return "\n".join(lines) + "\n"


def check(b):
    """Compares names, output shapes and parameter counts with Keras' own ResNet50."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    model = keras.applications.ResNet50(weights=None)
    keras_layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    ours = b.layers
    assert len(keras_layers) == len(ours), (len(keras_layers), len(ours))
    previous = "input"
    for layer, (_, name, _, inputs) in zip(keras_layers, ours):
        assert layer.name == name, (layer.name, name)
        assert tuple(layer.output.shape[1:]) == b.shapes[name], (name, layer.output.shape, b.shapes[name])
        parents = [n.operation.name for n in layer._inbound_nodes[0].parent_nodes]
        parents = ["input" if p.startswith("input") else p for p in parents]
        expected = inputs if inputs is not None else [previous]
        assert parents == expected, (name, parents, expected)
        assert layer.count_params() == b.params[name], (name, layer.count_params(), b.params[name])
        previous = name
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert (trainable, non_trainable) == (b.trainable, b.non_trainable), (trainable, non_trainable)
    print(f"matches keras {keras.__version__}: {len(ours)} layers, names, shapes, connections and counts")


def main():
    b = build()
    with open(OUT, "w") as f:
        f.write(yaml_text(b))
    print(f"wrote {os.path.relpath(OUT)}: {len(b.layers)} layers, {b.trainable + b.non_trainable:,} parameters "
          f"({b.trainable:,} trainable, {b.non_trainable:,} non-trainable)")
    if "--check" in sys.argv[1:]:
        check(b)


if __name__ == "__main__":
    main()
