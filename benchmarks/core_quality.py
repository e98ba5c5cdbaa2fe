"""Held-out quality of boostrank's objectives against each host's built-in, default trees.

    python benchmarks/core_quality.py                 # print the table (~20 min on 2 cores)
    python benchmarks/core_quality.py --write         # and put it into RESULTS.md
    python benchmarks/core_quality.py --only eras,wine --rounds 100

Every model uses the host's default tree parameters (XGBoost eta 0.3, depth 6; LightGBM
learning rate 0.1, 31 leaves) and the same number of rounds; nothing is tuned on the test
splits.  Per task, five splits:

* ``eras``: ``make_eras(120 eras, era size 100/150/200/250/300, seed 0..4)``, the first 80 eras
  train, the last 40 test; mean per-era Spearman.  Targets are within-era rank quantiles: only
  within-era order can be learned.
* ``chem97``: A-level chemistry by school, a seeded 20% of the schools held out; mean
  per-school Spearman (regression also learns from the spread between schools).
* ``wine``, ``anes96``: stratified 20% held out; ``ordinal``: ``make_ordinal(6000 rows,
  7 classes, seed 0..4)``, the last 1,200 rows held out; RPS (lower is better).
* ``mq2008``: LETOR folds 1-5 (train on parts k, k+1, k+2, test on k+4); NDCG@10, a query
  without a relevant document scoring 0.

Each row gives the mean over the splits, the mean paired difference to the host's built-in
(positive = boostrank better, whatever the metric's direction), its t statistic
(mean / (sd / sqrt(5))) and on how many splits boostrank was better.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from _data import letor_fold, load, sizes_of, split_groups, stratified_split

import boostrank as br
from boostrank.datasets import make_eras, make_ordinal

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
BEGIN, END = "<!-- core_quality:begin -->", "<!-- core_quality:end -->"
Split = tuple[Any, ...]  # (x, y, sizes or None, x_test, y_test, test sizes or None)


# --------------------------------------------------------------------------- data
def eras_splits() -> Iterator[Split]:
    for seed, size in enumerate((100, 150, 200, 250, 300)):
        d = make_eras(n_eras=120, era_size=size, seed=seed)
        n = 80 * size
        yield d["X"][:n], d["y"][:n], d["group"][:80], d["X"][n:], d["y"][n:], d["group"][80:]


def chem97_splits() -> Iterator[Split]:
    d = load("chem97")
    x, y, sizes, qid = d["X"], d["y"].astype(np.float64), d["group"], d["qid"]
    for seed in range(5):
        test = split_groups(sizes, 0.2, seed)
        yield (x[~test], y[~test], sizes_of(qid[~test]), x[test], y[test],
               sizes_of(qid[test]))


def ordinal_splits(name: str) -> Callable[[], Iterator[Split]]:
    def splits() -> Iterator[Split]:
        if name == "ordinal":
            for seed in range(5):
                d = make_ordinal(n_samples=6000, n_classes=7, seed=seed)
                yield d["X"][:4800], d["y"][:4800], None, d["X"][4800:], d["y"][4800:], None
            return
        d = load(name)
        x, y = d["X"], d["y"].astype(np.float64)
        y = y - y.min()  # wine quality 3..9 -> 0..6
        for seed in range(5):
            test = stratified_split(y, 0.2, seed)
            yield x[~test], y[~test], None, x[test], y[test], None

    return splits


def mq2008_splits() -> Iterator[Split]:
    for fold in range(1, 6):
        f = letor_fold("mq2008", fold)
        (x, y, g), (xt, yt, gt) = f["train"], f["test"]
        yield x, y, g, xt, yt, gt


# --------------------------------------------------------------------------- fitting
def fit_predict(host: str, objective: Any, split: Split, rounds: int, grouped: bool,
                n_classes: int | None, threads: int) -> np.ndarray:
    """Train on the split's training part and return raw margins on its test part.
    ``grouped``: pass the groups (ranking and per-group objectives; a built-in regression
    or multi-class objective trains without them)."""
    x, y, sizes, xt, _, _ = split
    extra: dict[str, Any] = {} if n_classes is None else {"num_class": n_classes}
    group = sizes if grouped else None
    if host == "xgboost":
        params: dict[str, Any] = {"nthread": threads, "seed": 0, **extra}
        obj = None
        if isinstance(objective, str):
            params["objective"] = objective
        else:
            params["disable_default_eval_metric"] = 1
            obj = objective
        bst = xgb.train(params, xgb.DMatrix(x, y, group=group), rounds, obj=obj)
        return np.asarray(bst.predict(xgb.DMatrix(xt), output_margin=True))
    params = {"objective": objective, "verbose": -1, "num_threads": threads, "seed": 0, **extra}
    model = lgb.train(params, lgb.Dataset(x, y, group=group), rounds)
    return np.asarray(model.predict(xt, raw_score=True))


# --------------------------------------------------------------------------- tasks
def spearman_score(split: Split, pred: np.ndarray) -> float:
    return float(br.spearman(split[4], pred, group=split[5]))


def rps_score(split: Split, pred: np.ndarray) -> float:
    return float(br.rps_score(split[4], pred, input="margin"))


def ndcg_score(split: Split, pred: np.ndarray) -> float:
    return float(br.ndcg(split[4], pred, group=split[5], k=10))


#: name -> (metric label, higher is better, splits, score, classes, built-ins, boostrank's)
TASKS: dict[str, tuple[str, bool, Callable[[], Iterator[Split]], Callable[..., float],
                       int | None, dict[str, str], list[tuple[str, Any]]]] = {
    "eras": ("per-era Spearman", True, eras_splits, spearman_score, None,
             {"xgboost": "reg:squarederror", "lightgbm": "regression"},
             [("soft_spearman", br.soft_spearman), ("combined_loss", br.combined_loss)]),
    "chem97": ("per-school Spearman", True, chem97_splits, spearman_score, None,
               {"xgboost": "reg:squarederror", "lightgbm": "regression"},
               [("soft_spearman", br.soft_spearman), ("combined_loss", br.combined_loss)]),
    "wine": ("RPS", False, ordinal_splits("wine_quality"), rps_score, 7,
             {"xgboost": "multi:softprob", "lightgbm": "multiclass"}, [("rps", br.rps)]),
    "anes96": ("RPS", False, ordinal_splits("anes96"), rps_score, 7,
               {"xgboost": "multi:softprob", "lightgbm": "multiclass"}, [("rps", br.rps)]),
    "ordinal": ("RPS", False, ordinal_splits("ordinal"), rps_score, 7,
                {"xgboost": "multi:softprob", "lightgbm": "multiclass"}, [("rps", br.rps)]),
    "mq2008": ("NDCG@10", True, mq2008_splits, ndcg_score, None,
               {"xgboost": "rank:ndcg", "lightgbm": "lambdarank"},
               [("softmax_ranking", br.softmax_ranking),
                ("pairwise_soft_zero_one", br.pairwise_soft_zero_one),
                ("yetirank", br.yetirank)]),
}


def run_task(name: str, rounds: int, threads: int) -> list[str]:
    label, higher, splits, score, n_classes, builtins, ours = TASKS[name]
    ranking = name == "mq2008"
    rows = []
    data = list(splits())
    for host in ("xgboost", "lightgbm"):
        base = [score(s, fit_predict(host, builtins[host], s, rounds, ranking, n_classes,
                                      threads))
                for s in data]
        rows.append(f"| {name} | {label} | {host} | {builtins[host]} | {np.mean(base):.4f} "
                    "| | | |")
        print(rows[-1], flush=True)
        for obj_name, obj in ours:
            t0 = time.perf_counter()
            vals = [score(s, fit_predict(host, obj, s, rounds, True, n_classes, threads))
                    for s in data]
            diff = (np.array(vals) - np.array(base)) * (1 if higher else -1)
            t = diff.mean() / (diff.std(ddof=1) / np.sqrt(diff.size)) if diff.std() else 0.0
            rows.append(f"| {name} | {label} | {host} | {obj_name} | {np.mean(vals):.4f} "
                        f"| {diff.mean():+.4f} | {t:+.1f} | {(diff > 0).sum()} of "
                        f"{diff.size} |")
            print(f"{rows[-1]}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--only", default=",".join(TASKS), help="comma-separated tasks")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads per fit (1 avoids the hosts' OpenMP threads spinning against "
                         "other jobs on a shared machine; results agree to noise)")
    ap.add_argument("--write", action="store_true",
                    help=f"replace the table between {BEGIN} and {END} in RESULTS.md")
    args = ap.parse_args()
    unknown = sorted(set(args.only.split(",")) - set(TASKS))
    if unknown:
        ap.error(f"unknown tasks {unknown}; choose from {list(TASKS)}")
    command = "python benchmarks/core_quality.py" + (
        f" --threads {args.threads}" if args.threads != 2 else "")
    header = [f"`{command}` ({time.strftime('%Y-%m-%d')}; "
              f"boostrank {br.__version__}, xgboost {xgb.__version__}, "
              f"lightgbm {lgb.__version__}; {args.rounds} rounds, default trees, "
              f"{args.threads} thread{'s' if args.threads > 1 else ''} per fit, 5 splits "
              "each; difference = boostrank minus built-in, sign flipped for RPS so that "
              "positive is better)", "",
              "| task | metric | host | objective | mean | difference | t | better on |",
              "|---|---|---|---|---|---|---|---|"]
    rows: list[str] = []
    for name in args.only.split(","):
        rows += run_task(name, args.rounds, args.threads)
    table = "\n".join(header + rows)
    print(table)
    if args.write:
        text = RESULTS.read_text()
        block = f"{BEGIN}\n{table}\n{END}"
        if BEGIN in text:
            text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text,
                          flags=re.S)
        else:
            text += f"\n{block}\n"
        RESULTS.write_text(text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
