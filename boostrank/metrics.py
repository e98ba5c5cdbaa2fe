r"""Metrics: the same quantities as XGBoost ``custom_metric`` and LightGBM ``feval`` callables.

Each metric object has ``score(y_true, y_pred, *, group=None, qid=None, weight=None,
where=None) -> float``, ``per_group(...) -> ndarray`` (group-wise values, NaN where undefined
before the convention is applied) and ``__call__`` for the hosts:

* ``xgb.train(..., custom_metric=m)`` -> ``(name, value)``
* ``lgb.train(..., feval=m)`` and LightGBM sklearn ``eval_metric=m`` ->
  ``(name, value, is_higher_better)``

Group averages are weighted by each group's mean row weight (XGBoost's per-group weight).

Conventions
-----------
* NDCG@k: a group with no relevant row (ideal DCG 0) scores ``no_relevant_score``: 0 by
  default (LETOR, scikit-learn), 1 as XGBoost does, or None to leave such groups out.  Ties in
  the scores get their expected DCG over random tie orders (scikit-learn's ``ndcg_score``).
  A single relevant row scores 1.
* Spearman per group (exact ranks, ties averaged): groups with fewer than 2 rows or constant
  labels are left out; a group with varying labels and constant scores scores 0.
* MAP@k and MRR@k: relevant means label > 0; AP@k divides by min(k, number of relevant rows),
  so a perfect ranking scores 1 (trec_eval's ``map_cut`` divides by all relevant rows
  instead).  Groups without a relevant row follow ``no_relevant_score`` as for NDCG.  Score
  ties get the exact expectation over random tie orders, as for NDCG.
* Pearson per group: the linear correlation of scores and labels, same conventions as Spearman.
* Pairwise accuracy: share of pairs with y_i > y_j ranked s_i > s_j, score ties counting 1/2;
  groups without such a pair are left out.
* When every group is left out, the value is 0.

Every metric takes ``device="cpu" | "cuda" | "auto"``: where its per-group kernel runs (the
CUDA twins give the same values; the averaging over groups stays on the host).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._backend import backend, check_device
from ._groups import resolve_offsets
from ._metric_base import LossMetric, Metric
from ._validation import F64, I64, as_f64, check_choice, check_integer, check_mask, row_weights
from .objectives import RankedProbabilityScore
from .ordinal import INPUTS, as_margins

__all__ = [
    "MAP",
    "MRR",
    "NDCG",
    "LossMetric",
    "Metric",
    "PairwiseAccuracy",
    "PearsonMetric",
    "RPSMetric",
    "SpearmanMetric",
    "ndcg",
    "pairwise_accuracy",
    "rps_score",
    "spearman",
]


def run_metric_kernel(device: str, kernel_name: str, *host_args: Any) -> tuple[F64, ...]:
    """Run ``kernels.metrics.<kernel_name>`` on ``device``: the inputs are the leading host
    arrays/scalars of ``host_args``; the trailing ``n_groups, n_out`` give the outputs,
    returned as host arrays.  Arrays are uploaded on every call (the caller owns them)."""
    xp = backend(device)
    *inputs, n_groups, n_out = host_args
    args = [xp.upload(a) if isinstance(a, np.ndarray) else a for a in inputs]
    outs = [xp.empty(n_groups) for _ in range(n_out)]
    xp.run(getattr(xp.kernels.metrics, kernel_name), *args, *outs)
    return tuple(xp.host(o) for o in outs)


def _flat(y_true: Any, y_pred: Any, group: Any, qid: Any, where: Any,
          offsets: I64 | None) -> tuple[F64, F64, np.ndarray, I64]:
    s = as_f64(y_pred, "y_pred")
    y = as_f64(y_true, "y_true")
    if s.shape != y.shape:
        raise ValueError(f"`y_true` has shape {y.shape} but `y_pred` has shape {s.shape}.")
    mask = check_mask(where, s.shape)
    if s.ndim == 2:
        if group is not None or qid is not None:
            raise ValueError(
                "padded 2-D input already defines the groups (one per row of the array); "
                "do not pass `group` or `qid` as well."
            )
        offsets = np.arange(s.shape[0] + 1, dtype=np.int64) * s.shape[1]
        s, y = s.reshape(-1), y.reshape(-1)
    elif s.ndim != 1:
        raise ValueError(f"`y_pred` must be 1-D or padded 2-D, got shape {s.shape}.")
    if s.size == 0:
        raise ValueError("`y_pred` is empty.")
    if offsets is None:
        offsets = resolve_offsets(s.size, group, qid)
    valid = np.ones(s.size, dtype=bool) if mask is None else mask.reshape(-1).copy()
    return s, y, valid, offsets


class NDCG(Metric):
    """NDCG@k with exponential (2^y - 1, default) or linear gain; rows with negative labels
    are ignored.  See the module docstring for the conventions."""

    def __init__(self, k: int | None = 10, gain: str = "exponential",
                 no_relevant_score: float | None = 0.0, device: str = "cpu") -> None:
        self.device = check_device(device)
        self.k = check_integer(k, "k", optional=True)
        if gain not in ("exponential", "linear"):
            raise ValueError(f"`gain` must be 'exponential' or 'linear', got {gain!r}.")
        self.gain = gain
        self.no_relevant_score = no_relevant_score
        self.name = "ndcg" if k is None else f"ndcg@{self.k}"

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        s, y, valid, offsets = _flat(y_true, y_pred, group, qid, where, offsets)
        valid &= y >= 0
        if self.gain == "exponential" and valid.any() and y[valid].max() > 31:
            raise ValueError(
                f"`y_true` has relevance labels up to {y[valid].max()}; the exponential gain "
                "2^y - 1 needs labels <= 31. Use gain='linear' or rescale the labels to grades."
            )
        (out,) = run_metric_kernel(self.device, "ndcg_groups", s, y, valid, offsets, self.k or 0,
                                   self.gain == "exponential", offsets.size - 1, 1)
        np.minimum(out, 1.0, out=out)  # the tie-averaged and ideal DCG may round 1 ulp apart
        if self.no_relevant_score is not None:
            out[np.isnan(out)] = self.no_relevant_score
        return out


class _Correlation(Metric):
    """Shared by the per-group correlations: one kernel call over all groups."""

    _kernel: ClassVar[str]

    def __init__(self, device: str = "cpu") -> None:
        self.device = check_device(device)

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        s, y, valid, offsets = _flat(y_true, y_pred, group, qid, where, offsets)
        return run_metric_kernel(self.device, self._kernel, s, y, valid, offsets,
                                 offsets.size - 1, 1)[0]


class SpearmanMetric(_Correlation):
    """Mean per-group Spearman rank correlation (exact ranks, ties averaged)."""

    name = "spearman"
    _kernel = "spearman_groups"


class _AveragePrecisionOrRank(Metric):
    """Shared by MAP@k and MRR@k: one kernel computes both."""

    _prefix: ClassVar[str]
    _output: ClassVar[int]

    def __init__(self, k: int | None = 10, no_relevant_score: float | None = 0.0,
                 device: str = "cpu") -> None:
        self.device = check_device(device)
        self.k = check_integer(k, "k", optional=True)
        self.no_relevant_score = no_relevant_score
        self.name = self._prefix if k is None else f"{self._prefix}@{self.k}"

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        s, y, valid, offsets = _flat(y_true, y_pred, group, qid, where, offsets)
        return self.pick(average_precision_and_rank(s, y, valid, offsets, self.k, self.device))

    def pick(self, both: tuple[F64, F64]) -> F64:
        """This metric's values from :func:`average_precision_and_rank`'s pair, with the
        conventions applied (``both`` is left unchanged)."""
        values = np.minimum(both[self._output], 1.0)
        if self.no_relevant_score is not None:
            values[np.isnan(values)] = self.no_relevant_score
        return values


def average_precision_and_rank(scores: F64, labels: F64, valid: np.ndarray, offsets: I64,
                               k: int | None, device: str = "cpu") -> tuple[F64, F64]:
    """Per-group AP@k and reciprocal rank@k of flat, validated rows in one kernel pass (NaN
    for groups without a relevant row); rows with labels < 0 do not count."""
    ap, rr = run_metric_kernel(device, "ap_rr_groups", scores, labels, valid & (labels >= 0),
                               offsets, k or 0, offsets.size - 1, 2)
    return ap, rr


class MAP(_AveragePrecisionOrRank):
    """Mean average precision@k (relevant: label > 0); see the module docstring.

    >>> import boostrank
    >>> boostrank.MAP(k=None).score([1, 0, 1], [0.9, 0.8, 0.1])  # (1/1 + 2/3) / 2
    0.8333333333333333
    """

    _prefix = "map"
    _output = 0


class MRR(_AveragePrecisionOrRank):
    """Mean reciprocal rank of the first relevant row (label > 0) within the top k.

    >>> import boostrank
    >>> boostrank.MRR().score([0, 0, 1, 1], [0.9, 0.8, 0.7, 0.1], group=[2, 2])  # (no relevant), 1
    0.5
    """

    _prefix = "mrr"
    _output = 1


class PearsonMetric(_Correlation):
    """Mean per-group Pearson (linear) correlation of scores and labels."""

    name = "pearson"
    _kernel = "pearson_groups"


class PairwiseAccuracy(Metric):
    """Mean per-group share of correctly ordered pairs; negative labels are ignored."""

    name = "pairwise_accuracy"

    def __init__(self, device: str = "cpu") -> None:
        self.device = check_device(device)

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        s, y, valid, offsets = _flat(y_true, y_pred, group, qid, where, offsets)
        valid &= y >= 0
        return run_metric_kernel(self.device, "pairwise_accuracy_groups", s, y, valid, offsets,
                                 offsets.size - 1, 1)[0]


class RPSMetric(Metric):
    """Weighted mean ranked probability score of (n, K) margins or probabilities.

    ``input="auto"`` (default) treats predictions whose rows are non-negative and sum to 1 as
    probabilities (what XGBoost and LightGBM pass to a metric under their built-in multi-class
    objectives) and anything else as margins, and refuses the ambiguous cases (see
    :func:`boostrank.ordinal.as_margins`); "margin" or "proba" forces one reading.  With a
    custom objective such as :data:`boostrank.rps` the hosts pass margins: use
    ``input="margin"``."""

    name = "rps"
    higher_is_better = False
    _multiclass = True

    def __init__(self, normalize: bool = False, input: str = "auto",
                 device: str = "cpu") -> None:
        check_choice(input, "input", INPUTS)
        self.device = check_device(device)
        self.normalize = bool(normalize)
        self.input = input

    def _margins(self, y_pred: Any) -> F64:
        return as_margins(y_pred, self.input)

    def per_row(self, y_true: Any, y_pred: Any, *, where: Any = None) -> F64:
        return np.asarray(RankedProbabilityScore(normalize=self.normalize,
                                                 device=self.device).loss(
            y_true, self._margins(y_pred), where=where, reduction="none"))

    @staticmethod
    def _kept(y_true: Any, where: Any, n: int) -> np.ndarray:
        """Rows that count: label >= 0 and, if given, ``where``."""
        keep = as_f64(y_true, "y_true").reshape(-1) >= 0
        mask = check_mask(where, (n,))
        return keep if mask is None else keep & mask

    def per_group(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                  where: Any = None, offsets: I64 | None = None) -> F64:
        rows = self.per_row(y_true, y_pred, where=where)
        if offsets is None:
            offsets = resolve_offsets(rows.size, group, qid)
        keep = self._kept(y_true, where, rows.size)
        sums = np.add.reduceat(rows, offsets[:-1])
        counts = np.add.reduceat(keep.astype(np.float64), offsets[:-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def score(self, y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
              weight: Any = None, where: Any = None, offsets: I64 | None = None) -> float:
        rows = self.per_row(y_true, y_pred, where=where)  # unweighted per-row RPS
        keep = self._kept(y_true, where, rows.size)
        if offsets is None:
            offsets = resolve_offsets(rows.size, group, qid)
        w = row_weights(weight, rows.size, offsets)
        w = keep * (1.0 if w is None else w)
        total = w.sum()
        return float((rows * w).sum() / total) if total > 0 else 0.0

    def sums(self, y_true: Any, y_pred: Any, *, weight: Any = None,
             offsets: I64 | None = None) -> tuple[float, float]:
        rows = self.per_row(y_true, y_pred)
        keep = self._kept(y_true, None, rows.size)
        if offsets is None:
            offsets = resolve_offsets(rows.size)
        w = row_weights(weight, rows.size, offsets)
        w = keep * (1.0 if w is None else w)
        return float((rows * w).sum()), float(w.sum())


def ndcg(y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None, weight: Any = None,
         where: Any = None, k: int | None = 10, gain: str = "exponential",
         no_relevant_score: float | None = 0.0) -> float:
    """Mean NDCG@k over groups (see :class:`NDCG`)."""
    return NDCG(k, gain, no_relevant_score).score(y_true, y_pred, group=group, qid=qid,
                                                  weight=weight, where=where)


def spearman(y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
             weight: Any = None, where: Any = None) -> float:
    """Mean per-group Spearman correlation (see :class:`SpearmanMetric`).

    >>> import boostrank
    >>> boostrank.spearman([1, 2, 3, 1, 2], [0.1, 0.3, 0.2, 5.0, 6.0], group=[3, 2])
    0.75
    """
    return SpearmanMetric().score(y_true, y_pred, group=group, qid=qid, weight=weight,
                                  where=where)


def pairwise_accuracy(y_true: Any, y_pred: Any, *, group: Any = None, qid: Any = None,
                      weight: Any = None, where: Any = None) -> float:
    """Mean per-group pairwise accuracy (see :class:`PairwiseAccuracy`)."""
    return PairwiseAccuracy().score(y_true, y_pred, group=group, qid=qid, weight=weight,
                                    where=where)


def rps_score(y_true: Any, y_pred: Any, *, weight: Any = None, where: Any = None,
              normalize: bool = False, input: str = "auto") -> float:
    """Weighted mean ranked probability score (see :class:`RPSMetric`)."""
    return RPSMetric(normalize, input).score(y_true, y_pred, weight=weight, where=where)
