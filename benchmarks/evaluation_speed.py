"""Speed of group-wise evaluation and the cost of leaving the learning-curve callback on.

    python benchmarks/evaluation_speed.py [--rows 1000000 --groups 10000]

Table 1: ``boostrank.evaluate`` on generated scores (5 grades) per metric set, median of 5
calls after a warm-up, with a pandas ``groupby().apply`` of scipy's ``spearmanr`` (the
hand-written notebook baseline) side by side on the same data.
Table 2: training time on MQ2008 Fold 1 (../shared/data) with and without
``LearningCurve`` recording NDCG@10, MAP@10, MRR@10, pairwise accuracy, Spearman and Pearson
on the validation queries every round.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.stats import spearmanr

import boostrank as br


def median_time(fn: Callable[[], Any], repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def evaluate_table(n_rows: int, n_groups: int) -> None:
    rng = np.random.default_rng(0)
    size = n_rows // n_groups
    y = rng.integers(0, 5, n_groups * size).astype(float)
    s = rng.normal(size=y.size) + 0.3 * y
    sizes = np.full(n_groups, size)
    print(f"\nboostrank.evaluate, {y.size:,} rows in {n_groups:,} groups of {size}")
    print("| metrics | seconds/call |\n|---|---|")
    for label, metrics in [("default (ndcg, map, mrr, pairwise_accuracy, spearman, pearson)",
                            None),
                           ("spearman only", ["spearman"]),
                           ('"all" (defaults + the four ranking losses)', "all")]:
        t = median_time(lambda m=metrics: br.evaluate(y, s, group=sizes, metrics=m),
                        repeats=3 if metrics == "all" else 5)
        print(f"| {label} | {t:.3f} |")
    frame = pd.DataFrame({"y": y, "s": s, "g": np.repeat(np.arange(n_groups), size)})
    t = median_time(lambda: frame.groupby("g").apply(
        lambda d: spearmanr(d["y"], d["s"])[0], include_groups=False), repeats=1)
    print(f"| baseline: pandas groupby + scipy spearmanr | {t:.3f} |")


def callback_table(rounds: int) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from _data import letor_fold

    fold = letor_fold("mq2008", 1)
    (x, y, g), (xv, yv, gv) = fold["train"], fold["valid"]
    print(f"\nLearningCurve overhead, MQ2008 Fold 1 ({y.size:,} train rows, {yv.size:,} valid rows "
          f"in {gv.size} queries), {rounds} rounds, six metrics every round")
    print("| host | objective | without (s) | with (s) | overhead |\n|---|---|---|---|---|")

    def fit_xgb(curve: bool) -> None:
        dtrain, dvalid = xgb.DMatrix(x, y, group=g), xgb.DMatrix(xv, yv, group=gv)
        cbs = [br.LearningCurve({"valid": dvalid})] if curve else []
        xgb.train({"nthread": 2, "max_depth": 6}, dtrain, rounds, obj=br.pairwise_soft_zero_one,
                   evals=[(dvalid, "valid")], verbose_eval=False, callbacks=cbs)

    def fit_lgb(curve: bool) -> None:
        cbs = [br.LearningCurve({"valid": (xv, yv, gv)})] if curve else []
        lgb.train({"objective": br.pairwise_soft_zero_one, "verbose": -1, "num_threads": 2},
                  lgb.Dataset(x, y, group=g), rounds, callbacks=cbs)

    for host, fit in [("xgboost", fit_xgb), ("lightgbm", fit_lgb)]:
        without = median_time(lambda f=fit: f(False), repeats=3)
        with_curve = median_time(lambda f=fit: f(True), repeats=3)
        print(f"| {host} | pairwise_soft_zero_one | {without:.2f} | {with_curve:.2f} | "
              f"{with_curve / without - 1:+.0%} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    evaluate_table(args.rows, args.groups)
    callback_table(args.rounds)
