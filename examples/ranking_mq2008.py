"""Learning to rank on MQ2008 with a boostrank objective, evaluated query by query.

Trains XGBoost with the soft pairwise 0-1 loss (NDCG lambda weights) next to the built-in
rank:ndcg, records per-query NDCG@10 on the validation queries while training, and compares
the two models query by query on the test queries.  Uses LETOR MQ2008 Fold 1 from
../shared/data (or $BOOSTRANK_DATA) when present, otherwise data the package generates.

    python examples/ranking_mq2008.py [--plots DIR]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import xgboost as xgb

import boostrank as br
from boostrank.datasets import make_ranking

DATA = Path(os.environ.get("BOOSTRANK_DATA", Path(__file__).resolve().parents[2] / "shared/data"))


def load_splits() -> tuple[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """(description, {split: (X, y, qid)}): MQ2008 Fold 1 (train S1-S3, valid S4, test S5)."""
    path = DATA / "mq2008.npz"
    if path.exists():
        with np.load(path) as f:
            d = {k: f[k] for k in f.files}
        parts = {"train": [1, 2, 3], "valid": [4], "test": [5]}
        return "MQ2008 Fold 1", {s: (d["X"][m], d["y"][m].astype(float), d["qid"][m])
                                 for s, p in parts.items() for m in [np.isin(d["part"], p)]}
    data = {s: make_ranking(n_groups=n, seed=i) for i, (s, n) in
            enumerate([("train", 400), ("valid", 100), ("test", 200)])}
    return "generated (make_ranking)", {s: (d["X"], d["y"], d["qid"]) for s, d in data.items()}


def main(plots: Path | None) -> None:
    name, splits = load_splits()
    (x, y, q), (xv, yv, qv), (xt, yt, qt) = splits["train"], splits["valid"], splits["test"]
    dtrain, dvalid = xgb.DMatrix(x, y, qid=q), xgb.DMatrix(xv, yv, qid=qv)
    print(f"{name}: {len(np.unique(q))} train, {len(np.unique(qv))} valid, "
          f"{len(np.unique(qt))} test queries")

    # Queries without a relevant document score 0 under LETOR and 1 under XGBoost whatever the
    # model does; leave them out (None) of the per-query view.
    curve = br.LearningCurve({"train": dtrain, "valid": dvalid}, every=5, metrics=["ndcg", "map"],
                             no_relevant_score=None)
    objective = br.PairwiseSoftZeroOne(lambda_weight="ndcg")
    params = {"max_depth": 6, "eta": 0.1, "nthread": 2}
    ours = xgb.train(params, dtrain, 150, obj=objective, evals=[(dvalid, "valid")],
                     custom_metric=br.NDCG(k=10), callbacks=[curve], verbose_eval=False)
    builtin = xgb.train({**params, "objective": "rank:ndcg"}, dtrain, 150)

    dtest = xgb.DMatrix(xt)
    tables = {label: br.evaluate(yt, model.predict(dtest, output_margin=True), qid=qt,
                                 metrics=["ndcg", "map", "mrr"], no_relevant_score=None)
              for label, model in [("boostrank", ours), ("rank:ndcg", builtin)]}
    n_empty = int(tables["boostrank"]["ndcg@10"].isna().sum())
    print(f"\nTest queries with a relevant document ({n_empty} without one left out), NDCG@10:")
    for label, table in tables.items():
        s = br.summarize(table).loc["ndcg@10"]
        print(f"  {label:<10s} mean {s['mean']:.4f}  std {s['std']:.4f}  "
              f"q25 {s['q25']:.4f}  median {s['median']:.4f}  worst queries {s['worst']}")
    diff = (tables["boostrank"]["ndcg@10"] - tables["rank:ndcg"]["ndcg@10"]).dropna()
    print(f"  per query: boostrank better on {(diff > 0).sum()}, worse on {(diff < 0).sum()}, "
          f"equal on {(diff == 0).sum()} of {diff.size}")
    print("\nboostrank, test summary:")
    print(br.summarize(tables["boostrank"]).round(4)[["groups", "mean", "std", "min", "median",
                                                        "share_positive"]].to_string())
    last = curve.history.query("metric == 'ndcg@10'").iloc[-1]
    print(f"\nvalidation NDCG@10 after {last['round']} rounds: {last['mean']:.4f}")

    if plots is not None:
        from boostrank import plotting

        plots.mkdir(parents=True, exist_ok=True)
        ax = plotting.plot_learning_curve(curve, "ndcg@10")
        ax.figure.savefig(plots / "ranking_learning_curve.png", dpi=100)
        ax = plotting.plot_group_metric(tables["boostrank"], "ndcg@10")
        ax.figure.savefig(plots / "ranking_ndcg_per_query.png", dpi=100)
        print(f"plots written to {plots}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=Path, help="folder to write PNG plots to")
    main(parser.parse_args().plots)
