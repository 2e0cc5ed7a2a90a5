"""Reference behaviour of Keras 3's EarlyStopping, ReduceLROnPlateau and learning-rate schedules,
for Tests/NNTrainingTests/CallbackTests.swift. Run with a Python that has keras 3:
    KERAS_BACKEND=jax python generate_callbacks.py > callbacks.json
Each callback is driven directly with on_epoch_end on fixed sequences of monitored values (the
model is a stub that has weights, an optimizer and stop_training)."""
import json

import numpy as np
import keras

rng = np.random.default_rng(0)
sequences = {
    "falling_then_flat": [1.0, 0.8, 0.7, 0.69, 0.69, 0.695, 0.7, 0.71, 0.68, 0.72, 0.73, 0.74],
    "noisy": [float(x) for x in np.round(1.0 / np.arange(1, 21) + rng.normal(0, 0.05, 20), 4)],
    "rising_accuracy": [0.5, 0.6, 0.7, 0.7, 0.72, 0.71, 0.71, 0.715, 0.70, 0.69],
}


def stub_model(lr=0.1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def early(monitor, values, **kwargs):
    model = stub_model()
    cb = keras.callbacks.EarlyStopping(monitor=monitor, **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    epochs = 0
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: v})
        epochs = epoch + 1
        if model.stop_training:
            break
    # 1-based epochs, as nnrun counts them; 0 = never.
    return {"epochs_run": epochs, "stopped_epoch": cb.stopped_epoch + 1 if cb.stopped_epoch > 0 else 0,
            "best_epoch": cb.best_epoch + 1,
            "wait": cb.wait}


def plateau(monitor, values, **kwargs):
    model = stub_model(lr=0.1)
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: v})
        rates.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    return {"rates": rates}


early_cases = []
for name, values in sequences.items():
    monitor = "val_accuracy" if "accuracy" in name else "val_loss"
    for kwargs in [{}, {"patience": 2}, {"patience": 3, "min_delta": 0.01}, {"patience": 2, "restore_best_weights": True},
                   {"patience": 2, "start_from_epoch": 3}, {"patience": 3, "baseline": 0.75 if "accuracy" in name else 0.5},
                   {"patience": 2, "mode": "max" if "accuracy" in name else "min"}]:
        if "accuracy" in name:
            kwargs = {**kwargs, "mode": "max"}   # Keras 3 cannot tell the direction of a metric without a compiled one
        early_cases.append({"sequence": name, "monitor": monitor, "values": values, "options": kwargs,
                            "keras": early(monitor, values, **kwargs)})

plateau_cases = []
for name, values in sequences.items():
    monitor = "val_accuracy" if "accuracy" in name else "val_loss"
    for kwargs in [{"patience": 2}, {"patience": 1, "factor": 0.5, "cooldown": 2}, {"patience": 2, "min_lr": 0.02, "min_delta": 0.05}]:
        if "accuracy" in name:
            kwargs = {**kwargs, "mode": "max"}
        plateau_cases.append({"sequence": name, "monitor": monitor, "values": values, "options": kwargs,
                              "keras": plateau(monitor, values, **kwargs)})

S = keras.optimizers.schedules
steps = list(range(0, 60, 3))
schedules = [
    {"type": "exponential_decay", "options": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
     "rates": [float(S.ExponentialDecay(0.1, 10, 0.5)(s)) for s in steps]},
    {"type": "exponential_decay", "options": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True},
     "rates": [float(S.ExponentialDecay(0.1, 10, 0.5, staircase=True)(s)) for s in steps]},
    {"type": "cosine_decay", "options": {"initial_learning_rate": 0.1, "decay_steps": 40, "alpha": 0.1},
     "rates": [float(S.CosineDecay(0.1, 40, alpha=0.1)(s)) for s in steps]},
    {"type": "cosine_decay", "options": {"initial_learning_rate": 0.0, "decay_steps": 30, "warmup_target": 0.2, "warmup_steps": 12},
     "rates": [float(S.CosineDecay(0.0, 30, warmup_target=0.2, warmup_steps=12)(s)) for s in steps]},
]
print(json.dumps({"keras": keras.__version__, "early_stopping": early_cases, "reduce_lr_on_plateau": plateau_cases,
                  "schedules": {"steps": steps, "cases": schedules}}, indent=1))
