#!/usr/bin/env python3
"""Side-by-side benchmark of `nnrun bench JOB` against the peer frameworks, in one run.

Runs each implementation REPS times, interleaved (nnrun, scikit-learn, PyTorch, Keras+JAX, then
again), so that machine noise hits all of them alike, and prints the median training wall time,
samples/s, test accuracy and peak RSS of each, plus each peer's time divided by nnrun's.

The peer scripts are ../shared/bench/peers/*_digits_mlp.py (the same job: digits MLP 64-128-64-10,
Adam 1e-3, batch 32, 100 epochs, validation every epoch). Point PEER_PY at a Python with
keras==3.15.1 jax scikit-learn, TORCH_PY at one with torch scikit-learn (see that folder's README).

    PEER_PY=/path/venv-peer/bin/python TORCH_PY=/path/venv-torch/bin/python \
        python3 scripts/bench_peers.py --job mlp --reps 5 > bench-results.json

Jobs: mlp, cnn (digits CNN, 30 epochs), mnist (Keras' mnist_cnn on synthetic 28x28x1; training and
inference samples/s), resnet50 (inference latency; the peer is scripts/peers/torch_resnet50.py),
pca, kmeans, tsne (the unsupervised methods on all 1797 digits; the peer is unsupervised_sklearn.py,
which runs all three each time: only the job's own fields are compared).
"""
import argparse, json, os, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def run(cmd, env=None, cwd=None):
    """Runs cmd under /usr/bin/time -v; returns (json line dict, peak RSS MiB, wall s)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    rss = next(int(l.split()[-1]) for l in p.stderr.splitlines() if "Maximum resident set size" in l) / 1024
    return json.loads(line), rss, wall


JOBS = {
    # job: (nnrun bench job, peer scripts as (label, python env var, script, extra env), metrics to report)
    "mlp": ("mlp", [("scikit-learn MLPClassifier", "PEER_PY", "sklearn_digits_mlp.py", {}),
                    ("Keras 3 + JAX", "PEER_PY", "keras_digits_mlp.py", {"KERAS_BACKEND": "jax"}),
                    ("PyTorch", "TORCH_PY", "torch_digits_mlp.py", {})], ["train_s", "test_acc"]),
    "cnn": ("cnn", [("Keras 3 + JAX", "PEER_PY", "keras_digits_cnn.py", {"KERAS_BACKEND": "jax"}),
                    ("PyTorch", "TORCH_PY", "torch_digits_cnn.py", {})], ["train_s", "test_acc"]),
    "mnist": ("mnist", [("Keras 3 + JAX", "PEER_PY", "keras_mnist_cnn.py", {"KERAS_BACKEND": "jax"}),
                        ("PyTorch", "TORCH_PY", "torch_mnist_cnn.py", {})],
              ["train_samples_per_s", "infer_samples_per_s"]),
    "resnet50": ("resnet50", [("PyTorch + torchvision", "TORCH_PY", "@scripts/peers/torch_resnet50.py", {})], ["ms_1", "ms_16"]),
    "pca": ("pca", [("scikit-learn", "PEER_PY", "unsupervised_sklearn.py", {})], ["pca_s"]),
    "kmeans": ("kmeans", [("scikit-learn", "PEER_PY", "unsupervised_sklearn.py", {})], ["kmeans_s", "kmeans_ari"]),
    "tsne": ("tsne", [("scikit-learn", "PEER_PY", "unsupervised_sklearn.py", {})], ["tsne_s", "tsne_trustworthiness_k5"]),
}
# Quality figures: reported, never turned into speed-up ratios.
QUALITY = {"test_acc", "kmeans_ari", "tsne_trustworthiness_k5"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", default="mlp", choices=sorted(JOBS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peers", default=os.path.join(root, "..", "shared", "bench", "peers"))
    ap.add_argument("--nnrun", default=os.path.join(root, ".build", "release", "nnrun"))
    args = ap.parse_args()
    job, peers, metrics = JOBS[args.job]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    jobs = [("nnrun (OpenBLAS)", [args.nnrun, "bench", job], dict(env, NNRUN_GEMM="openblas"), root),
            ("nnrun (builtin GEMM)", [args.nnrun, "bench", job], dict(env, NNRUN_GEMM="builtin"), root)]
    for label, var, script, extra in peers:
        python = os.environ.get(var)
        if not python:
            print(f"skipping {label}: set {var}", file=sys.stderr)
            continue
        if script.startswith("@"):
            jobs.append((label, [python, os.path.join(root, script[1:])], dict(env, **extra), root))
        else:
            jobs.append((label, [python, script], dict(env, **extra), args.peers))
    results = {name: [] for name, _, _, _ in jobs}
    for rep in range(args.reps):
        for name, cmd, e, cwd in jobs:
            out, rss, wall = run(cmd, env=e, cwd=cwd)
            out["peak_rss_mib"], out["process_s"] = rss, wall
            results[name].append(out)
            print(f"rep {rep + 1} {name}: " + ", ".join(f"{m}={out.get(m)}" for m in metrics), file=sys.stderr)
    summary = []
    for name, runs in results.items():
        row = {"impl": name, "n": len(runs)}
        for m in metrics + ["peak_rss_mib", "process_s"]:
            values = [r[m] for r in runs if m in r]
            if values:
                row[m] = round(statistics.median(values), 4)
                row[m + "_range"] = [round(min(values), 4), round(max(values), 4)]
        summary.append(row)
    # Ratios against nnrun (OpenBLAS), the first row: > 1 means nnrun is faster (times are divided
    # by nnrun's, rates divide nnrun's) — what the README's tables quote.
    base = summary[0]
    for row in summary[1:]:
        for m in metrics:
            if m in row and m in base and row[m] and base[m]:
                is_time = (m.endswith("_s") and not m.endswith("per_s")) or m.startswith("ms_")
                faster = row[m] / base[m] if is_time else base[m] / row[m]
                if m not in QUALITY:
                    row["nnrun_speedup_" + m] = round(faster, 2)
    print(json.dumps({"bench": args.job, "reps": args.reps, "results": summary}, indent=2))


if __name__ == "__main__":
    main()
