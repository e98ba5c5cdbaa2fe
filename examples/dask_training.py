"""boostrank objectives beyond one machine: XGBoost and LightGBM on a 2-worker Dask cluster,
next to single-machine training on the same rows.

    pip install "boostrank[dask]"
    python examples/dask_training.py

The cluster is a ``distributed.LocalCluster`` here; on a real cluster pass its scheduler address
to ``Client``.  The steps are the same: partition by group, then train.
"""

from __future__ import annotations

import logging
import time
import warnings

import dask.dataframe as dd
import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
import xgboost.dask as xgb_dask
from distributed import Client, LocalCluster

import boostrank as br
from boostrank.dask import evaluate as dask_evaluate
from boostrank.dask import group_sizes, partition_by_group
from boostrank.datasets import make_ranking

ROUNDS = 30
FEATS = [f"f{i}" for i in range(20)]


def main() -> None:
    start = time.perf_counter()
    # lightgbm.dask takes the thread count from the Dask workers and says so for n_jobs
    warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
    d = make_ranking(n_groups=400, group_size=(5, 40), seed=0)
    df = pd.DataFrame(d["X"], columns=FEATS).assign(y=d["y"], qid=d["qid"])
    # Any layout to begin with: here the rows are shuffled, so groups are scattered.
    df = df.sample(frac=1.0, random_state=0)

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        # 1. Every query group in one partition, rows sorted by group (checked by group_sizes).
        ddf = partition_by_group(dd.from_pandas(df, npartitions=4), by="qid").persist()
        local = ddf.compute()  # the same rows in the same order, for single-machine training
        y, qid = local["y"].to_numpy(), local["qid"].to_numpy()
        ndcg = br.NDCG(k=10)

        # 2. XGBoost: qid on the DaskDMatrix, objective and metric as for xgb.train.
        params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1,
                  "disable_default_eval_metric": 1}
        dtrain = xgb_dask.DaskDMatrix(client, ddf[FEATS], ddf["y"], qid=ddf["qid"])
        out = xgb_dask.train(client, params, dtrain, ROUNDS, obj=br.pairwise_logistic,
                             custom_metric=ndcg, evals=[(dtrain, "train")], verbose_eval=False)
        dist = xgb_dask.predict(client, out["booster"], ddf[FEATS], output_margin=True)
        single = xgb.train(params, xgb.DMatrix(local[FEATS], y, qid=qid), ROUNDS,
                           obj=br.pairwise_logistic)
        single_pred = single.predict(xgb.DMatrix(local[FEATS]), output_margin=True)
        print(f"XGBoost  pairwise_logistic  NDCG@10 (train): "
              f"dask {br.ndcg(y, np.asarray(dist.compute()), qid=qid):.4f} "
              f"(logged {out['history']['train']['ndcg@10'][-1]:.4f})  single "
              f"{br.ndcg(y, single_pred, qid=qid):.4f}")

        # 3. LightGBM: DaskLGBMRanker with the group sizes of each partition.
        kw = {"n_estimators": ROUNDS, "learning_rate": 0.1, "num_leaves": 31, "verbose": -1}
        ranker = lgb.DaskLGBMRanker(objective=br.pairwise_logistic, client=client, **kw)
        ranker.fit(ddf[FEATS], ddf["y"], group=group_sizes(ddf, "qid"))
        dist = ranker.predict(ddf[FEATS], raw_score=True).compute()
        sizes = local.groupby("qid", sort=False).size().to_numpy()
        single = lgb.LGBMRanker(objective=br.pairwise_logistic, **kw).fit(
            local[FEATS], y, group=sizes).predict(local[FEATS], raw_score=True)
        print(f"LightGBM pairwise_logistic  NDCG@10 (train): dask {br.ndcg(y, dist, qid=qid):.4f}"
              f"  single {br.ndcg(y, single, qid=qid):.4f}")

        # 4. Query by query, partition by partition: boostrank.dask.evaluate.
        scores = xgb_dask.predict(client, out["booster"], ddf[FEATS], output_margin=True)
        per_query = dask_evaluate(ddf.assign(p=scores), label="y", pred="p", by="qid",
                                  metrics=["ndcg", "map", "spearman"])
        print("\nXGBoost model, per-query summary (train):")
        print(br.summarize(per_query)[["groups", "mean", "std", "q10", "median"]].round(4)
              .to_string())
    print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
