"""Leaf values or tree structure: what carries CatBoost's YetiRankPairwise lead over YetiRank.

YetiRankPairwise takes both its split scores and its leaf values from the pairwise quadratic
model of the round's pairs; a gradient/Hessian objective gives the host only the diagonal of
that model.  This script separates the two.  The pairwise leaf values take the form of
CatBoost's ``pairwise_leaves_calculation`` (on boostrank's pair weights, which leave out
CatBoost's constant factor 0.15):

    (L + r (I - 1 1^T / n_leaves)) x = -G,   x_last = 0, then x minus its mean,

L the Laplacian of the round's pair weights between leaves (pairs inside a leaf drop out), G
the leaves' gradient sums, r = 0.1 (``bayesian_matrix_reg``), times the learning rate.  The
diagonal leaf values are the hosts' Newton step -G / H, H the leaves' Hessian sums (YetiRank's
``hessian="pair_weight"``: W on the diagonal).  Pairs, gradients and Hessians are
``boostrank.YetiRank``'s (its defaults, no per-group scaling), at scores tracked here.

``--trees lightgbm`` (default): LightGBM grows each tree from YetiRank's gradient and Hessian
as usual; in a callback its leaf values are kept (control) or replaced by the pairwise solve
(``Booster.set_leaf_output``).  A third row grows the trees first-order instead, as CatBoost's
YetiRank with ``score_function="L2"`` (a constant Hessian, so that LightGBM's gain fits the
gradient by least squares), and sets the diagonal leaf values.

``--trees catboost``: each round CatBoost grows one tree at the tracked scores (its
``baseline``) and the script sets its leaf values; a 2 x 2 of the tree's structure and its leaf
values:

* structure: YetiRankPairwise's (pairwise split scores) or YetiRank's with YetiRankPairwise's
  sampling and quantisation settings (Bernoulli 0.5, ``border_count`` 32, ``random_strength``
  0; ``sampling_unit`` at CatBoost's default): CatBoost's default ``Cosine`` split score, first
  order (no second derivative);
* leaf values: pairwise (above) or diagonal (above);

two rows with CatBoost's own leaf values: YetiRankPairwise's (the control: does growing one
tree per fit keep the 200-tree model's quality?) and YetiRank's (Newton steps with the
logistic curvature W p(1 - p)); and YetiRank's trees with diagonal leaf values under other
settings: depth-wise (not oblivious) trees; depth-wise with the ``L2`` score; no sampling;
``border_count`` 254 with ``random_strength`` 1 (YetiRank's own values, though with one tree
per fit every round gets the split-score noise of CatBoost's first tree).  CatBoost's
``random_seed`` is the round, so each tree samples anew, and its split search draws its own
pairs, independent of the script's.

    python benchmarks/yetirank_leaf_values.py               # LightGBM's trees, 5 folds
    python benchmarks/yetirank_leaf_values.py --trees catboost --data mq2008 --folds 1 2

Protocol as ``catboost_compare.py`` (fold f trains on parts f+1..f+3, tests on part f; lr 0.1,
200 rounds; LightGBM ``max_depth=6, num_leaves=63``, CatBoost depth 6), one thread.  The
CatBoost trees need ``pip install "boostrank[bench]"``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
from catboost_compare import (
    CB_PARAMS,
    DATA,
    LEARNING_RATE,
    LGB_PARAMS,
    NO_CATBOOST,
    ROUNDS,
    fold_split,
    have_catboost,
    t_stat,
)

import boostrank as br
from boostrank._kernels import yetirank as kernels

REGULARISATION = 0.1
YRP, YR = "YetiRankPairwise", "YetiRank"
# YetiRank with YetiRankPairwise's sampling and quantisation settings, so that the two differ
# in the split scores (the script sets the leaf values)
YR_PARAMS = {"loss_function": "YetiRank", "bootstrap_type": "Bernoulli", "subsample": 0.5,
             "border_count": 32, "random_strength": 0}
CB_STRUCTURE: dict[str, dict[str, Any]] = {
    YRP: {"loss_function": "YetiRankPairwise"},
    YR: YR_PARAMS,
    f"{YR}, depthwise": {**YR_PARAMS, "grow_policy": "Depthwise"},
    f"{YR}, depthwise, L2 score": {**YR_PARAMS, "grow_policy": "Depthwise",
                                    "score_function": "L2"},
    f"{YR}, no bootstrap": {**{k: v for k, v in YR_PARAMS.items() if k != "subsample"},
                            "bootstrap_type": "No"},
    f"{YR}, border_count 254, random_strength 1": {**YR_PARAMS, "border_count": 254,
                                                   "random_strength": 1},
}


class YetiRankRounds:
    """YetiRank's pairs, gradient and Hessian at scores tracked here, round by round."""

    def __init__(self, y: np.ndarray, sizes: np.ndarray) -> None:
        self.y = y
        self.offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        self.scores = np.zeros(y.size)
        self.obj = br.YetiRank()
        self.rnd = 0
        self.ones, self.valid = np.ones(y.size), np.ones(y.size, dtype=bool)

    def grad_hess(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.y.size
        self.grad, self.hess = np.empty(n), np.empty(n)
        kernels.yetirank_grad_hess(self.scores, self.y, self.ones, self.valid, self.offsets,
                                   self.obj.permutations, self.obj.decay,
                                   kernels.WEIGHT_CLASSIC, self.obj.seed, self.rnd,
                                   kernels.HESS_PAIR_WEIGHT, self.grad, self.hess,
                                   kernels.SCALE_NONE, 1.0)
        return self.grad, self.hess

    def laplacian(self, leaf: np.ndarray, n_leaves: int) -> np.ndarray:
        """The pair weights' Laplacian between leaves (pairs inside one leaf drop out)."""
        lap = np.zeros((n_leaves, n_leaves))
        for g in range(self.offsets.size - 1):
            rows, _, hi, lo, c, n_pairs = kernels.group_pairs(
                self.scores, self.y, self.ones, self.valid, self.offsets[g],
                self.offsets[g + 1], self.obj.permutations, self.obj.decay,
                kernels.WEIGHT_CLASSIC, self.obj.seed, self.rnd, g)
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

    def pairwise_values(self, leaf: np.ndarray, n_leaves: int) -> np.ndarray:
        system = self.laplacian(leaf, n_leaves) + REGULARISATION * (
            np.eye(n_leaves) - 1.0 / n_leaves)
        x = np.zeros(n_leaves)
        x[:-1] = np.linalg.solve(system[:-1, :-1],
                                 -np.bincount(leaf, self.grad, n_leaves)[:-1])
        return LEARNING_RATE * (x - x.mean())

    def diagonal_values(self, leaf: np.ndarray, n_leaves: int) -> np.ndarray:
        g = np.bincount(leaf, self.grad, n_leaves)
        h = np.bincount(leaf, self.hess, n_leaves)
        return -LEARNING_RATE * np.divide(g, h, out=np.zeros(n_leaves), where=h > 0)

    def leaf_values(self, rule: str, leaf: np.ndarray, n_leaves: int) -> np.ndarray:
        """The round's leaf values by ``rule``, "pairwise" or "diagonal"."""
        if rule == "pairwise":
            return self.pairwise_values(leaf, n_leaves)
        return self.diagonal_values(leaf, n_leaves)

    def step(self, leaf: np.ndarray, values: np.ndarray) -> None:
        self.scores += values[leaf]
        self.rnd += 1


def fit_lightgbm(train: tuple[np.ndarray, ...], test_x: np.ndarray, leaves: str,
                 first_order: bool = False) -> np.ndarray:
    """LightGBM's trees with ``leaves`` "LightGBM's", "pairwise" or "diagonal" leaf values;
    ``first_order``: the trees are grown from the gradient with a constant Hessian (the mean
    of the round's), LightGBM's gain then a least-squares fit of the gradient as CatBoost's
    ``L2`` score."""
    x, y, sizes, _ = train
    run = YetiRankRounds(y, sizes)

    def objective(preds: np.ndarray, data: Any) -> tuple[np.ndarray, np.ndarray]:
        # LightGBM's own scores are stale once a leaf value is replaced: use ours
        grad, hess = run.grad_hess()
        return grad, (np.full_like(hess, hess.mean()) if first_order else hess)

    def callback(env: Any) -> None:
        it = env.iteration
        leaf = env.model.predict(x, pred_leaf=True, start_iteration=it,
                                 num_iteration=1).astype(np.int64).reshape(-1)
        n_leaves = int(leaf.max()) + 1
        values = np.array([env.model.get_leaf_output(it, j) for j in range(n_leaves)])
        if leaves != "LightGBM's" and n_leaves > 1:
            values = run.leaf_values(leaves, leaf, n_leaves)
            for j in range(n_leaves):
                env.model.set_leaf_output(it, j, float(values[j]))
        run.step(leaf, values)

    booster = lgb.train({**LGB_PARAMS, "num_threads": 1, "objective": objective},
                        lgb.Dataset(x, y, group=sizes), ROUNDS, callbacks=[callback])
    return np.asarray(booster.predict(test_x, raw_score=True))


def fit_catboost(train: tuple[np.ndarray, ...], test_x: np.ndarray, structure: str,
                 leaves: str) -> np.ndarray:
    import catboost

    x, y, sizes, qid = train
    run = YetiRankRounds(y, sizes)
    pool, test_pool = catboost.Pool(x, y, group_id=qid), catboost.Pool(test_x)
    test_scores = np.zeros(test_x.shape[0])
    params = {**CB_PARAMS, **CB_STRUCTURE[structure], "iterations": 1, "thread_count": 1}
    for rnd in range(ROUNDS):
        run.grad_hess()
        pool.set_baseline(run.scores)
        model = catboost.CatBoost({**params, "random_seed": rnd})
        model.fit(pool)
        leaf = model.calc_leaf_indexes(pool)[:, 0].astype(np.int64)
        values = np.asarray(model.get_leaf_values())
        if leaves != "CatBoost's":
            values = run.leaf_values(leaves, leaf, values.size)
        run.step(leaf, values)
        test_scores += values[model.calc_leaf_indexes(test_pool)[:, 0]]
    return test_scores


def arms(trees: str) -> list[tuple[str, Callable[..., np.ndarray]]]:
    if trees == "lightgbm":
        return [("LightGBM's trees, LightGBM's leaf values (control)",
                 lambda tr, xt: fit_lightgbm(tr, xt, "LightGBM's")),
                ("LightGBM's trees, pairwise leaf values",
                 lambda tr, xt: fit_lightgbm(tr, xt, "pairwise")),
                ("LightGBM's trees grown first-order, diagonal leaf values",
                 lambda tr, xt: fit_lightgbm(tr, xt, "diagonal", first_order=True))]
    pairs = [(YRP, "CatBoost's"), (YRP, "pairwise"), (YRP, "diagonal"), (YR, "CatBoost's"),
             (YR, "pairwise"), (YR, "diagonal")]
    pairs += [(s, "diagonal") for s in CB_STRUCTURE if s not in (YRP, YR)]
    return [(f"{s} trees, {v} leaf values" + (" (control)" if (s, v) == pairs[0] else ""),
             lambda tr, xt, s=s, v=v: fit_catboost(tr, xt, s, v)) for s, v in pairs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trees", choices=["lightgbm", "catboost"], default="lightgbm")
    ap.add_argument("--data", default=",".join(DATA))
    ap.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = ap.parse_args()
    if args.trees == "catboost" and not have_catboost():
        raise SystemExit(NO_CATBOOST)
    rows = arms(args.trees)
    print(f"`python benchmarks/yetirank_leaf_values.py {' '.join(sys.argv[1:])}`\n")
    print("| data | trees, leaf values | NDCG@10 | vs the first row | t |")
    print("|---|---|---|---|---|")
    for name in args.data.split(","):
        res: dict[str, list[float]] = {label: [] for label, _ in rows}
        for fold in args.folds:
            train, (xt, yt, gt, _) = fold_split(name, fold, False)
            for label, fit in rows:
                t = time.perf_counter()
                res[label].append(br.ndcg(yt, fit(train, xt), group=gt, k=10))
                print(f"{name} fold {fold} {label}: {res[label][-1]:.4f} "
                      f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
        ref = np.array(res[rows[0][0]])
        for label, _ in rows:
            v = np.array(res[label])
            sd = v.std(ddof=1) if v.size > 1 else 0.0
            if label == rows[0][0]:
                diff = "reference | -"
            else:
                t_text = f"{t_stat(v - ref):+.2f}" if v.size > 1 else "-"
                diff = f"{(v - ref).mean():+.4f} | {t_text}"
            print(f"| {DATA[name]} | {label} | {v.mean():.4f} ± {sd:.4f} | {diff} |",
                  flush=True)


if __name__ == "__main__":
    main()
