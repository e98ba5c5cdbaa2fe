"""What every objective shares: the canonical ``Batch``, the ``Objective`` base class (input
handling, reductions, the hosts' calling conventions, pickling) and the scaling of what the
hosts receive (the LambdaMART per-group normalisation, XGBoost's Hessian factor)."""

from __future__ import annotations

import threading
import warnings
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from .. import _hosts
from .._backend import backend
from .._config import HESSIAN_FLOOR, launch
from .._groups import resolve_offsets
from .._kernels import scaling as _scaling
from .._metric_base import LossMetric
from .._validation import (
    B1,
    F64,
    I64,
    as_f64,
    check_choice,
    check_mask,
    check_positive,
    row_weights,
)

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
#: Groups larger than this trigger a warning in the O(n_g^2) objectives.
LARGE_GROUP = 50_000


@dataclass(frozen=True)
class Batch:
    """One call's data in the canonical flat layout."""

    scores: F64  # (n,) or (n, K); on the GPU a host's float32 predictions stay float32
    labels: F64  # (n,)
    weights: F64  # (n,), ones when unweighted
    valid: B1  # (n,)
    offsets: I64  # (n_groups + 1,)
    shape: tuple[int, ...]  # shape of y_pred as given, for outputs
    #: labels/weights/valid/offsets are boostrank-owned copies kept for a host data set's
    #: lifetime (never mutated): the GPU may cache their device copies by array identity
    static: bool = False
    #: Per-data-set values: derived arrays that depend only on labels, mask and groups (e.g.
    #: the pairwise label order) and per-data-set state (YetiRank's round count): shared by
    #: every round's batch of one DMatrix/Dataset, since ``replace(static, scores=...)``
    #: keeps the same dict.
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
        seen: build a new ``DMatrix``/``Dataset`` instead.  On the GPU, the device arrays
        returned for a ``DMatrix`` are reused by the next call on it (XGBoost copies them
        first)."""
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
            # the GPU takes float32 predictions as they are and checks them as it uploads
            scores = self._backend().predictions(preds, not self.kernel_checks_finite,
                                                 self.multiclass)
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
    def metric(self) -> LossMetric:
        """This objective's loss as an XGBoost ``custom_metric`` / LightGBM ``feval``."""
        return LossMetric(self)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({opts})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__getstate__().items()))))



#: "auto": "lambdarank" under ``xgb.train``, none elsewhere.  Measured (RESULTS.md, 5 folds
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

