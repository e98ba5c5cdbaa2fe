"""Seconds per boosting round with a boostrank objective against the host's built-in one, on
the same data and tree parameters, and the objective's share of the round.

    python benchmarks/end_to_end.py [--scale 1.0] [--rounds 12] [--warmup 2] [--threads 2]
                                    [--workloads W1,W2,W3] [--hosts xgboost,lightgbm]
    python benchmarks/end_to_end.py --layers omp,workqueue,tbb --workloads W1 --scale 0.1

Workloads (``--scale`` multiplies the row counts, 50 features each, seeded): W1 learning to
rank, 1,000,000 rows in groups of 100 with 5 grades; W2 per-era regression, 2,000,000 rows in
400 eras of 5,000, target in [0, 1]; W3 ordinal, 1,000,000 rows, 10 classes.

Each configuration trains ``--warmup`` rounds (binning, first-call compilation and label
caches) then ``--rounds`` timed rounds one ``update`` at a time; the table gives the median
round (wall and process CPU time) and the objective's share: the time spent inside the
objective callable (wrapped in a timer) over the time of the timed rounds.  Trees: XGBoost
``hist``, ``max_depth`` 6, 256 bins; LightGBM ``num_leaves`` 31, 255 bins; learning rate 0.1,
``--threads`` threads in the host and in Numba.  OMP_WAIT_POLICY is PASSIVE unless
``--omp-wait-policy`` says otherwise (see its help).

``--layers`` runs the W1 rounds once per Numba threading layer, each in a fresh subprocess
(NUMBA_THREADING_LAYER set before boostrank is imported); a layer that cannot load is
reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Workload:
    name: str
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray | None  # group sizes
    n_classes: int = 0


def make_w1(scale: float, rng: np.random.Generator) -> Workload:
    n_groups = max(2, int(10_000 * scale))
    n = n_groups * 100
    x = rng.normal(size=(n, 50)).astype(np.float32)
    latent = x[:, :5] @ np.array([1.0, 0.8, 0.6, 0.4, 0.2]) + rng.normal(size=n)
    y = np.digitize(latent, np.quantile(latent, [0.5, 0.75, 0.9, 0.97])).astype(np.float64)
    return Workload("W1", x, y, np.full(n_groups, 100))


def make_w2(scale: float, rng: np.random.Generator) -> Workload:
    n_eras = max(2, int(400 * scale))
    n = n_eras * 5000
    x = rng.normal(size=(n, 50)).astype(np.float32)
    latent = 0.1 * x[:, :5].sum(axis=1) + rng.normal(size=n)
    y = 1.0 / (1.0 + np.exp(-latent))  # continuous target in (0, 1)
    return Workload("W2", x, y, np.full(n_eras, 5000))


def make_w3(scale: float, rng: np.random.Generator) -> Workload:
    n = max(100, int(1_000_000 * scale))
    x = rng.normal(size=(n, 50)).astype(np.float32)
    latent = x[:, :5] @ np.array([1.0, 0.8, 0.6, 0.4, 0.2]) + rng.normal(size=n)
    y = np.digitize(latent, np.quantile(latent, np.linspace(0, 1, 11)[1:-1])).astype(np.float64)
    return Workload("W3", x, y, None, n_classes=10)


class Timed:
    """Wraps an objective callable and adds up the wall / CPU time spent inside it."""

    def __init__(self, obj: Callable[..., Any]) -> None:
        self.obj = obj
        self.wall = 0.0
        self.cpu = 0.0

    def __call__(self, *args: Any) -> Any:
        w0, c0 = time.perf_counter(), time.process_time()
        out = self.obj(*args)
        self.wall += time.perf_counter() - w0
        self.cpu += time.process_time() - c0
        return out


def configs(w: Workload, host: str) -> list[tuple[str, Any]]:
    """(label, objective) pairs: a string is a built-in, anything else a boostrank objective."""
    import boostrank as br

    if w.name == "W1":
        builtin = (["rank:pairwise", "rank:ndcg"] if host == "xgboost"
                   else ["lambdarank", "rank_xendcg"])
        return [(b, b) for b in builtin] + [
            ("pairwise_logistic", br.pairwise_logistic),
            ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg")),
            # LightGBM's lambdarank keeps the pairs with a row in the top 30 by default
            # (lambdarank_truncation_level): the same pair set
            ("pairwise_logistic(ndcg, truncation_level=30)",
             br.PairwiseLogistic(lambda_weight="ndcg", truncation_level=30)),
            ("softmax_ranking", br.softmax_ranking),
        ]
    if w.name == "W2":
        b = "reg:squarederror" if host == "xgboost" else "regression"
        return [(b, b), ("soft_spearman", br.soft_spearman), ("combined_loss", br.combined_loss)]
    b = "multi:softprob" if host == "xgboost" else "multiclass"
    return [(b, b), ("rps", br.rps)]


def run_rounds(w: Workload, host: str, objective: Any, rounds: int, warmup: int,
               threads: int) -> dict[str, float]:
    timed = None if isinstance(objective, str) else Timed(objective)
    walls, cpus = [], []
    if host == "xgboost":
        import xgboost as xgb

        dtrain = xgb.DMatrix(w.x, label=w.y, group=w.group, nthread=threads)
        params: dict[str, Any] = {"tree_method": "hist", "max_depth": 6, "max_bin": 256,
                                  "eta": 0.1, "nthread": threads,
                                  "disable_default_eval_metric": 1}
        if w.n_classes:
            params["num_class"] = w.n_classes
        if isinstance(objective, str):
            params["objective"] = objective
        booster = xgb.Booster(params, [dtrain])
        for i in range(warmup + rounds):
            w0, c0 = time.perf_counter(), time.process_time()
            booster.update(dtrain, i, fobj=timed)
            if i == warmup - 1 and timed is not None:
                timed.wall = timed.cpu = 0.0
            if i >= warmup:
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
    else:
        import lightgbm as lgb

        lparams: dict[str, Any] = {"num_leaves": 31, "max_bin": 255, "learning_rate": 0.1,
                                   "num_threads": threads, "verbose": -1,
                                   "objective": objective if isinstance(objective, str)
                                   else "none"}
        if w.n_classes:
            lparams["num_class"] = w.n_classes
        train_set = lgb.Dataset(w.x, label=w.y, group=w.group, params={"verbose": -1})
        lbooster = lgb.Booster(lparams, train_set)
        for i in range(warmup + rounds):
            w0, c0 = time.perf_counter(), time.process_time()
            lbooster.update(fobj=timed)
            if i == warmup - 1 and timed is not None:
                timed.wall = timed.cpu = 0.0
            if i >= warmup:
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
    total = float(np.sum(walls))
    return {"wall": float(np.median(walls)), "cpu": float(np.median(cpus)),
            "obj_wall": timed.wall / rounds if timed else float("nan"),
            "share": timed.wall / total if timed else float("nan")}


def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    makers = {"W1": make_w1, "W2": make_w2, "W3": make_w3}
    rows = []
    for wname in args.workloads.split(","):
        w = makers[wname](args.scale, np.random.default_rng(0))
        for host in args.hosts.split(","):
            base = None
            for label, obj in configs(w, host):
                r = run_rounds(w, host, obj, args.rounds, args.warmup, args.threads)
                if base is None:
                    base = r["wall"]
                rows.append({"workload": wname, "rows": len(w.y), "host": host,
                             "objective": label, "builtin": isinstance(obj, str),
                             "vs_first_builtin": r["wall"] / base, **r})
                print(f"# {wname} {host} {label}: {r['wall']:.3f} s/round", file=sys.stderr,
                      flush=True)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| workload | rows | host | objective | s/round (median) | CPU s/round | "
          "x first built-in | objective s/round | objective share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = "" if r["builtin"] else f"{100 * r['share']:.1f}%"
        obj_t = "" if r["builtin"] else f"{r['obj_wall']:.3f}"
        name = r["objective"] + (" (built-in)" if r["builtin"] else "")
        print(f"| {r['workload']} | {r['rows']:,} | {r['host']} | {name} | {r['wall']:.3f} | "
              f"{r['cpu']:.3f} | {r['vs_first_builtin']:.2f} | {obj_t} | {share} |")


def layer_study(args: argparse.Namespace) -> None:
    print("| threading layer | host | objective | s/round (median) | CPU s/round | "
          "objective s/round | objective share |")
    print("|---|---|---|---|---|---|---|")
    for layer in args.layers.split(","):
        env = {**os.environ, "NUMBA_THREADING_LAYER": layer}
        if layer == "tbb":  # pip's tbb puts libtbb.so.12 in <prefix>/lib, off the loader's path
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                p for p in (os.path.join(sys.prefix, "lib"), env.get("LD_LIBRARY_PATH")) if p)
        cmd = [sys.executable, __file__, "--json", "--scale", str(args.scale), "--rounds",
               str(args.rounds), "--warmup", str(args.warmup), "--threads", str(args.threads),
               "--workloads", args.workloads, "--hosts", args.hosts, "--check-layer",
               "--omp-wait-policy", args.omp_wait_policy]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
            print(f"| {layer} | | unavailable: {reason[:120]} | | | | |")
            continue
        for r in json.loads(proc.stdout):
            share = "" if r["builtin"] else f"{100 * r['share']:.1f}%"
            obj_t = "" if r["builtin"] else f"{r['obj_wall']:.3f}"
            print(f"| {r.get('layer', layer)} | {r['host']} | {r['objective']} | "
                  f"{r['wall']:.3f} | {r['cpu']:.3f} | {obj_t} | {share} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workloads", default="W1,W2,W3")
    ap.add_argument("--hosts", default="xgboost,lightgbm")
    ap.add_argument("--layers", default="", help="comma-separated Numba threading layers")
    ap.add_argument("--omp-wait-policy", default="passive", choices=["passive", "active", "unset"],
                    help="OMP_WAIT_POLICY for the host libraries' OpenMP pools (default passive: "
                    "on a shared, oversubscribed machine spinning pool threads measure the other "
                    "jobs, 10-30x slower rounds; 'unset' leaves the runtime default)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--check-layer", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.omp_wait_policy != "unset":  # before any OpenMP runtime is loaded
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    if args.layers:
        layer_study(args)
        return
    rows = bench(args)
    if args.check_layer:  # the layer actually used (numba falls back silently otherwise)
        import numba

        layer = numba.threading_layer()
        for r in rows:
            r["layer"] = layer
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
