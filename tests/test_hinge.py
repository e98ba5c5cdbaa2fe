"""The pairwise squared hinge beyond the registry tests: the loss by hand, the margin, the two
Hessians, finite differences away from the kinks, ignored rows, options, pickling, training."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pytest
import reference as ref
import xgboost as xgb
from conftest import hinge_options, make_data
from numpy.testing import assert_allclose, assert_array_equal

import boostrank as br
from boostrank._config import HESSIAN_FLOOR
from boostrank.datasets import make_ranking


def _pair_gaps(d, s) -> np.ndarray:
    """d_ij = s_hi - s_lo of every pair with y_hi > y_lo among the valid rows of d."""
    gaps = []
    for a, b in zip(d.offsets[:-1], d.offsets[1:], strict=True):
        rows = [i for i in range(a, b) if d.where[i] and d.y[i] >= 0]
        gaps += [s[i] - s[j] for i in rows for j in rows if d.y[i] > d.y[j]]
    return np.asarray(gaps)


def test_three_rows_by_hand():
    """Labels 2, 0, 1 at scores 0.1, 0.2, 3.0, margin 1: pairs (0, 1) d = -0.1 and (0, 2)
    d = -2.9 are active, (2, 1) d = 2.8 is satisfied."""
    y, s = [2.0, 0.0, 1.0], [0.1, 0.2, 3.0]
    obj = br.pairwise_squared_hinge
    assert_allclose(obj.loss(y, s, reduction="none"), [1.1**2 + 3.9**2, 0.0, 0.0], rtol=1e-12)
    g, h = obj.grad_hess(y, s)
    assert_allclose(g, [-2 * 1.1 - 2 * 3.9, 2 * 1.1, 2 * 3.9], rtol=1e-12)
    assert_array_equal(h, [4.0, 2.0, 2.0])
    _, bound = br.PairwiseSquaredHinge(hessian="upper_bound").grad_hess(y, s)
    assert_array_equal(bound, [4.0, 4.0, 4.0])


@pytest.mark.parametrize("margin", [0.25, 1.0, 3.0])
def test_pairs_ordered_by_the_margin_cost_nothing(margin):
    y = [3.0, 2.0, 1.0, 0.0]
    s = np.array([3.0, 2.0, 1.0, 0.0]) * margin * 1.001  # every gap >= the margin
    obj = br.PairwiseSquaredHinge(margin=margin)
    assert obj.loss(y, s, reduction="sum") == 0.0
    g, h = obj.grad_hess(y, s)
    assert_array_equal(g, np.zeros(4))
    assert_array_equal(h, np.full(4, HESSIAN_FLOOR))  # exact: no active pair, the floor
    g, h = br.PairwiseSquaredHinge(margin=margin, hessian="upper_bound").grad_hess(y, s)
    assert_array_equal(g, np.zeros(4))
    assert_array_equal(h, [6.0, 6.0, 6.0, 6.0])  # 2 per pair, 3 pairs per row


def test_margin_scales_like_the_scores():
    """l(s; m) = m^2 l(s / m; 1): the margin is a unit of the scores."""
    d = make_data(1)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    for m in (0.3, 2.0):
        got = br.PairwiseSquaredHinge(margin=m).loss(d.y, d.s, reduction="sum", **kw)
        unit = br.pairwise_squared_hinge.loss(d.y, d.s / m, reduction="sum", **kw)
        assert got == pytest.approx(m * m * unit, rel=1e-12)


@pytest.mark.parametrize("hessian", ["exact", "upper_bound"])
@pytest.mark.parametrize("options", [{}, {"margin": 0.7, "lambda_weight": "ndcg", "k": 4}],
                         ids=["plain", "m0.7-ndcg@4"])
def test_gradient_is_the_central_difference_of_the_loss_away_from_the_kinks(hessian, options):
    d = make_data(5, sizes=(4, 9, 3, 11, 6))
    obj = br.PairwiseSquaredHinge(hessian=hessian, **options)
    rng = np.random.default_rng(0)
    s = d.s
    for _ in range(100):  # scores with no pair within 1e-3 of the kink d = m
        if np.abs(_pair_gaps(d, s) - obj.margin).min() > 1e-3:
            break
        s = rng.normal(size=d.n) * 1.5
    assert np.abs(_pair_gaps(d, s) - obj.margin).min() > 1e-3
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    grad, _ = obj.grad_hess(d.y, s, **kw)
    h = 1e-6
    fd = np.empty(d.n)
    for i in range(d.n):
        up, down = s.copy(), s.copy()
        up[i] += h
        down[i] -= h
        fd[i] = (obj.loss(d.y, up, reduction="sum", **kw)
                 - obj.loss(d.y, down, reduction="sum", **kw)) / (2 * h)
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-6)
    assert np.abs(grad).max() > 0.1


@pytest.mark.parametrize("options", [{}, {"margin": 0.5, "lambda_weight": "ndcg", "k": 3}],
                         ids=["plain", "m0.5-ndcg@3"])
def test_upper_bound_is_above_the_exact_diagonal_and_both_are_documented(options):
    d = make_data(7, score_scale=2.0)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    exact = br.PairwiseSquaredHinge(**options)
    bound = br.PairwiseSquaredHinge(hessian="upper_bound", **options)
    g_e, h_e = exact.grad_hess(d.y, d.s, **kw)
    g_b, h_b = bound.grad_hess(d.y, d.s, **kw)
    assert_array_equal(g_e, g_b)  # the Hessian option changes nothing else
    assert (h_b >= h_e).all() and (h_b > h_e).any()
    for obj, h in ((exact, h_e), (bound, h_b)):
        _, want = ref.squared_hinge_grad_hess(d.s, d.y, d.offsets, d.w, d.where,
                                              hessian=obj.hessian, **hinge_options(obj))
        assert_allclose(h, want, rtol=1e-12)


def test_ignored_rows_and_masked_rows_take_no_part():
    """A row with a negative label or where=False neither forms pairs nor gets gradient: the
    result equals that of the data without those rows."""
    d = make_data(9)
    keep = d.where & (d.y >= 0)
    obj = br.PairwiseSquaredHinge(lambda_weight="ndcg")
    g, h = obj.grad_hess(d.y, d.s, group=d.sizes, weight=d.w, where=d.where)
    assert_array_equal(g[~keep], 0.0)
    assert_array_equal(h[~keep], HESSIAN_FLOOR)
    gid = np.repeat(np.arange(d.sizes.size), d.sizes)[keep]
    sizes = np.bincount(gid, minlength=d.sizes.size)
    g2, h2 = obj.grad_hess(d.y[keep], d.s[keep], group=sizes[sizes > 0], weight=d.w[keep])
    assert_allclose(g[keep], g2, rtol=1e-12, atol=1e-15)
    assert_allclose(h[keep], h2, rtol=1e-12)


def test_groups_of_one_row_and_constant_labels_have_no_pairs():
    obj = br.pairwise_squared_hinge
    g, h = obj.grad_hess([1.0, 2.0, 2.0, 2.0], [0.3, 0.1, 0.5, -0.2], group=[1, 3])
    assert_array_equal(g, np.zeros(4))
    assert_array_equal(h, np.full(4, HESSIAN_FLOOR))
    assert obj.loss([1.0, 2.0, 2.0, 2.0], [0.3, 0.1, 0.5, -0.2], group=[1, 3]) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"margin": 0.0}, "`margin`"), ({"margin": -1.0}, "`margin`"),
     ({"margin": float("nan")}, "`margin`"), ({"margin": float("inf")}, "`margin`"),
     ({"hessian": "logistic"}, "`hessian`"), ({"lambda_weight": "dcg"}, "`lambda_weight`"),
     ({"k": 3}, "`k`"), ({"lambda_weight": "ndcg", "k": 0}, "`k`"),
     ({"lambda_weight": "ndcg", "k": True}, "`k`"),
     ({"lambda_weight": "ndcg", "k": float("nan")}, "`k`"),
     ({"group_scale": "query"}, "`group_scale`"), ({"hessian_factor": 0.0}, "`hessian_factor`"),
     ({"device": "tpu"}, "`device`")],
)
def test_invalid_options_raise(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        br.PairwiseSquaredHinge(**kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_scores_raise(bad):
    with pytest.raises(ValueError, match="y_pred"):
        br.pairwise_squared_hinge.grad_hess([1.0, 0.0, 2.0], [0.1, bad, 0.3])


def test_ndcg_weights_refuse_huge_labels():
    with pytest.raises(ValueError, match="`y_true`"):
        br.PairwiseSquaredHinge(lambda_weight="ndcg").loss([40.0, 0.0], [0.1, 0.2])


def test_pickles_keep_the_options():
    obj = br.PairwiseSquaredHinge(margin=0.5, lambda_weight="ndcg", k=5, hessian="upper_bound",
                                  group_scale=None, hessian_factor=1.5)
    clone = pickle.loads(pickle.dumps(obj))
    assert clone == obj and repr(clone) == repr(obj)
    d = make_data(2)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    for a, b in zip(clone.grad_hess(d.y, d.s, **kw), obj.grad_hess(d.y, d.s, **kw),
                    strict=True):
        assert_array_equal(a, b)


def test_trains_on_both_hosts_with_its_loss_as_metric():
    """End to end: the loss falls on the training data under both hosts' native APIs, with the
    objective's own ``metric`` as XGBoost ``custom_metric`` and LightGBM ``feval``."""
    d = make_ranking(n_groups=80, group_size=(5, 25), seed=11)
    x, y, g = d["X"], d["y"], d["group"]
    obj = br.pairwise_squared_hinge
    start = obj.loss(y, np.zeros(y.size), group=g)
    history: dict[str, dict[str, list[float]]] = {}
    dtrain = xgb.DMatrix(x, y, group=g)
    xgb.train({"nthread": 1, "disable_default_eval_metric": 1}, dtrain, 20, obj=obj,
              custom_metric=obj.metric, evals=[(dtrain, "train")], evals_result=history,
              verbose_eval=False)
    curve = history["train"][obj.metric.name]
    assert curve[0] < start and curve[-1] < 0.5 * start
    lgb_history: dict[str, dict[str, list[float]]] = {}
    train = lgb.Dataset(x, y, group=g)
    lgb.train({"objective": obj, "metric": "None", "verbose": -1, "num_threads": 1}, train, 20,
              valid_sets=[train], valid_names=["train"], feval=obj.metric,
              callbacks=[lgb.record_evaluation(lgb_history)])
    curve = lgb_history["train"][obj.metric.name]
    assert curve[-1] < 0.5 * start
