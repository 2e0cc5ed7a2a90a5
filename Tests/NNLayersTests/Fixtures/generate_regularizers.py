"""Reference weight penalties of Keras 3 regularisers (`Fixtures/regularizers.json`, read by
RegularizerTests.swift).

Run it (from the repository root):

    KERAS_BACKEND=jax /work/peers/venv-peer/bin/python Tests/NNLayersTests/Fixtures/generate_regularizers.py

Generated with keras 3.15.1, jax 0.10.2 (recorded in `versions`), float64. A `Dense(3)` layer on a
4-wide input gets a fixed kernel and bias (drawn from NumPy's PCG64, rounded to 4 decimals, stored),
one case per (kernel_regularizer, bias_regularizer) pair given as Keras identifiers; each case records
`sum(layer.losses)` after a forward pass, i.e. what Keras adds to the training loss of a batch, and
the regularisers' resolved configs (so the defaults of bare names like "l2" are pinned).
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

rng = np.random.default_rng(5)
kernel = np.round(rng.uniform(-1, 1, size=(4, 3)), 4)
bias = np.round(rng.uniform(-1, 1, size=(3,)), 4)

# (name, Keras kernel regulariser, Keras bias regulariser, the same options in nnrun's YAML)
CASES = [
    ("l2_default", "l2", None, "kernel_regularizer: l2"),
    ("l1_default", "l1", None, "kernel_regularizer: l1"),
    ("l2_value", keras.regularizers.L2(1e-4), None, "kernel_regularizer: {l2: 0.0001}"),
    ("l1_l2_both", keras.regularizers.L1L2(l1=0.01, l2=0.02), keras.regularizers.L1(0.003),
     "kernel_regularizer: {l1_l2: {l1: 0.01, l2: 0.02}}, bias_regularizer: {l1: 0.003}"),
    ("l1_l2_l1_only", keras.regularizers.L1L2(l1=0.05), keras.regularizers.L2(0.5),
     "kernel_regularizer: {l1_l2: {l1: 0.05}}, bias_regularizer: {l2: {l2: 0.5}}"),
]


def spec(r):
    if r is None:
        return None
    r = keras.regularizers.get(r)
    return {"class": type(r).__name__, "config": {k: float(v) for k, v in r.get_config().items()}}


cases = []
for name, k, b, yaml in CASES:
    layer = keras.layers.Dense(3, kernel_regularizer=k, bias_regularizer=b, dtype="float64")
    layer.build((None, 4))
    layer.set_weights([kernel, bias])
    layer(np.zeros((1, 4)))
    penalty = float(sum(float(x) for x in layer.losses))
    cases.append({"name": name, "nnrun_options": yaml, "kernel_regularizer": spec(k), "bias_regularizer": spec(b), "penalty": penalty})

fixture = {
    "generator": "Tests/NNLayersTests/Fixtures/generate_regularizers.py",
    "versions": {"python": platform.python_version(), "keras": keras.__version__, "jax": jax.__version__,
                 "numpy": np.__version__},
    "kernel": {"shape": list(kernel.shape), "data": [float(x) for x in kernel.reshape(-1)]},
    "bias": {"shape": list(bias.shape), "data": [float(x) for x in bias]},
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regularizers.json")
with open(path, "w") as fh:
    json.dump(fixture, fh, indent=1)
    fh.write("\n")
print(f"wrote {path}: {len(cases)} cases")
