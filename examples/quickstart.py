"""boostrank's main job: train XGBoost and LightGBM with boostrank objectives on data the
package generates, next to the hosts' built-in objectives, and print held-out metrics.

    python examples/quickstart.py
"""

from __future__ import annotations

import time

import lightgbm as lgb
import numpy as np
import xgboost as xgb

import boostrank as br
from boostrank.datasets import make_eras, make_ordinal, make_ranking

ROUNDS = 100


def group_split(d: dict[str, np.ndarray]) -> tuple[tuple, tuple]:
    """Every fourth group is held out."""
    test_groups = np.arange(d["group"].size) % 4 == 0
    rows = np.repeat(test_groups, d["group"])
    return ((d["X"][~rows], d["y"][~rows], d["group"][~test_groups]),
            (d["X"][rows], d["y"][rows], d["group"][test_groups]))


def fit_xgb(params: dict, obj, x, y, group=None) -> xgb.Booster:
    dtrain = xgb.DMatrix(x, y, group=group)
    return xgb.train({"nthread": 2, **params}, dtrain, ROUNDS, obj=obj)


def fit_lgb(params: dict, x, y, group=None) -> lgb.Booster:
    return lgb.train({"verbose": -1, "num_threads": 2, **params},
                     lgb.Dataset(x, y, group=group), ROUNDS)


def report(task: str, metric: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{task}  ({metric}, held out)")
    for name, value, secs in rows:
        print(f"  {name:<46s} {value:8.4f}   {secs:5.1f} s")


def ranking() -> None:
    (x, y, g), (xt, yt, gt) = group_split(make_ranking(n_groups=600, seed=0))
    rows = []
    for name, params, obj in [("xgboost rank:ndcg", {"objective": "rank:ndcg"}, None),
                              ("xgboost + boostrank.pairwise_soft_zero_one", {},
                               br.pairwise_soft_zero_one),
                              ("xgboost + boostrank.softmax_ranking", {}, br.softmax_ranking)]:
        t0 = time.perf_counter()
        bst = fit_xgb(params, obj, x, y, g)
        pred = bst.predict(xgb.DMatrix(xt), output_margin=True)
        rows.append((name, br.ndcg(yt, pred, group=gt, k=10), time.perf_counter() - t0))
    for name, obj in [("lightgbm lambdarank", "lambdarank"),
                      ("lightgbm + boostrank.pairwise_logistic(ndcg)",
                       br.PairwiseLogistic(lambda_weight="ndcg"))]:
        t0 = time.perf_counter()
        pred = fit_lgb({"objective": obj}, x, y, g).predict(xt, raw_score=True)
        rows.append((name, br.ndcg(yt, pred, group=gt, k=10), time.perf_counter() - t0))
    report("Learning to rank: 600 generated queries", "NDCG@10", rows)


def eras() -> None:
    (x, y, g), (xt, yt, gt) = group_split(make_eras(n_eras=120, era_size=200, seed=0))
    rows = []
    t0 = time.perf_counter()
    pred = fit_lgb({"objective": "regression"}, x, y).predict(xt)
    rows.append(("lightgbm regression", br.spearman(yt, pred, group=gt),
                 time.perf_counter() - t0))
    t0 = time.perf_counter()
    pred = fit_lgb({"objective": br.soft_spearman}, x, y, g).predict(xt, raw_score=True)
    rows.append(("lightgbm + boostrank.soft_spearman", br.spearman(yt, pred, group=gt),
                 time.perf_counter() - t0))
    t0 = time.perf_counter()
    bst = fit_xgb({"disable_default_eval_metric": 1}, br.soft_spearman, x, y, g)
    pred = bst.predict(xgb.DMatrix(xt), output_margin=True)
    rows.append(("xgboost + boostrank.soft_spearman", br.spearman(yt, pred, group=gt),
                 time.perf_counter() - t0))
    report("Per-era rank correlation: 120 generated eras of 200 rows", "mean per-era Spearman",
           rows)


def ordinal() -> None:
    d = make_ordinal(n_samples=6000, n_classes=7, seed=0)
    x, y, xt, yt = d["X"][:4800], d["y"][:4800], d["X"][4800:], d["y"][4800:]
    rows = []
    t0 = time.perf_counter()
    clf = xgb.XGBClassifier(objective="multi:softprob", n_estimators=ROUNDS, n_jobs=2)
    clf.fit(x, y.astype(int))
    rows.append(("xgboost multi:softprob", br.rps_score(yt, clf.predict_proba(xt)),
                 time.perf_counter() - t0))
    t0 = time.perf_counter()
    clf = xgb.XGBClassifier(objective=br.rps, n_estimators=ROUNDS, n_jobs=2)
    clf.fit(x, y.astype(int))
    rows.append(("xgboost + boostrank.rps (XGBClassifier)",
                 br.rps_score(yt, clf.predict_proba(xt)), time.perf_counter() - t0))
    report("Ordinal: 6000 generated rows, 7 ordered classes", "RPS, lower is better", rows)


if __name__ == "__main__":
    print(f"boostrank {br.__version__}, xgboost {xgb.__version__}, lightgbm {lgb.__version__}")
    ranking()
    eras()
    ordinal()
