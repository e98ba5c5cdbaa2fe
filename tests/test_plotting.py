"""Plots: each returns its Axes/Figure with the data drawn, never calls show()."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

import boostrank as br
from boostrank.datasets import make_ordinal, make_ranking

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
from boostrank import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plotting functions must not call show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    sizes = rng.integers(2, 20, 40)
    y = rng.integers(0, 3, sizes.sum()).astype(float)
    return br.evaluate(y, y + rng.normal(size=y.size), group=sizes)


def test_group_metric_histogram(table):
    ax = plotting.plot_group_metric(table, "spearman")
    values = table["spearman"].dropna()
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(values)
    assert ax.get_xlabel() == "spearman per group"
    assert f"{values.mean():.4f}" in ax.get_legend().get_texts()[0].get_text()
    _, axes = plt.subplots(1, 2)
    assert plotting.plot_group_metric(table, ax=axes[1]) is axes[1]  # first metric column
    with pytest.raises(KeyError, match="choose from"):
        plotting.plot_group_metric(table, "ndcg@3")


def test_learning_curve_plot():
    d = make_ranking(n_groups=20, seed=0)
    dm = xgb.DMatrix(d["X"], d["y"], group=d["group"])
    curve = br.LearningCurve({"train": dm}, metrics=["ndcg", "map"])
    xgb.train({"max_depth": 2}, dm, 4, obj=br.pairwise_logistic, callbacks=[curve])
    ax = plotting.plot_learning_curve(curve, "map@10")
    (line,) = ax.get_lines()
    means = curve.history.query("metric == 'map@10'")["mean"].to_numpy()
    np.testing.assert_allclose(line.get_ydata(), means)
    assert len(ax.collections) == 1  # the inter-quartile band
    ax = plotting.plot_learning_curve(curve.history, band=None)
    assert ax.get_ylabel() == "ndcg@10" and not ax.collections
    with pytest.raises(KeyError, match="recorded metrics"):
        plotting.plot_learning_curve(curve, "mrr@10")
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_learning_curve(br.LearningCurve({"t": dm}))


def test_ordinal_calibration_plot():
    d = make_ordinal(n_samples=800, n_classes=5, seed=0)
    z = np.random.default_rng(2).normal(size=(800, 5))
    fig = plotting.plot_ordinal_calibration(d["y"], z, class_names=list("abcde"))
    rel, bars = fig.axes
    assert len(rel.get_lines()) == 5 + 1  # one per class and the diagonal
    rows = br.RPSMetric(input="margin").per_row(d["y"], z)
    heights = [p.get_height() for p in bars.patches]
    for c, h in enumerate(heights):
        assert h == pytest.approx(rows[d["y"] == c].mean())
    with pytest.raises(ValueError, match="integer classes"):
        plotting.plot_ordinal_calibration(d["y"] + 0.5, z)
    with pytest.raises(ValueError, match="class_names"):
        plotting.plot_ordinal_calibration(d["y"], z, class_names=["a"])
