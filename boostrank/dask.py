"""Training beyond one machine: Dask DataFrames partitioned so no query group crosses workers.

A group objective is only correct under ``xgboost.dask`` and ``lightgbm.dask`` when every group
lies wholly on one worker: each worker calls the objective on its own rows only (its
partitions concatenated) and the hosts exchange histograms, never gradients.  Neither host
checks this:

* ``xgboost.dask.DaskDMatrix(..., qid=...)`` keeps Dask's partitions as they are ("does not
  repartition or move data between workers") and each worker builds its ``DMatrix`` from its
  partitions, sorted by ``qid`` if they are not (``xgboost.dask.data.sort_data_by_qid``).  A
  group split across two workers silently becomes two groups, one per worker.  Only
  ``DaskXGBRanker(allow_group_split=False)`` (the default) reshuffles by ``qid`` itself, and it
  refuses callable objectives.
* ``lightgbm.DaskLGBMRanker.fit(group=...)`` takes group sizes per partition (the ``group``
  collection's partitions are zipped with ``X``'s); a group cut by a partition boundary is
  counted as two groups.

So: :func:`partition_by_group` first (or :func:`check_group_partitions` when the data is already
laid out), then :func:`group_sizes` for LightGBM (it checks the layout) or the ``by`` column as
``qid`` for XGBoost (numeric ids; boostrank cannot hook ``DaskDMatrix``, so check first).

What works (checked on a 2-worker ``LocalCluster``, see ``tests/test_dask.py``):

* ``xgboost.dask.train(client, params, DaskDMatrix(..., qid=...), obj=objective,
  custom_metric=metric)``: the objective's gradients are those of single-machine training;
  boostrank metrics sum their per-group parts over the workers (XGBoost's own
  ``collective.allreduce``), so the logged value is the metric of all the data, not of worker
  0's share.
* ``xgboost.dask.DaskXGBClassifier(objective=boostrank.rps)``: RPS is row-wise.
* ``lightgbm.DaskLGBMRanker(objective=objective).fit(X, y, group=group_sizes(ddf, by))``, also
  with real-valued labels (soft Spearman on eras) given ``metric="None"`` (LightGBM's default
  ranking metric wants integer labels).  LightGBM's data-parallel learner is not bit-for-bit
  single-machine training even with its built-in ``lambdarank``; boostrank objectives differ
  from one machine by as much as it does.
* :func:`evaluate`: per-group metrics of predictions, computed partition by partition.

What does not:

* ``xgboost.dask.DaskXGBRanker`` refuses callable objectives ("Custom objective function not
  supported by XGBRanker", as the single-machine ``XGBRanker``).  Its callable ``eval_metric``
  must return a bare float per query, so boostrank metric objects (which return
  ``(name, value, ...)`` tuples) do not fit there; use a built-in ``eval_metric`` or
  :func:`evaluate` after training.
* ``DaskXGBRegressor`` / ``DaskLGBMRegressor`` with a ranking objective: these estimators pass no
  groups, so each worker's rows would form one group (single-machine training ranks all rows
  as one group).  Under XGBoost the objective detects the distributed run and raises; LightGBM
  gives the objective no way to tell, so this is documented only.  Use ``xgboost.dask.train``
  with ``qid`` or ``DaskLGBMRanker`` with ``group``.
* LightGBM's ``eval_metric`` callables see the rows of the one worker whose model is returned;
  LightGBM has no Python collective to combine them.  Use :func:`evaluate`.

Dask is optional: ``pip install "boostrank[dask]"``.  ``import boostrank`` never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_integer

__all__ = ["check_group_partitions", "evaluate", "group_sizes", "partition_by_group"]

_INSTALL = 'boostrank.dask needs Dask: pip install "boostrank[dask]"'
_PART = "__boostrank_partition__"
_ROW = "__boostrank_row__"
_INDEX = "__boostrank_index__"


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise ImportError(f"{_INSTALL} ({exc}).") from exc
    return dask, dd


def _check_frame(ddf: Any, by: str) -> None:
    _, dd = _dask()
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"`ddf` must be a dask DataFrame, got {type(ddf).__name__}.")
    if by not in ddf.columns:
        raise ValueError(f"`by`={by!r} is not a column of the DataFrame; columns are "
                         f"{list(ddf.columns)}.")


# --------------------------------------------------------------------------- partitioning
def partition_by_group(ddf: Any, by: str, npartitions: int | None = None) -> Any:
    """Repartition ``ddf`` so each group of column ``by`` lies wholly in one partition.

    Groups are assigned in sorted order to ``npartitions`` (default: as many as ``ddf`` has,
    at most the number of groups) contiguous ranges holding about equal numbers of rows; no
    partition is empty.  Within a partition rows are sorted by ``by`` and keep their original
    order inside a group.  The index is kept.  One pass to count the groups, one shuffle.

    >>> import pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"q": [2, 1, 2, 1, 3, 3], "y": [0, 1, 2, 3, 4, 5]})
    >>> out = partition_by_group(dd.from_pandas(df, npartitions=2), "q")
    >>> [p.compute().q.tolist() for p in out.partitions]
    [[1, 1, 2, 2], [3, 3]]
    """
    _check_frame(ddf, by)
    counts = ddf[by].value_counts(dropna=False).compute()
    if counts.index.hasnans:
        raise ValueError(f"column {by!r} has missing group ids; drop or fill them first.")
    counts = counts.sort_index()
    n_groups = len(counts)
    if n_groups == 0:
        raise ValueError("the DataFrame has no rows.")
    n_parts = ddf.npartitions if npartitions is None else check_integer(npartitions,
                                                                          "npartitions")
    n_parts = min(n_parts, n_groups)
    sizes = counts.to_numpy(dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    part = np.minimum(before * n_parts // int(sizes.sum()), n_parts - 1)
    part = np.unique(part, return_inverse=True)[1].astype(np.int64)  # no empty partition
    n_parts = int(part.max()) + 1
    mapping = pd.Series(part, index=counts.index)

    lengths = ddf.map_partitions(len).compute().to_numpy()
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    index_name = ddf.index.name

    def tag(df: pd.DataFrame, start: int) -> pd.DataFrame:
        out = df.assign(**{_PART: df[by].map(mapping).to_numpy(np.int64),
                           _ROW: np.arange(start, start + len(df), dtype=np.int64)})
        out[_INDEX] = out.index
        return out

    meta = tag(ddf._meta, 0)
    parts = [ddf.partitions[i].map_partitions(tag, int(starts[i]), meta=meta)
             for i in range(ddf.npartitions)]
    _, dd = _dask()
    tagged = dd.concat(parts) if len(parts) > 1 else parts[0]
    divisions = [*range(n_parts), n_parts]
    shuffled = tagged.set_index(_PART, divisions=divisions)

    def finish(df: pd.DataFrame) -> pd.DataFrame:
        df = df.sort_values([by, _ROW], kind="stable")
        df = df.set_index(_INDEX).drop(columns=[_ROW])
        df.index.name = index_name
        return df

    return shuffled.map_partitions(finish, meta=ddf._meta)


def check_group_partitions(ddf: Any, by: str) -> pd.DataFrame:
    """Raise ``ValueError`` if a group of column ``by`` spans partitions or is not contiguous.

    Returns one row per partition (``first``/``last`` group id, ``n_groups``, ``n_rows``).
    Call it before ``xgboost.dask.train`` / ``DaskLGBMRanker.fit`` on data that was not made by
    :func:`partition_by_group`: the hosts themselves would silently treat each piece of a split
    group as a group of its own (see the module docstring).

    >>> import pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"q": [1, 1, 2, 2, 2, 3]})
    >>> check_group_partitions(dd.from_pandas(df, npartitions=2), "q")
    Traceback (most recent call last):
    ...
    ValueError: group(s) [2] of column 'q' span more than one partition ...
    """
    dask, _ = _dask()
    _check_frame(ddf, by)

    def summary(s: pd.Series) -> tuple[np.ndarray, list[Any], int]:
        values = s.to_numpy()
        if values.size == 0:
            return values, [], 0
        starts = np.flatnonzero(values[1:] != values[:-1]) + 1
        blocks = values[np.concatenate(([0], starts))]
        uniq, n = np.unique(blocks, return_counts=True)
        return blocks, uniq[n > 1].tolist(), int(values.size)

    parts = dask.compute(*[dask.delayed(summary)(p) for p in ddf[by].to_delayed()])
    interleaved = sorted({g for _, bad, _ in parts for g in bad})
    if interleaved:
        raise ValueError(
            f"group(s) {interleaved[:5]} of column {by!r} are not contiguous within a "
            "partition (their rows are interleaved with other groups'). Repartition with "
            f"boostrank.dask.partition_by_group(ddf, by={by!r}), which also sorts each "
            "partition by group."
        )
    seen: dict[Any, int] = {}
    split: list[Any] = []
    for i, (blocks, _, _) in enumerate(parts):
        for g in blocks.tolist():
            if g in seen and seen[g] != i:
                split.append(g)
            seen.setdefault(g, i)
    if split:
        shown = sorted(set(split), key=str)
        raise ValueError(
            f"group(s) {shown[:5]}{' ...' if len(shown) > 5 else ''} of column {by!r} span "
            f"more than one partition ({len(shown)} in all). XGBoost and LightGBM would train "
            "on each piece as a separate group, so group objectives and metrics would be "
            f"wrong. Repartition first: boostrank.dask.partition_by_group(ddf, by={by!r})."
        )
    return pd.DataFrame({
        "first": [b[0] if b.size else None for b, _, _ in parts],
        "last": [b[-1] if b.size else None for b, _, _ in parts],
        "n_groups": [int(b.size) for b, _, _ in parts],
        "n_rows": [n for _, _, n in parts],
    })


def group_sizes(ddf: Any, by: str, check: bool = True) -> Any:
    """Group sizes of each partition, in row order, as a Dask array chunked like ``ddf``'s
    partitions: LightGBM's ``DaskLGBMRanker.fit(group=...)`` argument.  Checks the layout first
    (``check=False`` skips that pass)."""
    if check:
        check_group_partitions(ddf, by)

    def sizes(s: pd.Series) -> pd.Series:
        values = s.to_numpy()
        starts = np.flatnonzero(values[1:] != values[:-1]) + 1
        bounds = np.concatenate(([0], starts, [values.size])) if values.size else np.zeros(1)
        return pd.Series(np.diff(bounds).astype(np.int64))

    meta = pd.Series([], dtype=np.int64)
    return ddf[by].map_partitions(sizes, meta=meta).to_dask_array(lengths=True)


# --------------------------------------------------------------------------- evaluation
def evaluate(ddf: Any, *, label: str, pred: str | Sequence[str], by: str,
             **kwargs: Any) -> pd.DataFrame:
    """Group-wise :func:`boostrank.evaluate` of a Dask DataFrame: one row per group.

    Checks that no group spans partitions, runs ``boostrank.evaluate`` on each partition and
    concatenates the results; per-group values are therefore exactly those of the whole data.
    ``pred`` is a column (ranking scores) or a list of columns (ordinal margins or
    probabilities); ``kwargs`` (``metrics=``, ``k=``, ``weight=``/``where=`` column names, ...)
    are passed through.  Returns a pandas DataFrame, as :func:`boostrank.evaluate`.
    """
    from .evaluation import evaluate as evaluate_frame

    dask, _ = _dask()
    _check_frame(ddf, by)
    check_group_partitions(ddf, by)
    preds = [pred] if isinstance(pred, str) else list(pred)
    for name in ("weight", "where"):
        if kwargs.get(name) is not None and not isinstance(kwargs[name], str):
            raise TypeError(f"`{name}=` must name a column of the Dask DataFrame (each partition "
                            "is evaluated on its own rows); got an array.")
    named = [kwargs[k] for k in ("weight", "where") if isinstance(kwargs.get(k), str)]
    cols = list(dict.fromkeys([label, *preds, by, *named]))

    def one(df: pd.DataFrame) -> pd.DataFrame | None:
        if len(df) == 0:
            return None
        return evaluate_frame(df, label=label, pred=pred, by=by, **kwargs)

    parts = dask.compute(*[dask.delayed(one)(p) for p in ddf[cols].to_delayed()])
    frames = [p for p in parts if p is not None]
    if not frames:
        raise ValueError("the DataFrame has no rows.")
    out = pd.concat(frames, ignore_index=True)
    out.attrs = dict(frames[0].attrs)  # metric directions and the key column, for summarize
    return out
