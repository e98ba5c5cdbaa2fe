"""Held-out quality of every boostrank objective against the hosts' built-ins, default trees.

    python benchmarks/core_quality.py [--rounds 100] [--seeds 0 1 2] [--only mq2008,chem97,wine]

* MQ2008 Fold 1 (train S1-S3, test S5): NDCG@10 (LETOR convention: a query with no relevant
  document scores 0), against XGBoost ``rank:ndcg`` (and LightGBM ``lambdarank``).
* chem97, schools as groups (a seeded 20% of schools held out): mean per-school Spearman
  against ``reg:squarederror`` / LightGBM ``regression``.
* wine quality (labels 3..9 -> 0..6, stratified 20% held out): RPS against
  ``multi:softprob`` / LightGBM ``multiclass``.

Every model uses the host's default tree parameters and the same number of rounds.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from _data import letor_fold, load, sizes_of, split_groups, stratified_split

import boostrank as br


def xgb_fit_predict(params: dict[str, Any], obj: Any, train: tuple, test_x: np.ndarray,
                    rounds: int, seed: int) -> np.ndarray:
    x, y, sizes = train
    dtrain = xgb.DMatrix(x, y, group=sizes) if sizes is not None else xgb.DMatrix(x, y)
    p = {"seed": seed, "nthread": 2, **params}
    if obj is not None:
        p["disable_default_eval_metric"] = 1
    bst = xgb.train(p, dtrain, num_boost_round=rounds, obj=obj)
    return bst.predict(xgb.DMatrix(test_x), output_margin=True)


def lgb_fit_predict(params: dict[str, Any], train: tuple, test_x: np.ndarray, rounds: int,
                    seed: int) -> np.ndarray:
    x, y, sizes = train
    ds = lgb.Dataset(x, y, group=sizes)
    p = {"verbose": -1, "seed": seed, "num_threads": 2, **params}
    bst = lgb.train(p, ds, num_boost_round=rounds)
    return bst.predict(test_x, raw_score=True)


def ranking_contenders() -> list[tuple[str, str, Any]]:
    """(library, label, objective: built-in name or boostrank object)."""
    objs: list[tuple[str, Any]] = [
        ("pairwise_soft_zero_one", br.pairwise_soft_zero_one),
        ("pairwise_soft_zero_one(hessian=exact)", br.PairwiseSoftZeroOne(hessian="exact")),
        ("pairwise_soft_zero_one(ndcg)", br.PairwiseSoftZeroOne(lambda_weight="ndcg")),
        ("pairwise_logistic", br.pairwise_logistic),
        ("pairwise_logistic(ndcg)", br.PairwiseLogistic(lambda_weight="ndcg")),
        ("softmax_ranking", br.softmax_ranking),
    ]
    out: list[tuple[str, str, Any]] = [("xgboost", "rank:ndcg", "rank:ndcg"),
                                       ("xgboost", "rank:pairwise", "rank:pairwise")]
    out += [("xgboost", name, o) for name, o in objs]
    out += [("lightgbm", "lambdarank", "lambdarank"), ("lightgbm", "rank_xendcg", "rank_xendcg")]
    out += [("lightgbm", name, o) for name, o in objs]
    return out


def run_mq2008(rounds: int, seeds: list[int]) -> list[tuple[str, str, str, float, float, float]]:
    fold = letor_fold("mq2008", 1)
    train, (xt, yt, gt) = fold["train"], fold["test"]
    rows = []
    for lib, label, obj in ranking_contenders():
        vals, secs = [], []
        for seed in seeds[:1]:  # no subsampling: the fits do not depend on the seed
            t0 = time.perf_counter()
            if lib == "xgboost":
                builtin = isinstance(obj, str)
                pred = xgb_fit_predict({"objective": obj} if builtin else {},
                                       None if builtin else obj, train, xt, rounds, seed)
            else:
                pred = lgb_fit_predict({"objective": obj}, train, xt, rounds, seed)
            secs.append(time.perf_counter() - t0)
            vals.append(br.ndcg(yt, pred, group=gt, k=10))
        rows.append(("mq2008 NDCG@10", lib, label, float(np.mean(vals)), float(np.std(vals)),
                     float(np.mean(secs))))
    return rows


def run_chem97(rounds: int, seeds: list[int]) -> list[tuple[str, str, str, float, float, float]]:
    d = load("chem97")
    x, y, sizes = d["X"], d["y"].astype(np.float64), d["group"]
    contenders: list[tuple[str, str, Any]] = [
        ("xgboost", "reg:squarederror", "reg:squarederror"),
        ("xgboost", "soft_spearman", br.soft_spearman),
        ("xgboost", "soft_spearman(pair_magnitude)", br.SoftSpearman(hessian="pair_magnitude")),
        ("xgboost", "combined_loss", br.combined_loss),
        ("lightgbm", "regression", "regression"),
        ("lightgbm", "soft_spearman", br.soft_spearman),
        ("lightgbm", "soft_spearman(pair_magnitude)", br.SoftSpearman(hessian="pair_magnitude")),
        ("lightgbm", "combined_loss", br.combined_loss),
    ]
    rows = []
    for lib, label, obj in contenders:
        vals, secs = [], []
        for seed in seeds:
            test = split_groups(sizes, 0.2, seed)
            tr_sizes, te_sizes = sizes_of(d["qid"][~test]), sizes_of(d["qid"][test])
            train = (x[~test], y[~test], tr_sizes)
            t0 = time.perf_counter()
            if lib == "xgboost":
                builtin = isinstance(obj, str)
                pred = xgb_fit_predict({"objective": obj} if builtin else {},
                                       None if builtin else obj,
                                       train if not builtin else (x[~test], y[~test], None),
                                       x[test], rounds, seed)
            else:
                pred = lgb_fit_predict({"objective": obj},
                                       train if not isinstance(obj, str) else
                                       (x[~test], y[~test], None), x[test], rounds, seed)
            secs.append(time.perf_counter() - t0)
            vals.append(br.spearman(y[test], pred, group=te_sizes))
        rows.append(("chem97 Spearman", lib, label, float(np.mean(vals)), float(np.std(vals)),
                     float(np.mean(secs))))
    return rows


def run_wine(rounds: int, seeds: list[int]) -> list[tuple[str, str, str, float, float, float]]:
    d = load("wine_quality")
    x, y = d["X"], d["y"].astype(np.float64) - 3
    k = 7
    contenders: list[tuple[str, str, Any]] = [
        ("xgboost", "multi:softprob", "multi:softprob"),
        ("xgboost", "rps", br.rps),
        ("xgboost", "rps(hessian=exact)", br.RankedProbabilityScore(hessian="exact")),
        ("lightgbm", "multiclass", "multiclass"),
        ("lightgbm", "rps", br.rps),
        ("lightgbm", "rps(hessian=exact)", br.RankedProbabilityScore(hessian="exact")),
    ]
    rows = []
    for lib, label, obj in contenders:
        vals, secs = [], []
        for seed in seeds:
            test = stratified_split(y, 0.2, seed)
            t0 = time.perf_counter()
            if lib == "xgboost":
                builtin = isinstance(obj, str)
                params = {"num_class": k, **({"objective": obj} if builtin else {})}
                pred = xgb_fit_predict(params, None if builtin else obj,
                                       (x[~test], y[~test], None), x[test], rounds, seed)
            else:
                pred = lgb_fit_predict({"objective": obj, "num_class": k},
                                       (x[~test], y[~test], None), x[test], rounds, seed)
            secs.append(time.perf_counter() - t0)
            vals.append(br.rps_score(y[test], pred, input="margin"))
        rows.append(("wine RPS (lower is better)", lib, label, float(np.mean(vals)),
                     float(np.std(vals)), float(np.mean(secs))))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                    help="chem97 / wine splits (MQ2008 Fold 1 is deterministic: first seed only)")
    ap.add_argument("--only", default="mq2008,chem97,wine")
    args = ap.parse_args()
    runners = {"mq2008": run_mq2008, "chem97": run_chem97, "wine": run_wine}
    print(f"rounds={args.rounds} seeds={args.seeds} xgboost {xgb.__version__} "
          f"lightgbm {lgb.__version__} boostrank {br.__version__}")
    print("| task | library | objective | mean | std over seeds | seconds/fit |")
    print("|---|---|---|---|---|---|")
    for name in args.only.split(","):
        for task, lib, label, mean, std, sec in runners[name](args.rounds, args.seeds):
            print(f"| {task} | {lib} | {label} | {mean:.4f} | {std:.4f} | {sec:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
