"""The one canonical group layout: rows sorted by group plus int64 ``offsets``.

``offsets`` has ``n_groups + 1`` entries, starts at 0 and ends at ``n_rows``; group ``g`` is
``rows[offsets[g]:offsets[g + 1]]``.  It is exactly XGBoost's ``group_ptr`` and LightGBM's
query boundaries.  Every other form users have (sizes, per-row query ids, padded 2-D lists with
a mask, no groups at all) is converted here, once, at the boundary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import I64, to_numpy


def offsets_from_sizes(group: Any, n_rows: int) -> I64:
    """Offsets from group sizes (sklearn / LightGBM ``group=``)."""
    sizes = to_numpy(group, "group")
    if sizes.ndim != 1:
        raise ValueError(f"`group` must be a 1-D array of group sizes, got shape {sizes.shape}.")
    if sizes.size and not (np.issubdtype(sizes.dtype, np.integer)
                           or np.issubdtype(sizes.dtype, np.floating)):
        raise TypeError(f"`group` must hold integer group sizes, got dtype {sizes.dtype}.")
    if sizes.size and not np.issubdtype(sizes.dtype, np.integer):
        if not (np.isfinite(sizes).all() and (sizes == np.round(sizes)).all()):
            raise ValueError("`group` must hold integer group sizes.")
    sizes = sizes.astype(np.int64)
    if (sizes <= 0).any():
        bad = np.flatnonzero(sizes <= 0)
        raise ValueError(
            f"`group` has {bad.size} empty or negative group size(s) (first at position "
            f"{bad[0]}: {sizes[bad[0]]}). Every group needs at least one row; drop empty groups."
        )
    total = int(sizes.sum())
    if total != n_rows:
        raise ValueError(
            f"`group` sizes sum to {total} but there are {n_rows} rows. `group` holds the size of "
            "each consecutive query group (not a per-row id: use `qid=` for that)."
        )
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def offsets_from_ptr(ptr: Any, n_rows: int) -> I64:
    """Offsets from boundaries (XGBoost ``group_ptr``, LightGBM ``get_field('group')``)."""
    p = np.asarray(ptr, dtype=np.int64)
    if p.size < 2 or p[0] != 0 or p[-1] != n_rows or (np.diff(p) <= 0).any():
        raise ValueError(
            f"group boundaries must rise strictly from 0 to {n_rows} (the row count); got "
            f"{p.size} boundaries ending at {p[-1] if p.size else None}."
        )
    return np.ascontiguousarray(p)


def offsets_from_qid(qid: Any, n_rows: int) -> I64:
    """Offsets from per-row query ids; each id's rows must be contiguous.

    The ids need not be sorted, but each id must form one consecutive block.  Interleaved ids
    are refused (a silent regrouping would misalign predictions and labels).
    """
    q = to_numpy(qid, "qid")
    if q.ndim != 1 or q.shape[0] != n_rows:
        raise ValueError(f"`qid` must be 1-D with one id per row ({n_rows}), got shape {q.shape}.")
    if n_rows == 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(q[1:] != q[:-1]) + 1
    offsets = np.concatenate(([0], starts, [n_rows])).astype(np.int64)
    block_ids = q[offsets[:-1]]
    if np.unique(block_ids).size != block_ids.size:
        raise ValueError(
            "`qid` is not contiguous: some query id appears in more than one block of rows. "
            "Sort the rows by query id first, keeping their order within a query, e.g. "
            "`order = np.argsort(qid, kind='stable')` and index X, y and qid with `order`."
        )
    return offsets


def resolve_offsets(n_rows: int, group: Any = None, qid: Any = None) -> I64:
    """Offsets from whichever of ``group`` / ``qid`` is given; one group of all rows if neither."""
    if group is not None and qid is not None:
        raise ValueError("Pass either `group` (sizes) or `qid` (per-row ids), not both.")
    if group is not None:
        return offsets_from_sizes(group, n_rows)
    if qid is not None:
        return offsets_from_qid(qid, n_rows)
    return np.array([0, n_rows], dtype=np.int64)
