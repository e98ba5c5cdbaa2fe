"""YetiRank's options, and a per-query Newton direction, on validation data over several seeds.

    python benchmarks/yetirank_options.py                         # both hosts, seeds 0 1 2
    python benchmarks/yetirank_options.py --hosts xgboost --only "default;weights=ndcg"

YetiRank is stochastic: the seed alone moves a five-fold mean NDCG@10 by up to 0.0045 on
MQ2008 and 0.0061 on OHSUMED (docs/yetirank.md), as much as most option changes.  So each
contender here is the mean over ``--seeds`` of the objective's own seed, on data the test
folds of ``catboost_compare.py`` never touch:

* MQ2008 and OHSUMED, each fold's validation split: train on parts f+1 and f+2, score part
  f+3 (``catboost_compare.py --validation``), folds 1-5;
* LightGBM's Yahoo! sample (``lgb_rank_train.npz`` against ``lgb_rank_test.npz``).

Protocol as ``catboost_compare.py``: learning rate 0.1, 200 rounds, XGBoost ``max_depth=6``,
LightGBM ``max_depth=6, num_leaves=63``, one thread, NDCG@10 (LETOR convention).  Each row:
the mean over seeds and folds, and its paired difference against ``default``: per fold the
mean over seeds, t over the five folds (|t| > 2.78: beyond fold noise); on Yahoo the
difference of the seed means and t over the seeds (with three seeds, |t| > 4.30).

Contenders: ``YetiRank()`` with one option changed (the Hessian factor as a multiple of the
host's "auto" factor: 2 under XGBoost, 1 under LightGBM), and ``newton(mu)``, which hands
the host the Newton direction of each query's pairwise quadratic model instead of its
gradient.  With the round's pairs (YetiRank's, the same draws), W the pair weights, L = D - W
their Laplacian (D = diag of W's row sums, YetiRank's ``"pair_weight"`` Hessian) and g the
gradient, it solves per query

    ((1 + mu) D - W) d = -(1 + mu) g

(Levenberg-Marquardt: mu -> infinity gives YetiRank's diagonal step -g / D; mu -> 0 the
full pairwise Newton step, in which pairs that move together cost no curvature) and hands the
host gradient -D d and Hessian D, so under LightGBM a leaf's value is the D-weighted mean of
d over its rows (under XGBoost, with its doubled Hessian and ``lambda``, half of that, shrunk).
That is not the gradient of any loss: it asks whether the pairwise curvature CatBoost's
YetiRankPairwise puts into its trees helps when carried into the rows' targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numba as nb
import numpy as np
import xgboost as xgb
from _data import load
from catboost_compare import DATA, LGB_PARAMS, ROUNDS, XGB_PARAMS, fold_split, t_stat

import boostrank as br
from boostrank._kernels import yetirank as kernels


@nb.njit(cache=True)
def newton_direction(scores: np.ndarray, labels: np.ndarray, offsets: np.ndarray,
                     permutations: int, decay: float, seed: int, rnd: int, mu: float,
                     grad: np.ndarray, hess: np.ndarray) -> None:
    """Per query: the round's YetiRank pairs, then grad = -D d and hess = D with
    ((1 + mu) D - W) d = -(1 + mu) g (rows without a pair: 0 and 1e-16)."""
    n = scores.size
    weights = np.ones(n)
    valid = np.ones(n, dtype=np.bool_)
    for g in range(offsets.size - 1):
        start, end = offsets[g], offsets[g + 1]
        m = end - start
        for i in range(start, end):
            grad[i] = 0.0
            hess[i] = 1e-16
        rows, s, hi, lo, c, n_pairs = kernels.group_pairs(
            scores, labels, weights, valid, start, end, permutations, decay,
            kernels.WEIGHT_CLASSIC, seed, rnd, g)
        if n_pairs == 0:
            continue
        w = np.zeros((m, m))
        gq = np.zeros(m)
        for q in range(n_pairs):
            a, b = hi[q], lo[q]
            w[a, b] += c[q]
            w[b, a] += c[q]
            step = c[q] / (1.0 + np.exp(s[a] - s[b]))
            gq[a] -= step
            gq[b] += step
        d_diag = w.sum(axis=1)
        system = -w
        for i in range(m):
            system[i, i] += (1.0 + mu) * d_diag[i] if d_diag[i] > 0 else 1.0
        direction = np.linalg.solve(system, -(1.0 + mu) * gq)
        for i in range(m):
            if d_diag[i] > 0:
                grad[rows[i]] = -d_diag[i] * direction[i]
                hess[rows[i]] = d_diag[i]


class NewtonDirection:
    """The ``newton(mu)`` contender under ``host``, with YetiRank's host conventions (under
    XGBoost each query times 1 / H_g and the Hessian doubled; under LightGBM as is)."""

    def __init__(self, sizes: np.ndarray, mu: float, seed: int, host: str) -> None:
        self.offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        self.mu, self.seed, self.host, self.rnd = mu, seed, host, 0
        self.defaults = br.YetiRank()

    def __call__(self, preds: np.ndarray, data: Any) -> tuple[np.ndarray, np.ndarray]:
        labels = np.asarray(data.get_label(), dtype=np.float64)
        grad, hess = np.empty(labels.size), np.empty(labels.size)
        newton_direction(np.asarray(preds, dtype=np.float64), labels, self.offsets,
                         self.defaults.permutations, self.defaults.decay, self.seed, self.rnd,
                         self.mu, grad, hess)
        self.rnd += 1
        if self.host == "xgboost":
            for start, end in zip(self.offsets[:-1], self.offsets[1:], strict=True):
                if (hess[start:end] > 1e-16).any():  # a query with pairs
                    total = hess[start:end].sum()
                    grad[start:end] /= total
                    hess[start:end] *= 2.0 / total
        return grad, hess


# (label, factory(seed, host, group sizes)): a fresh objective per fit
Make = Callable[[int, str, np.ndarray], Any]


def contenders() -> list[tuple[str, Make]]:
    def auto(host: str) -> float:
        return 2.0 if host == "xgboost" else 1.0

    return [
        ("default", lambda seed, host, sizes: br.YetiRank(seed=seed)),
        ("Hessian x0.5", lambda seed, host, sizes: br.YetiRank(
            seed=seed, hessian_factor=0.5 * auto(host))),
        ("Hessian x2", lambda seed, host, sizes: br.YetiRank(
            seed=seed, hessian_factor=2.0 * auto(host))),
        ("weights=ndcg", lambda seed, host, sizes: br.YetiRank(seed=seed, weights="ndcg")),
        ("weights=ndcg, Hessian x0.5", lambda seed, host, sizes: br.YetiRank(
            seed=seed, weights="ndcg", hessian_factor=0.5 * auto(host))),
        ("permutations=30", lambda seed, host, sizes: br.YetiRank(seed=seed, permutations=30)),
        ("newton(mu=1)", lambda seed, host, sizes: NewtonDirection(sizes, 1.0, seed, host)),
        ("newton(mu=0.1)", lambda seed, host, sizes: NewtonDirection(sizes, 0.1, seed, host)),
    ]


def fit_predict(host: str, objective: Any, x: np.ndarray, y: np.ndarray, sizes: np.ndarray,
                xt: np.ndarray) -> np.ndarray:
    if host == "xgboost":
        params = {**XGB_PARAMS, "nthread": 1, "disable_default_eval_metric": 1}
        bst = xgb.train(params, xgb.DMatrix(x, y, group=sizes), ROUNDS, obj=objective)
        return np.asarray(bst.predict(xgb.DMatrix(xt), output_margin=True))
    model = lgb.train({**LGB_PARAMS, "objective": objective, "num_threads": 1},
                      lgb.Dataset(x, y, group=sizes), ROUNDS)
    return np.asarray(model.predict(xt, raw_score=True))


def splits() -> list[tuple[str, int, tuple[np.ndarray, ...]]]:
    """(data set, fold, (x, y, sizes, xt, yt, test sizes)) for every scored split."""
    out = []
    for name in DATA:
        for fold in range(1, 6):
            (x, y, sizes, _), (xt, yt, gt, _) = fold_split(name, fold, True)
            out.append((name, fold, (x, y, sizes, xt, yt, gt)))
    tr, te = load("lgb_rank_train"), load("lgb_rank_test")
    out.append(("yahoo", 0, (tr["X"], tr["y"].astype(np.float64), tr["group"], te["X"],
                             te["y"].astype(np.float64), te["group"])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", default="xgboost,lightgbm")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--only", default="", help="semicolon list of contender labels")
    args = ap.parse_args()
    only = [s for s in args.only.split(";") if s]
    chosen = [c for c in contenders() if not only or c[0] in only]
    if only and "default" not in only:
        chosen = [contenders()[0], *chosen]
    print(f"`python benchmarks/yetirank_options.py {' '.join(sys.argv[1:])}`\n")
    print(f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, seeds {args.seeds}\n")
    data = splits()
    names = [*DATA, "yahoo"]
    for host in args.hosts.split(","):
        # scores[label][data set] = array (splits, seeds)
        scores: dict[str, dict[str, np.ndarray]] = {}
        for label, make in chosen:
            per: dict[str, list[list[float]]] = {}
            t0 = time.perf_counter()
            for name, _, (x, y, sizes, xt, yt, gt) in data:
                row = [br.ndcg(yt, fit_predict(host, make(seed, host, sizes), x, y, sizes, xt),
                               group=gt, k=10) for seed in args.seeds]
                per.setdefault(name, []).append(row)
            scores[label] = {k: np.array(v) for k, v in per.items()}
            print(f"{host} {label}: {time.perf_counter() - t0:.0f} s", file=sys.stderr,
                  flush=True)
        print(f"\n{host}: mean NDCG@10, difference against default (t)\n")
        print("| contender | " + " | ".join(f"{DATA.get(n, 'Yahoo sample')} | diff (t)"
                                           for n in names) + " |")
        print("|---|" + "---|---|" * len(names))
        for label in scores:
            cells = []
            for n in names:
                v, base = scores[label][n], scores["default"][n]
                # folds: the seed mean per fold; Yahoo (one split): the seeds themselves
                diff = (v - base).mean(axis=1) if v.shape[0] > 1 else (v - base)[0]
                cells.append(f"{v.mean():.4f} | " + (
                    "reference" if label == "default" else
                    f"{diff.mean():+.4f} ({t_stat(diff):+.2f})"))
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
