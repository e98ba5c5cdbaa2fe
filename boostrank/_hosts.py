"""Adapters from each host library's calling convention to plain arrays.

One objective object serves four conventions, told apart by the type of the second argument:

========================  ==========================================  =========================
host                      call                                        groups / weights
========================  ==========================================  =========================
XGBoost ``xgb.train``     ``obj(preds, dtrain: DMatrix)``             ``group_ptr``; per group
LightGBM ``lgb.train``    ``obj(preds, train_set: Dataset)``          ``get_group()``; per row
XGBoost sklearn           ``obj(y_true, y_pred, sample_weight=w)``    none; per row
LightGBM sklearn          ``obj(y_true, y_pred, weight, group)``      sizes; per row
========================  ==========================================  =========================

The LightGBM sklearn wrapper counts parameters: an objective's ``__call__`` therefore takes
exactly four, the third named ``sample_weight`` so XGBoost's wrapper finds it by name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._groups import offsets_from_ptr, offsets_from_sizes
from ._validation import I64


@dataclass(frozen=True)
class HostCall:
    """What a host passed, as arrays: predictions, labels, and optional groups and weights."""

    host: str  # "xgboost", "lightgbm" or "sklearn"
    y_pred: np.ndarray
    y_true: np.ndarray
    offsets: I64 | None
    group_sizes: np.ndarray | None
    weight: np.ndarray | None

    def resolved_offsets(self) -> I64 | None:
        """The canonical offsets of the host's groups (None when it passed none)."""
        n = int(np.asarray(self.y_true).size)
        if self.offsets is not None:
            return offsets_from_ptr(self.offsets, n)
        if self.group_sizes is not None:
            return offsets_from_sizes(self.group_sizes, n)
        return None


def _is_xgb_dmatrix(obj: Any) -> bool:
    return type(obj).__module__.startswith("xgboost") and hasattr(obj, "get_uint_info")


def _is_lgb_dataset(obj: Any) -> bool:
    return type(obj).__module__.startswith("lightgbm") and hasattr(obj, "get_group")


def is_host_data(obj: Any) -> bool:
    """An XGBoost ``DMatrix`` or a LightGBM ``Dataset``."""
    return _is_xgb_dmatrix(obj) or _is_lgb_dataset(obj)


def _nonempty(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    arr = np.asarray(x)
    return arr if arr.size else None


def parse_host_call(a: Any, b: Any, sample_weight: Any, group: Any) -> HostCall:
    if _is_xgb_dmatrix(b):
        ptr = _nonempty(b.get_uint_info("group_ptr"))
        offsets = None if ptr is None else ptr.astype(np.int64)
        return HostCall("xgboost", np.asarray(a), b.get_label(), offsets, None,
                        _nonempty(b.get_weight()))
    if _is_lgb_dataset(b):
        return HostCall("lightgbm", np.asarray(a), b.get_label(), None,
                        _nonempty(b.get_group()), _nonempty(b.get_weight()))
    return HostCall("sklearn", np.asarray(b), np.asarray(a), None, _nonempty(group),
                    _nonempty(sample_weight))


def xgboost_world_size() -> int:
    """Workers in the running XGBoost collective (``xgboost.dask``, Spark, ...); 1 outside one.

    Never imports XGBoost: a call that did not come from XGBoost finds it imported or not at all.
    """
    if "xgboost" not in sys.modules:
        return 1
    try:
        from xgboost import collective

        return int(collective.get_world_size()) if collective.is_distributed() else 1
    except Exception:  # an XGBoost without the collective module: single process
        return 1


def check_groups_are_local(call: HostCall, name: str, what: str = "objective") -> None:
    """Refuse a group objective (or metric) on distributed XGBoost data without groups.

    Without ``qid``/``group`` a group objective ranks all rows as one group; under
    ``xgboost.dask`` (or ``DaskXGBRegressor``) each worker would see only its own rows, so the
    one group silently becomes one group per worker.
    """
    if call.offsets is not None or call.group_sizes is not None:
        return
    if call.host == "lightgbm":
        return
    workers = xgboost_world_size()
    if workers > 1:
        raise ValueError(
            f"{name} is a group {what}, but this distributed XGBoost run ({workers} "
            "workers) passed no query groups: each worker's rows would form one group of "
            "their own, which is not the single-machine model. Pass `qid=` to "
            "xgboost.dask.DaskDMatrix and use xgboost.dask.train (DaskXGBRegressor passes no "
            "groups), after boostrank.dask.partition_by_group(ddf, by=...)."
        )
