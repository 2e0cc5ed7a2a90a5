"""Reference values for the convolutional-network layers other than convolutions
(`Fixtures/layers3.json`, read by PoolingTests, BatchNormTests and ShapeLayerTests).

Run it (from the repository root) with the PyTorch virtual environment:

    /work/peers/venv-torch/bin/python Tests/NNLayersTests/Fixtures/generate_layers3.py

Generated with Python 3.11.7, torch 2.15.0, numpy 2.4.6 (the script records the versions it ran
with in the fixture's `versions` field), everything in float64 on the CPU. Optionally, check the
written fixture against Keras itself (no torch needed there):

    KERAS_BACKEND=jax /work/peers/venv-peer/bin/python Tests/NNLayersTests/Fixtures/generate_layers3.py --check-keras

(last run with keras 3.15.1, jax 0.10.2: pooling outputs and gradients, up-sampling and padding
agree to 1e-12, largest difference 1.1e-16; batch normalization's outputs and moving statistics,
and global average pooling, to 1e-6, because Keras computes means in float32 even with floatx
float64.)

What is computed, NHWC throughout (tensors are transposed to PyTorch's NCHW and back):
- max_pool2d / average_pool2d: PyTorch's pooling on an input padded by hand with TensorFlow's
  `same` rule (out = ceil(in / stride), pad_top = floor(total / 2), the extra row at the bottom),
  with -inf for max pooling and, for average pooling, the window sums divided by the number of
  positions inside the image (TensorFlow/Keras exclude padding from the count). Checked here
  against a plain NumPy loop. Max-pool inputs are distinct values (a permutation), so there are no
  ties and the gradient (to the argmax) is unambiguous.
- batch_normalization: training forward and gradients from `torch.nn.functional.batch_norm`
  (which normalises with the biased batch variance, as Keras does); the moving statistics after
  that step with Keras 3's rule, computed with NumPy: moving = moving * momentum +
  batch * (1 - momentum) with the BIASED variance. PyTorch's own `running_var` uses the unbiased
  variance instead; it is written as `torch_running_variance` to show the difference. Inference
  forward and gradients use the initial moving statistics.
- global_average_pool2d, up_sampling2d (nearest), zero_padding2d: PyTorch (mean, interpolate,
  pad), with gradients of sum(upstream * output) from autograd.

Inputs are drawn from NumPy's PCG64 with fixed seeds and rounded to 4 decimals; they are stored in
the fixture, so the Swift tests never depend on the generator's random streams.
Tensors are written as {"shape": [...], "data": [...flat, row-major...]}.
"""

import json
import math
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "layers3.json")


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def array(t):
    return np.asarray(t["data"], dtype=np.float64).reshape(t["shape"])


def same_padding(size, pool, stride):
    """TensorFlow's `same`: (out, pad_before, pad_after) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + pool - size, 0)
    return out, total // 2, total - total // 2


def numpy_pool(x, kind, pool, strides, padding):
    """A plain loop over windows clipped to the image (the definition, independent of PyTorch)."""
    n, h, w, c = x.shape
    if padding == "valid":
        oh, ow = (h - pool[0]) // strides[0] + 1, (w - pool[1]) // strides[1] + 1
        top = left = 0
    else:
        oh, top, _ = same_padding(h, pool[0], strides[0])
        ow, left, _ = same_padding(w, pool[1], strides[1])
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - top, j * strides[1] - left
            win = x[:, max(r0, 0):min(r0 + pool[0], h), max(c0, 0):min(c0 + pool[1], w), :]
            y[:, i, j, :] = win.max(axis=(1, 2)) if kind == "max_pool2d" else win.mean(axis=(1, 2))
    return y


def generate():
    import torch
    import torch.nn.functional as F

    torch.set_default_dtype(torch.float64)

    def nchw(x, grad=True):
        return torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=grad)

    def nhwc(t):
        return t.permute(0, 2, 3, 1)

    def values(rng, shape, low=-1.0, high=1.0):
        return np.round(rng.uniform(low, high, size=shape), 4)

    def distinct(rng, shape):
        """Distinct values in [-1, 1): no ties for max pooling."""
        count = int(np.prod(shape))
        return (rng.permutation(count).reshape(shape) - count / 2) / (count / 2)

    # -----------------------------------------------------------------------------------------
    # Pooling.
    def pool_case(name, kind, shape, pool, strides, padding, seed):
        rng = np.random.default_rng(seed)
        x = distinct(rng, shape) if kind == "max_pool2d" else values(rng, shape)
        xt = nchw(x)
        h, w = shape[1], shape[2]
        if padding == "same":
            _, top, bottom = same_padding(h, pool[0], strides[0])
            _, left, right = same_padding(w, pool[1], strides[1])
        else:
            top = bottom = left = right = 0
        pads = (left, right, top, bottom)
        if kind == "max_pool2d":
            yt = F.max_pool2d(F.pad(xt, pads, value=-math.inf), pool, strides)
        else:
            area = pool[0] * pool[1]
            sums = F.avg_pool2d(F.pad(xt, pads), pool, strides) * area
            counts = F.avg_pool2d(F.pad(torch.ones_like(xt), pads), pool, strides) * area
            yt = sums / counts
        y = nhwc(yt)
        upstream = values(rng, tuple(y.shape))
        (y * torch.tensor(upstream)).sum().backward()
        out = y.detach().numpy()
        loop = numpy_pool(x, kind, pool, strides, padding)
        assert out.shape == loop.shape and np.allclose(out, loop, rtol=0, atol=1e-14), name
        return {"name": name, "type": kind, "pool_size": pool, "strides": strides, "padding": padding,
                "input": tensor(x), "upstream": tensor(upstream), "output": tensor(out),
                "grad_input": tensor(nhwc(xt.grad).numpy())}

    pooling = [
        pool_case("max 2x2 valid", "max_pool2d", (2, 4, 6, 3), [2, 2], [2, 2], "valid", 1),
        pool_case("max 3x2 stride 1 valid (overlapping)", "max_pool2d", (2, 5, 4, 2), [3, 2], [1, 1], "valid", 2),
        pool_case("max 3x3 stride 2 same", "max_pool2d", (2, 5, 7, 3), [3, 3], [2, 2], "same", 3),
        pool_case("max 2x2 same on odd sizes (padding bottom/right only)", "max_pool2d", (1, 5, 5, 2), [2, 2], [2, 2], "same", 4),
        pool_case("max 3x3 stride 1 same", "max_pool2d", (1, 4, 5, 2), [3, 3], [1, 1], "same", 5),
        pool_case("average 2x3 strides 1x2 valid", "average_pool2d", (2, 4, 7, 3), [2, 3], [1, 2], "valid", 11),
        pool_case("average 3x3 stride 2 same", "average_pool2d", (2, 5, 7, 3), [3, 3], [2, 2], "same", 12),
        pool_case("average 2x2 same on odd sizes", "average_pool2d", (1, 5, 5, 2), [2, 2], [2, 2], "same", 13),
        pool_case("average 3x3 stride 1 same", "average_pool2d", (2, 4, 5, 2), [3, 3], [1, 1], "same", 14),
    ]

    # -----------------------------------------------------------------------------------------
    # Global average pooling, up-sampling, zero padding.
    def simple(f, shape, seed):
        rng = np.random.default_rng(seed)
        x = values(rng, shape)
        xt = nchw(x)
        y = f(xt)
        upstream = values(rng, tuple(y.shape))
        (y * torch.tensor(upstream)).sum().backward()
        return {"input": tensor(x), "upstream": tensor(upstream), "output": tensor(y.detach().numpy()),
                "grad_input": tensor(nhwc(xt.grad).numpy())}

    global_average = simple(lambda t: t.mean(dim=(2, 3)), (2, 3, 4, 5), 21)
    up_sampling = simple(lambda t: nhwc(F.interpolate(t, scale_factor=(2, 3), mode="nearest")), (2, 2, 3, 2), 22)
    up_sampling["size"] = [2, 3]
    zero_padding = simple(lambda t: nhwc(F.pad(t, (2, 3, 1, 0))), (2, 3, 2, 2), 23)  # (left, right, top, bottom)
    zero_padding["padding"] = [[1, 0], [2, 3]]

    # -----------------------------------------------------------------------------------------
    # Batch normalization.
    def bn_case(name, shape, momentum, epsilon, seed):
        rng = np.random.default_rng(seed)
        c = shape[-1]
        # Per-channel offsets and scales, so the statistics differ by channel.
        x = np.round(rng.normal(size=shape) * rng.uniform(0.5, 2.0, size=c) + rng.uniform(-2, 2, size=c), 4)
        gamma = values(rng, c, 0.5, 1.5)
        beta = values(rng, c, -0.5, 0.5)
        moving_mean = values(rng, c, -0.3, 0.3)
        moving_variance = values(rng, c, 0.5, 2.0)
        upstream = values(rng, shape)

        def run(training):
            xt = torch.tensor(x if x.ndim == 2 else np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=True)
            g = torch.tensor(gamma, requires_grad=True)
            b = torch.tensor(beta, requires_grad=True)
            rm, rv = torch.tensor(moving_mean), torch.tensor(moving_variance)
            y = F.batch_norm(xt, rm, rv, g, b, training=training, momentum=1 - momentum, eps=epsilon)
            y = y if x.ndim == 2 else nhwc(y)
            (y * torch.tensor(upstream)).sum().backward()
            dx = xt.grad if x.ndim == 2 else nhwc(xt.grad)
            return y.detach().numpy(), dx.numpy(), g.grad.numpy(), b.grad.numpy(), rv.numpy()

        y, dx, dg, db, torch_rv = run(True)
        axes = tuple(range(x.ndim - 1))
        mean, variance = x.mean(axis=axes), x.var(axis=axes)  # NumPy's var is the biased one
        reference = (x - mean) / np.sqrt(variance + epsilon) * gamma + beta
        assert np.allclose(y, reference, rtol=0, atol=1e-12), name
        count = x.size // c
        assert np.allclose(torch_rv, moving_variance * momentum + variance * count / (count - 1) * (1 - momentum))
        training = {"output": tensor(y), "grad_input": tensor(dx), "grad_gamma": tensor(dg), "grad_beta": tensor(db),
                    "moving_mean": tensor(moving_mean * momentum + mean * (1 - momentum)),
                    "moving_variance": tensor(moving_variance * momentum + variance * (1 - momentum)),
                    "torch_running_variance": tensor(torch_rv)}
        y, dx, dg, db, _ = run(False)
        reference = (x - moving_mean) / np.sqrt(moving_variance + epsilon) * gamma + beta
        assert np.allclose(y, reference, rtol=0, atol=1e-12), name
        inference = {"output": tensor(y), "grad_input": tensor(dx), "grad_gamma": tensor(dg), "grad_beta": tensor(db)}
        return {"name": name, "momentum": momentum, "epsilon": epsilon, "input": tensor(x), "gamma": tensor(gamma),
                "beta": tensor(beta), "moving_mean": tensor(moving_mean), "moving_variance": tensor(moving_variance),
                "upstream": tensor(upstream), "training": training, "inference": inference}

    batch_norm = [
        bn_case("images [3, 3, 5], momentum 0.9", (4, 3, 3, 5), 0.9, 1e-3, 31),
        bn_case("features [4], Keras defaults", (6, 4), 0.99, 1e-3, 32),
    ]

    fixture = {
        "generator": "Tests/NNLayersTests/Fixtures/generate_layers3.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "pooling": pooling,
        "global_average_pool": global_average,
        "up_sampling": up_sampling,
        "zero_padding": zero_padding,
        "batch_norm": batch_norm,
    }
    with open(PATH, "w") as fh:
        json.dump(fixture, fh, indent=1)
        fh.write("\n")
    print(f"wrote {PATH}: {len(pooling)} pooling cases, {len(batch_norm)} batch norm cases")


def check_keras():
    """Recomputes the fixture's pooling and batch-norm values with the Keras layers themselves."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import keras

    keras.config.set_floatx("float64")
    with open(PATH) as fh:
        fixture = json.load(fh)
    worst = {"exact": 0.0, "float32": 0.0}

    def agree(ours, theirs, what, tolerance=1e-12):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=tolerance, atol=tolerance), what
        kind = "exact" if tolerance == 1e-12 else "float32"
        worst[kind] = max(worst[kind], float(np.max(np.abs(ours - theirs))))

    for case in fixture["pooling"]:
        cls = keras.layers.MaxPooling2D if case["type"] == "max_pool2d" else keras.layers.AveragePooling2D
        layer = cls(pool_size=tuple(case["pool_size"]), strides=tuple(case["strides"]), padding=case["padding"],
                    dtype="float64")
        x, upstream = jnp.asarray(array(case["input"])), jnp.asarray(array(case["upstream"]))
        agree(array(case["output"]), layer(x), case["name"])
        agree(array(case["grad_input"]), jax.grad(lambda v: jnp.sum(layer(v) * upstream))(x), case["name"] + " grad")

    for case in fixture["batch_norm"]:
        layer = keras.layers.BatchNormalization(momentum=case["momentum"], epsilon=case["epsilon"], dtype="float64")
        x = array(case["input"])
        layer.build(x.shape)
        layer.set_weights([array(case["gamma"]), array(case["beta"]), array(case["moving_mean"]),
                           array(case["moving_variance"])])
        # Keras computes part of batch normalization in float32 even with floatx float64, so it
        # agrees with the float64 values to float32 precision only.
        for key, value in [("inference", layer(x, training=False)), ("training", layer(x, training=True)),
                           ("moving_mean", layer.moving_mean.numpy()), ("moving_variance", layer.moving_variance.numpy())]:
            expected = case[key]["output"] if key in ("inference", "training") else case["training"][key]
            agree(array(expected), value, f"{case['name']} {key}", tolerance=1e-5)

    gap = keras.layers.GlobalAveragePooling2D(dtype="float64")
    # ops.mean runs in float32 under the jax backend even for float64 inputs (see generate.py).
    agree(array(fixture["global_average_pool"]["output"]), gap(array(fixture["global_average_pool"]["input"])),
          "global average pooling", tolerance=1e-5)
    up = keras.layers.UpSampling2D(size=tuple(fixture["up_sampling"]["size"]), dtype="float64")
    agree(array(fixture["up_sampling"]["output"]), up(array(fixture["up_sampling"]["input"])), "up_sampling")
    pad = keras.layers.ZeroPadding2D(padding=tuple(map(tuple, fixture["zero_padding"]["padding"])), dtype="float64")
    agree(array(fixture["zero_padding"]["output"]), pad(array(fixture["zero_padding"]["input"])), "zero_padding")
    print(f"keras {keras.__version__} (jax {jax.__version__}) agrees with {PATH}; largest difference "
          f"{worst['exact']:.3g} (pooling, up-sampling, padding), {worst['float32']:.3g} (batch normalization, global average pooling)")


if __name__ == "__main__":
    if "--check-keras" in sys.argv[1:]:
        check_keras()
    else:
        generate()
