"""Learning curves of group-wise metrics: a training callback for XGBoost and LightGBM.

One :class:`LearningCurve` object works with ``xgb.train(callbacks=[...])``, the XGBoost
estimators' ``callbacks=``, ``lgb.train(callbacks=[...])`` and LightGBM's ``fit(callbacks=)``.
Every ``every`` rounds it scores each evaluation set with :func:`boostrank.evaluate` and keeps
the :func:`boostrank.summarize` row of each metric (mean, std, Sharpe, quantiles, ...).

It is cheap enough to leave on: predictions are not recomputed from scratch.  XGBoost keeps a
prediction cache per ``DMatrix`` (so each call only adds the new trees), and under LightGBM
the callback adds the new iterations' raw scores to a running total
(``predict(start_iteration=..., num_iteration=...)``), except with ``boosting="dart"`` or
``"rf"``, whose earlier trees change weight, where it predicts the whole model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from ._validation import check_integer
from .evaluation import evaluate, summary_rows

__all__ = ["LearningCurve"]

_LGB_BOOSTING_ALIASES = ("boosting", "boosting_type", "boost")
_LGB_REWEIGHTING = {"dart", "rf", "random_forest"}


@dataclass
class _EvalSet:
    """One evaluation set: features, labels, groups and the running margins (LightGBM)."""

    name: str
    features: Any
    labels: np.ndarray
    group: np.ndarray | None
    qid: np.ndarray | None
    weight: np.ndarray | None
    dmatrix: xgb.DMatrix | None = None
    init_score: np.ndarray | None = None
    margins: np.ndarray | None = None
    iterations_done: int = 0


def _none_if_empty(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    arr = np.asarray(x)
    return arr if arr.size else None


def _lgb_field(dataset: Any, field: str) -> Any:
    """A LightGBM Dataset's field through its getter (``get_label`` ...), or, before the
    Dataset is constructed (when the getters refuse), the value it was built with."""
    try:
        return getattr(dataset, f"get_{field}")()
    except Exception:
        return getattr(dataset, field, None)


def _eval_set(name: str, data: Any) -> _EvalSet:
    if isinstance(data, xgb.DMatrix):
        ptr = _none_if_empty(data.get_uint_info("group_ptr"))
        return _EvalSet(name, None, data.get_label(), None if ptr is None else np.diff(ptr),
                        None, _none_if_empty(data.get_weight()), dmatrix=data)
    if type(data).__module__.startswith("lightgbm") and hasattr(data, "get_group"):
        raw = _lgb_field(data, "data")
        if raw is None or isinstance(raw, (str, os.PathLike)):
            raise ValueError(
                f"eval set {name!r}: the LightGBM Dataset does not hold its raw features "
                "(freed after construction with free_raw_data=True, the default, or read "
                "from a file). Build it with free_raw_data=False or pass (X, y, group) instead."
            )
        return _EvalSet(name, raw, np.asarray(_lgb_field(data, "label"), dtype=np.float64),
                        _none_if_empty(_lgb_field(data, "group")), None,
                        _none_if_empty(_lgb_field(data, "weight")),
                        init_score=_none_if_empty(_lgb_field(data, "init_score")))
    if isinstance(data, Mapping):
        unknown = set(data) - {"X", "y", "group", "qid", "weight"}
        if unknown or "X" not in data or "y" not in data:
            raise ValueError(f"eval set {name!r}: a dict needs keys 'X' and 'y' and may have "
                             f"'group', 'qid', 'weight'; got {sorted(data)}.")
        return _EvalSet(name, data["X"], np.asarray(data["y"]), _none_if_empty(data.get("group")),
                        _none_if_empty(data.get("qid")), _none_if_empty(data.get("weight")))
    if isinstance(data, tuple) and len(data) in (2, 3):
        group = _none_if_empty(data[2]) if len(data) == 3 else None
        return _EvalSet(name, data[0], np.asarray(data[1]), group, None, None)
    raise TypeError(
        f"eval set {name!r}: expected an xgboost.DMatrix, a lightgbm.Dataset built with "
        f"free_raw_data=False, (X, y), (X, y, group) or a dict; got {type(data).__name__}."
    )


class _AfterIterationOnly:
    """``before_iteration`` for a callback that both hosts call.

    XGBoost calls ``callback.before_iteration(model, epoch, log)`` on every round; LightGBM
    reads ``getattr(callback, "before_iteration", False)`` and, if truthy, calls the callback
    before each iteration instead of after it.  This object is callable (a no-op that does not
    stop training) and falsy, which satisfies both.
    """

    def __bool__(self) -> bool:
        return False

    def __call__(self, model: Any, epoch: int, evals_log: Any) -> bool:
        return False


class LearningCurve(xgb.callback.TrainingCallback):
    """Record group-wise metrics on evaluation sets while a model trains.

    Parameters
    ----------
    eval_sets : mapping of name to data: an ``xgboost.DMatrix`` (pass the same object as in
        ``evals`` to share XGBoost's prediction cache), a ``lightgbm.Dataset`` built with
        ``free_raw_data=False``, ``(X, y)``, ``(X, y, group_sizes)`` or a dict with keys
        ``X``, ``y`` and optionally ``group``, ``qid``, ``weight``.
    every : record every ``every`` rounds (and always after the last round under LightGBM).
    keep_groups : also keep every per-group table (see :attr:`groups`).
    summary_weights : passed to :func:`boostrank.summarize` as ``weights`` (None or "size").
    **evaluate_options : passed to :func:`boostrank.evaluate` (``metrics``, ``k``,
        ``no_relevant_score``, ``min_size``, ``class_values``, ``normalize``).

    Attributes
    ----------
    history : DataFrame, one row per (round, dataset, metric) with the summary columns.
    groups : DataFrame of the per-group values with ``round`` and ``dataset`` columns
        (``keep_groups=True`` only).

    Examples
    --------
    >>> import xgboost as xgb, boostrank
    >>> from boostrank.datasets import make_ranking
    >>> data = make_ranking(n_groups=20, group_size=10, seed=0)
    >>> d = xgb.DMatrix(data["X"], data["y"], group=data["group"])
    >>> curve = boostrank.LearningCurve({"train": d}, metrics=["ndcg@5"])
    >>> booster = xgb.train({"max_depth": 3}, d, 5, obj=boostrank.pairwise_logistic,
    ...                     callbacks=[curve])
    >>> curve.history[["round", "dataset", "metric"]].tail(1).to_dict("records")
    [{'round': 5, 'dataset': 'train', 'metric': 'ndcg@5'}]
    """

    before_iteration = _AfterIterationOnly()

    def __init__(self, eval_sets: Mapping[str, Any], *, every: int = 1, keep_groups: bool = False,
                 summary_weights: str | None = None, **evaluate_options: Any) -> None:
        super().__init__()
        if not isinstance(eval_sets, Mapping) or not eval_sets:
            raise TypeError("`eval_sets` must be a non-empty mapping of name to data, e.g. "
                            "{'valid': dvalid}.")
        self.every = check_integer(every, "every")
        blocked = {"y_true", "y_pred", "group", "qid", "label", "pred", "by", "weight", "input"}
        if blocked & set(evaluate_options):
            raise TypeError(f"{sorted(blocked & set(evaluate_options))} come from the eval sets "
                            "(predictions are always margins); do not pass them to "
                            "LearningCurve.")
        self.keep_groups = bool(keep_groups)
        self.summary_weights = summary_weights
        self.evaluate_options = evaluate_options
        self._sets = [_eval_set(str(name), data) for name, data in eval_sets.items()]
        self._records: list[dict[str, Any]] = []
        self._group_tables: list[pd.DataFrame] = []

    # --------------------------------------------------------------- recording
    def _record(self, round_: int, s: _EvalSet, margins: np.ndarray) -> None:
        table = evaluate(s.labels, margins, group=s.group, qid=s.qid, weight=s.weight,
                         input="margin", **self.evaluate_options)
        for row in summary_rows(table, weights=self.summary_weights):
            self._records.append({"round": round_, "dataset": s.name, **row})
        if self.keep_groups:
            table.insert(0, "dataset", s.name)
            table.insert(0, "round", round_)
            self._group_tables.append(table)

    @property
    def history(self) -> pd.DataFrame:
        if not self._records:
            return pd.DataFrame(columns=["round", "dataset", "metric"])
        return pd.DataFrame(self._records)

    @property
    def groups(self) -> pd.DataFrame:
        if not self.keep_groups:
            raise AttributeError("per-group tables are kept only with keep_groups=True.")
        if not self._group_tables:
            return pd.DataFrame(columns=["round", "dataset"])
        return pd.concat(self._group_tables, ignore_index=True)

    # --------------------------------------------------------------- XGBoost
    def before_training(self, model: Any) -> Any:
        self._records.clear()
        self._group_tables.clear()
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        """XGBoost: called after each round.  Rounds are counted over the whole model, so a
        continued training (``xgb_model=``) goes on from the rounds it started with, as
        under LightGBM (``epoch`` restarts at 0 in each ``xgb.train`` call)."""
        round_ = model.num_boosted_rounds()
        if round_ % self.every == 0:
            for s in self._sets:
                if s.dmatrix is None:
                    s.dmatrix = xgb.DMatrix(s.features)  # built once, then cached by XGBoost
                self._record(round_, s, model.predict(s.dmatrix, output_margin=True))
        return False

    # --------------------------------------------------------------- LightGBM
    def __call__(self, env: Any) -> None:
        """LightGBM: called after each iteration with a ``CallbackEnv``."""
        round_ = env.iteration + 1
        if env.iteration == env.begin_iteration:
            self.before_training(env.model)
            for s in self._sets:
                s.margins, s.iterations_done = None, 0
        if round_ % self.every and round_ != env.end_iteration:
            return
        # DART rescales earlier trees and random forests average them: no running total
        incremental = not _LGB_REWEIGHTING & {str(env.params.get(k, "")).lower()
                                              for k in _LGB_BOOSTING_ALIASES}
        for s in self._sets:
            if s.dmatrix is not None:
                raise TypeError(f"eval set {s.name!r} is an xgboost.DMatrix; under LightGBM "
                                "pass a Dataset built with free_raw_data=False or (X, y, group).")
            if not incremental:
                s.margins, s.iterations_done = None, 0
            new = np.asarray(env.model.predict(s.features, start_iteration=s.iterations_done,
                                               num_iteration=round_ - s.iterations_done,
                                               raw_score=True), dtype=np.float64)
            if s.margins is None:
                s.margins = new if s.init_score is None else new + s.init_score.reshape(
                    new.shape, order="F")
            else:
                s.margins = s.margins + new
            s.iterations_done = round_
            self._record(round_, s, s.margins)
