"""Speed/quality trade-off of the opt-in pair subsets of the pairwise losses.

    python benchmarks/pair_subsets.py [--data ohsumed_querylevelnorm,mq2008] [--folds 1 2 3]
                                      [--hosts lightgbm,xgboost]

``PairwiseLogistic(lambda_weight="ndcg")`` with all pairs against the same objective with
``truncation_level`` (pairs with a row in the group's current top K, LightGBM's
``lambdarank_truncation_level``) and ``pairs_per_row`` (n random partners per row, XGBoost's
``lambdarank_num_pair_per_sample``), trained with the protocol of ``benchmarks/quality.py``
(same trees, at most 500 rounds, early stopping on NDCG@10 of the validation part, LETOR
folds).  Reported: test NDCG@10 (LETOR convention) per variant, mean over folds, the paired
difference against all pairs (mean and t = mean / (std / sqrt(folds))), and the objective's
seconds per call (the time inside the objective callable over the training rounds).
OHSUMED's queries have 35-320 documents (median ~150), MQ2008's 5-121 (median 8-14).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from _data import letor_fold
from quality import fit_predict, rank_scores

import boostrank as br

#: (seconds, calls) inside the objective, per label: module-level because ``lgb.train``
#: deep-copies its params, objective included, so a copy's own counters would be lost.
TOTALS: dict[str, list[float]] = {}


class Timed:
    """An objective callable that adds up the seconds spent inside it under ``label``."""

    def __init__(self, obj: Any, label: str) -> None:
        self.obj = obj
        self.label = label

    def __call__(self, *args: Any) -> Any:
        t0 = time.perf_counter()
        out = self.obj(*args)
        acc = TOTALS.setdefault(self.label, [0.0, 0.0])
        acc[0] += time.perf_counter() - t0
        acc[1] += 1
        return out


def variants() -> list[tuple[str, dict[str, Any]]]:
    return [("all pairs", {}), ("truncation_level=10", {"truncation_level": 10}),
            ("truncation_level=30", {"truncation_level": 30}),
            ("pairs_per_row=2", {"pairs_per_row": 2}), ("pairs_per_row=8", {"pairs_per_row": 8})]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="ohsumed_querylevelnorm,mq2008")
    ap.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--hosts", default="lightgbm,xgboost")
    ap.add_argument("--rounds", type=int, default=500)
    ap.add_argument("--patience", type=int, default=30)
    args = ap.parse_args()
    print("| data | host | pairs | test NDCG@10 (mean over folds) | diff vs all pairs | t | "
          "objective ms/call |")
    print("|---|---|---|---|---|---|---|")
    for name in args.data.split(","):
        folds = {f: letor_fold(name, f) for f in args.folds}
        for host in args.hosts.split(","):
            scores: dict[str, list[float]] = {}
            per_call: dict[str, float] = {}
            for label, kw in variants():
                key = f"{name} {host} {label}"
                for f, d in folds.items():
                    (x, y, g), valid, (xt, yt, gt) = d["train"], d["valid"], d["test"]
                    obj = Timed(br.PairwiseLogistic(lambda_weight="ndcg", **kw), key)
                    pred, trees, _ = fit_predict(host, obj, (x, y, g), valid, xt,
                                                 br.NDCG(k=10), args.rounds, args.patience, 0)
                    scores.setdefault(label, []).append(rank_scores(yt, pred, gt)["ndcg@10"])
                    print(f"# {name} fold {f} {host} {label}: {scores[label][-1]:.4f}, "
                          f"{trees} trees", file=sys.stderr, flush=True)
                secs, calls = TOTALS.get(key, [0.0, 0.0])
                per_call[label] = 1e3 * secs / max(calls, 1)
            base = np.array(scores["all pairs"])
            for label, _ in variants():
                v = np.array(scores[label])
                diff = v - base
                sd = diff.std(ddof=1) if diff.size > 1 else float("nan")
                t = diff.mean() / (sd / np.sqrt(diff.size)) if sd > 0 else float("nan")
                cell = "" if label == "all pairs" else f"{diff.mean():+.4f}"
                tcell = "" if label == "all pairs" or not np.isfinite(t) else f"{t:.1f}"
                print(f"| {name} | {host} | {label} | {v.mean():.4f} | {cell} | {tcell} | "
                      f"{per_call[label]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
