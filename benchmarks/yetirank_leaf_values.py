"""What pairwise leaf values add to YetiRank's gradients: LightGBM grows each tree from
``boostrank.YetiRank``'s gradient and Hessian as usual; then, in a callback, its leaf values are
replaced by the pairwise solve of CatBoost's ``YetiRankPairwise`` (``pairwise_leaves_calculation``):

    (L + r (I - 1 1^T / n_leaves)) x = -G,   x_last = 0, then x minus its mean,

L the Laplacian of the round's pair weights between leaves (pairs inside a leaf drop out),
G the leaves' gradient sums, r = 0.1 (``bayesian_matrix_reg``), times the learning rate.  Both
rows use YetiRank's defaults under LightGBM (no per-group scaling).  The
control row runs the same code but keeps LightGBM's own (diagonal Newton) leaf values.  The
split search stays LightGBM's: a custom objective cannot reach it, nor the leaf values, which
is why this needs ``Booster.set_leaf_output`` and scores tracked outside LightGBM.

    python benchmarks/yetirank_leaf_values.py               # both data sets, 5 folds
    python benchmarks/yetirank_leaf_values.py --data mq2008 --folds 1 2

Protocol as ``catboost_compare.py`` (fold f trains on parts f+1..f+3, tests on part f; lr 0.1,
200 rounds, ``max_depth=6, num_leaves=63``), one thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import lightgbm as lgb
import numpy as np
from catboost_compare import DATA, LEARNING_RATE, LGB_PARAMS, ROUNDS, fold_split, t_stat

import boostrank as br
from boostrank._kernels import yetirank as kernels

REGULARISATION = 0.1


class PairwiseLeaves:
    """YetiRank's objective at scores tracked here, and a callback that re-estimates each new
    tree's leaf values from the round's pairs (``pairwise=True``) or keeps them."""

    def __init__(self, x: np.ndarray, y: np.ndarray, sizes: np.ndarray, pairwise: bool) -> None:
        self.x, self.y, self.pairwise = x, y, pairwise
        self.offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        self.scores = np.zeros(y.size)
        self.obj = br.YetiRank()
        self.rnd = 0

    def objective(self, preds: np.ndarray, data: Any) -> tuple[np.ndarray, np.ndarray]:
        # LightGBM's own scores are stale once a leaf value is replaced: use ours
        n = self.y.size
        self.grad, hess = np.empty(n), np.empty(n)
        kernels.yetirank_grad_hess(self.scores, self.y, np.ones(n), np.ones(n, dtype=bool),
                                   self.offsets, self.obj.permutations, self.obj.decay,
                                   kernels.WEIGHT_CLASSIC, self.obj.seed, self.rnd,
                                   kernels.HESS_PAIR_WEIGHT, self.grad, hess,
                                   kernels.SCALE_NONE, 1.0)
        return self.grad, hess

    def _laplacian(self, leaf: np.ndarray, n_leaves: int) -> np.ndarray:
        lap = np.zeros((n_leaves, n_leaves))
        n = self.y.size
        for g in range(self.offsets.size - 1):
            start, end = self.offsets[g], self.offsets[g + 1]
            rows, _, hi, lo, c, n_pairs = kernels.group_pairs(
                self.scores, self.y, np.ones(n), np.ones(n, dtype=bool), start, end,
                self.obj.permutations, self.obj.decay, kernels.WEIGHT_CLASSIC, self.obj.seed,
                self.rnd, g)
            if n_pairs == 0:
                continue
            a, b = leaf[rows[hi[:n_pairs]]], leaf[rows[lo[:n_pairs]]]
            w = c[:n_pairs]
            cross = a != b
            np.add.at(lap, (a[cross], b[cross]), -w[cross])
            np.add.at(lap, (b[cross], a[cross]), -w[cross])
            np.add.at(lap, (a[cross], a[cross]), w[cross])
            np.add.at(lap, (b[cross], b[cross]), w[cross])
        return lap

    def callback(self, env: Any) -> None:
        it = env.iteration
        leaf = env.model.predict(self.x, pred_leaf=True, start_iteration=it,
                                 num_iteration=1).astype(np.int64).reshape(-1)
        n_leaves = int(leaf.max()) + 1
        values = np.array([env.model.get_leaf_output(it, j) for j in range(n_leaves)])
        if self.pairwise and n_leaves > 1:
            system = self._laplacian(leaf, n_leaves) + REGULARISATION * (
                np.eye(n_leaves) - 1.0 / n_leaves)
            x = np.zeros(n_leaves)
            x[:-1] = np.linalg.solve(system[:-1, :-1],
                                     -np.bincount(leaf, self.grad, n_leaves)[:-1])
            values = LEARNING_RATE * (x - x.mean())
            for j in range(n_leaves):
                env.model.set_leaf_output(it, j, float(values[j]))
        self.scores += values[leaf]
        self.rnd += 1


def fit(train: tuple[np.ndarray, ...], test_x: np.ndarray, pairwise: bool) -> np.ndarray:
    x, y, sizes, _ = train
    run = PairwiseLeaves(x, y, sizes, pairwise)
    booster = lgb.train({**LGB_PARAMS, "num_threads": 1,
                         "objective": lambda p, d: run.objective(p, d)},
                        lgb.Dataset(x, y, group=sizes), ROUNDS, callbacks=[run.callback])
    return np.asarray(booster.predict(test_x, raw_score=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=",".join(DATA))
    ap.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = ap.parse_args()
    print(f"`python benchmarks/yetirank_leaf_values.py {' '.join(sys.argv[1:])}`\n")
    print("| data | LightGBM's leaf values (control) | pairwise leaf values | "
          "difference | t |")
    print("|---|---|---|---|---|")
    for name in args.data.split(","):
        res: dict[bool, list[float]] = {False: [], True: []}
        for fold in args.folds:
            train, (xt, yt, gt, _) = fold_split(name, fold, False)
            for pairwise in (False, True):
                t = time.perf_counter()
                res[pairwise].append(br.ndcg(yt, fit(train, xt, pairwise), group=gt, k=10))
                print(f"{name} fold {fold} pairwise={pairwise}: {res[pairwise][-1]:.4f} "
                      f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
        a, b = np.array(res[False]), np.array(res[True])
        d = b - a
        print(f"| {DATA[name]} | {a.mean():.4f} ± {a.std(ddof=1):.4f} | "
              f"{b.mean():.4f} ± {b.std(ddof=1):.4f} | {d.mean():+.4f} ± {d.std(ddof=1):.4f} | "
              f"{t_stat(d):+.2f} |")


if __name__ == "__main__":
    main()
