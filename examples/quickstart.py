"""boostrank's main job: for each kind of task, train the objective the README recommends next
to the host's own built-in, on XGBoost and on LightGBM, with the same default trees and 100
rounds, and print held-out metrics side by side.

    python examples/quickstart.py

The data come from ``boostrank.datasets`` (generated, seeded), so the run needs nothing else.
A cold first run also compiles boostrank's kernels for this machine (a ``CompileWarning``
says so); later runs load them from Numba's on-disk cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb

import boostrank as br
from boostrank.datasets import make_eras, make_ordinal, make_ranking

ROUNDS = 100
#: (x, y, group sizes or None, x held out, y held out, held-out group sizes or None)
Split = tuple[Any, ...]

#: Why the pick may trail the built-in on one of these small generated sets, by task and
#: host; printed only when it does (the evidence on real data is in RESULTS.md).
WHY_BEHIND = {
    "ranking": "on these generated queries LightGBM's lambdarank ranks better than the "
               "boostrank losses tried on them; on real data yetirank is ahead of lambdarank "
               "(MQ2008 and OHSUMED, 5 folds each: RESULTS.md, docs/yetirank.md).",
    "eras": "one seed of generated eras; over the five seeds of RESULTS.md's core "
            "comparison soft_spearman is ahead of regression on both hosts (LightGBM "
            "+0.0027, 3 of 5 seeds).",
    "ordinal": "one split of generated data; over the five splits of each ordinal set in "
               "RESULTS.md's core comparison (wine quality, anes96, make_ordinal) rps is ahead "
               "of the host's multi-class softmax on both hosts.",
}


def group_split(d: dict[str, np.ndarray]) -> Split:
    """Every fourth group is held out."""
    test_groups = np.arange(d["group"].size) % 4 == 0
    rows = np.repeat(test_groups, d["group"])
    return (d["X"][~rows], d["y"][~rows], d["group"][~test_groups],
            d["X"][rows], d["y"][rows], d["group"][test_groups])


def fit_predict(host: str, objective: Any, split: Split, grouped: bool,
                n_classes: int | None = None) -> np.ndarray:
    """Train ``objective`` (a host's built-in name or a boostrank object) with the host's
    default trees and return raw margins on the held-out rows.  Built-in regression and
    multi-class objectives train without the groups; boostrank's take them."""
    x, y, sizes, xt = split[:4]
    group = sizes if grouped else None
    extra: dict[str, Any] = {} if n_classes is None else {"num_class": n_classes}
    if host == "xgboost":
        params: dict[str, Any] = {"nthread": 2, **extra}
        if isinstance(objective, str):
            params["objective"] = objective
            obj = None
        else:  # the custom objective goes into obj=; no built-in metric to compute
            params["disable_default_eval_metric"] = 1
            obj = objective
        booster = xgb.train(params, xgb.DMatrix(x, y, group=group), ROUNDS, obj=obj)
        return np.asarray(booster.predict(xgb.DMatrix(xt), output_margin=True))
    params = {"objective": objective, "verbose": -1, "num_threads": 2, **extra}
    model = lgb.train(params, lgb.Dataset(x, y, group=group), ROUNDS)
    return np.asarray(model.predict(xt, raw_score=True))


def compare(task: str, title: str, metric: str, higher: bool, split: Split,
            score: Callable[[np.ndarray], float], builtins: dict[str, str], pick: str,
            n_classes: int | None = None) -> None:
    """Print the built-in and the pick on both hosts, and why the pick trails where it does."""
    print(f"\n{title}  ({metric}, held out; {'higher' if higher else 'lower'} is better)")
    print(f"  {'host':<9} {'built-in':<17} {'':>8}   boostrank.{pick}")
    behind = []
    for host in ("xgboost", "lightgbm"):
        t0 = time.perf_counter()
        base = score(fit_predict(host, builtins[host], split, task == "ranking", n_classes))
        t1 = time.perf_counter()
        ours = score(fit_predict(host, getattr(br, pick), split, True, n_classes))
        t2 = time.perf_counter()
        better = ours > base if higher else ours < base
        print(f"  {host:<9} {builtins[host]:<17} {base:8.4f}   {ours:8.4f}  "
              f"{'better' if better else 'behind'} by {abs(ours - base):.4f}   "
              f"({t1 - t0:.1f} s / {t2 - t1:.1f} s)")
        if not better:
            behind.append(host)
    if behind:
        print(f"  behind on {' and '.join(behind)}: {WHY_BEHIND[task]}")


def spearman_on(split: Split) -> Callable[[np.ndarray], float]:
    return lambda pred: br.spearman(split[4], pred, group=split[5])


def main() -> None:
    print(f"boostrank {br.__version__}, xgboost {xgb.__version__}, lightgbm {lgb.__version__}; "
          f"each host's default trees, {ROUNDS} rounds; times: built-in / boostrank")
    ranking = group_split(make_ranking(n_groups=600, seed=0))
    compare("ranking", "Learning to rank: 600 generated queries, every fourth held out",
            "NDCG@10", True, ranking,
            lambda pred: br.ndcg(ranking[4], pred, group=ranking[5], k=10),
            {"xgboost": "rank:ndcg", "lightgbm": "lambdarank"}, "yetirank")

    eras = group_split(make_eras(n_eras=120, era_size=200, seed=0))
    compare("eras", "Per-era rank correlation: 120 generated eras of 200 rows, every fourth "
            "held out", "mean per-era Spearman", True, eras, spearman_on(eras),
            {"xgboost": "reg:squarederror", "lightgbm": "regression"}, "soft_spearman")

    d = make_ordinal(n_samples=6000, n_classes=7, seed=0)
    ordinal: Split = (d["X"][:4800], d["y"][:4800], None, d["X"][4800:], d["y"][4800:], None)
    compare("ordinal", "Ordinal labels: 6,000 generated rows in 7 ordered classes, the last "
            "1,200 held out", "RPS", False, ordinal,
            lambda margins: br.rps_score(ordinal[4], margins, input="margin"),
            {"xgboost": "multi:softprob", "lightgbm": "multiclass"}, "rps", n_classes=7)


if __name__ == "__main__":
    main()
