"""The pairwise losses: soft zero-one and logistic (RankNet / LambdaRank); the kernels are
:mod:`boostrank._kernels.pairwise` and their CUDA twins :mod:`boostrank._cuda.pairwise`."""

from __future__ import annotations

from typing import Any, ClassVar

import numba
import numpy as np

from .._backend import backend, check_device
from .._config import launch
from .._kernels import pairwise as _pw
from .._validation import B1, F64, I64, check_choice, check_integer, check_positive
from ._base import _CACHE_LOCK, GROUP_SCALES, Batch, _Ranking, check_hessian_factor

_SAMPLING_ON_GPU = (
    "`pairs_per_row` sampling runs on the CPU only: on the GPU each drawn pair would update "
    "two rows through order-dependent atomics (results that change from run to run). Use "
    "device='cpu' or 'auto' (which keeps sampling on the CPU), or `truncation_level` or all "
    "pairs on the GPU, where the full pair loop is cheap."
)
#: The label order argument of ``pairwise_grad_hess_ordered`` when the GPU runs it (unused).
_NO_ORDER = np.empty(0, dtype=np.int64)


def check_gain_labels(labels: F64, valid: B1) -> None:
    """NDCG lambda weights use the gain 2^y - 1: the valid labels must be <= 31."""
    if valid.any() and labels[valid].max() > 31:
        raise ValueError(
            f"`y_true` has relevance labels up to {labels[valid].max()}; NDCG lambda weights "
            "use the gain 2^y - 1 and need labels <= 31. Rescale the labels to grades."
        )


def check_lambda_weight(lambda_weight: str | None, k: Any) -> tuple[str | None, int | None]:
    """The pairwise losses' ``lambda_weight`` (None or "ndcg") and its NDCG cut-off ``k`` (a
    positive integer, only with "ndcg", or None)."""
    weight = check_choice(lambda_weight, "lambda_weight", (None, "ndcg"))
    cutoff = check_integer(k, "k", optional=True)
    if cutoff is not None and weight is None:
        raise ValueError("`k` is the NDCG cut-off of the lambda weights: set "
                         "`lambda_weight='ndcg'` too, or leave `k=None`.")
    return weight, cutoff


class _Pairwise(_Ranking):
    unreduced = "row"
    quadratic = True
    _loss_kind: ClassVar[int]
    _hessians: ClassVar[dict[str, int]]

    def __init__(
        self,
        temperature: float = 1.0,
        lambda_weight: str | None = None,
        k: int | None = None,
        hessian: str | None = None,
        group_scale: str | None = "auto",
        truncation_level: int | None = None,
        pairs_per_row: int | None = None,
        seed: int = 0,
        hessian_factor: float | str = "auto",
        device: str = "cpu",
    ) -> None:
        self.device = check_device(device)
        self.group_scale = check_choice(group_scale, "group_scale", GROUP_SCALES)
        self.hessian_factor = check_hessian_factor(hessian_factor)
        self.temperature = check_positive(temperature, "temperature")
        self.truncation_level = check_integer(truncation_level, "truncation_level",
                                              optional=True)
        self.pairs_per_row = check_integer(pairs_per_row, "pairs_per_row", optional=True)
        if truncation_level is not None and pairs_per_row is not None:
            raise ValueError("`truncation_level` and `pairs_per_row` each select a subset of "
                             "the pairs; set one of them, not both.")
        self.seed = check_integer(seed, "seed", minimum=0)
        if pairs_per_row is not None and self.device == "cuda":
            raise ValueError(_SAMPLING_ON_GPU)
        self.lambda_weight, self.k = check_lambda_weight(lambda_weight, k)
        default = next(iter(self._hessians))
        self.hessian = check_choice(default if hessian is None else hessian, "hessian",
                                    tuple(self._hessians))

    def _check_labels(self, labels: F64, valid: B1) -> None:
        if self.lambda_weight == "ndcg":
            check_gain_labels(labels, valid)

    def _args(self, b: Batch, xp: Any) -> tuple[Any, ...]:
        d = xp.batch(b)
        return (d.scores, d.labels, d.weights, d.valid, d.offsets, self.temperature,
                self._loss_kind, self.lambda_weight == "ndcg", self.k or 0)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before the pair-subset options existed used all pairs
        self.__dict__.update({"truncation_level": None, "pairs_per_row": None, "seed": 0,
                              "device": "cpu", **state})

    def _quadratic_cost(self) -> bool:
        return self.truncation_level is None and self.pairs_per_row is None

    def _backend(self) -> Any:
        # pair sampling has no GPU kernel: "auto" keeps it on the CPU
        device = "cpu" if self.pairs_per_row is not None and self.device == "auto" else self.device
        return backend(device)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        out = xp.empty(b.n_rows)
        if self.truncation_level is not None:
            xp.run(xp.kernels.pairwise.pairwise_loss_rows_truncated, *self._args(b, xp), out,
                   self.truncation_level)
        else:
            xp.run(xp.kernels.pairwise.pairwise_loss_rows, *self._args(b, xp), out)
        return xp.host(out)

    def _draw_seed(self) -> int:
        """The seed of this call's pair draws: ``seed`` and a per-object call count, so each
        boosting round draws new pairs, reproducibly for the same sequence of calls."""
        if self.pairs_per_row is None:
            return 0
        with _CACHE_LOCK:
            calls = self.__dict__.get("_draw_calls", 0)
            self._draw_calls = calls + 1
        return (self.seed * 1_000_003 + calls) % (1 << 62)

    def _label_order(self, b: Batch) -> tuple[I64, I64, I64]:
        """``pairwise_label_order`` of the batch's labels, mask and groups, computed once per
        data set: kept on a host DMatrix/Dataset's cached batch, and otherwise reused while
        labels, mask and groups compare equal (repeated ``grad_hess`` calls, sklearn hosts)."""
        hit = b.derived.get("pair_order")
        if hit is not None:
            return hit
        with _CACHE_LOCK:
            last = getattr(self, "_order_cache", None)
        if (last is not None and np.array_equal(last[0], b.offsets)
                and np.array_equal(last[1], b.valid) and np.array_equal(last[2], b.labels)):
            order = last[3]
        else:
            order = launch(_pw.pairwise_label_order, b.labels, b.valid, b.offsets)
            with _CACHE_LOCK:
                self._order_cache = (b.offsets.copy(), b.valid.copy(), b.labels.copy(), order)
        b.derived["pair_order"] = order
        return order

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        """As the base class, but the host's scaling (``_host_scaling``) runs inside the
        kernel's pass (see ``pairwise_grad_hess_ordered``) instead of ``_host_scale``."""
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, *self._host_scaling(host))
        return xp.for_host(grad, hess, host)

    def _grad_hess(self, b: Batch, xp: Any, group_scale: bool = False,
                   hess_factor: float = 1.0) -> tuple[Any, Any]:
        if xp.name == "cpu":
            order = self._label_order(b)
        elif self.pairs_per_row is not None:
            raise ValueError(_SAMPLING_ON_GPU)
        else:  # the GPU kernel runs over rows and needs no label order
            order = (_NO_ORDER, _NO_ORDER, _NO_ORDER)
        grad, hess = xp.outputs(b, b.n_rows)
        xp.run(xp.kernels.pairwise.pairwise_grad_hess_ordered, *self._args(b, xp),
               self._hessians[self.hessian], grad, hess, numba.get_num_threads(), *order,
               self.truncation_level or 0, self.pairs_per_row or 0, self._draw_seed(),
               group_scale, hess_factor)
        return grad, hess


class PairwiseSoftZeroOne(_Pairwise):
    r"""Pairwise soft zero-one loss (keras-rs ``PairwiseSoftZeroOneLoss``).

    .. math::
        l_g = \sum_i w_i \sum_j [y_i > y_j]\, \lambda_{ij}\,(1 - \sigma((s_i - s_j)/T))

    ``reduction="mean"`` divides the sum by the number of rows passed (keras-rs
    ``sum_over_batch_size``); ``"none"`` gives per row i the sum over pairs where i is the
    preferred item.  Rows with a negative label, or ``where=False``, form no pairs.

    Parameters
    ----------
    temperature : T > 0 (default 1).
    lambda_weight : None or "ndcg": multiply each pair by |Delta NDCG_ij| of swapping i and j in
        the current ranking (gain 2^y - 1, discount 1/log2(1 + rank), cut-off ``k``), held fixed
        when differentiating (LambdaRank).
    k : NDCG cut-off of the lambda weights (None: whole list).
    hessian : "logistic" (default): per pair q / T^2 with q = sigma(u) sigma(-u), the curvature
        of the logistic loss of the same pair (a Gauss-Newton-style surrogate, always positive);
        "exact": the exact diagonal q (2 sigma(u) - 1) / T^2, clipped at the floor where it is
        negative (trains much worse: misordered pairs get no curvature).
    group_scale : "auto" (default), "lambdarank" or None.  What the host receives is
        ``grad_hess`` times log2(1 + S_g) / S_g per group (S_g = sum |grad|), the per-query
        normalisation of the hosts' LambdaMART, under "lambdarank"; "auto" applies it under
        ``xgb.train`` only, where it measured better (docs/hosts.md).  It does not change a
        group's Newton step, only how much each group weighs in the trees.
    hessian_factor : "auto" (default) or a positive number: the host's Hessian (after
        ``group_scale``) is multiplied by it.  "auto" is 2 under XGBoost (``xgb.train`` and
        the sklearn estimators) and 1 under LightGBM.  Why 2 under XGBoost: its built-in
        ``rank:ndcg`` / ``rank:pairwise`` and ``multi:softprob`` double their Hessians
        (2 sigma (1 - sigma) |Delta|, 2 p (1 - p)) and its defaults (eta 0.3, lambda 1,
        min_child_weight 1) are set for that; with the exact Hessian the same eta takes twice
        XGBoost's step.  It is also a safe step: a group's full Hessian here is a graph
        Laplacian (off-diagonals -q <= 0, rows summing to 0: pairwise; A (diag p - p p^T):
        softmax), so H <= 2 diag(H) and the doubled diagonal Newton step never overshoots the
        quadratic model (Gershgorin).  LightGBM keeps 1: its ``multiclass`` uses
        K / (K - 1) p (1 - p), and doubling measured worse there for RPS.  Measured
        (RESULTS.md, ``defaults_study.py hessian_factor``: default trees, 100 rounds,
        MQ2008 folds 1-5): better under XGBoost for all five ranking objectives on the
        5-fold mean.  ``grad_hess`` is not affected;
        1.0 hands every host exactly its arrays (after ``group_scale``).
    truncation_level : None (default: all pairs) or K: only the pairs with at least one row
        among its group's top K by current score (ties by row order), as LightGBM's
        ``lambdarank_truncation_level``; the set is held fixed when differentiating, like the
        lambda weights.  ``loss`` then sums the same pairs.  O(n_g K) per group.
    pairs_per_row : None (default: all pairs) or n: ``grad_hess`` uses, for each row, n
        partners with another label drawn uniformly with replacement (XGBoost's
        ``lambdarank_num_pair_per_sample`` with the "mean" pair method), each drawn pair
        weighted N_i / (2 n), N_i the row's number of such partners, so the expected gradient
        and Hessian are those of all pairs.  New pairs are drawn on every call (boosting
        round), reproducibly from ``seed`` and the number of calls so far; ``loss`` stays the
        loss over all pairs.  O(n_g n) per group.  Not together with ``truncation_level``.
    seed : int >= 0, the seed of the pair draws (default 0).
    device : "cpu" (default), "cuda" or "auto" (the GPU when numba-cuda finds one): where
        the kernels run; the CUDA twins give the same values (docs/gpu.md).

    Gradient per pair, u = (s_i - s_j)/T, c = w_i lambda_ij: dl/ds_i = -c q / T = -dl/ds_j.
    Cost O(sum_g n_g^2) time (with all pairs; label order cached per data set, one division
    per pair), O(n) memory.

    Examples
    --------
    >>> import numpy as np, boostrank
    >>> round(boostrank.pairwise_soft_zero_one.loss([1.0, 0.0], [0.6, 0.8]), 6)
    0.274917
    """

    name = "pairwise_soft_zero_one"
    _loss_kind = _pw.SOFT_ZERO_ONE
    _hessians: ClassVar[dict[str, int]] = {
        "logistic": _pw.HESS_LOGISTIC_CURVATURE,
        "exact": _pw.HESS_EXACT_CLIPPED,
    }


class PairwiseLogistic(_Pairwise):
    r"""Pairwise logistic loss (RankNet; keras-rs / rax ``pairwise_logistic_loss``), convex.

    .. math::
        l_g = \sum_i w_i \sum_j [y_i > y_j]\, \lambda_{ij} \log(1 + e^{-(s_i - s_j)/T})

    Same options (``group_scale`` and ``hessian_factor`` included) and reductions as
    :class:`PairwiseSoftZeroOne`.
    The Hessian is the exact diagonal, per pair c q / T^2, q = sigma(u) sigma(-u)
    (``hessian="exact"``, the only choice).
    With ``lambda_weight="ndcg"`` this is LambdaRank/LambdaMART's gradient.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.pairwise_logistic.loss([1.0, 0.0, 0.0], [2.0, 1.0, 3.0],
    ...                                          reduction="sum"), 6)
    1.626523
    """

    name = "pairwise_logistic"
    _loss_kind = _pw.LOGISTIC
    _hessians: ClassVar[dict[str, int]] = {"exact": _pw.HESS_LOGISTIC_CURVATURE}

