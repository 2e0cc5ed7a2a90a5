"""Peer for `nnrun bench resnet50`: torchvision's ResNet50 inference latency on the CPU.

Random weights (weights=None: nothing is downloaded), random input, eval mode, inference_mode.
Prints one JSON line: ms for one image (median of 10 after 2 warm-ups) and for a batch of 16
(median of 3 after 1 warm-up), the parameter count, torch's thread count, and peak RSS.

    /path/venv-torch/bin/python scripts/peers/torch_resnet50.py     # needs torch and torchvision
"""
import json
import resource
import statistics
import time

import torch
import torchvision


def timed(model, x, warmup, reps):
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main():
    torch.manual_seed(42)
    model = torchvision.models.resnet50(weights=None).eval()
    one = torch.rand(1, 3, 224, 224)
    batch = torch.rand(16, 3, 224, 224)
    result = {
        "bench": "resnet50_inference", "impl": "pytorch", "torch": torch.__version__,
        "torchvision": torchvision.__version__, "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "ms_1": round(timed(model, one, 2, 10), 2),
        "ms_16": round(timed(model, batch, 1, 3), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
