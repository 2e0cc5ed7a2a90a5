"""Reference trajectories of Keras 3 optimizers for NNTrainingTests/OptimizerTests.swift.

For each optimizer configuration: fixed weights w0 [2, 3] and a fixed gradient sequence g1, g2, g3;
three `optimizer.apply_gradients([(g_t, w)])` calls on a `keras.Variable` (float64, JAX backend),
recording the weights after each step. Writes `optimizers.json` beside this script.

Run it (from the repository root):

    KERAS_BACKEND=jax /work/peers/venv-peer/bin/python Tests/NNTrainingTests/Fixtures/generate_optimizers.py

Generated with Python 3.11.7, keras 3.15.1, jax 0.10.2, numpy 2.4.6 (recorded in `versions`).

Each trajectory is also recomputed here with the update rules written out in float64 NumPy (the rules
nnrun's Optimizers.swift documents), and the script asserts they agree with Keras to 1e-13, so the
fixture holds Keras' numbers and shows they are the documented rules. The gradients include a tiny
one (1e-4), where epsilon's placement matters (Adam: sqrt(v) + eps; RMSprop: sqrt(s + eps)), and a
zero one.
"""

import json
import os
import platform

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")
assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"

w0 = np.array([[0.5, -1.25, 2.0], [0.75, -0.3, 1.1]])
grads = [
    np.array([[0.2, -0.5, 1.0e-4], [0.0, 1.5, -0.8]]),
    np.array([[-0.1, -0.4, 2.0e-4], [0.3, 1.2, 0.6]]),
    np.array([[0.35, 0.25, -1.0e-4], [-0.2, -2.0, 0.1]]),
]

CASES = [
    ("sgd", "sgd", {"learning_rate": 0.1}),
    ("sgd_momentum", "sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd_nesterov", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("adam", "adam", {}),
    ("adam_custom", "adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6}),
    ("rmsprop", "rmsprop", {}),
    ("rmsprop_momentum", "rmsprop", {"learning_rate": 0.01, "momentum": 0.5}),
    # The options every Keras 3 optimizer shares: decoupled weight decay and gradient clipping.
    ("sgd_weight_decay", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
    ("adam_weight_decay", "adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("adamw", "adamw", {}),
    ("adamw_custom", "adamw", {"learning_rate": 0.01, "weight_decay": 0.2, "clipvalue": 0.3}),
    ("rmsprop_weight_decay", "rmsprop", {"learning_rate": 0.01, "weight_decay": 0.3, "clipnorm": 1.0}),
    ("sgd_clipnorm", "sgd", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("sgd_clipvalue", "sgd", {"learning_rate": 0.1, "clipvalue": 0.25}),
    ("adam_global_clipnorm", "adam", {"learning_rate": 0.01, "global_clipnorm": 1.2}),
]

KERAS_CLASSES = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
                 "rmsprop": keras.optimizers.RMSprop}
DEFAULTS = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "adamw": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.004},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
}


def clip_and_decay(c, w, g):
    """Keras 3's `BaseOptimizer.apply` before the update: clip the gradient (clipnorm per tensor,
    global_clipnorm over all tensors (one here), or clipvalue), then w <- w - w * wd * lr."""
    if c.get("clipnorm") or c.get("global_clipnorm"):
        limit = c.get("clipnorm") or c.get("global_clipnorm")
        g = g * limit / max(np.sqrt(np.sum(g * g)), limit)
    elif c.get("clipvalue"):
        g = np.clip(g, -c["clipvalue"], c["clipvalue"])
    if c.get("weight_decay"):
        w = w - w * c["weight_decay"] * c["learning_rate"]
    return w, g


def numpy_trajectory(kind, c):
    """The update rules, in float64 NumPy."""
    w = w0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        w, g = clip_and_decay(c, w, g)
        if kind == "sgd":
            if c["momentum"] > 0:
                m = c["momentum"] * m - c["learning_rate"] * g
                w = w + (c["momentum"] * m - c["learning_rate"] * g if c["nesterov"] else m)
            else:
                w = w - c["learning_rate"] * g
        elif kind in ("adam", "adamw"):
            alpha = c["learning_rate"] * np.sqrt(1 - c["beta_2"] ** t) / (1 - c["beta_1"] ** t)
            m = m + (g - m) * (1 - c["beta_1"])
            v = v + (g * g - v) * (1 - c["beta_2"])
            w = w - alpha * m / (np.sqrt(v) + c["epsilon"])
        else:
            v = c["rho"] * v + (1 - c["rho"]) * g * g
            delta = c["learning_rate"] * g / np.sqrt(v + c["epsilon"])
            if c["momentum"] > 0:
                m = c["momentum"] * m + delta
                w = w - m
            else:
                w = w - delta
        out.append(w.copy())
    return out


cases = []
for name, kind, options in CASES:
    config = dict(DEFAULTS[kind], **options)
    optimizer = KERAS_CLASSES[kind](**config)
    variable = keras.Variable(w0.copy(), dtype="float64", name="w")
    steps = []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), variable)])
        steps.append(np.asarray(variable.value, dtype=np.float64).copy())
    assert all(s.dtype == np.float64 for s in steps)
    expected = numpy_trajectory(kind, config)
    for k, (ours, theirs) in enumerate(zip(expected, steps)):
        assert np.allclose(ours, theirs, rtol=1e-13, atol=0), (name, k, ours, theirs)
    cases.append({
        "name": name,
        "optimizer": kind,
        "config": config,
        "steps": [[float(x) for x in s.reshape(-1)] for s in steps],
    })

fixture = {
    "generator": "Tests/NNTrainingTests/Fixtures/generate_optimizers.py",
    "versions": {"python": platform.python_version(), "keras": keras.__version__, "jax": jax.__version__,
                 "numpy": np.__version__, "backend": keras.backend.backend(), "floatx": keras.config.floatx()},
    "shape": list(w0.shape),
    "w0": [float(x) for x in w0.reshape(-1)],
    "gradients": [[float(x) for x in g.reshape(-1)] for g in grads],
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizers.json")
with open(path, "w") as fh:
    json.dump(fixture, fh, indent=1)
    fh.write("\n")
print(f"wrote {path}: {len(cases)} optimizer trajectories")
