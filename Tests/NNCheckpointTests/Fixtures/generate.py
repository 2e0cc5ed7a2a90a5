"""Writes python_written.safetensors with the reference implementation (safetensors.numpy), so the
Swift reader is tested against a file it did not write. Run with a Python that has numpy and
safetensors:  python generate.py
The values are simple closed forms, which the test recomputes: a[i, j] = i - 0.5 * j (F32, 3x4),
b[k] = 1 / (k + 1) (F64, 5), c = [] (F32, shape [0]), and metadata {"source": "python"}."""
import numpy as np
from safetensors.numpy import save_file

a = np.array([[i - 0.5 * j for j in range(4)] for i in range(3)], dtype=np.float32)
b = np.array([1.0 / (k + 1) for k in range(5)], dtype=np.float64)
c = np.zeros((0,), dtype=np.float32)
save_file({"layer.a": a, "layer.b": b, "empty": c}, "python_written.safetensors", metadata={"source": "python"})
