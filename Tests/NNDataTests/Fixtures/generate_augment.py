"""Reference warps for AugmentationTests.swift (`Fixtures/augment.json`): scipy's
`ndimage.affine_transform(order=1, mode="grid-constant", cval=0)` (bilinear, zeros outside the
image, interpolating across the border) of one 7x9x2 image per channel, for a few fixed transforms.

Run it (from the repository root):

    /work/peers/venv-peer/bin/python Tests/NNDataTests/Fixtures/generate_augment.py

Generated with scipy 1.17.1, numpy 2.4.6 (recorded in `versions`). The inverse map is the one
Augmenter.swift documents, in (row, column) coordinates with the centre c = ((H-1)/2, (W-1)/2):

    input = M @ output + offset,   M = [[cos t, sin t], [-f sin t, f cos t]] / s,
    offset = c - M @ (c + (dy, dx))

(t the counter-clockwise rotation, s the magnification, f = -1 for a horizontal flip).
"""

import json
import math
import os
import platform

import numpy as np
import scipy
import scipy.ndimage as ndimage

H, W, C = 7, 9, 2
rng = np.random.default_rng(11)
image = np.round(rng.uniform(0, 1, size=(H, W, C)), 4)

# (name, dy, dx, degrees, scale, flip)
CASES = [
    ("shift_subpixel", 0.4, -1.7, 0.0, 1.0, False),
    ("rotate_23", 0.0, 0.0, 23.0, 1.0, False),
    ("zoom_in", 0.0, 0.0, 0.0, 1.3, False),
    ("zoom_out_flip", 0.0, 0.0, 0.0, 0.8, True),
    ("everything", 1.2, 0.6, -12.5, 1.1, True),
]


def inverse(dy, dx, degrees, scale, flip):
    t = math.radians(degrees)
    f = -1.0 if flip else 1.0
    m = np.array([[math.cos(t), math.sin(t)], [-f * math.sin(t), f * math.cos(t)]]) / scale
    c = np.array([(H - 1) / 2, (W - 1) / 2])
    return m, c - m @ (c + np.array([dy, dx]))


cases = []
for name, dy, dx, degrees, scale, flip in CASES:
    m, offset = inverse(dy, dx, degrees, scale, flip)
    out = np.stack([ndimage.affine_transform(image[..., k], m, offset=offset, order=1, mode="grid-constant", cval=0.0)
                    for k in range(C)], axis=-1)
    cases.append({"name": name, "dy": dy, "dx": dx, "degrees": degrees, "scale": scale, "flip": flip,
                  "output": [float(v) for v in out.reshape(-1)]})

fixture = {
    "generator": "Tests/NNDataTests/Fixtures/generate_augment.py",
    "versions": {"python": platform.python_version(), "scipy": scipy.__version__, "numpy": np.__version__},
    "shape": [H, W, C],
    "image": [float(v) for v in image.reshape(-1)],
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "augment.json")
with open(path, "w") as fh:
    json.dump(fixture, fh, indent=1)
    fh.write("\n")
print(f"wrote {path}: {len(cases)} cases")
