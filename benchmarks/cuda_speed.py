"""CUDA twins against the CPU kernels, and XGBoost GPU rounds with a boostrank objective
against the built-in ranking objectives; ends with the GPU targets and whether each is met.

    python benchmarks/cuda_speed.py                       # on a machine with a GPU
    python benchmarks/cuda_speed.py --json speed.json     # also write every figure as JSON
    python benchmarks/cuda_speed.py --threads 128,256     # GPU times at several block sizes
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_speed.py --smoke   # no GPU: checks the
        # script runs end to end on numba's simulator (tiny sizes; the times mean nothing)

Part "kernels": ``grad_hess`` per call on the CPU (Numba, all cores) and on the GPU, median of
``--repeats`` calls after a warm-up, a new prediction array each call (float64 unless
``--preds-dtype float32``), on a data set's batch as under ``xgb.train`` (labels, weights and
groups already on the device, output and scratch buffers reused).  The predictions are made
before timing; the GPU time includes uploading them (also timed alone: "upload") and a device
synchronise, and not a copy back (XGBoost takes device arrays).  Throughput: pair terms/s for
the pairwise losses and soft Spearman (unordered pairs m(m - 1)/2 per group, the CPU's count;
the GPU evaluates each pair once from each side), rows/s otherwise.  Workloads (``--scale``
multiplies the number of groups): P1000, 1,000 groups of 1,000 rows; W1, 10,000 groups of 100
rows, 5 grades; W2, 400 eras of 5,000 rows; W3, 1,000,000 rows, 10 classes; W4 (not run by
default), skewed group sizes (most 10-50 rows, a few of 5,000).

Part "xgboost": seconds per boosting round of XGBoost ``device="cuda"`` (``hist``, depth 6,
eta 0.1, 256 bins) on W1-sized data with 50 features: built-in ``rank:pairwise`` and
``rank:ndcg`` against boostrank's pairwise objectives with ``device="cuda"``; median of
``--rounds`` rounds after 2 warm-up rounds, and the objective's share of the round (its calls,
device synchronised, over the rounds' time).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

import boostrank as br
from boostrank._backend import CPU, backend

#: The GPU targets: (workload, objective or "*", measure, target, "min" or "max").
TARGETS = [
    ("P1000", "pairwise*", "gpu_rate", 2e11, "min"),
    ("W1", "pairwise*", "speedup", 5.0, "min"),
    ("W1", "softmax_ranking", "speedup", 3.0, "min"),
    ("W2", "soft_spearman", "speedup", 3.0, "min"),
    ("W3", "rps", "speedup", 3.0, "min"),
    ("xgboost", "pairwise*", "vs_ndcg", 1.05, "max"),
    ("xgboost", "pairwise*", "share", 0.20, "max"),
]


def sizes_for(name: str, scale: float, rng: np.random.Generator, smoke: bool) -> np.ndarray:
    def groups(n: int) -> int:
        return max(2, round(n * scale))

    if name == "P1000":
        return np.full(3, 12) if smoke else np.full(groups(1_000), 1_000)
    if name == "W1":
        return np.full(3, 8) if smoke else np.full(groups(10_000), 100)
    if name == "W2":
        return np.full(2, 16) if smoke else np.full(groups(400), 5_000)
    if name == "W4":
        sizes = rng.integers(3 if smoke else 10, 8 if smoke else 51, 6 if smoke else groups(20_000))
        sizes[rng.choice(sizes.size, max(1, sizes.size // 2_000), replace=False)] = (
            20 if smoke else 5_000)
        return sizes
    raise ValueError(name)


def objectives_for(name: str) -> list[tuple[str, Any]]:
    if name in ("P1000", "W1", "W4"):
        out = [("pairwise_logistic", br.PairwiseLogistic()),
               ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg")),
               ("pairwise_soft_zero_one", br.PairwiseSoftZeroOne())]
        return out + ([("softmax_ranking", br.SoftmaxRanking())] if name == "W1" else [])
    if name == "W2":
        return [("soft_spearman", br.SoftSpearman())]
    return [("rps", br.RankedProbabilityScore())]


def median_time(call: Callable[[np.ndarray], Any], inputs: list[np.ndarray]) -> float:
    """Median time of ``call(x)`` over ``inputs[1:]`` after a warm-up on ``inputs[0]``
    (compilation, label caches, static uploads); inputs are made before timing."""
    call(inputs[0])
    times = []
    for x in inputs[1:]:
        t0 = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def kernel_rows(args: argparse.Namespace, block_sizes: list[int]) -> list[dict[str, Any]]:
    from numba import cuda

    from boostrank._cuda import _common

    gpu = backend("cuda")
    rng = np.random.default_rng(0)
    dtype = np.dtype(args.preds_dtype)
    rows = []
    for name in args.workloads.split(","):
        if name == "W3":
            n = 20 if args.smoke else max(20, round(1_000_000 * args.scale))
            y = rng.integers(0, 10, n).astype(np.float64)
            make = lambda n=n: rng.normal(size=(n, 10)).astype(dtype)  # noqa: E731
            sizes, pairs = None, 0.0
        else:
            sizes = sizes_for(name, args.scale, rng, args.smoke)
            n = int(sizes.sum())
            y = (rng.random(n) if name == "W2" else rng.integers(0, 5, n)).astype(np.float64)
            make = lambda n=n: rng.normal(size=n).astype(dtype)  # noqa: E731
            pairs = float((sizes * (sizes - 1) / 2).sum())
        inputs = [make() for _ in range(args.repeats + 1)]
        for label, template in objectives_for(name):
            unit = "pairs/s" if pairs and "softmax" not in label else "rows/s"
            work = pairs if unit == "pairs/s" else n
            calls: dict[str, Any] = {}
            for device, xp in (("cpu", CPU()), ("cuda", gpu)):
                obj = pickle.loads(pickle.dumps(template))
                obj.device = device
                # a data-set batch, as under xgb.train: static arrays go up once
                base = replace(obj._batch(y, inputs[0], group=sizes), static=True)

                def call(x: np.ndarray, obj: Any = obj, base: Any = base, xp: Any = xp) -> None:
                    obj._grad_hess(replace(base, scores=x), xp)
                    if xp is gpu:
                        cuda.synchronize()

                calls[device] = (call, base)
            cpu_time = median_time(calls["cpu"][0], inputs)
            data_set = gpu.batch(calls["cuda"][1]).labels

            def upload(x: np.ndarray, data_set: Any = data_set) -> None:
                gpu._scores(x, data_set)
                cuda.synchronize()

            for threads in block_sizes:
                _common.THREADS = threads
                gpu_time = median_time(calls["cuda"][0], inputs)
                row = {"workload": name, "objective": label, "rows": n, "pairs": pairs,
                       "threads": threads, "preds_dtype": dtype.name, "cpu": cpu_time,
                       "cuda": gpu_time, "upload": median_time(upload, inputs), "unit": unit,
                       "cpu_rate": work / cpu_time, "gpu_rate": work / gpu_time,
                       "speedup": cpu_time / gpu_time}
                rows.append(row)
                print(f"  {name} {label} (block {threads}): cpu {cpu_time * 1e3:.2f} ms, "
                      f"gpu {gpu_time * 1e3:.2f} ms", flush=True)
            _common.THREADS = block_sizes[0]  # what the XGBoost part runs at
    return rows


class Timed:
    """Wraps an objective and adds up the wall time spent in it (device synchronised)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.seconds = 0.0

    def __call__(self, *a: Any) -> Any:
        from numba import cuda

        t0 = time.perf_counter()
        out = self.obj(*a)
        cuda.synchronize()
        self.seconds += time.perf_counter() - t0
        return out


def xgboost_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    import xgboost as xgb

    rng = np.random.default_rng(1)
    sizes = sizes_for("W1", args.scale, rng, args.smoke)
    n = int(sizes.sum())
    x = rng.normal(size=(n, 50)).astype(np.float32)
    latent = x[:, :5] @ np.array([1.0, 0.8, 0.6, 0.4, 0.2]) + rng.normal(size=n)
    y = np.digitize(latent, np.quantile(latent, [0.5, 0.75, 0.9, 0.97])).astype(np.float64)
    dtrain = xgb.DMatrix(x, label=y, group=sizes)
    contenders: list[tuple[str, Any]] = [
        ("rank:pairwise", "rank:pairwise"), ("rank:ndcg", "rank:ndcg"),
        ("pairwise_logistic", br.PairwiseLogistic(device="cuda")),
        ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg", device="cuda")),
        ("pairwise_soft_zero_one", br.PairwiseSoftZeroOne(device="cuda")),
    ]
    rows = []
    for label, objective in contenders:
        params: dict[str, Any] = {"device": args.xgb_device, "tree_method": "hist",
                                  "max_depth": 6, "max_bin": 256, "eta": 0.1,
                                  "disable_default_eval_metric": 1}
        if isinstance(objective, str):
            params["objective"] = objective
        timed = None if isinstance(objective, str) else Timed(objective)
        booster = xgb.Booster(params, [dtrain])
        times = []
        for i in range(2 + args.rounds):
            if i == 2 and timed is not None:
                timed.seconds = 0.0
            t0 = time.perf_counter()
            booster.update(dtrain, i, fobj=timed)  # returns once the round is done
            if i >= 2:
                times.append(time.perf_counter() - t0)
        row = {"objective": label, "round": float(np.median(times)),
               "share": timed.seconds / float(np.sum(times)) if timed else None}
        rows.append(row)
        print(f"  {label}: {row['round'] * 1e3:.1f} ms/round", flush=True)
    ndcg = next(r["round"] for r in rows if r["objective"] == "rank:ndcg")
    pairwise = next(r["round"] for r in rows if r["objective"] == "rank:pairwise")
    for r in rows:
        r["vs_ndcg"] = r["round"] / ndcg
        r["vs_pairwise"] = r["round"] / pairwise
    return rows


def target_rows(kernels: list[dict[str, Any]], rounds: list[dict[str, Any]],
                block: int) -> list[dict[str, Any]]:
    """Each target with the figure measured for it (kernels at block size ``block``)."""
    out = []
    for workload, objective, measure, target, kind in TARGETS:
        pool = rounds if workload == "xgboost" else [
            r for r in kernels if r["workload"] == workload and r["threads"] == block]
        for r in pool:
            name = r["objective"]
            if not (name == objective or (objective.endswith("*") and
                    name.startswith(objective[:-1]))):
                continue
            value = r[measure]
            met = value >= target if kind == "min" else value <= target
            out.append({"workload": workload, "objective": name, "measure": measure,
                        "value": value, "target": target, "kind": kind, "met": bool(met)})
    return out


def show(value: float, measure: str) -> str:
    if measure == "gpu_rate":
        return f"{value:.3g} pair terms/s"
    if measure == "share":
        return f"{value:.0%} of the round"
    if measure == "vs_ndcg":
        return f"{value:.2f}x rank:ndcg"
    return f"{value:.1f}x the CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--workloads", default="P1000,W1,W2,W3")
    ap.add_argument("--parts", default="kernels,xgboost")
    ap.add_argument("--threads", default="",
                    help="GPU block sizes to time, comma-separated (default: the configured "
                         "BOOSTRANK_CUDA_THREADS); the first one is checked against the targets")
    ap.add_argument("--preds-dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--json", default="", help="also write every figure to this file")
    ap.add_argument("--xgb-device", default="cuda", help=argparse.SUPPRESS)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes, XGBoost on the CPU: check the script runs (simulator)")
    args = ap.parse_args()
    if args.smoke:
        args.repeats, args.rounds, args.xgb_device = 1, 1, "cpu"
    from numba import cuda

    from boostrank._cuda import _common

    backend("cuda")  # a clear error without numba-cuda or a GPU
    block_sizes = [int(t) for t in args.threads.split(",") if t] or [_common.THREADS]
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    device = "numba simulator" if simulated else cuda.get_current_device().name
    device = device.decode() if isinstance(device, bytes) else device
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "gpu": device,
            "cpu": platform.processor() or "?", "cpu_threads": os.cpu_count(),
            "block_sizes": block_sizes, "boostrank": br.__version__, "args": vars(args)}
    print(f"# {meta['date']}, GPU: {device}, CPU: {meta['cpu']} ({os.cpu_count()} threads); "
          f"boostrank {br.__version__}, block sizes {block_sizes}, predictions "
          f"{args.preds_dtype}")
    kernels: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    if "kernels" in args.parts:
        kernels = kernel_rows(args, block_sizes)
        print("\n| workload | objective | rows | block | CPU ms/call | GPU ms/call | upload ms "
              "| upload share | GPU/CPU | CPU rate | GPU rate |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|")
        for r in kernels:
            print(f"| {r['workload']} | {r['objective']} | {r['rows']:,} | {r['threads']} | "
                  f"{r['cpu'] * 1e3:.2f} | {r['cuda'] * 1e3:.2f} | {r['upload'] * 1e3:.2f} | "
                  f"{min(1.0, r['upload'] / r['cuda']):.0%} | {r['speedup']:.1f}x | "
                  f"{r['cpu_rate']:.3g} {r['unit']} | {r['gpu_rate']:.3g} {r['unit']} |")
    if "xgboost" in args.parts:
        rounds = xgboost_rows(args)
        print(f"\n| objective (XGBoost device={args.xgb_device}) | ms/round | vs rank:pairwise "
              "| vs rank:ndcg | objective share |\n|---|---|---|---|---|")
        for r in rounds:
            share = "-" if r["share"] is None else f"{r['share']:.0%}"
            print(f"| {r['objective']} | {r['round'] * 1e3:.2f} | {r['vs_pairwise']:.2f}x | "
                  f"{r['vs_ndcg']:.2f}x | {share} |")
    targets = target_rows(kernels, rounds, block_sizes[0])
    print(f"\n| target (block {block_sizes[0]}) | objective | measured | target | met |\n"
          "|---|---|---|---|---|")
    for t in targets:
        sign = ">=" if t["kind"] == "min" else "<="
        print(f"| {t['workload']} {t['measure']} | {t['objective']} | "
              f"{show(t['value'], t['measure'])} | {sign} {show(t['target'], t['measure'])} | "
              f"{'yes' if t['met'] else 'NO'} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "kernels": kernels, "xgboost": rounds,
                       "targets": targets}, f, indent=1)


if __name__ == "__main__":
    main()
