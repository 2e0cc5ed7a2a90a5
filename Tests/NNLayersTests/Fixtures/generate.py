"""Reference values for NNLayersTests, computed with real Keras 3 (JAX backend, float64).

Writes `reference.json` beside this script: forward outputs of `keras.layers.Dense` (fixed weights,
each activation, with and without bias) and their gradients for a fixed upstream gradient, every
`keras.activations.*` function (and the `LeakyReLU` layer, whose default slope 0.3 differs from the
function's 0.2), softmax on extreme logits, and the value of every Keras loss we implement together
with its gradient with respect to the output (or the logits, for `from_logits=True`), taken with
`jax.grad` through the Keras loss itself.

Precision: Keras 3 on jax computes `ops.mean` in float32 even for float64 tensors, so the loss values
and gradients are taken from the same formulas written in float64 jax.numpy, and asserted here to
agree with Keras' own (also recorded, as `keras_value`/`keras_gradient`) to float32 precision. The
Dense and activation outputs come straight from Keras (float64 throughout) and are asserted to match
NumPy float64 formulas to 1e-12.

Run it (from the repository root):

    KERAS_BACKEND=jax /work/peers/venv-peer/bin/python Tests/NNLayersTests/Fixtures/generate.py

Generated with Python 3.11.7, keras 3.15.1, jax 0.10.2, numpy 2.4.6 (the script records the versions
it ran with in the fixture's `versions` field). Every input is fixed here (rounded decimals, no
random draws), so regenerating gives the same file up to the last bits of the Keras results.
Tensors are written as {"shape": [...], "data": [...flat, row-major...]}.
"""

import json
import os
import platform

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")
assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


# ---------------------------------------------------------------------------------------------
# Dense: x [3, 4], kernel [4, 5], bias [5]; every |x| >= 0.1 and no logit near 0 (ReLU kink).
x = np.array([[0.5, -1.2, 0.3, 2.0],
              [-0.7, 0.1, 1.5, -0.4],
              [1.1, 0.9, -0.6, 0.25]])
kernel = np.array([[0.2, -0.5, 0.1, 0.7, -0.3],
                   [0.4, 0.3, -0.8, 0.05, 0.6],
                   [-0.6, 0.9, 0.2, -0.1, 0.35],
                   [0.15, -0.25, 0.5, 0.45, -0.7]])
bias = np.array([0.1, -0.2, 0.05, 0.0, 0.3])
upstream = np.array([[0.3, -0.1, 0.8, -0.5, 0.2],
                     [-0.4, 0.6, 0.1, 0.9, -0.7],
                     [0.5, 0.25, -0.35, 0.15, 0.45]])

ACTIVATIONS = {
    "linear": lambda v: v,
    "relu": lambda v: jnp.maximum(v, 0),
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softmax": lambda v: jax.nn.softmax(v, axis=-1),
    "leaky_relu": lambda v: jnp.where(v >= 0, v, 0.2 * v),  # keras.activations.leaky_relu's default
}


def agree(ours, theirs, what, rtol=1e-6, atol=1e-12):
    """Our float64 reference must match Keras to float32 precision (see the module docstring); gradients
    are sums of products, so they get an absolute floor of 1e-7 for float32 cancellation."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=rtol, atol=atol), (what, ours, theirs)
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(ours), 1e-300)))


keras_agreement = {}  # largest relative difference between Keras and the float64 reference, per check
dense_activations = ["linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu"]
dense_cases = []
for use_bias in (True, False):
    for act in dense_activations:
        if not use_bias and act not in ("linear", "relu"):
            continue
        weights = [kernel, bias] if use_bias else [kernel]

        # Keras: the real layer, its forward pass and jax.grad through stateless_call.
        layer = keras.layers.Dense(5, activation=act, use_bias=use_bias, dtype="float64")
        layer.build((None, 4))
        layer.set_weights(weights)
        keras_y = np.asarray(layer(x))

        def keras_objective(params, inputs, layer=layer):
            out, _ = layer.stateless_call(list(params), [], inputs)
            return jnp.sum(out * upstream)

        keras_grads = jax.grad(keras_objective, argnums=(0, 1))([jnp.asarray(w) for w in weights], jnp.asarray(x))

        # Reference: y = f(x W + b) in float64.
        def forward(params, inputs, act=act, use_bias=use_bias):
            zz = inputs @ params[0] + (params[1] if use_bias else 0)
            return ACTIVATIONS[act](zz)

        def objective(params, inputs, forward=forward):
            return jnp.sum(forward(params, inputs) * upstream)

        params = [jnp.asarray(w) for w in weights]
        y = np.asarray(forward(params, jnp.asarray(x)))
        grads = jax.grad(objective, argnums=(0, 1))(params, jnp.asarray(x))
        tag = f"dense_{act}" + ("" if use_bias else "_nobias")
        keras_agreement[tag] = max(agree(y, keras_y, tag), agree(grads[1], keras_grads[1], tag + " dx", atol=1e-7),
                                   *[agree(g, k, tag + " dw", atol=1e-7) for g, k in zip(grads[0], keras_grads[0])])
        case = {
            "activation": act,
            "use_bias": use_bias,
            "output": tensor(y),
            "grad_input": tensor(grads[1]),
            "grad_kernel": tensor(grads[0][0]),
        }
        if use_bias:
            case["grad_bias"] = tensor(grads[0][1])
        dense_cases.append(case)

# ---------------------------------------------------------------------------------------------
# Activation functions on z [3, 5], including saturating values for sigmoid/tanh/softmax.
z = np.array([[-2.5, -0.3, 0.2, 1.7, 3.0],
              [-30.0, -8.0, 0.05, 8.0, 30.0],
              [0.9, -1.1, -0.15, 0.6, -4.0]])
keras_activations = {
    "linear": keras.activations.linear(z),
    "relu": keras.activations.relu(z),
    "sigmoid": keras.activations.sigmoid(z),
    "tanh": keras.activations.tanh(z),
    "softmax": keras.activations.softmax(z, axis=-1),
    "leaky_relu": keras.activations.leaky_relu(z),  # negative_slope 0.2
}
activation_outputs = {}
for k, f in ACTIVATIONS.items():
    activation_outputs[k] = np.asarray(f(jnp.asarray(z)))
    keras_agreement[f"activation_{k}"] = agree(activation_outputs[k], keras_activations[k], k)
leaky_layer = keras.layers.LeakyReLU(dtype="float64")  # the layer's negative_slope is 0.3
assert abs(leaky_layer.negative_slope - 0.3) < 1e-12
leaky_layer_output = np.where(z >= 0, z, 0.3 * z)
keras_agreement["leaky_relu_layer"] = agree(leaky_layer_output, leaky_layer(z), "LeakyReLU layer")
activations = {
    "input": tensor(z),
    "outputs": {k: tensor(v) for k, v in activation_outputs.items()},
    "leaky_relu_layer": tensor(leaky_layer_output),
    "leaky_relu_layer_slope": 0.3,
}
extreme = np.array([[1000.0, 0.0, -1000.0]])
extreme_out = np.asarray(keras.activations.softmax(extreme, axis=-1))
assert np.all(np.isfinite(extreme_out)) and abs(extreme_out.sum() - 1) < 1e-15
softmax_extreme = {"input": tensor(extreme), "output": tensor(extreme_out)}

# ---------------------------------------------------------------------------------------------
# Losses: value (Keras' default reduction, the mean over the batch) and d(value)/d(output).
probs = np.array([[0.1, 0.6, 0.05, 0.25],
                  [0.7, 0.1, 0.1, 0.1],
                  [0.2, 0.2, 0.35, 0.25]])
logits = np.array([[1.2, -0.4, 2.5, 0.3],
                   [-1.0, 0.8, 0.1, -2.2],
                   [0.6, 0.6, -0.9, 1.9]])
onehot = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64)
indices = np.array([1, 0, 3], dtype=np.float64)
# A zero probability at the label: Keras clips it to 1e-7, so the loss is finite.
probs_zero = np.array([[0.0, 0.3, 0.7, 0.0], [0.25, 0.25, 0.25, 0.25]])
onehot_zero = np.array([[1, 0, 0, 0], [0, 0, 1, 0]], dtype=np.float64)
# Unnormalised "probabilities": Keras divides by the row sum first.
probs_unnorm = np.array([[0.2, 1.2, 0.1, 0.5], [1.4, 0.2, 0.2, 0.2]])
mse_out = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, 0.75], [-2.0, 0.3, 0.1, 1.0]])
mse_tgt = np.array([[0.0, 1.0, 1.5, 0.0], [1.0, 0.5, -0.5, 1.0], [-1.0, 0.0, 0.0, 2.0]])
bin_out = np.array([[0.1, 0.8, 0.45], [0.9, 0.3, 0.6], [0.05, 0.95, 0.5]])
bin_logits = np.array([[-2.2, 1.4, -0.2], [2.2, -0.8, 0.4], [-3.0, 3.0, 0.0]])
bin_tgt = np.array([[0, 1, 0], [1, 0, 1], [0.3, 1, 0.7]], dtype=np.float64)  # soft labels too


EPS = 1e-7  # keras.backend.epsilon()


def formula(kind, output, target, from_logits):
    """Keras' loss formulas written out in float64 jax.numpy (reference for the value and jax.grad)."""
    n = output.shape[0]
    if kind == "mean_squared_error":
        return jnp.mean((output - target) ** 2)
    if kind in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        if kind == "sparse_categorical_crossentropy":
            target = jax.nn.one_hot(target.astype(jnp.int64), output.shape[-1], dtype=jnp.float64)
        if from_logits:
            logp = jax.nn.log_softmax(output, axis=-1)
        else:
            logp = jnp.log(jnp.clip(output / jnp.sum(output, axis=-1, keepdims=True), EPS, 1 - EPS))
        return -jnp.sum(target * logp) / n
    if kind == "binary_crossentropy":
        if from_logits:
            per = -target * jax.nn.log_sigmoid(output) - (1 - target) * jax.nn.log_sigmoid(-output)
        else:
            p = jnp.clip(output, EPS, 1 - EPS)
            per = -(target * jnp.log(p) + (1 - target) * jnp.log(1 - p))
        return jnp.mean(per)
    raise ValueError(kind)


LOSS_NAMES = {"MeanSquaredError": "mean_squared_error", "CategoricalCrossentropy": "categorical_crossentropy",
              "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
              "BinaryCrossentropy": "binary_crossentropy"}


def loss_case(name, loss, output, target, from_logits):
    """Value and gradient of a Keras loss object, and of the float64 formula, which must agree.

    Keras 3 (jax backend) computes `ops.mean` in float32 even for float64 inputs
    (`dtypes.result_type("float64", "float32") == "float32"`), so MSE and binary CE straight from
    Keras carry only float32 precision. The fixture's `value`/`gradient` are the float64 formula's;
    `keras_value`/`keras_gradient` are Keras' own, and agree with them to float32 precision (asserted).
    """
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    kind = LOSS_NAMES[type(loss).__name__]
    keras_target = target.astype(np.int64) if kind.startswith("sparse") else target

    def keras_f(o):
        return loss(keras_target, o)

    def ref_f(o):
        return formula(kind, o, jnp.asarray(target), from_logits)

    keras_value = float(keras_f(jnp.asarray(output)))
    keras_grad = np.asarray(jax.grad(keras_f)(jnp.asarray(output)))
    value = float(ref_f(jnp.asarray(output)))
    grad = np.asarray(jax.grad(ref_f)(jnp.asarray(output)))
    keras_agreement["loss_" + name] = max(agree(value, keras_value, name, atol=1e-9),
                                          agree(grad, keras_grad, name + " gradient", atol=1e-7))
    return {
        "name": name,
        "loss": kind,
        "from_logits": from_logits,
        "output": tensor(output),
        "target": tensor(target),
        "value": value,
        "gradient": tensor(grad),
        "keras_value": keras_value,
        "keras_gradient": tensor(keras_grad),
    }


mse = keras.losses.MeanSquaredError(dtype="float64")
cce = keras.losses.CategoricalCrossentropy(dtype="float64")
cce_logits = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
scce = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
scce_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
bce = keras.losses.BinaryCrossentropy(dtype="float64")
bce_logits = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")

losses = [
    loss_case("mse", mse, mse_out, mse_tgt, False),
    loss_case("cce_probabilities", cce, probs, onehot, False),
    loss_case("cce_zero_probability", cce, probs_zero, onehot_zero, False),
    loss_case("cce_unnormalised", cce, probs_unnorm, onehot[:2], False),
    loss_case("cce_logits", cce_logits, logits, onehot, True),
    loss_case("scce_probabilities", scce, probs, indices, False),
    loss_case("scce_logits", scce_logits, logits, indices, True),
    loss_case("bce_probabilities", bce, bin_out, bin_tgt, False),
    loss_case("bce_logits", bce_logits, bin_logits, bin_tgt, True),
    # reliability.md §4: CE(logits=[1000, -1000], y=1) == 2000, finite.
    loss_case("cce_logits_extreme", cce_logits, [[1000.0, -1000.0]], [[0.0, 1.0]], True),
    loss_case("scce_logits_extreme", scce_logits, [[1000.0, -1000.0]], [1.0], True),
    loss_case("bce_logits_extreme", bce_logits, [[1000.0, -1000.0]], [[0.0, 1.0]], True),
]

fixture = {
    "generator": "Tests/NNLayersTests/Fixtures/generate.py",
    "versions": {"python": platform.python_version(), "keras": keras.__version__, "jax": jax.__version__,
                 "numpy": np.__version__, "backend": keras.backend.backend(), "floatx": keras.config.floatx()},
    "keras_agreement": keras_agreement,
    "dense": {"input": tensor(x), "kernel": tensor(kernel), "bias": tensor(bias), "upstream": tensor(upstream),
              "cases": dense_cases},
    "activations": activations,
    "softmax_extreme": softmax_extreme,
    "losses": losses,
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as fh:
    json.dump(fixture, fh, indent=1)
    fh.write("\n")
print(f"wrote {path}: {len(dense_cases)} dense cases, {len(losses)} loss cases")
