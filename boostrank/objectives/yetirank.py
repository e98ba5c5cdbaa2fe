r"""YetiRank (Gulin, Kuralenok, Pavlov 2011; CatBoost's ``YetiRank``): a pairwise logistic loss
whose pairs and weights come from randomly perturbed rankings; the kernels are
:mod:`boostrank._kernels.yetirank` and their CUDA twins :mod:`boostrank._cuda.yetirank`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import check_device
from .._kernels import yetirank as _yr
from .._validation import B1, F64, check_choice, check_integer, check_positive
from ._base import _CACHE_LOCK, GROUP_SCALES, Batch, _Ranking, check_hessian_factor

_WEIGHTS = {"classic": _yr.WEIGHT_CLASSIC, "ndcg": _yr.WEIGHT_NDCG}
_HESSIANS = {"pair_weight": _yr.HESS_PAIR_WEIGHT, "logistic": _yr.HESS_LOGISTIC}
#: ``group_scale``: "query" and the other ranking losses' choices ("auto": "query" under
#: ``xgb.train``, none elsewhere).
_GROUP_SCALES = ("query", *GROUP_SCALES)
#: The key of a host data set's boosting round in its batch's ``derived`` dict.
_ROUND = "yetirank_round"


class YetiRank(_Ranking):
    r"""YetiRank: pairwise logistic loss over the neighbours of randomly perturbed rankings.

    Each boosting round r, each group is ranked ``permutations`` times by its scores plus
    independent standard logistic noise, and every two rows that end up next to each other with
    different labels form a pair, weighted by where they stand:

    .. math::
        l_g = \sum_{y_i > y_j} W_{ij} \log(1 + e^{-(s_i - s_j)}), \qquad
        W_{ij} = \frac{w_i}{P} \sum_{p=1}^{P} \sum_k [\{\pi^p_k, \pi^p_{k+1}\} = \{i, j\}]\,
                 \lambda_k(i, j)

    with :math:`\pi^p` the rows sorted by :math:`s + \varepsilon^p` (descending),
    :math:`\varepsilon^p_i = \log(u/(1-u))`, u uniform, and
    :math:`\lambda_k = \mathrm{decay}^k |y_i - y_j|` (``weights="classic"``, k = 0 for the top
    pair) or the |Delta NDCG| of swapping the two at positions k, k + 1 (``"ndcg"``, YetiLoss
    of Lyzhin et al. 2023).  The weights are held fixed when differentiating (as LambdaRank holds
    its |Delta NDCG|): the gradient is exactly that of ``loss`` at the same round, and
    ``dl/ds_i = -W_ij sigma(-(s_i - s_j)) = -dl/ds_j`` per pair.  Rows with a negative label,
    or ``where=False``, take no part.  ``reduction="mean"`` divides the sum by the number of
    rows passed; ``"none"`` gives per row i the sum over its pairs with a lower-labelled row.
    Cost O(P n_g log n_g) per group and round.

    Follows CatBoost 1.2.10's YetiRank (``yetirank_helpers.cpp``): 10 permutations, logistic
    noise (CatBoost adds log(u / (1.000001 - u)) and calls it Gumbel), neighbour pairs,
    decay^k |y_i - y_j| weights with decay 0.99, the pairwise logistic loss (``PairLogit``) on
    them, new pairs every round.  Differs in: no constant factor 0.15 on every weight (a
    common scale); draws from a counter-based hash instead of a random stream, so the pairs
    are the same on every thread count and device; NDCG weights with the gain 2^y - 1
    (CatBoost's ``mode=NDCG`` uses the gain y by default); and the default Hessian, the pair
    weight of ``YetiRankPairwise``'s pairwise leaf values instead of ``YetiRank``'s Newton
    diagonal.  ``YetiRankPairwise``'s coupling of the leaves (pairs inside one leaf drop out,
    pairs across leaves tie their values, in the leaf values and the split scores) needs the
    tree, which no per-row gradient and Hessian can express; on CatBoost's trees it is worth
    less than the curvature W (docs/yetirank.md measures each part).

    Parameters
    ----------
    permutations : P, the number of perturbed rankings per group and round (default 10, as
        CatBoost).
    decay : the per-position decay of the ``"classic"`` weights, in (0, 1] (default 0.99, as
        CatBoost).
    weights : "classic" (default) or "ndcg".
    hessian : "pair_weight" (default): per pair and row the pair's weight W_ij, the curvature
        CatBoost's ``YetiRankPairwise`` builds its pairwise leaf values from; "logistic": the
        exact diagonal W_ij sigma(u) sigma(-u) (Newton, as CatBoost's ``YetiRank``).
    seed : int >= 0 (default 0).  The noise of group g, permutation p, round r and the row at
        position t of the group is a hash of (seed, r, g, p, t): a given seed gives the same
        pairs on every run, thread count and device (CPU and GPU agree).  Under a host, r
        counts the calls for the training data set since its predictions were last all equal
        (the hosts' starting point), so a fit repeated from scratch draws the same noise;
        ``loss`` and ``grad_hess`` use round 0.
    group_scale : "auto" (default), "query", "lambdarank" or None: what the host receives per
        group.  "query": ``grad_hess``'s arrays times 1 / H_g, H_g the sum of the group's
        Hessians (groups without a pair unchanged), so every query weighs the same in the
        trees, as it does in the mean NDCG, and each group's Newton step is unchanged; under
        XGBoost this also sets the scale its absolute constants (``lambda=1``,
        ``min_child_weight=1``) act on: one query's worth of curvature.  "auto" is "query"
        under ``xgb.train`` and none elsewhere (measured: docs/yetirank.md).  "lambdarank"
        and None as :class:`PairwiseSoftZeroOne`.
    hessian_factor, device : as :class:`PairwiseSoftZeroOne` (the Hessian doubled under
        XGBoost).

    Examples
    --------
    >>> import boostrank
    >>> g, h = boostrank.yetirank.grad_hess([2, 0, 1], [0.1, 0.5, 0.2])
    >>> bool(g[0] < 0 < g[1]), bool((h > 0).all())
    (True, True)
    """

    name = "yetirank"
    unreduced = "row"

    def __init__(
        self,
        permutations: int = 10,
        decay: float = 0.99,
        weights: str = "classic",
        hessian: str = "pair_weight",
        seed: int = 0,
        group_scale: str | None = "auto",
        hessian_factor: float | str = "auto",
        device: str = "cpu",
    ) -> None:
        self.device = check_device(device)
        self.group_scale = check_choice(group_scale, "group_scale", _GROUP_SCALES)
        self.hessian_factor = check_hessian_factor(hessian_factor)
        self.permutations = check_integer(permutations, "permutations")
        self.decay = check_positive(decay, "decay")
        if self.decay > 1.0:
            raise ValueError(f"`decay` must be in (0, 1], got {decay!r}.")
        self.weights = check_choice(weights, "weights", tuple(_WEIGHTS))
        self.hessian = check_choice(hessian, "hessian", tuple(_HESSIANS))
        self.seed = check_integer(seed, "seed", minimum=0)

    def _check_labels(self, labels: F64, valid: B1) -> None:
        if self.weights == "ndcg" and valid.any() and labels[valid].max() > 31:
            raise ValueError(
                f"`y_true` has relevance labels up to {labels[valid].max()}; NDCG weights use "
                "the gain 2^y - 1 and need labels <= 31. Rescale the labels to grades."
            )

    def _args(self, b: Batch, xp: Any, rnd: int) -> tuple[Any, ...]:
        d = xp.batch(b)
        return (d.scores, d.labels, d.weights, d.valid, d.offsets, self.permutations,
                self.decay, _WEIGHTS[self.weights], self.seed, rnd)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        out = xp.empty(b.n_rows)
        xp.run(xp.kernels.yetirank.yetirank_loss_rows, *self._args(b, xp, 0), out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any, rnd: int = 0, group_scale: int = _yr.SCALE_NONE,
                   hess_factor: float = 1.0) -> tuple[Any, Any]:
        grad = xp.empty(b.n_rows)
        hess = xp.empty(b.n_rows)
        xp.run(xp.kernels.yetirank.yetirank_grad_hess, *self._args(b, xp, rnd),
               _HESSIANS[self.hessian], grad, hess, group_scale, hess_factor)
        return grad, hess

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        """This round's noise, and the host's scaling in the kernel's pass."""
        xp = self._backend()
        _, factor = self._host_scaling(host)
        query = self.group_scale == "query" or (self.group_scale == "auto" and host == "xgboost")
        scale = (_yr.SCALE_QUERY if query else _yr.SCALE_LAMBDARANK
                 if self.group_scale == "lambdarank" else _yr.SCALE_NONE)
        grad, hess = self._grad_hess(b, xp, self._round(b), scale, factor)
        return xp.for_host(grad, hess, host)

    def _round(self, b: Batch) -> int:
        """The boosting round of a host call: calls so far for this data set (the batch's
        ``derived`` dict lives as long as the DMatrix / Dataset; calls without one, from the
        sklearn estimators, count on the objective), restarting at 0 whenever the valid rows'
        predictions are all equal, the hosts' starting point."""
        scores = b.scores[b.valid]
        start = scores.size == 0 or bool(np.all(scores == scores[0]))
        with _CACHE_LOCK:
            if b.static:
                rnd = 0 if start else int(b.derived.get(_ROUND, 0))
                b.derived[_ROUND] = rnd + 1
            else:
                rnd = 0 if start else int(self.__dict__.get("_round_count", 0))
                self._round_count = rnd + 1
        return rnd
