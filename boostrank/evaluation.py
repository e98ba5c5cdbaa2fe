r"""Group-wise evaluation for notebooks: one row per query, era or school, and a summary.

:func:`evaluate` scores every group on several metrics at once and returns a pandas
``DataFrame`` (group id, size, one column per metric); :func:`summarize` turns it into the
numbers people watch: mean, spread, the mean/std ratio ("Sharpe" of per-era correlation),
quantiles, the share of groups above zero and the worst groups.

Conventions (shared with :mod:`boostrank.metrics`)
-------------------------------------------------
=====================  ====================================================================
case                   value
=====================  ====================================================================
no relevant row        NDCG, MAP and MRR score ``no_relevant_score``: 0 (LETOR; scikit-learn
(all labels 0)         for NDCG), 1 (XGBoost), or None for NaN (left out of summaries)
all labels equal,      NDCG, MAP, MRR: 1 (every order is ideal); Spearman, Pearson and
some relevant          pairwise accuracy: NaN (undefined; left out of summaries)
one row                NDCG/MAP/MRR: 1 if relevant, else as above; correlations and pairwise
                       accuracy: NaN.  ``min_size=2`` makes every metric NaN for groups of
                       fewer rows, as scikit-learn, which refuses single-row queries
tied scores            the exact expectation over random orders of the tied rows (NDCG, MAP,
                       MRR, as scikit-learn's ``ndcg_score``); average ranks (Spearman);
                       half a pair (pairwise accuracy)
masked rows            ``where=False`` drops the row everywhere; a label < 0 drops it from the
                       relevance metrics (NDCG, MAP, MRR, pairwise accuracy, ordinal
                       metrics) but Spearman and Pearson take it as a value: mark unjudged
                       rows with ``where=`` to drop them from correlations too.  ``size`` and
                       ``min_size`` count the rows ``where`` keeps
=====================  ====================================================================

Loss columns (``metrics=["softmax_ranking", ...]`` or an objective object) hold the
objective's loss of each group: per group for group losses (softmax, soft Spearman), the
mean over the group's rows for row losses (pairwise, RPS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import metrics as _metrics
from . import objectives as _objectives
from . import ordinal as _ordinal
from ._groups import resolve_offsets
from ._validation import F64, I64, as_f64, check_integer, check_mask, row_weights, to_numpy

__all__ = ["evaluate", "summarize"]

RANKING_METRICS = ("ndcg", "map", "mrr", "pairwise_accuracy", "spearman", "pearson")
ORDINAL_METRICS = ("rps", "accuracy", "mae")
#: Loss names and their classes (default options); a fresh object per call, so no cache of
#: one call's data outlives it.
RANKING_LOSSES: dict[str, type[_objectives.Objective]] = {
    "pairwise_soft_zero_one": _objectives.PairwiseSoftZeroOne,
    "pairwise_logistic": _objectives.PairwiseLogistic,
    "softmax_ranking": _objectives.SoftmaxRanking,
    "soft_spearman": _objectives.SoftSpearman,
}
LOWER_IS_BETTER = ("rps", "mae")


@dataclass
class _Rows:
    """Rows sorted by group: flat scores (or (n, K) margins), labels, mask, offsets."""

    scores: F64
    labels: F64
    valid: np.ndarray
    offsets: I64
    _ap_rr: dict[int | None, tuple[F64, F64]] = field(default_factory=dict)

    @cached_property
    def proba(self) -> F64:
        """softmax of (n, K) margins, computed once for every ordinal metric."""
        return _ordinal.predict_proba(self.scores)

    def ap_rr(self, k: int | None) -> tuple[F64, F64]:
        """AP@k and RR@k per group: one kernel pass serves both MAP@k and MRR@k."""
        if k not in self._ap_rr:
            self._ap_rr[k] = _metrics.average_precision_and_rank(
                self.scores, self.labels, self.valid, self.offsets, k)
        return self._ap_rr[k]

    def group_mean(self, per_row: F64) -> F64:
        """Mean of a per-row quantity over each group's valid rows (NaN for none)."""
        starts = self.offsets[:-1]
        sums = np.add.reduceat(np.where(self.valid, per_row, 0.0), starts)
        counts = np.add.reduceat(self.valid.astype(np.float64), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)


_Scorer = Callable[[_Rows], F64]


def _metric_scorer(metric: _metrics.Metric) -> _Scorer:
    if metric._multiclass:
        def score_rows(r: _Rows) -> F64:
            per_row = metric.per_row(r.labels, r.scores, where=r.valid)  # type: ignore[attr-defined]
            return r.group_mean(per_row)
        return score_rows

    if isinstance(metric, _metrics._AveragePrecisionOrRank):
        ranked = metric

        def score_ap_rr(r: _Rows) -> F64:
            return ranked.pick(r.ap_rr(ranked.k))
        return score_ap_rr

    def score_groups(r: _Rows) -> F64:
        return metric.per_group(r.labels, r.scores, where=r.valid, offsets=r.offsets)
    return score_groups


def _loss_scorer(objective: _objectives.Objective) -> _Scorer:
    def score(r: _Rows) -> F64:
        sizes = np.diff(r.offsets)
        parts = np.asarray(objective.loss(r.labels, r.scores, group=sizes, where=r.valid,
                                          reduction="none"))
        if objective.unreduced == "group":
            return parts.astype(np.float64)
        return r.group_mean(parts.reshape(-1))
    return score


def _ordinal_scorer(name: str, class_values: Any) -> _Scorer:
    def score(r: _Rows) -> F64:
        p = r.proba
        labels = np.where(r.valid, r.labels, 0).astype(np.int64)
        if name == "accuracy":
            return r.group_mean((p.argmax(axis=1) == labels).astype(np.float64))
        values = _ordinal.class_values_of(class_values, p.shape[1])
        return r.group_mean(np.abs(p @ values - values[labels]))
    return score


def _resolve(spec: Any, k: int | None, no_relevant_score: float | None, ordinal: bool,
             class_values: Any, normalize: bool) -> tuple[str, _Scorer, bool]:
    """(column name, scorer, higher is better) for one entry of ``metrics``."""
    if isinstance(spec, _objectives.Objective):
        if spec.multiclass != ordinal:
            raise ValueError(f"{spec!r} does not fit {'ordinal' if ordinal else 'ranking'} "
                             "predictions.")
        return spec.name, _loss_scorer(spec), False
    if isinstance(spec, _metrics.Metric):
        if spec._multiclass != ordinal:
            raise ValueError(f"{spec!r} does not fit {'ordinal' if ordinal else 'ranking'} "
                             "predictions.")
        return spec.name, _metric_scorer(spec), spec.higher_is_better
    if not isinstance(spec, str):
        raise TypeError(f"`metrics` entries must be names, Metric or Objective objects; got "
                        f"{type(spec).__name__}.")
    base, at, cut = spec.partition("@")
    cutoff = k
    if at:
        if not cut.isdigit() or int(cut) < 1:
            raise ValueError(f"metric {spec!r}: the cut-off after '@' must be a positive integer.")
        cutoff = int(cut)
    choices = ORDINAL_METRICS if ordinal else RANKING_METRICS + tuple(RANKING_LOSSES)
    if base not in choices or (cut and base not in ("ndcg", "map", "mrr")):
        kind = "ordinal (n, K)" if ordinal else "ranking"
        raise ValueError(f"unknown metric {spec!r} for {kind} predictions; choose from "
                         f"{choices} (ndcg, map and mrr take a cut-off: 'ndcg@5'), or pass "
                         "a Metric or Objective object.")
    metric: _metrics.Metric
    if base == "ndcg":
        metric = _metrics.NDCG(cutoff, no_relevant_score=no_relevant_score)
    elif base == "map":
        metric = _metrics.MAP(cutoff, no_relevant_score=no_relevant_score)
    elif base == "mrr":
        metric = _metrics.MRR(cutoff, no_relevant_score=no_relevant_score)
    elif base == "pairwise_accuracy":
        metric = _metrics.PairwiseAccuracy()
    elif base == "spearman":
        metric = _metrics.SpearmanMetric()
    elif base == "pearson":
        metric = _metrics.PearsonMetric()
    elif base == "rps":
        metric = _metrics.RPSMetric(normalize=normalize, input="margin")
    elif base in RANKING_LOSSES:
        return base, _loss_scorer(RANKING_LOSSES[base]()), False
    else:
        return base, _ordinal_scorer(base, class_values), base not in LOWER_IS_BETTER
    return metric.name, _metric_scorer(metric), metric.higher_is_better


def _column(df: pd.DataFrame, name: Any, what: str) -> np.ndarray:
    if name not in df.columns:
        raise KeyError(f"`{what}={name!r}` is not a column of the DataFrame; its columns are "
                       f"{list(df.columns)}.")
    return df[name].to_numpy()


def _group_keys(keys: Any, n: int) -> tuple[np.ndarray, np.ndarray | None, I64]:
    """(unique keys in sorted order, row order that sorts the rows by key or None, offsets)."""
    arr = keys.to_numpy() if hasattr(keys, "to_numpy") else np.asarray(keys)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"group keys must be 1-D with one key per row ({n}), got shape "
                         f"{arr.shape}.")
    codes, uniques = pd.factorize(arr, sort=True)
    if (codes < 0).any():
        raise ValueError(f"the group keys have {(codes < 0).sum()} missing value(s) (NaN or "
                         "None); give every row a group.")
    order = None if (codes[1:] >= codes[:-1]).all() else np.argsort(codes, kind="stable")
    offsets = np.zeros(len(uniques) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=len(uniques)), out=offsets[1:])
    return np.asarray(uniques), order, offsets


def evaluate(
    y_true: Any,
    y_pred: Any = None,
    *,
    group: Any = None,
    qid: Any = None,
    label: str | None = None,
    pred: str | Sequence[str] | None = None,
    by: str | None = None,
    weight: Any = None,
    where: Any = None,
    metrics: Any = None,
    k: int | None = 10,
    no_relevant_score: float | None = 0.0,
    min_size: int = 1,
    class_values: Any = None,
    input: str = "auto",
    normalize: bool = False,
) -> pd.DataFrame:
    """Score every group on several metrics; one row per group.

    Two ways to call it:

    * arrays: ``evaluate(y_true, y_pred, group=sizes)`` or ``qid=per_row_ids`` (any order, any
      hashable ids; rows are grouped by id) or a padded ``(n_lists, list_size)`` ``y_pred``;
    * a DataFrame: ``evaluate(df, label="y", pred="p", by="era")``, with ``pred`` a list of
      columns for ordinal margins/probabilities, and ``weight``/``where`` column names.

    1-D predictions are ranking scores; ``(n, K)`` predictions with 1-D labels are ordinal
    margins or probabilities (``input``, see :func:`boostrank.ordinal.as_margins`).

    Parameters
    ----------
    metrics : names, :class:`~boostrank.metrics.Metric` or objective objects.  Ranking names:
        "ndcg", "map", "mrr" (cut-off ``k``, or explicit as "ndcg@5"), "pairwise_accuracy",
        "spearman", "pearson", and the losses "pairwise_soft_zero_one", "pairwise_logistic",
        "softmax_ranking", "soft_spearman".  Ordinal names: "rps", "accuracy" (arg-max class),
        "mae" (absolute error of the expected class value).  None: every non-loss metric of
        the kind; "all": every name of the kind.
    k : cut-off for "ndcg", "map" and "mrr" (None: the whole list).
    no_relevant_score, min_size : the conventions in the module docstring.
    weight : per-row weights (or, with ``group=``, one per group); adds a ``weight`` column
        (the group's mean row weight) that :func:`summarize` can weight by.
    class_values : the value of each class for "mae" (default 0..K-1).
    normalize : divide RPS by K - 1.

    Returns
    -------
    DataFrame with the group id (column named ``by``, "qid", or "group" for sizes / padded
    lists / a single group), ``size`` (rows with ``where`` True; for ordinal predictions also a
    label >= 0), ``weight`` if given, and one column per metric.
    ``table.attrs["higher_is_better"]`` maps each metric column to its direction.

    Examples
    --------
    >>> import boostrank
    >>> table = boostrank.evaluate([2, 1, 0, 1, 0], [0.9, 0.5, 0.1, 0.2, 0.4], group=[3, 2],
    ...                            metrics=["ndcg", "spearman"])
    >>> table.round(4).to_dict("list")
    {'group': [0, 1], 'size': [3, 2], 'ndcg@10': [1.0, 0.6309], 'spearman': [1.0, -1.0]}
    """
    if isinstance(y_true, pd.DataFrame):
        if y_pred is not None or group is not None or qid is not None:
            raise TypeError("with a DataFrame, name its columns: evaluate(df, label='y', "
                            "pred='p', by='era'); do not pass y_pred, group or qid.")
        if label is None or pred is None:
            raise TypeError("with a DataFrame, `label=` and `pred=` (column names) are required.")
        df = y_true
        y_true = _column(df, label, "label")
        y_pred = (np.column_stack([_column(df, c, "pred") for c in pred])
                  if not isinstance(pred, str) else _column(df, pred, "pred"))
        qid = None if by is None else _column(df, by, "by")
        weight = _column(df, weight, "weight") if isinstance(weight, str) else weight
        where = _column(df, where, "where") if isinstance(where, str) else where
    elif label is not None or pred is not None or by is not None:
        raise TypeError("`label`, `pred` and `by` name DataFrame columns; with arrays use "
                        "evaluate(y_true, y_pred, group=... or qid=...).")
    if y_pred is None:
        raise TypeError("`y_pred` is required.")
    min_size = check_integer(min_size, "min_size")

    scores = as_f64(y_pred, "y_pred")
    labels = as_f64(y_true, "y_true")
    ordinal = scores.ndim == 2 and labels.ndim == 1
    key_name = by or ("qid" if qid is not None else "group")
    if ordinal:
        if labels.shape[0] != scores.shape[0]:
            raise ValueError(f"`y_true` has {labels.shape[0]} labels but `y_pred` has "
                             f"{scores.shape[0]} rows.")
        scores = _ordinal.as_margins(scores, input)
        mask = check_mask(where, (scores.shape[0],))
    else:
        if scores.shape != labels.shape:
            raise ValueError(f"`y_true` has shape {labels.shape} but `y_pred` has shape "
                             f"{scores.shape}; pass one label per prediction (or (n, K) "
                             "ordinal predictions with 1-D labels).")
        mask = check_mask(where, scores.shape)
        if scores.ndim == 2:  # padded lists: one group per row
            if group is not None or qid is not None:
                raise ValueError("padded 2-D input already defines the groups; do not pass "
                                 "`group` or `qid` as well.")
            group = np.full(scores.shape[0], scores.shape[1])
            scores, labels = scores.reshape(-1), labels.reshape(-1)
            mask = None if mask is None else mask.reshape(-1)
        elif scores.ndim != 1:
            raise ValueError(f"`y_pred` must be 1-D scores or (n, K) ordinal predictions, got "
                             f"shape {scores.shape}.")
    n = labels.shape[0]
    if n == 0:
        raise ValueError("`y_pred` is empty.")
    valid = np.ones(n, dtype=bool) if mask is None else mask.copy()

    order = None
    if qid is not None:
        if group is not None:
            raise ValueError("Pass either `group` (sizes) or `qid` (per-row ids), not both.")
        ids, order, offsets = _group_keys(qid, n)
    else:
        offsets = resolve_offsets(n, group, None)
        ids = np.arange(offsets.size - 1)
    w = None
    if weight is not None:
        w = as_f64(to_numpy(weight, "weight").reshape(-1), "weight")
        if order is not None and w.size == n:
            w = w[order]
        w = row_weights(w, n, offsets)
    if order is not None:
        scores, labels, valid = scores[order], labels[order], valid[order]
    if ordinal:
        valid &= labels >= 0
        n_classes = scores.shape[1]
        bad = valid & ((labels != np.round(labels)) | (labels > n_classes - 1))
        if bad.any():
            raise ValueError(
                f"`y_true` must hold integer class labels 0..{n_classes - 1} for (n, "
                f"{n_classes}) ordinal predictions; found {bad.sum()} invalid, e.g. "
                f"{labels[bad][0]!r}. Map ordered classes to 0..K-1 (wine quality 3..9 -> y - 3)."
            )

    rows = _Rows(scores, labels, valid, offsets)
    if metrics is None:
        metrics = ORDINAL_METRICS if ordinal else RANKING_METRICS
    elif isinstance(metrics, str):
        if metrics == "all":
            metrics = ORDINAL_METRICS if ordinal else RANKING_METRICS + tuple(RANKING_LOSSES)
        else:
            metrics = (metrics,)
    sizes = np.add.reduceat(valid.astype(np.int64), offsets[:-1])
    table: dict[str, Any] = {key_name: ids, "size": sizes}
    if w is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            table["weight"] = np.add.reduceat(w, offsets[:-1]) / np.diff(offsets)
    directions: dict[str, bool] = {}
    reserved = {"size", "weight"}
    if key_name in reserved:
        raise ValueError(f"the group column is called {key_name!r}, which the result uses for "
                         "its own column; rename it before evaluating.")
    too_small = sizes < min_size
    for spec in metrics:
        name, scorer, higher = _resolve(spec, k, no_relevant_score, ordinal, class_values,
                                        normalize)
        if name == key_name:
            raise ValueError(f"the group column {key_name!r} has a metric's name; rename it.")
        if name in table:
            raise ValueError(f"metric {name!r} is asked for twice.")
        values = np.asarray(scorer(rows), dtype=np.float64)
        values[too_small] = np.nan
        table[name] = values
        directions[name] = higher
    out = pd.DataFrame(table)
    out.attrs["higher_is_better"] = directions
    out.attrs["key"] = key_name
    return out


def metric_columns(table: pd.DataFrame) -> list[str]:
    """The metric columns of an :func:`evaluate` table: those its ``attrs`` name, or, for a
    table that lost them, the numeric columns other than the key (the first column), the
    default keys ``group`` and ``qid``, ``size``, ``weight``, ``index`` and a
    :class:`~boostrank.LearningCurve`'s ``round``."""
    named = table.attrs.get("higher_is_better")
    if named:
        return [c for c in table.columns if c in named]
    skip = {table.attrs.get("key", table.columns[0]), "group", "qid", "size", "weight", "round",
            "index"}
    return [c for c in table.columns
            if c not in skip and pd.api.types.is_numeric_dtype(table[c])]


def _weighted_quantiles(xs: F64, ws: F64, qs: Sequence[float]) -> F64:
    """Hazen quantiles (plotting positions (i - 1/2) / n) of sorted ``xs``, weighted: equal
    weights reduce to the type-5 quantile of Hyndman and Fan."""
    positions = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    return np.interp(qs, positions, xs)


def summarize(
    table: pd.DataFrame,
    *,
    weights: Any = None,
    worst: int = 3,
    quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9),
) -> pd.DataFrame:
    r"""Summary of an :func:`evaluate` table: one row per metric.

    Columns: ``groups`` (groups with a value; NaN groups are left out), ``mean``, ``std``,
    ``sharpe`` (mean / std, the per-era "Sharpe" of correlation models), ``min``, the
    ``quantiles`` (``q10`` ... ``q90``; Hazen's (i - 1/2)/n positions), ``max``,
    ``share_positive`` (share of groups above 0) and ``worst`` (ids of the ``worst`` groups:
    lowest for higher-is-better metrics, highest for losses).

    ``weights``: None (every group counts once), "size" (groups weighted by their row count),
    "weight" (the table's weight column) or an array with one weight per group.  Weighted, the
    mean is :math:`\sum w x / \sum w` and the variance
    :math:`\sum w (x - \bar x)^2 / (V_1 - V_2 / V_1)`, :math:`V_1 = \sum w`,
    :math:`V_2 = \sum w^2` (the unbiased estimator for reliability weights; with equal weights
    it is the usual n - 1 form).

    Examples
    --------
    >>> import boostrank
    >>> table = boostrank.evaluate([1, 2, 3] * 3, [1, 2, 3, 3, 2, 1, 2, 1, 3], group=[3, 3, 3],
    ...                            metrics=["spearman"])
    >>> table["spearman"].tolist()
    [1.0, -1.0, 0.5]
    >>> s = boostrank.summarize(table)
    >>> s.loc["spearman", ["groups", "mean", "min", "median", "share_positive"]].round(4).tolist()
    [3.0, 0.1667, -1.0, 0.5, 0.6667]
    >>> s.loc["spearman", "worst"]
    (1, 2, 0)
    """
    rows = summary_rows(table, weights=weights, worst=worst, quantiles=quantiles)
    names = [row.pop("metric") for row in rows]
    return pd.DataFrame(rows, index=pd.Index(names, name="metric"))


def summary_rows(table: pd.DataFrame, *, weights: Any = None, worst: int = 3,
                 quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> list[dict[str, Any]]:
    """:func:`summarize` as a list of dicts (one per metric, with a "metric" key); cheaper
    than a DataFrame when called every boosting round."""
    key = table.attrs.get("key", table.columns[0])
    directions: dict[str, bool] = table.attrs.get("higher_is_better", {})
    names = metric_columns(table)
    if weights is None:
        gw = np.ones(len(table))
    elif isinstance(weights, str):
        if weights not in ("size", "weight") or weights not in table.columns:
            raise ValueError(f"`weights` must be None, 'size', 'weight' (a column of the table) "
                             f"or one weight per group; got {weights!r}.")
        gw = table[weights].to_numpy(dtype=np.float64)
    else:
        gw = as_f64(weights, "weights")
        if gw.shape != (len(table),):
            raise ValueError(f"`weights` must have one value per group ({len(table)}), got "
                             f"shape {gw.shape}.")
    if (gw < 0).any():
        raise ValueError("`weights` must be >= 0.")
    qs = [float(q) for q in quantiles]
    if any(not 0.0 <= q <= 1.0 for q in qs):
        raise ValueError(f"`quantiles` must lie in [0, 1], got {quantiles!r}.")
    ids = table[key].to_numpy()
    rows: list[dict[str, Any]] = []
    for name in names:
        values = table[name].to_numpy(dtype=np.float64)
        keep = ~np.isnan(values) & (gw > 0)
        x, w = values[keep], gw[keep]
        row: dict[str, Any] = {"metric": name, "groups": float(keep.sum())}
        if x.size == 0:
            rows.append(row)
            continue
        v1, v2 = w.sum(), (w * w).sum()
        mean = float((w * x).sum() / v1)
        denom = v1 - v2 / v1
        std = float(np.sqrt((w * (x - mean) ** 2).sum() / denom)) if denom > 0 else np.nan
        row.update(mean=mean, std=std,
                   sharpe=mean / std if std and np.isfinite(std) and std > 0 else np.nan,
                   min=float(x.min()))
        order = np.argsort(x, kind="stable")
        for q, value in zip(qs, _weighted_quantiles(x[order], w[order], qs), strict=True):
            row["median" if q == 0.5 else f"q{100 * q:g}"] = float(value)
        row["max"] = float(x.max())
        row["share_positive"] = float(w[x > 0].sum() / v1)
        if not directions.get(name, True):  # a loss: the highest values are the worst
            order = np.argsort(-x, kind="stable")
        row["worst"] = tuple(ids[keep][order[:worst]].tolist())
        rows.append(row)
    return rows
