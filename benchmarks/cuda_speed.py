"""CUDA twins against the CPU kernels, and XGBoost GPU rounds with a boostrank objective
against the built-in ranking objectives (issue 3).

    python benchmarks/cuda_speed.py                    # on a machine with a GPU
    python benchmarks/cuda_speed.py --parts kernels --scale 0.1
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/cuda_speed.py --smoke   # no GPU: checks the
        # script runs end to end on numba's simulator (tiny sizes; the times mean nothing)

Part "kernels": ``grad_hess`` per call on the CPU (Numba, all cores) and on the GPU, median of
``--repeats`` calls after a warm-up, a new prediction array each call as the hosts pass.  The
predictions are made before timing; the GPU time includes uploading them (reported apart as
"of which upload") and a device synchronise, and not a copy back (XGBoost takes device
arrays).  Throughput: pair terms/s for the pairwise losses and soft
Spearman (unordered pairs m(m - 1)/2 per group, the CPU's count; the GPU evaluates each pair
once from each side), rows/s otherwise.  Workloads (``--scale`` multiplies the number of
groups): P1000, 1,000 groups of 1,000 rows (the issue's 20e9 pair terms/s target); W1, 10,000
groups of 100 rows, 5 grades; W2, 400 eras of 5,000 rows; W3, 1,000,000 rows, 10 classes;
W4, skewed group sizes (most 10-50 rows, a few of 5,000+).

Part "xgboost": seconds per boosting round of XGBoost ``device="cuda"`` (``hist``, depth 6,
eta 0.1, 256 bins) on W1-sized data with 50 features: built-in ``rank:pairwise`` and
``rank:ndcg`` against boostrank objectives with ``device="cuda"``; median of ``--rounds`` rounds
after 2 warm-up rounds, and the objective's share of the round.
"""

from __future__ import annotations

import argparse
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


def sizes_for(name: str, scale: float, rng: np.random.Generator) -> np.ndarray:
    def groups(n: int) -> int:
        return max(2, round(n * scale))

    if name == "P1000":
        return np.full(groups(1_000), 1_000)
    if name == "W1":
        return np.full(groups(10_000), 100)
    if name == "W2":
        return np.full(groups(400), 5_000)
    if name == "W4":
        sizes = rng.integers(10, 51, groups(20_000))
        sizes[rng.choice(sizes.size, max(1, sizes.size // 2_000), replace=False)] = 5_000
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


def kernel_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    from numba import cuda

    gpu = backend("cuda")
    rng = np.random.default_rng(0)
    rows = []
    for name in args.workloads.split(","):
        if name == "W3":
            n = max(20, round(1_000_000 * args.scale))
            y = rng.integers(0, 10, n).astype(np.float64)
            make = lambda n=n: rng.normal(size=(n, 10))  # noqa: E731
            sizes, pairs = None, 0.0
        else:
            sizes = sizes_for(name, args.scale, rng)
            n = int(sizes.sum())
            y = (rng.random(n) if name == "W2" else rng.integers(0, 5, n)).astype(np.float64)
            make = lambda n=n: rng.normal(size=n)  # noqa: E731
            pairs = float((sizes * (sizes - 1) / 2).sum())
        inputs = [make() for _ in range(args.repeats + 1)]
        for label, template in objectives_for(name):
            row: dict[str, Any] = {"workload": name, "objective": label, "rows": n}
            for device, xp in (("cpu", CPU()), ("cuda", gpu)):
                obj = pickle.loads(pickle.dumps(template))
                obj.device = device
                # a data-set batch, as under xgb.train: static arrays go up once
                base = replace(obj._batch(y, inputs[0], group=sizes), static=True)

                def call(x: np.ndarray, obj: Any = obj, base: Any = base, xp: Any = xp) -> None:
                    obj._grad_hess(replace(base, scores=x), xp)
                    if xp is gpu:
                        cuda.synchronize()

                row[device] = median_time(call, inputs)

            def upload(x: np.ndarray) -> None:
                cuda.to_device(x)
                cuda.synchronize()

            row["upload"] = median_time(upload, inputs)
            row["unit"] = "pairs/s" if pairs and "softmax" not in label else "rows/s"
            work = pairs if row["unit"] == "pairs/s" else n
            row["cpu_rate"] = work / row["cpu"]
            row["gpu_rate"] = work / row["cuda"]
            rows.append(row)
            print(f"  {name} {label}: cpu {row['cpu'] * 1e3:.2f} ms, "
                  f"gpu {row['cuda'] * 1e3:.2f} ms", flush=True)
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
    sizes = sizes_for("W1", args.scale, rng)
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
               "share": timed.seconds / float(np.sum(times)) if timed else float("nan")}
        rows.append(row)
        print(f"  {label}: {row['round'] * 1e3:.1f} ms/round", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--workloads", default="P1000,W1,W2,W3,W4")
    ap.add_argument("--parts", default="kernels,xgboost")
    ap.add_argument("--xgb-device", default="cuda", help=argparse.SUPPRESS)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes, XGBoost on the CPU: check the script runs (simulator)")
    args = ap.parse_args()
    if args.smoke:
        args.scale, args.repeats, args.rounds, args.xgb_device = 1e-6, 1, 1, "cpu"
        args.workloads = "W1,W3"
    from numba import cuda

    backend("cuda")  # a clear error without numba-cuda or a GPU
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    device = "numba simulator" if simulated else cuda.get_current_device().name
    device = device.decode() if isinstance(device, bytes) else device
    print(f"# {time.strftime('%Y-%m-%d')}, GPU: {device}, CPU: {platform.processor() or '?'} "
          f"({os.cpu_count()} threads); boostrank {br.__version__}, block "
          f"{os.environ.get('BOOSTRANK_CUDA_THREADS', '128')} threads")
    if "kernels" in args.parts:
        rows = kernel_rows(args)
        print("\n| workload | objective | rows | CPU ms/call | GPU ms/call | of which upload "
              "| GPU/CPU speed-up | CPU rate | GPU rate |\n|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['workload']} | {r['objective']} | {r['rows']:,} | {r['cpu'] * 1e3:.2f} | "
                  f"{r['cuda'] * 1e3:.2f} | {r['upload'] * 1e3:.2f} | "
                  f"{r['cpu'] / r['cuda']:.1f}x | {r['cpu_rate']:.3g} {r['unit']} | "
                  f"{r['gpu_rate']:.3g} {r['unit']} |")
    if "xgboost" in args.parts:
        rows = xgboost_rows(args)
        base = {r["objective"]: r["round"] for r in rows}
        print("\n| objective (XGBoost device=cuda) | ms/round | vs rank:pairwise | vs rank:ndcg "
              "| objective share |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['objective']} | {r['round'] * 1e3:.1f} | "
                  f"{r['round'] / base['rank:pairwise']:.2f}x | "
                  f"{r['round'] / base['rank:ndcg']:.2f}x | {r['share']:.0%} |")


if __name__ == "__main__":
    main()
