"""Plots for notebooks (matplotlib, an optional extra: ``pip install "boostrank[plot]"``).

Every function draws on the ``ax`` (or figure) it is given, or on a new one, and returns the
``Axes`` or ``Figure``; none calls ``show()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import ordinal as _ordinal
from ._validation import as_f64
from .evaluation import metric_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_group_metric", "plot_learning_curve", "plot_ordinal_calibration"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "boostrank's plots need matplotlib: pip install \"boostrank[plot]\" "
            "(or pip install matplotlib)."
        ) from exc
    return plt


def plot_group_metric(table: pd.DataFrame, metric: str | None = None, *, ax: Axes | None = None,
                      bins: int = 30) -> Axes:
    """Histogram of one metric over the groups of an :func:`boostrank.evaluate` table, with
    its mean and median marked and the mean, std and mean/std ratio in the legend.

    ``metric`` defaults to the table's first metric column; NaN groups are left out.
    """
    plt = _pyplot()
    names = metric_columns(table)
    if metric is None:
        if not names:
            raise ValueError("the table has no metric column.")
        metric = names[0]
    if metric not in names:
        raise KeyError(f"{metric!r} is not a metric column of the table; choose from {names}.")
    values = table[metric].to_numpy(dtype=np.float64)
    values = values[~np.isnan(values)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    assert ax is not None
    ax.hist(values, bins=bins, color="#4C72B0", alpha=0.8)
    if values.size:
        mean, std = float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0
        ratio = f", mean/std {mean / std:.2f}" if std > 0 else ""
        ax.axvline(mean, color="black", lw=1.5, label=f"mean {mean:.4f} (std {std:.4f}{ratio})")
        ax.axvline(float(np.median(values)), color="black", lw=1.5, ls="--",
                   label=f"median {np.median(values):.4f}")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(f"{metric} per group")
    ax.set_ylabel("groups")
    ax.set_title(f"{metric} over {values.size} groups")
    return ax


def plot_learning_curve(history: Any, metric: str | None = None, *, ax: Axes | None = None,
                        band: tuple[str, str] | None = ("q25", "q75")) -> Axes:
    """Mean of a group-wise metric per round for each evaluation set, with a band between two
    summary columns (the inter-quartile range of the groups by default; None for no band).

    ``history`` is a :class:`boostrank.LearningCurve` or its ``history`` DataFrame.
    """
    plt = _pyplot()
    frame = history.history if hasattr(history, "history") else history
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ValueError("the learning curve is empty: train with the callback first.")
    metrics = list(dict.fromkeys(frame["metric"]))
    metric = metric or metrics[0]
    if metric not in metrics:
        raise KeyError(f"{metric!r} was not recorded; recorded metrics: {metrics}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    assert ax is not None
    for dataset, rows in frame[frame["metric"] == metric].groupby("dataset", sort=False):
        line = ax.plot(rows["round"], rows["mean"], marker="o" if len(rows) < 30 else None,
                       ms=3, label=f"{dataset} (mean)")[0]
        if band is not None:
            ax.fill_between(rows["round"], rows[band[0]], rows[band[1]], alpha=0.2,
                            color=line.get_color(), label=f"{dataset} ({band[0]}-{band[1]})")
    ax.set_xlabel("boosting round")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per group over training")
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_ordinal_calibration(y_true: Any, y_pred: Any, *, class_names: Any = None,
                             n_bins: int = 10, input: str = "auto",
                             fig: Figure | None = None) -> Figure:
    """Two panels for an ordinal model: per-class reliability (mean predicted probability of
    each class against its observed frequency, in ``n_bins`` equal-width probability bins) and
    the mean RPS of the rows of each true class.

    ``y_pred`` is (n, K) margins or probabilities (``input`` as in
    :func:`boostrank.ordinal.as_margins`); ``y_true`` integer classes 0..K-1.
    """
    plt = _pyplot()
    from .metrics import RPSMetric

    proba = _ordinal.predict_proba(y_pred, input)
    labels = as_f64(y_true, "y_true").reshape(-1)
    n, n_classes = proba.shape
    if labels.size != n:
        raise ValueError(f"`y_true` has {labels.size} labels but `y_pred` has {n} rows.")
    if (labels != np.round(labels)).any() or labels.min() < 0 or labels.max() > n_classes - 1:
        raise ValueError(f"`y_true` must hold integer classes 0..{n_classes - 1}.")
    classes = labels.astype(np.int64)
    names = [str(c) for c in (range(n_classes) if class_names is None else class_names)]
    if len(names) != n_classes:
        raise ValueError(f"`class_names` must name the {n_classes} classes.")
    if fig is None:
        fig = plt.figure(figsize=(10, 4), layout="constrained")
    assert fig is not None
    ax_rel, ax_rps = fig.subplots(1, 2)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, n_classes))
    for c in range(n_classes):
        p = proba[:, c]
        hit = (classes == c).astype(np.float64)
        bins = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
        counts = np.bincount(bins, minlength=n_bins)
        keep = counts >= 5  # bins with fewer rows are noise
        mean_p = np.bincount(bins, p, n_bins)[keep] / counts[keep]
        freq = np.bincount(bins, hit, n_bins)[keep] / counts[keep]
        ax_rel.plot(mean_p, freq, marker="o", ms=3, color=colors[c], label=names[c])
    ax_rel.plot([0, 1], [0, 1], color="grey", lw=1, ls=":")
    ax_rel.set_xlabel("mean predicted probability")
    ax_rel.set_ylabel("observed frequency")
    ax_rel.set_title("reliability per class (bins of >= 5 rows)")
    ax_rel.legend(title="class", fontsize="small", frameon=False, ncols=2)
    rows = RPSMetric(input="margin").per_row(labels, np.log(np.maximum(proba, 1e-300)))
    present = np.bincount(classes, minlength=n_classes)
    mean_rps = np.bincount(classes, rows, n_classes) / np.maximum(present, 1)
    ax_rps.bar(names, np.where(present > 0, mean_rps, np.nan), color=colors)
    for c in range(n_classes):
        ax_rps.annotate(f"n={present[c]}", (c, 0), xytext=(0, 2), textcoords="offset points",
                        ha="center", fontsize="x-small", color="white" if present[c] else "black")
    ax_rps.set_xlabel("true class")
    ax_rps.set_ylabel("mean RPS (lower is better)")
    ax_rps.set_title(f"RPS by true class (overall {rows.mean():.4f})")
    return fig
