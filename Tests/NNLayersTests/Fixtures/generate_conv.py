"""Reference values for the conv2d and conv2d_transpose tests (ConvTests.swift), computed with PyTorch.

Writes `conv.json` beside this script. For each case: a fixed NHWC input, a kernel in Keras' layout
([kh, kw, cin, cout] for conv2d, [kh, kw, cout, cin] for conv2d_transpose), a bias, a fixed upstream
gradient dL/dy, and from PyTorch (float64, autograd): the output y = act(conv(x, W) + b) and the
gradients of L = sum(upstream * y) with respect to the input, the kernel and the bias, all converted
back to nnrun's layouts (NHWC, Keras kernels).

Layouts: NHWC -> NCHW is permute(0, 3, 1, 2); a Keras conv kernel [kh, kw, cin, cout] becomes
PyTorch's [cout, cin, kh, kw] and a Keras transposed kernel [kh, kw, cout, cin] PyTorch's
ConvTranspose2d weight [cin, cout, kh, kw]: both are permute(3, 2, 0, 1). The permutations are
applied inside the autograd graph, so the gradients come out in Keras' layouts.

Padding, as Keras (TensorFlow's rules) defines it:
- conv2d `same`: out = ceil(in / s), pad_total = max((out - 1) s + (k - 1) d + 1 - in, 0), split
  floor(total / 2) before and the rest after. An odd total is asymmetric, which PyTorch's `padding=`
  cannot express, so the input is zero-padded with F.pad first and convolved with padding 0.
- conv2d_transpose: the full transposed output (PyTorch, padding 0) has (in - 1) s + (k - 1) d + 1
  pixels. Keras `valid` gives (in - 1) s + max(k_eff, s) pixels (zero-extended when s > k_eff);
  `same` gives in * s pixels starting at crop_before = floor(max(k_eff - s, 0) / 2) of the full
  output. PyTorch's ConvTranspose2d(padding=p, output_padding=op) crops p pixels at the start and
  p - op at the end, so Keras' convention is p = crop_before, op = p - crop_after whenever
  0 <= op < max(s, d); that mapping is recorded per axis as `torch_padding`/`torch_output_padding`
  and checked against the crop-and-slice reference. Where it does not exist (an odd crop total, e.g.
  3x3 stride 2 `same`, where Keras crops 0 before and 1 after but PyTorch's usual p=1, op=1 crops 1
  before and 0 after: a one-pixel shift), the full output is sliced instead.

Run it (from the repository root):

    /work/peers/venv-torch/bin/python Tests/NNLayersTests/Fixtures/generate_conv.py

Cross-check the fixture against real Keras layers (Conv2D, Conv2DTranspose; forward and jax.grad)
with the Keras environment:

    KERAS_BACKEND=jax /work/peers/venv-peer/bin/python Tests/NNLayersTests/Fixtures/generate_conv.py --check-keras

Generated with Python 3.11.7, torch 2.15.0 (CPU), numpy 2.4.6; checked against keras 3.15.1 (jax
0.10.2). The script records the versions it ran with in `versions`. Inputs come from a seeded
numpy Generator (PCG64) rounded to 3 decimals, so regenerating gives the same file.
Tensors are written as {"shape": [...], "data": [...flat, row-major...]}.
"""

import json
import math
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "conv.json")


def case(name, layer, hw, cin, filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
         activation="linear", use_bias=True, batch=2):
    return dict(name=name, layer=layer, batch=batch, input_hw=list(hw), cin=cin, filters=filters,
                kernel_size=list(kernel_size), strides=list(strides), padding=padding,
                dilation_rate=list(dilation_rate), activation=activation, use_bias=use_bias)


CASES = [
    # conv2d
    case("valid 3x3", "conv2d", (5, 5), 2, 3, (3, 3)),
    case("same 3x3 relu", "conv2d", (5, 5), 2, 3, (3, 3), padding="same", activation="relu"),
    case("same 4x4 (pad 1 before, 2 after)", "conv2d", (6, 7), 2, 3, (4, 4), padding="same"),
    case("same 3x3 stride 2 (asymmetric)", "conv2d", (6, 7), 2, 3, (3, 3), strides=(2, 2), padding="same"),
    case("same 2x2 stride 1 (pad 0 before, 1 after)", "conv2d", (5, 6), 2, 3, (2, 2), padding="same", activation="tanh"),
    case("valid 2x3 stride 2 sigmoid", "conv2d", (6, 7), 2, 3, (2, 3), strides=(2, 2), activation="sigmoid"),
    case("same 3x3 dilation 2", "conv2d", (6, 7), 2, 3, (3, 3), padding="same", dilation_rate=(2, 2)),
    case("valid 3x2 dilation [1, 2]", "conv2d", (6, 7), 2, 3, (3, 2), dilation_rate=(1, 2)),
    case("valid 3x3 strides [1, 2] no bias", "conv2d", (5, 7), 2, 3, (3, 3), strides=(1, 2), use_bias=False),
    case("same 3x2 strides [2, 1]", "conv2d", (5, 6), 2, 3, (3, 2), strides=(2, 1), padding="same"),
    case("1x1 pointwise", "conv2d", (5, 5), 2, 3, (1, 1)),
    case("1x1 stride 2", "conv2d", (5, 6), 2, 3, (1, 1), strides=(2, 2)),
    case("valid 3x3 cin 1 batch 3", "conv2d", (6, 6), 1, 4, (3, 3), batch=3),
    # conv2d_transpose
    case("valid 3x3", "conv2d_transpose", (3, 4), 2, 3, (3, 3)),
    case("valid 3x3 stride 2", "conv2d_transpose", (3, 4), 2, 3, (3, 3), strides=(2, 2)),
    case("same 3x3 stride 1", "conv2d_transpose", (3, 4), 2, 3, (3, 3), padding="same"),
    case("same 3x3 stride 2 (crop 0 before, 1 after)", "conv2d_transpose", (3, 4), 2, 3, (3, 3), strides=(2, 2), padding="same"),
    case("same 4x4 stride 2", "conv2d_transpose", (3, 4), 2, 3, (4, 4), strides=(2, 2), padding="same"),
    case("same 2x2 stride 1", "conv2d_transpose", (3, 4), 2, 3, (2, 2), padding="same", activation="tanh"),
    case("same 2x3 strides [1, 2] sigmoid", "conv2d_transpose", (3, 4), 2, 3, (2, 3), strides=(1, 2), padding="same",
         activation="sigmoid"),
    case("valid 1x1 stride 2 (zero-extended)", "conv2d_transpose", (3, 4), 2, 3, (1, 1), strides=(2, 2)),
    case("valid 2x2 stride 3 (zero-extended)", "conv2d_transpose", (3, 3), 2, 3, (2, 2), strides=(3, 3)),
    case("valid 3x3 dilation 2", "conv2d_transpose", (3, 4), 2, 3, (3, 3), dilation_rate=(2, 2)),
    case("same 2x2 dilation 3 (crop 1 before, 2 after)", "conv2d_transpose", (3, 4), 2, 3, (2, 2), padding="same",
         dilation_rate=(3, 3)),
    case("valid 3x3 stride 2 no bias relu", "conv2d_transpose", (3, 3), 2, 3, (3, 3), strides=(2, 2), use_bias=False,
         activation="relu"),
    case("1x1 pointwise", "conv2d_transpose", (3, 4), 2, 3, (1, 1)),
]


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def array(t):
    return np.asarray(t["data"], dtype=np.float64).reshape(t["shape"])


def conv_axis(n, k, s, d, padding):
    """conv2d along one axis: (output size, pad before, pad after)."""
    span = (k - 1) * d + 1
    if padding == "valid":
        return (n - span) // s + 1, 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + span - n, 0)
    return out, total // 2, total - total // 2


def transpose_axis(n, k, s, d, padding):
    """conv2d_transpose along one axis: (output size, crop before, full transposed size)."""
    span = (k - 1) * d + 1
    full = (n - 1) * s + span
    if padding == "valid":
        return (n - 1) * s + max(span, s), 0, full
    return n * s, max(span - s, 0) // 2, full


def kernel_shape(c):
    kh, kw = c["kernel_size"]
    if c["layer"] == "conv2d":
        return [kh, kw, c["cin"], c["filters"]]
    return [kh, kw, c["filters"], c["cin"]]


def output_shape(c):
    h, w = c["input_hw"]
    axis = conv_axis if c["layer"] == "conv2d" else transpose_axis
    oh = axis(h, c["kernel_size"][0], c["strides"][0], c["dilation_rate"][0], c["padding"])[0]
    ow = axis(w, c["kernel_size"][1], c["strides"][1], c["dilation_rate"][1], c["padding"])[0]
    return [c["batch"], oh, ow, c["filters"]]


def generate():
    import torch
    import torch.nn.functional as F

    torch.set_default_dtype(torch.float64)
    acts = {"linear": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}

    def forward(c, x, w, b, torch_mapping=False):
        """y (NHWC) = act(conv(x, w) + b) with x NHWC and w in Keras' layout."""
        xt = x.permute(0, 3, 1, 2)
        wt = w.permute(3, 2, 0, 1)
        (kh, kw), (sh, sw), (dh, dw) = c["kernel_size"], c["strides"], c["dilation_rate"]
        h, wd = c["input_hw"]
        if c["layer"] == "conv2d":
            _, top, bottom = conv_axis(h, kh, sh, dh, c["padding"])
            _, left, right = conv_axis(wd, kw, sw, dw, c["padding"])
            z = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, None, stride=(sh, sw), dilation=(dh, dw))
        else:
            oh, ch, fh = transpose_axis(h, kh, sh, dh, c["padding"])
            ow, cw, fw = transpose_axis(wd, kw, sw, dw, c["padding"])
            if torch_mapping:
                p, op = c["torch_padding"], c["torch_output_padding"]
                z = F.conv_transpose2d(xt, wt, None, stride=(sh, sw), padding=p, output_padding=op, dilation=(dh, dw))
            else:
                full = F.conv_transpose2d(xt, wt, None, stride=(sh, sw), dilation=(dh, dw))
                full = F.pad(full, (0, max(cw + ow - fw, 0), 0, max(ch + oh - fh, 0)))  # zero extension
                z = full[:, :, ch:ch + oh, cw:cw + ow]
        if b is not None:
            z = z + b.view(1, -1, 1, 1)
        return z.permute(0, 2, 3, 1), acts[c["activation"]](z).permute(0, 2, 3, 1)

    def draw(c, seed):
        rng = np.random.default_rng(seed)
        h, wd = c["input_hw"]
        x = np.round(rng.uniform(-1, 1, size=(c["batch"], h, wd, c["cin"])), 3)
        w = np.round(rng.uniform(-0.6, 0.6, size=kernel_shape(c)), 3)
        b = np.round(rng.uniform(-0.5, 0.5, size=(c["filters"],)), 3)
        up = np.round(rng.uniform(-1, 1, size=output_shape(c)), 3)
        return x, w, b, up

    def min_abs_logit(c, x, w, b):
        with torch.no_grad():
            z, _ = forward(c, torch.tensor(x), torch.tensor(w), torch.tensor(b) if c["use_bias"] else None)
        return float(z.abs().min())

    cases = []
    for i, c in enumerate(CASES):
        c = dict(c)
        # ReLU cases: the first seed (from 1000 + i, in steps of 100) whose logits all keep 1e-3 away from
        # the kink, so float32 and float64 agree on every derivative.
        seed = 1000 + i
        x, w, b, up = draw(c, seed)
        while c["activation"] == "relu" and min_abs_logit(c, x, w, b) <= 1e-3:
            seed += 100
            x, w, b, up = draw(c, seed)
        c["seed"] = seed

        if c["layer"] == "conv2d_transpose":
            # PyTorch's (padding, output_padding) for Keras' cropping, per axis, when one exists.
            mapping = []
            for a in range(2):
                k, s, d = c["kernel_size"][a], c["strides"][a], c["dilation_rate"][a]
                out, before, full = transpose_axis(c["input_hw"][a], k, s, d, c["padding"])
                after = full - before - out
                op = before - after
                mapping.append((before, op) if 0 <= op < max(s, d) else None)
            if all(mapping):
                c["torch_padding"] = [m[0] for m in mapping]
                c["torch_output_padding"] = [m[1] for m in mapping]

        xv = torch.tensor(x, requires_grad=True)
        wv = torch.tensor(w, requires_grad=True)
        bv = torch.tensor(b, requires_grad=True) if c["use_bias"] else None
        z, y = forward(c, xv, wv, bv)
        assert list(y.shape) == output_shape(c), (c["name"], y.shape)
        (y * torch.tensor(up)).sum().backward()
        if "torch_padding" in c:
            _, y2 = forward(c, torch.tensor(x), torch.tensor(w), torch.tensor(b) if c["use_bias"] else None, True)
            assert torch.allclose(y, y2, rtol=0, atol=1e-13), c["name"]
        entry = dict(c)
        entry.update(input=tensor(x), kernel=tensor(w), upstream=tensor(up), output=tensor(y.detach().numpy()),
                     grad_input=tensor(xv.grad.numpy()), grad_kernel=tensor(wv.grad.numpy()))
        if c["use_bias"]:
            entry.update(bias=tensor(b), grad_bias=tensor(bv.grad.numpy()))
        cases.append(entry)

    fixture = {
        "generator": "Tests/NNLayersTests/Fixtures/generate_conv.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__.split("+")[0],
                     "numpy": np.__version__},
        "cases": cases,
    }
    with open(PATH, "w") as fh:
        json.dump(fixture, fh, indent=1)
        fh.write("\n")
    print(f"wrote {PATH}: {len(cases)} cases")


def check_keras():
    """Runs every fixture case through Keras' own layer (float64) and asserts the same output and
    gradients: the fixture follows Keras' conventions, not only PyTorch's."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import keras
    keras.config.set_floatx("float64")

    with open(PATH) as fh:
        fixture = json.load(fh)
    worst = 0.0
    for c in fixture["cases"]:
        cls = keras.layers.Conv2D if c["layer"] == "conv2d" else keras.layers.Conv2DTranspose
        layer = cls(c["filters"], tuple(c["kernel_size"]), strides=tuple(c["strides"]), padding=c["padding"],
                    dilation_rate=tuple(c["dilation_rate"]), activation=c["activation"], use_bias=c["use_bias"],
                    dtype="float64")
        x = array(c["input"])
        layer.build(x.shape)
        weights = [array(c["kernel"])] + ([array(c["bias"])] if c["use_bias"] else [])
        layer.set_weights(weights)
        up = jnp.asarray(array(c["upstream"]))

        def objective(params, inputs, layer=layer, up=up):
            out, _ = layer.stateless_call(list(params), [], inputs)
            return jnp.sum(out * up)

        y = np.asarray(layer(x))
        grads = jax.grad(objective, argnums=(0, 1))([jnp.asarray(v) for v in weights], jnp.asarray(x))
        pairs = [("output", y, c["output"]), ("grad_input", grads[1], c["grad_input"]),
                 ("grad_kernel", grads[0][0], c["grad_kernel"])]
        if c["use_bias"]:
            pairs.append(("grad_bias", grads[0][1], c["grad_bias"]))
        for what, ours, theirs in pairs:
            theirs = array(theirs)
            assert ours.shape == theirs.shape, (c["layer"], c["name"], what, ours.shape, theirs.shape)
            err = float(np.max(np.abs(np.asarray(ours) - theirs)))
            # Keras' tanh on jax is only float32-accurate even in float64 (see generate.py's
            # keras_agreement for dense_tanh); everything else agrees to rounding.
            assert err < (1e-6 if c["activation"] == "tanh" else 1e-10), (c["layer"], c["name"], what, err)
            if c["activation"] != "tanh":
                worst = max(worst, err)
    print(f"keras {keras.__version__} (jax {jax.__version__}) agrees with {PATH} on {len(fixture['cases'])} cases; "
          f"largest absolute difference {worst:.3g} (tanh cases aside)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check-keras"]:
        check_keras()
    elif sys.argv[1:]:
        sys.exit("usage: generate_conv.py [--check-keras]")
    else:
        generate()
