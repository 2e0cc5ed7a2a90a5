#!/usr/bin/env python3
"""Side-by-side benchmark of `nnrun bench mlp` against the peer frameworks, in one run.

Runs each implementation REPS times, interleaved (nnrun, scikit-learn, PyTorch, Keras+JAX, then
again), so that machine noise hits all of them alike, and prints the median training wall time,
samples/s, test accuracy and peak RSS of each, plus each peer's time divided by nnrun's.

The peer scripts are ../shared/bench/peers/*_digits_mlp.py (the same job: digits MLP 64-128-64-10,
Adam 1e-3, batch 32, 100 epochs, validation every epoch). Point PEER_PY at a Python with
keras==3.15.1 jax scikit-learn, TORCH_PY at one with torch scikit-learn (see that folder's README).

    PEER_PY=/path/venv-peer/bin/python TORCH_PY=/path/venv-torch/bin/python \
        python3 scripts/bench_peers.py --reps 5 > bench-results.json
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peers", default=os.path.join(root, "..", "shared", "bench", "peers"))
    ap.add_argument("--nnrun", default=os.path.join(root, ".build", "release", "nnrun"))
    args = ap.parse_args()
    peer_py, torch_py = os.environ.get("PEER_PY"), os.environ.get("TORCH_PY")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    jobs = [("nnrun (OpenBLAS)", [args.nnrun, "bench", "mlp"], dict(env, NNRUN_GEMM="openblas")),
            ("nnrun (builtin GEMM)", [args.nnrun, "bench", "mlp"], dict(env, NNRUN_GEMM="builtin"))]
    if peer_py:
        jobs.append(("scikit-learn MLPClassifier", [peer_py, "sklearn_digits_mlp.py"], env))
        jobs.append(("Keras 3 + JAX", [peer_py, "keras_digits_mlp.py"], dict(env, KERAS_BACKEND="jax")))
    if torch_py:
        jobs.append(("PyTorch", [torch_py, "torch_digits_mlp.py"], env))
    results = {name: [] for name, _, _ in jobs}
    for rep in range(args.reps):
        for name, cmd, e in jobs:
            out, rss, wall = run(cmd, env=e, cwd=args.peers)
            results[name].append({"train_s": out["train_s"], "test_acc": out["test_acc"], "rss_mib": rss, "process_s": wall})
            print(f"rep {rep + 1} {name}: {out['train_s']:.3f} s", file=sys.stderr)
    base = statistics.median(r["train_s"] for r in results[jobs[0][0]])
    summary = []
    for name, runs in results.items():
        med = statistics.median(r["train_s"] for r in runs)
        summary.append({"impl": name, "n": len(runs), "train_s_median": round(med, 4),
                        "train_s_min": round(min(r["train_s"] for r in runs), 4),
                        "train_s_max": round(max(r["train_s"] for r in runs), 4),
                        "ratio_to_nnrun": round(med / base, 2),
                        "test_acc": statistics.median(r["test_acc"] for r in runs),
                        "peak_rss_mib": round(statistics.median(r["rss_mib"] for r in runs), 1),
                        "process_s_median": round(statistics.median(r["process_s"] for r in runs), 2)})
    print(json.dumps({"bench": "digits_mlp", "reps": args.reps, "results": summary}, indent=2))


if __name__ == "__main__":
    main()
