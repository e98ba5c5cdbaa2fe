"""The metric base class and :class:`LossMetric`, an objective's loss as a metric.

They sit below :mod:`boostrank.objectives` (whose ``metric`` is a ``LossMetric``) and
:mod:`boostrank.metrics` (which re-exports both, and whose ``RPSMetric`` scores with the RPS
objective), so that the imports between the two run one way: metrics -> objectives.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from . import _hosts
from ._groups import resolve_offsets
from ._validation import F64, I64, row_weights

__all__ = ["LossMetric", "Metric"]


class Metric:
    """Base class: host dispatch and group averaging."""

    name: str = "metric"
    higher_is_better: ClassVar[bool] = True
    #: (n, K) predictions are one row per sample (RPS), not padded lists.
    _multiclass: ClassVar[bool] = False
    #: "cpu", "cuda" or "auto": where the per-group kernel runs (the averaging stays on the
    #: host; per-group values are small).
    device: str = "cpu"

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        raise NotImplementedError

    def score(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
              weight: Any = None, where: Any = None, offsets: I64 | None = None) -> float:
        """The metric averaged over groups (weighted by group weight)."""
        values, gw = self._counted(y_true, y_pred, group=group, qid=qid, weight=weight,
                                   where=where, offsets=offsets)
        if not values.size or gw.sum() == 0:
            return 0.0
        return float(np.average(values, weights=gw))

    def sums(self, y_true: Any, y_pred: Any, *, weight: Any = None,
             offsets: I64 | None = None) -> tuple[float, float]:
        """``(numerator, denominator)`` of :meth:`score`'s weighted average, so that shares of
        whole groups held by different workers combine exactly: sum both, then divide."""
        values, gw = self._counted(y_true, y_pred, weight=weight, offsets=offsets)
        return float((values * gw).sum()), float(gw.sum())

    def _counted(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                 weight: Any = None, where: Any = None,
                 offsets: I64 | None = None) -> tuple[F64, F64]:
        """Per-group values that count (not NaN) and their group weights."""
        values = self.per_group(y_true, y_pred, group=group, qid=qid, where=where,
                                offsets=offsets)
        shape = np.shape(y_pred)
        n = int(np.prod(shape)) if len(shape) == 2 and not self._multiclass else int(shape[0])
        if offsets is None:
            offsets = (np.arange(shape[0] + 1, dtype=np.int64) * shape[1]
                       if len(shape) == 2 and not self._multiclass
                       else resolve_offsets(n, group, qid))
        w = row_weights(None if weight is None else np.ravel(weight), n, offsets)
        gw = np.ones(values.size) if w is None else np.add.reduceat(w, offsets[:-1]) / np.diff(
            offsets)
        keep = ~np.isnan(values)
        return values[keep], gw[keep]

    def __call__(self, a: Any, b: Any, sample_weight: Any = None,
                 group: Any = None) -> tuple[str, float] | tuple[str, float, bool]:
        call = _hosts.parse_host_call(a, b, sample_weight, group)
        if call.host == "xgboost" and _hosts.xgboost_world_size() > 1:
            return self.name, self._allreduced(call)
        value = self.score(call.y_true, call.y_pred, weight=call.weight,
                           offsets=call.resolved_offsets())
        if call.host == "xgboost":
            return self.name, value
        return self.name, value, self.higher_is_better

    def _allreduced(self, call: _hosts.HostCall) -> float:
        """The value over all workers of distributed XGBoost training (``xgboost.dask``):
        each worker holds whole groups, so summing :meth:`sums` over workers is exact.  Every
        worker evaluates every evaluation set in the same order, as the allreduce needs."""
        from xgboost import collective

        if not self._multiclass:
            _hosts.check_groups_are_local(call, type(self).__name__, "metric")
        local = (0.0, 0.0) if np.size(call.y_true) == 0 else self.sums(
            call.y_true, call.y_pred, weight=call.weight, offsets=call.resolved_offsets())
        num, den = collective.allreduce(np.array(local, dtype=np.float64), collective.Op.SUM)
        return float(num / den) if den > 0 else 0.0

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({opts})"


class LossMetric(Metric):
    """An objective's own loss (its default ``reduction="mean"``) as a metric."""

    higher_is_better = False

    def __init__(self, objective: Any) -> None:
        self.objective = objective
        self.name = objective.name

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        raise NotImplementedError("LossMetric reports the reduced loss; use score().")

    def score(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
              weight: Any = None, where: Any = None, offsets: I64 | None = None) -> float:
        if offsets is not None:
            group = np.diff(offsets)
        return float(self.objective.loss(y_true, y_pred, group=group, qid=qid, weight=weight,
                                         where=where))

    def sums(self, y_true: Any, y_pred: Any, *, weight: Any = None,
             offsets: I64 | None = None) -> tuple[float, float]:
        """Summed loss and what ``reduction="mean"`` divides it by: the rows passed, or the
        groups with a valid row (see the objective's ``unreduced``)."""
        obj = self.objective
        group = None if offsets is None else np.diff(offsets)
        total = float(obj.loss(y_true, y_pred, group=group, weight=weight, reduction="sum"))
        if obj.unreduced == "row":
            return total, float(np.shape(y_pred)[0])
        b = obj._batch(y_true, y_pred, group, None, weight)
        counts = np.add.reduceat(b.valid, b.offsets[:-1])
        return total, float((counts > 0).sum())
