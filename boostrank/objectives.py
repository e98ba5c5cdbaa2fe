r"""Objectives: loss, exact gradient and a positive Hessian, callable by XGBoost and LightGBM.

Every objective is an object with

* ``loss(y_true, y_pred, *, group=None, qid=None, weight=None, where=None, reduction="mean")``
* ``grad_hess(y_true, y_pred, *, group=None, qid=None, weight=None, where=None)``
* ``__call__``: the host libraries' calling conventions (see :mod:`boostrank._hosts`), so the
  object is passed straight to ``xgb.train(obj=...)``, ``lgb.train({"objective": ...})`` and the
  sklearn estimators.

Groups are given as ``group=`` sizes, ``qid=`` per-row ids, a padded 2-D ``(n_lists, list_size)``
``y_pred`` (with an optional boolean ``where`` of the same shape), or not at all (one group of
all rows).  ``grad_hess`` returns the exact gradient of ``loss(..., reduction="sum")`` and the
Hessian diagonal the objective uses; both have ``y_pred``'s shape.  The host libraries receive
exactly these arrays, except that under ``xgb.train`` the ranking losses (pairwise, softmax)
multiply each group's gradient and Hessian by the constant log2(1 + S_g) / S_g,
S_g = sum |grad| over the group, as the hosts' built-in LambdaMART does
(``group_scale="auto"``, the default; see :func:`lambdarank_group_scale` and BENCHMARKS.md for
the measurements behind it), and that under XGBoost (``xgb.train`` and its sklearn API) the
ranking losses and RPS double the Hessian they hand over, XGBoost's own convention
(``hessian_factor="auto"``; see :class:`PairwiseSoftZeroOne`).
"""

from __future__ import annotations

import threading
import warnings
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numba
import numpy as np

from . import _hosts
from . import ordinal as _ordinal
from ._backend import backend, check_device
from ._config import HESSIAN_FLOOR, launch
from ._groups import resolve_offsets
from ._kernels import pairwise as _pw
from ._kernels import rps as _rps
from ._kernels import scaling as _scaling
from ._kernels import spearman as _sp
from ._validation import (
    B1,
    F64,
    I64,
    as_f64,
    check_choice,
    check_finite,
    check_mask,
    check_positive,
    row_weights,
)

__all__ = [
    "CombinedLoss",
    "Objective",
    "PairwiseLogistic",
    "PairwiseSoftZeroOne",
    "RankedProbabilityScore",
    "SoftSpearman",
    "SoftmaxRanking",
]

REDUCTIONS = ("mean", "sum", "none")
#: ``group`` of ``__call__`` when not passed: LightGBM's sklearn API always passes it (None or
#: sizes), XGBoost's never does.
_NOT_GIVEN: Any = object()
#: The host name of calls through XGBoost's sklearn API (``XGBClassifier(objective=...)``).
XGBOOST_SKLEARN = "xgboost_sklearn"
#: Hessian factor of ``hessian_factor="auto"`` under XGBoost (``xgb.train`` and its sklearn
#: API): XGBoost's built-in objectives double their Hessians (``multi:softprob`` 2 p (1 - p),
#: LambdaMART 2 sigma (1 - sigma) |Delta NDCG|), and its defaults (eta 0.3, lambda 1,
#: min_child_weight 1) are set for that convention.  See :class:`PairwiseSoftZeroOne`.
XGBOOST_HESSIAN_FACTOR = 2.0
_CACHE_LOCK = threading.Lock()
_SAMPLING_ON_GPU = (
    "`pairs_per_row` sampling runs on the CPU only: on the GPU each drawn pair would update "
    "two rows through order-dependent atomics (results that change from run to run). Use "
    "device='cpu' or 'auto' (which keeps sampling on the CPU), or `truncation_level` or all "
    "pairs on the GPU, where the full pair loop is cheap."
)
#: The label order argument of ``pairwise_grad_hess_ordered`` when the GPU runs it (unused).
_NO_ORDER = np.empty(0, dtype=np.int64)
#: Groups larger than this trigger a warning in the O(n_g^2) objectives.
LARGE_GROUP = 50_000


@dataclass(frozen=True)
class Batch:
    """One call's data in the canonical flat layout."""

    scores: F64  # (n,) or (n, K)
    labels: F64  # (n,)
    weights: F64  # (n,), ones when unweighted
    valid: B1  # (n,)
    offsets: I64  # (n_groups + 1,)
    shape: tuple[int, ...]  # shape of y_pred as given, for outputs
    #: labels/weights/valid/offsets are boostrank-owned copies kept for a host data set's
    #: lifetime (never mutated): the GPU may cache their device copies by array identity
    static: bool = False
    #: Per-data-set derived arrays that depend only on labels, mask and groups (e.g. the
    #: pairwise label order): shared by every round's batch of one DMatrix/Dataset, since
    #: ``replace(static, scores=...)`` keeps the same dict.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_rows(self) -> int:
        return int(self.labels.size)


class Objective:
    """Base class: input handling, reductions and host dispatch shared by every loss."""

    name: ClassVar[str] = "objective"
    #: Labels below 0 mark rows to ignore (keras-rs convention) for relevance-label losses.
    ignores_negative_labels: ClassVar[bool] = True
    #: "row": ``reduction="none"`` gives one value per row; "group": one per group.
    unreduced: ClassVar[str] = "row"
    #: Row-wise losses on (n, K) margins (ordinal) instead of ranking scores.
    multiclass: ClassVar[bool] = False
    #: Cost grows with the square of the group size (pairwise losses, soft Spearman).
    quadratic: ClassVar[bool] = False
    #: The kernels count NaN / inf scores themselves (as they read them) and the objective
    #: raises afterwards, so input handling skips its own pass over the scores (RPS).
    kernel_checks_finite: ClassVar[bool] = False

    # ----------------------------------------------------------------- input handling
    def _batch(
        self,
        y_true: Any,
        y_pred: Any,
        group: Any = None,
        qid: Any = None,
        weight: Any = None,
        where: Any = None,
        offsets: I64 | None = None,
    ) -> Batch:
        scores = as_f64(y_pred, "y_pred", finite=not self.kernel_checks_finite,
                        keep_fortran=self.multiclass)
        labels = as_f64(y_true, "y_true")
        shape = scores.shape
        if self.multiclass:
            return self._multiclass_batch(labels, scores, group, qid, weight, where, offsets)
        if scores.ndim == 2:  # padded lists (keras-rs / rax layout)
            if labels.shape != scores.shape:
                raise ValueError(
                    f"padded 2-D input: `y_true` has shape {labels.shape} but `y_pred` has "
                    f"{scores.shape}; both must be (n_lists, list_size)."
                )
            if group is not None or qid is not None:
                raise ValueError(
                    "padded 2-D input already defines the groups (one per row of the array); "
                    "do not pass `group` or `qid` as well."
                )
            n_lists, size = scores.shape
            offsets = np.arange(n_lists + 1, dtype=np.int64) * size
            scores = scores.reshape(-1)
            labels = labels.reshape(-1)
        elif scores.ndim != 1:
            raise ValueError(
                f"`y_pred` must be 1-D (flat rows) or 2-D (padded lists), got shape {shape}."
            )
        elif labels.shape != scores.shape:
            raise ValueError(
                f"`y_true` has shape {labels.shape} but `y_pred` has shape {scores.shape}; "
                "pass one label per prediction."
            )
        n = scores.size
        if n == 0:
            raise ValueError("`y_pred` is empty: there are no rows to rank.")
        if offsets is None:
            offsets = resolve_offsets(n, group, qid)
        largest = int(np.diff(offsets).max())
        if self._quadratic_cost() and largest > LARGE_GROUP:
            warnings.warn(
                f"{type(self).__name__} got a group of {largest:,} rows; its cost grows with "
                f"the square of the group size (~{largest**2 / 2:.1e} pair terms per call). "
                "If the data has queries or eras, pass them (DMatrix/Dataset `group=` or "
                "`qid=`); without them all rows form one group.",
                RuntimeWarning,
                stacklevel=3,
            )
        mask = check_mask(where, shape)
        valid = np.ones(n, dtype=bool) if mask is None else mask.reshape(-1).copy()
        if self.ignores_negative_labels:
            valid &= labels >= 0
        self._check_labels(labels, valid)
        w = row_weights(weight if weight is None else np.asarray(weight).reshape(-1), n, offsets)
        weights = np.ones(n) if w is None else w
        return Batch(scores, labels, weights, valid, offsets, shape)

    def _quadratic_cost(self) -> bool:
        """Whether this instance's cost grows with the square of the group size."""
        return self.quadratic

    def _multiclass_batch(
        self,
        labels: F64,
        margins: F64,
        group: Any,
        qid: Any,
        weight: Any,
        where: Any,
        offsets: I64 | None,
    ) -> Batch:
        raise NotImplementedError

    def _check_labels(self, labels: F64, valid: B1) -> None:
        """Hook for label checks of a particular loss."""

    # ----------------------------------------------------------------- kernels (subclasses)
    #: "cpu", "cuda" or "auto"; set by every subclass's ``__init__``.
    device: str = "cpu"

    def _backend(self) -> Any:
        """Where this call's kernels run (see :mod:`boostrank._backend`)."""
        return backend(self.device)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        """Per-row or per-group loss values (host array)."""
        raise NotImplementedError

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        """Gradient and Hessian as arrays of backend ``xp`` (device arrays on the GPU)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- public API
    def loss(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        group: Any = None,
        qid: Any = None,
        weight: Any = None,
        where: Any = None,
        reduction: str = "mean",
    ) -> Any:
        """The loss value; ``reduction`` is "mean" (this loss's conventional default), "sum"
        or "none" (per row or per group, see the class docstring)."""
        check_choice(reduction, "reduction", REDUCTIONS)
        b = self._batch(y_true, y_pred, group, qid, weight, where)
        parts = self._loss_parts(b, self._backend())
        if reduction == "sum":
            return float(parts.sum())
        if reduction == "none":
            if self.unreduced == "row" and not self.multiclass:
                return parts.reshape(b.shape)
            return parts
        if self.unreduced == "row":
            return float(parts.sum() / b.n_rows)
        counts = np.add.reduceat(b.valid, b.offsets[:-1]) if b.n_rows else np.zeros(0)
        non_empty = int((counts > 0).sum())
        return float(parts.sum() / non_empty) if non_empty else 0.0

    def grad_hess(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        group: Any = None,
        qid: Any = None,
        weight: Any = None,
        where: Any = None,
    ) -> tuple[F64, F64]:
        """Gradient of ``loss(..., reduction="sum")`` and the Hessian diagonal used, both
        shaped like ``y_pred``; Hessians are finite and strictly positive."""
        b = self._batch(y_true, y_pred, group, qid, weight, where)
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp)
        return xp.host(grad).reshape(b.shape), xp.host(hess).reshape(b.shape)

    def __call__(self, y_true_or_preds: Any, y_pred_or_data: Any, sample_weight: Any = None,
                 group: Any = _NOT_GIVEN) -> tuple[F64, F64]:
        """Host-library entry point: ``(preds, DMatrix)``, ``(preds, Dataset)``,
        ``(y_true, y_pred)`` or ``(y_true, y_pred, sample_weight=w)`` (XGBoost sklearn) or
        ``(y_true, y_pred, weight, group)`` (LightGBM sklearn, which always passes all four
        positionally; a call without ``group`` is taken as XGBoost's sklearn API).

        For a ``DMatrix`` / ``Dataset`` the labels, groups, weights and masks are read and
        validated on the first call and kept for the data set's lifetime (as XGBoost keeps its
        own ranking caches per ``DMatrix``); later rounds only check the predictions.  Labels
        or weights changed with ``set_label``/``set_weight`` after the first round are not
        seen: build a new ``DMatrix``/``Dataset`` instead."""
        data = y_pred_or_data
        if _hosts.is_host_data(data):
            preds = self._host_preds(y_true_or_preds)
            if preds.size == 0:  # a Dask worker holding only evaluation data trains on 0 rows
                return np.zeros(preds.shape), np.ones(preds.shape)
            b, host = self._cached_batch(data, preds)
        else:
            given = group is not _NOT_GIVEN
            call = _hosts.parse_host_call(y_true_or_preds, data, sample_weight,
                                          group if given else None)
            b, host = self._host_batch(call, self._host_preds(call.y_pred)), call.host
            if not given:
                host = XGBOOST_SKLEARN
        return self._host_grad_hess(b, host)

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        """What the host receives: ``_grad_hess``, then ``_host_scale`` in place, as the
        backend hands them over (see :mod:`boostrank._cuda.backend`)."""
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp)
        self._host_scale(b, grad, hess, host, xp)
        return xp.for_host(grad, hess, host)

    def _host_preds(self, preds: Any) -> np.ndarray:
        preds = np.asarray(preds)
        if not self.multiclass and preds.ndim == 2 and preds.shape[1] == 1:
            preds = preds[:, 0]
        if not self.multiclass and preds.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} scores one value per row, but the host passed "
                f"predictions of shape {preds.shape}. Do not set `num_class` / multi-class "
                "parameters for a ranking objective."
            )
        return preds

    def _host_batch(self, call: _hosts.HostCall, preds: np.ndarray) -> Batch:
        if not self.multiclass:
            _hosts.check_groups_are_local(call, type(self).__name__)
        return self._batch(call.y_true, preds, None, None, call.weight, None,
                           call.resolved_offsets())

    def _cached_batch(self, data: Any, preds: np.ndarray) -> tuple[Batch, str]:
        """The batch for a host data set: static parts from the cache, fresh predictions."""
        with _CACHE_LOCK:
            cache = self.__dict__.setdefault("_static_cache", weakref.WeakKeyDictionary())
            entry = cache.get(data)
        if entry is not None and entry[0] == preds.shape:
            _, static, host = entry
            scores = as_f64(preds, "y_pred", finite=not self.kernel_checks_finite,
                            keep_fortran=self.multiclass)
            return replace(static, scores=scores), host
        call = _hosts.parse_host_call(preds, data, None, None)
        b = self._host_batch(call, preds)
        b = replace(b, static=True)
        with _CACHE_LOCK:
            cache[data] = (preds.shape, b, call.host)
        return b, call.host

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before ``device`` existed ran on the CPU
        self.__dict__.update({"device": "cpu", **state})

    def _host_scale(self, b: Batch, grad: Any, hess: Any, host: str, xp: Any) -> None:
        """What the host receives: ``grad_hess`` times a constant per group, applied in place
        (identity here)."""

    @property
    def metric(self) -> Any:
        """This objective's loss as an XGBoost ``custom_metric`` / LightGBM ``feval``."""
        from .metrics import LossMetric

        return LossMetric(self)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({opts})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__getstate__().items()))))


# --------------------------------------------------------------------------- ranking
#: "auto": "lambdarank" under ``xgb.train``, none elsewhere.  Measured (BENCHMARKS.md, 5 folds
#: of MQ2008 and OHSUMED): the normalisation helped XGBoost in 8 of 10 (objective, data set)
#: pairs and hurt LightGBM in 7 of 10.  The sklearn APIs pass groups only to LGBMRanker.
GROUP_SCALES = ("auto", "lambdarank", None)


def lambdarank_group_scale(grad: F64, hess: F64, offsets: I64) -> tuple[F64, F64]:
    """Multiply each group's gradient and Hessian by log2(1 + S_g) / S_g, S_g = sum |grad|.

    This is the per-query normalisation of XGBoost's and LightGBM's built-in LambdaMART
    (``lambdarank_normalization`` / ``lambdarank_norm``): it leaves each group's Newton step
    unchanged but stops groups with many pairs from dominating the trees.  Contiguous float64
    inputs are scaled in place (the host path passes freshly computed arrays); others are
    converted first.
    """
    grad = np.ascontiguousarray(grad, dtype=np.float64)
    hess = np.ascontiguousarray(hess, dtype=np.float64)
    launch(_scaling.lambdarank_scale_inplace, grad, hess, offsets, 1.0)
    return grad, hess


def check_hessian_factor(value: Any) -> float | str:
    """``"auto"`` or a positive finite number."""
    if isinstance(value, str):
        return check_choice(value, "hessian_factor", ("auto",))
    return check_positive(value, "hessian_factor")


def host_hessian_factor(option: float | str, host: str) -> float:
    """The factor the host's Hessian is multiplied by: ``"auto"`` is
    ``XGBOOST_HESSIAN_FACTOR`` under XGBoost (``xgb.train``, its sklearn API) and 1 under
    LightGBM; a number applies under every host."""
    if option == "auto":
        return XGBOOST_HESSIAN_FACTOR if host in ("xgboost", XGBOOST_SKLEARN) else 1.0
    return float(option)


class _Ranking(Objective):
    """Relevance-label ranking losses: optional per-group normalisation of the host's arrays
    and XGBoost's Hessian convention."""

    group_scale: str | None
    hessian_factor: float | str

    def _host_scaling(self, host: str) -> tuple[bool, float]:
        """(whether the host gets the LambdaMART per-group normalisation, the factor its
        Hessian is multiplied by)."""
        factor = host_hessian_factor(getattr(self, "hessian_factor", "auto"), host)
        group_scale = self.group_scale == "lambdarank" or (
            self.group_scale == "auto" and host == "xgboost")
        return group_scale, factor

    def _host_scale(self, b: Batch, grad: Any, hess: Any, host: str, xp: Any) -> None:
        group_scale, factor = self._host_scaling(host)
        if group_scale:  # the Hessian factor in the same pass over the arrays
            xp.run(xp.kernels.scaling.lambdarank_scale_inplace, grad, hess,
                   xp.batch(b).offsets, factor)
        elif factor != 1.0:
            xp.scale_inplace(hess, factor, HESSIAN_FLOOR)


# --------------------------------------------------------------------------- pairwise
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
        for value, label in ((truncation_level, "truncation_level"),
                             (pairs_per_row, "pairs_per_row")):
            if value is not None and (isinstance(value, bool) or int(value) != value
                                      or value < 1):
                raise ValueError(f"`{label}` must be a positive integer or None, got {value!r}.")
        if truncation_level is not None and pairs_per_row is not None:
            raise ValueError("`truncation_level` and `pairs_per_row` each select a subset of "
                             "the pairs; set one of them, not both.")
        if isinstance(seed, bool) or int(seed) != seed or seed < 0:
            raise ValueError(f"`seed` must be an integer >= 0, got {seed!r}.")
        if pairs_per_row is not None and self.device == "cuda":
            raise ValueError(_SAMPLING_ON_GPU)
        self.truncation_level = None if truncation_level is None else int(truncation_level)
        self.pairs_per_row = None if pairs_per_row is None else int(pairs_per_row)
        self.seed = int(seed)
        self.lambda_weight = check_choice(lambda_weight, "lambda_weight", (None, "ndcg"))
        if k is not None and (int(k) != k or k < 1):
            raise ValueError(f"`k` must be a positive integer or None, got {k!r}.")
        if k is not None and lambda_weight is None:
            raise ValueError("`k` is the NDCG cut-off of the lambda weights: set "
                             "`lambda_weight='ndcg'` too, or leave `k=None`.")
        self.k = None if k is None else int(k)
        default = next(iter(self._hessians))
        self.hessian = check_choice(default if hessian is None else hessian, "hessian",
                                    tuple(self._hessians))

    def _check_labels(self, labels: F64, valid: B1) -> None:
        if self.lambda_weight == "ndcg" and valid.any() and labels[valid].max() > 31:
            raise ValueError(
                f"`y_true` has relevance labels up to {labels[valid].max()}; NDCG lambda weights "
                "use the gain 2^y - 1 and need labels <= 31. Rescale the labels to grades."
            )

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
        grad = xp.empty(b.n_rows)
        hess = xp.empty(b.n_rows)
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
        ``xgb.train`` only, where it measured better (BENCHMARKS.md).  It does not change a
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
        (BENCHMARKS.md, ``defaults_study.py hessian_factor``: default trees, 100 rounds,
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
        the kernels run; the CUDA twins give the same values (README, "On the GPU").

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


# --------------------------------------------------------------------------- listwise
class SoftmaxRanking(_Ranking):
    r"""Listwise softmax cross-entropy (rax ``softmax_loss``, braintools ``ranking_softmax_loss``).

    .. math::
        l_g = -\sum_i w_i y_i \log \mathrm{softmax}(s)_i

    softmax over the group's valid rows, labels not normalised; a group whose weighted labels
    sum to 0 contributes 0.  ``reduction="mean"`` averages over groups with a valid row;
    ``"none"`` gives one value per group.  Gradient A p_k - w_k y_k (A = sum w y); exact
    Hessian diagonal A p_k (1 - p_k) (convex).  Cost O(n).  ``group_scale``,
    ``hessian_factor`` (2 under XGBoost: its LambdaMART's convention) and ``device`` as in
    :class:`PairwiseSoftZeroOne`.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.softmax_ranking.loss([1.0, 0.0, 0.0], [2.0, 1.0, 3.0]), 6)
    1.407606
    """

    name = "softmax_ranking"
    unreduced = "group"

    def __init__(self, group_scale: str | None = "auto",
                 hessian_factor: float | str = "auto", device: str = "cpu") -> None:
        self.device = check_device(device)
        self.group_scale = check_choice(group_scale, "group_scale", GROUP_SCALES)
        self.hessian_factor = check_hessian_factor(hessian_factor)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        d = xp.batch(b)
        out = xp.empty(b.offsets.size - 1)
        xp.run(xp.kernels.softmax.softmax_loss_groups, d.scores, d.labels, d.weights, d.valid,
               d.offsets, out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        d = xp.batch(b)
        grad = xp.empty(b.n_rows)
        hess = xp.empty(b.n_rows)
        xp.run(xp.kernels.softmax.softmax_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, grad, hess)
        return grad, hess


_SPEARMAN_HESSIANS = {"gauss_newton": _sp.HESS_GAUSS_NEWTON,
                      "pair_magnitude": _sp.HESS_PAIR_MAGNITUDE}
_SPEARMAN_METHODS = {"auto": _sp.METHOD_AUTO, "exact": _sp.METHOD_EXACT,
                     "windowed": _sp.METHOD_WINDOWED}


class SoftSpearman(Objective):
    r"""Negative soft Spearman correlation per group (centimators ``SpearmanCorrelation``).

    Soft rank :math:`r_i(x) = \sum_j \sigma((x_i - x_j)/\tau)` (j = i included) and

    .. math::
        l_g = -\bar w_g\, \frac{\sum \tilde a \tilde b}
                               {\sqrt{\sum \tilde a^2 \sum \tilde b^2 + 10^{-7}}},
        \quad \tilde a = r(s) - \overline{r(s)},\ \tilde b = r(y) - \overline{r(y)}

    with :math:`\bar w_g` the mean weight of the group's valid rows (XGBoost's per-group weight).
    Without groups the whole data set is one group, as in centimators.  Labels may be any real
    numbers (negative ones are *not* ignored; use ``where=``).  ``reduction="mean"`` averages
    over groups; ``"none"`` gives one value per group.

    Parameters
    ----------
    regularization_strength : tau > 0 (default 1e-3), the soft-rank temperature.
    hessian : "gauss_newton" (default): the Gauss-Newton diagonal of corr written as a
        least-squares distance of unit vectors, damped and floored at ties; or
        "pair_magnitude": sum_j sigma'_kj |c_k - c_j| / tau^2, which bounds each row's Newton
        step by tau.  Formulas and the measurements behind the default:
        :mod:`boostrank._kernels.spearman` and BENCHMARKS.md.
    tie_step : size, in units of tau, of the first step out of all-equal scores (default
        1e-3; Gauss-Newton only).  The plain Gauss-Newton step there is ~1e-9, lost in
        XGBoost's float32 margins.
    score_unit : "auto" (default), None or a positive number u: the host's margins are read
        in units of u, i.e. the host receives the gradient and Hessian of s -> l(u s):
        u grad(u s) and u^2 hess(u s) (``grad_hess`` and ``loss`` are not affected).
        "auto" is u = tie_step * tau (1e-6 by default) under XGBoost (``xgb.train`` and the
        sklearn estimators) and 1 under LightGBM.  Why: the correlation is scale-free near
        ties, so boosting keeps its scores at the scale of the first step out of the
        all-equal start, ~tie_step * tau (~1e-6); XGBoost holds margins in float32 around
        its 0.5 start (resolution 6e-8), where such steps are a few rounding units: the
        scores stop changing after ~10 trees (validation Spearman frozen) and its absolute
        constants (lambda 1, min_child_weight 1) are meaningless next to Hessians of ~1e13.
        In units of tie_step * tau the first step of row k is eta times the z-score of its
        label's soft rank in its group, as for a regression, and the per-row Hessians are
        O(m_g^2 / 4) instead of O(1e13).  LightGBM (float64 from 0, lambda_l2 0) trains the
        same ranking in any unit (measured identical), so "auto" leaves it at 1.
        For :class:`CombinedLoss` only the Spearman term is read in units of u (the MSE term
        stays on the labels' scale); with its default ``balance="rows"``, "auto" is u on
        every host.
        Measured on chem97 (BENCHMARKS.md, RESULTS.md).
    method : how the same loss is evaluated.  "exact": every pair, O(n_g^2) per group.
        "windowed": sort each group, merge exact ties into blocks, and evaluate only pairs
        closer than 37.5 tau (beyond, sigma is 0 or 1 to double precision and sigma' < 6e-17),
        with one exponential per row: O(n_g log n_g + n_g w) time, w the number of distinct
        scores within 37.5 tau of a row, O(n_g) memory; label soft ranks are cached between
        calls with the same labels.  Agrees with "exact" to rtol 1e-9 (measured ~1e-14).
        "auto" (default): "windowed" for groups of more than 16 rows, where it is already
        faster, "exact" below.  Details: :mod:`boostrank._kernels.spearman`; timings
        (400 eras of 5,000 rows: ~5 CPU minutes -> ~0.7 CPU seconds per call): BENCHMARKS.md.
    device : "cpu" (default), "cuda" or "auto" (the GPU when numba-cuda finds one): where
        the kernels run; the GPU evaluates every pair, ``method`` applies to the CPU (README,
        "On the GPU").

    Cost "exact": O(sum_g n_g^2) time; "windowed": see ``method``; O(n) memory.

    Examples
    --------
    >>> import numpy as np, boostrank
    >>> round(boostrank.soft_spearman.loss([1.0, 2.0, 3.0], [0.1, 0.2, 0.3]), 4)
    -1.0
    >>> y = np.linspace(0.0, 1.0, 2000)
    >>> s = np.sin(7.0 * y)
    >>> g_exact, h_exact = boostrank.SoftSpearman(method="exact").grad_hess(y, s)
    >>> g_win, h_win = boostrank.SoftSpearman(method="windowed").grad_hess(y, s)
    >>> bool(np.allclose(g_win, g_exact, rtol=1e-9, atol=1e-9 * abs(g_exact).max()))
    True
    >>> bool(np.allclose(h_win, h_exact, rtol=1e-9))
    True
    """

    name = "soft_spearman"
    unreduced = "group"
    ignores_negative_labels = False
    quadratic = True

    def __init__(self, regularization_strength: float = 1e-3,
                 hessian: str = "gauss_newton", tie_step: float = 1e-3,
                 method: str = "auto", score_unit: float | str | None = "auto",
                 device: str = "cpu") -> None:
        self.device = check_device(device)
        self.regularization_strength = check_positive(regularization_strength,
                                                      "regularization_strength")
        self.hessian = check_choice(hessian, "hessian", tuple(_SPEARMAN_HESSIANS))
        self.tie_step = check_positive(tie_step, "tie_step")
        self.method = check_choice(method, "method", tuple(_SPEARMAN_METHODS))
        if isinstance(score_unit, str):
            check_choice(score_unit, "score_unit", ("auto",))
        elif score_unit is not None:
            score_unit = check_positive(score_unit, "score_unit")
        self.score_unit = score_unit

    def host_score_unit(self, host: str) -> float:
        """The unit u of the margins under ``host`` ("xgboost", "xgboost_sklearn",
        "lightgbm" or "sklearn"): the host receives the derivatives of s -> l(u s)."""
        unit = getattr(self, "score_unit", None)
        if unit == "auto":
            if host in ("xgboost", XGBOOST_SKLEARN):
                return self.tie_step * self.regularization_strength
            return 1.0
        return 1.0 if unit is None else float(unit)

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, self.host_score_unit(host))
        return xp.for_host(grad, hess, host)

    def _quadratic_cost(self) -> bool:
        return self.method == "exact"

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before ``method`` existed evaluated the exact form; before
        # ``score_unit`` existed hosts received the raw derivatives; before ``device``, CPU
        self.__dict__.update({"method": "exact", "score_unit": None, "device": "cpu", **state})

    def _label_ranks(self, b: Batch) -> F64:
        """Centred windowed soft ranks of the labels, reused while labels, mask, groups and tau
        are unchanged (boosting rounds): checking costs one comparison of each array."""
        if self.method == "exact":
            return np.empty(0)
        tau = self.regularization_strength
        with _CACHE_LOCK:
            hit = getattr(self, "_rank_cache", None)
        if (hit is not None and hit[0] == tau and np.array_equal(hit[1], b.offsets)
                and np.array_equal(hit[2], b.valid) and np.array_equal(hit[3], b.labels)):
            return hit[4]
        ranks = np.empty(b.n_rows)
        launch(_sp.spearman_label_ranks, b.labels, b.valid, b.offsets, tau, ranks)
        with _CACHE_LOCK:
            self._rank_cache = (tau, b.offsets.copy(), b.valid.copy(), b.labels.copy(), ranks)
        return ranks

    def _ranks_on(self, b: Batch, xp: Any) -> Any:
        """The labels' soft ranks for backend ``xp``: on the CPU the cached windowed ranks
        (empty for "exact", whose kernel computes its own); on the GPU every pair's, computed
        on the device once per data set (the GPU kernels evaluate every pair)."""
        if xp.name == "cpu":
            return self._label_ranks(b)
        d = xp.batch(b)
        tau = self.regularization_strength

        def compute() -> Any:
            out = xp.empty(b.n_rows)
            xp.kernels.spearman.spearman_label_ranks(d.labels, d.valid, d.offsets, tau, out)
            return out

        return xp.derived((d.labels, d.valid, d.offsets), ("label_ranks", tau), compute)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        d = xp.batch(b)
        out = xp.empty(b.offsets.size - 1)
        xp.run(xp.kernels.spearman.spearman_loss_groups, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.regularization_strength, _SPEARMAN_METHODS[self.method],
               self._ranks_on(b, xp), out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any, unit: float = 1.0) -> tuple[Any, Any]:
        """Gradient and Hessian of s -> l(unit * s) (``grad_hess``: unit 1)."""
        if unit != 1.0:
            b = replace(b, scores=b.scores * unit)
        d = xp.batch(b)
        grad = xp.empty(b.n_rows)
        hess = xp.empty(b.n_rows)
        xp.run(xp.kernels.spearman.spearman_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.regularization_strength, _SPEARMAN_HESSIANS[self.hessian],
               self.tie_step, _SPEARMAN_METHODS[self.method], self._ranks_on(b, xp), grad, hess)
        if unit != 1.0:
            xp.scale_inplace(grad, unit, 0.0)
            xp.scale_inplace(hess, unit * unit, HESSIAN_FLOOR)
        return grad, hess


class CombinedLoss(SoftSpearman):
    r"""Weighted MSE plus soft Spearman per group (centimators ``CombinedLoss``).

    .. math::
        l_g = \alpha\, \frac{1}{n_g}\sum_{i \in g} w_i (s_i - y_i)^2 + \beta\, l^{\rm spearman}_g

    with ``mse_weight`` alpha = 2, ``spearman_weight`` beta = 1 and tau = 1e-3 by default, n_g
    the number of valid rows of group g.  With one group (no ``group``/``qid``) and the default
    ``reduction="mean"`` this equals centimators' ``2 * mean((s - y)^2) - corr``.  The Hessian is
    the exact MSE part plus beta times the Spearman surrogate (``hessian=`` as in
    :class:`SoftSpearman`).

    Parameters
    ----------
    mse_weight, spearman_weight : alpha >= 0 and beta >= 0, not both 0 (defaults 2 and 1).
    balance : "rows" (default) or None: what the hosts receive (``grad_hess`` and ``loss`` are
        not affected).  None: the derivatives of the loss above.  Then, near ties, the
        Spearman term's curvature is ~1/tau^2 times the MSE term's, the Newton steps follow
        the Spearman term alone and the scores never reach the labels' scale: under LightGBM
        the model was *identical* to :class:`SoftSpearman`'s (``mse_weight`` had no effect).
        "rows": the two terms are put on the same footing, as in a regression,

        .. math::
            g_k = \frac{2\alpha w_k (s_k - y_k) + \beta \lambda_g g^{sp}_k}{2\alpha + \beta},
            \quad
            h_k = \frac{2\alpha w_k + \beta \lambda_g h^{sp}_k}{2\alpha + \beta}, \quad
            \lambda_g = \frac{\sum_{i \in g} w_i}{\sum_{i \in g} h^{sp}_i},

        g^sp, h^sp the soft Spearman derivatives with the margins read in units of
        u = tie_step * tau on every host (see ``score_unit``; there the soft ranks are linear
        in the scores and the term is the per-group Pearson correlation of the scores with
        the labels' soft ranks).  lambda_g, a constant per group and round, makes the Spearman
        term's Hessian sum to the group's weight, like the MSE term's: each row counts once
        (groups weigh by their size, as in a regression, not equally as in ``loss``), and the
        Spearman Newton step of a group is in units of its own current spread (the
        correlation is scale-free, so its raw step is not).  A group with no correlation to
        learn (one valid row, all labels equal; its Spearman Hessians all at the floor) gets
        lambda_g = 0: the MSE term alone.  The division by 2 alpha + beta makes the host's
        Hessian sum to the group's weight, so that XGBoost's absolute ``lambda`` and
        ``min_child_weight`` mean what they mean for ``reg:squarederror``: with beta = 0 the
        hosts receive exactly their own squared-error gradient w (s - y) and Hessian w.
        Measured on chem97 (BENCHMARKS.md, RESULTS.md), mean per-school Spearman, XGBoost /
        LightGBM: 100 rounds, 10 splits, 0.5856 / 0.6031 against 0.5760 / 0.5928 with None and
        0.5854 / 0.6011 for the built-in regression; with early stopping (5 folds) 0.6016 /
        0.6065 against regression's 0.6007 / 0.6020.
    regularization_strength, hessian, tie_step, method, score_unit, device : as in
        :class:`SoftSpearman`.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.combined_loss.loss([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]), 4)
    -0.3333
    """

    name = "combined_loss"

    def __init__(self, mse_weight: float = 2.0, spearman_weight: float = 1.0,
                 regularization_strength: float = 1e-3,
                 hessian: str = "gauss_newton", tie_step: float = 1e-3,
                 method: str = "auto", score_unit: float | str | None = "auto",
                 balance: str | None = "rows", device: str = "cpu") -> None:
        super().__init__(regularization_strength, hessian, tie_step, method, score_unit, device)
        if balance is not None:
            check_choice(balance, "balance", ("rows",))
        self.balance = balance
        for value, label in ((mse_weight, "mse_weight"), (spearman_weight, "spearman_weight")):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"`{label}` must be a finite number >= 0, got {value!r}.")
        if mse_weight == 0 and spearman_weight == 0:
            raise ValueError("`mse_weight` and `spearman_weight` are both 0: nothing to learn.")
        self.mse_weight = float(mse_weight)
        self.spearman_weight = float(spearman_weight)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before ``balance`` existed gave the hosts the loss's derivatives
        super().__setstate__({"balance": None, **state})

    def host_score_unit(self, host: str) -> float:
        if getattr(self, "balance", None) == "rows" and self.score_unit == "auto":
            return self.tie_step * self.regularization_strength
        return super().host_score_unit(host)

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        if getattr(self, "balance", None) is None:
            return super()._host_grad_hess(b, host)
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, self.host_score_unit(host), balanced=True)
        return xp.for_host(grad, hess, host)

    def _rows_per_group(self, b: Batch) -> F64:
        counts = np.add.reduceat(b.valid.astype(np.float64), b.offsets[:-1])
        return np.repeat(np.maximum(counts, 1.0), np.diff(b.offsets))

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        sq = np.where(b.valid, b.weights * (b.scores - b.labels) ** 2, 0.0)
        sq /= self._rows_per_group(b)
        mse = np.add.reduceat(sq, b.offsets[:-1])
        return self.mse_weight * mse + self.spearman_weight * super()._loss_parts(b, xp)

    def _grad_hess(self, b: Batch, xp: Any, unit: float = 1.0,
                   balanced: bool = False) -> tuple[Any, Any]:
        """Gradient and Hessian of s -> MSE(s) + Spearman(unit * s); ``balanced``: the mix
        ``balance="rows"`` hands the hosts (see ``add_mse_grad_hess``)."""
        grad, hess = super()._grad_hess(b, xp, unit)
        d = xp.batch(b)
        xp.run(xp.kernels.spearman.add_mse_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.mse_weight, self.spearman_weight, balanced, grad, hess)
        return grad, hess


# --------------------------------------------------------------------------- ordinal
_RPS_HESSIANS = {"gauss_newton": _rps.HESS_GAUSS_NEWTON, "exact": _rps.HESS_EXACT_CLIPPED}


class RankedProbabilityScore(Objective):
    r"""Ranked probability score of K ordered classes, on (n, K) margins.

    .. math::
        l = w \sum_{k=0}^{K-2} (P_k - [k \ge y])^2, \quad P_k = \sum_{c \le k} \mathrm{softmax}(z)_c

    Labels are integers 0..K-1 (negative labels mark rows to ignore).  ``normalize=True``
    divides by K - 1.  ``reduction="mean"`` averages over the rows passed; ``"none"`` gives
    one value per row.  ``predict_proba`` is ``softmax(margins)``.

    Parameters
    ----------
    normalize : divide by K - 1 (default False).
    hessian : "gauss_newton" (default), 2 w sum_k (dP_k/dz_c)^2; or "exact", the exact
        diagonal clipped at the floor.
    hessian_factor : "auto" (default) or a positive number multiplying the Hessian the host
        receives (``grad_hess`` is not affected).  "auto" is 2 under XGBoost (``xgb.train``,
        ``XGBClassifier``), whose ``multi:softprob`` uses 2 p (1 - p) and whose defaults are set
        for it, and 1 under LightGBM (whose ``multiclass`` uses K / (K - 1) p (1 - p); doubling
        measured worse there).  Wine quality, default trees, 100 rounds, 5 splits
        (BENCHMARKS.md): XGBoost RPS 0.2798 -> 0.2736 (``multi:softprob`` 0.2746); LightGBM
        doubled 0.2799 vs 0.2691.
    device : "cpu" (default), "cuda" or "auto" (the GPU when numba-cuda finds one): where
        the kernels run; the CUDA twins give the same values (README, "On the GPU").

    Examples
    --------
    >>> import numpy as np, boostrank
    >>> margins = np.log([[0.2, 0.5, 0.3]])   # p = (0.2, 0.5, 0.3), P = (0.2, 0.7)
    >>> round(boostrank.rps.loss([2], margins), 6)   # 0.2^2 + 0.7^2
    0.53
    """

    name = "rps"
    unreduced = "row"
    multiclass = True
    kernel_checks_finite = True

    def __init__(self, normalize: bool = False, hessian: str = "gauss_newton",
                 hessian_factor: float | str = "auto", device: str = "cpu") -> None:
        self.device = check_device(device)
        self.normalize = bool(normalize)
        self.hessian = check_choice(hessian, "hessian", tuple(_RPS_HESSIANS))
        self.hessian_factor = check_hessian_factor(hessian_factor)

    def _host_scale(self, b: Batch, grad: Any, hess: Any, host: str, xp: Any) -> None:
        factor = host_hessian_factor(getattr(self, "hessian_factor", "auto"), host)
        if factor != 1.0:
            xp.scale_inplace(hess, factor, HESSIAN_FLOOR)

    def _multiclass_batch(self, labels: F64, margins: F64, group: Any, qid: Any, weight: Any,
                          where: Any, offsets: I64 | None) -> Batch:
        if margins.ndim != 2 or margins.shape[1] < 2:
            raise ValueError(
                f"`y_pred` must be margins of shape (n_rows, n_classes) with n_classes >= 2, got "
                f"shape {margins.shape}. With XGBoost set `num_class` (objective placeholder "
                "multi:softprob); with LightGBM set `num_class` in params."
            )
        n, n_classes = margins.shape
        if n == 0:
            raise ValueError("`y_pred` is empty: there are no rows to score.")
        labels = labels.reshape(-1)
        if labels.size != n:
            raise ValueError(f"`y_true` has {labels.size} labels but `y_pred` has {n} rows.")
        mask = check_mask(where, (n,))
        valid = (labels >= 0) if mask is None else (mask & (labels >= 0))
        lab = labels[valid]
        if lab.size and ((lab != np.round(lab)).any() or lab.max() > n_classes - 1):
            bad = lab[(lab != np.round(lab)) | (lab > n_classes - 1)]
            raise ValueError(
                f"`y_true` must hold integer class labels 0..{n_classes - 1} (n_classes = "
                f"{n_classes} from y_pred's shape); found {bad.size} invalid, e.g. {bad[0]!r}. "
                "Map ordered classes to 0..K-1 (e.g. wine quality 3..9 -> y - 3)."
            )
        offsets = offsets if offsets is not None else resolve_offsets(n, group, qid)
        w = row_weights(weight, n, offsets)
        return Batch(margins, labels, np.ones(n) if w is None else w, valid, offsets,
                     margins.shape)

    def _scale(self, b: Batch) -> float:
        return 1.0 / (b.scores.shape[1] - 1) if self.normalize else 1.0

    @staticmethod
    def _fortran(b: Batch) -> bool:
        return bool(b.scores.flags.f_contiguous and not b.scores.flags.c_contiguous)

    def _on(self, b: Batch, xp: Any) -> Batch:
        """The batch for backend ``xp``: the CPU kernels read Fortran-ordered margins in
        place (LightGBM's layout) and count NaN / inf margins as they go; the GPU twins take
        C order, checked here on the host."""
        if xp.name != "cpu":
            check_finite(b.scores, "y_pred")
            if self._fortran(b):
                return replace(b, scores=np.ascontiguousarray(b.scores))
        return b

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        d = xp.batch(self._on(b, xp))
        out = xp.empty(b.n_rows)
        n_bad = xp.run(xp.kernels.rps.rps_loss_rows, d.scores, d.labels, d.weights, d.valid,
                       self._scale(b), out)
        if n_bad:
            check_finite(b.scores, "y_pred")  # raises, saying where
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        """Gradient and Hessian in the margins' layout: Fortran-ordered margins (LightGBM's
        (n, K) view of its buffer) give Fortran-ordered arrays, which LightGBM flattens
        class-major without a transposing copy."""
        b = self._on(b, xp)
        d = xp.batch(b)
        if xp.name == "cpu" and self._fortran(b):
            grad = np.empty(b.scores.shape, order="F")
            hess = np.empty(b.scores.shape, order="F")
        else:
            grad = xp.empty(b.scores.shape)
            hess = xp.empty(b.scores.shape)
        n_bad = xp.run(xp.kernels.rps.rps_grad_hess, d.scores, d.labels, d.weights, d.valid,
                       self._scale(b), _RPS_HESSIANS[self.hessian], grad, hess)
        if n_bad:
            check_finite(b.scores, "y_pred")  # raises, saying where
        return grad, hess

    @staticmethod
    def predict_proba(margins: Any) -> F64:
        """Class probabilities softmax(margins), rows summing to 1
        (:func:`boostrank.predict_proba`)."""
        return _ordinal.predict_proba(margins)
