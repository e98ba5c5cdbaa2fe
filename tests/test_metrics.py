"""Metrics against scikit-learn, scipy, hand loops and tests/reference.py; conventions; the
host libraries' calling shapes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import reference as ref
from conftest import REGISTRY, data_for, is_rps, shared_data
from numpy.testing import assert_allclose
from sklearn.metrics import ndcg_score

import boostrank as br

SIZES = (2, 5, 9, 1, 3, 12, 7, 4)


def _ranking_data(seed: int, *, ties: bool = True, negatives: bool = False):
    """Grades 0..3, scores on a coarse grid (many ties); group 2 has only label 0."""
    rng = np.random.default_rng(seed)
    sizes = np.array(SIZES)
    n = int(sizes.sum())
    off = np.concatenate(([0], np.cumsum(sizes)))
    y = rng.integers(0, 4, n).astype(np.float64)
    y[off[1]:off[2]] = 0.0  # a group with no relevant row
    s = rng.integers(0, 4, n).astype(np.float64) if ties else rng.normal(size=n)
    if negatives:
        y[rng.random(n) < 0.15] = -1.0
    return y, s, sizes, off


def _groups(off):
    return [(int(a), int(b)) for a, b in itertools.pairwise(off)]


# =========================================================================== NDCG
@pytest.mark.parametrize("k", [None, 1, 3, 5])
@pytest.mark.parametrize("seed", [0, 1])
def test_ndcg_linear_gain_vs_sklearn(k, seed):
    y, s, sizes, off = _ranking_data(seed)
    per = br.NDCG(k=k, gain="linear").per_group(y, s, group=sizes)
    expected = []
    for g, (a, b) in enumerate(_groups(off)):
        if b - a < 2:  # scikit-learn refuses single-document queries
            expected.append(per[g])
            continue
        expected.append(ndcg_score(y[None, a:b], s[None, a:b], k=k))
        assert per[g] == pytest.approx(expected[-1], rel=1e-12, abs=1e-15), g
    assert br.ndcg(y, s, group=sizes, k=k, gain="linear") == pytest.approx(np.mean(expected))


@pytest.mark.parametrize("k", [None, 2, 4])
def test_ndcg_exponential_gain_vs_sklearn(k):
    # scikit-learn's gain is y itself: give it 2^y - 1
    y, s, sizes, off = _ranking_data(2)
    per = br.NDCG(k=k).per_group(y, s, group=sizes)
    for g, (a, b) in enumerate(_groups(off)):
        if b - a >= 2:
            expected = ndcg_score((2.0 ** y[a:b] - 1)[None], s[None, a:b], k=k)
            assert per[g] == pytest.approx(expected, rel=1e-12, abs=1e-15), g


def test_ndcg_equal_size_groups_vs_sklearn_mean():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 5, (6, 8)).astype(float)
    s = np.round(rng.normal(size=(6, 8)), 1)
    expected = ndcg_score(y, s, k=4)
    assert br.ndcg(y.ravel(), s.ravel(), group=[8] * 6, k=4, gain="linear") == pytest.approx(
        expected, rel=1e-12)
    assert br.ndcg(y, s, k=4, gain="linear") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("gain", ["exponential", "linear"])
@pytest.mark.parametrize("k", [None, 3])
def test_ndcg_vs_reference_with_mask_and_negative_labels(gain, k):
    y, s, sizes, off = _ranking_data(4, negatives=True)
    where = np.random.default_rng(5).random(y.size) > 0.2
    per = br.NDCG(k=k, gain=gain, no_relevant_score=None).per_group(y, s, group=sizes,
                                                                   where=where)
    for g, (a, b) in enumerate(_groups(off)):
        keep = where[a:b] & (y[a:b] >= 0)
        expected = ref.ndcg_group(s[a:b][keep], y[a:b][keep], k=k, gain=gain)
        if math.isnan(expected):
            assert math.isnan(per[g])
        else:
            assert per[g] == pytest.approx(expected, rel=1e-12), g


def test_ndcg_weighted_average_of_groups():
    y, s, sizes, off = _ranking_data(6)
    gw = np.linspace(0.5, 3.0, sizes.size)
    per = [ref.ndcg_group(s[a:b], y[a:b], k=5) for a, b in _groups(off)]
    per = [0.0 if math.isnan(v) else v for v in per]
    expected = np.average(per, weights=gw)
    assert br.ndcg(y, s, group=sizes, k=5, weight=gw) == pytest.approx(expected, rel=1e-12)
    assert br.ndcg(y, s, group=sizes, k=5, weight=np.repeat(gw, sizes)) == pytest.approx(
        expected, rel=1e-12)


def test_ndcg_hand_values():
    # one relevant item ranked second: DCG = 1 / log2(3), ideal 1
    assert br.ndcg([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1 / math.log2(3), rel=1e-12)
    # a tie between the relevant and the irrelevant item: mean gain 1/2 over both discounts
    assert br.ndcg([1.0, 0.0], [0.5, 0.5]) == pytest.approx((1 + 1 / math.log2(3)) / 2)
    # k = 1 cuts the second position
    assert br.ndcg([1.0, 0.0], [0.0, 1.0], k=1) == 0.0
    # exponential gain: y = (2, 1) reversed: (1 + 3 / log2 3) / (3 + 1 / log2 3)
    assert br.ndcg([2.0, 1.0], [0.0, 1.0]) == pytest.approx(
        (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)), rel=1e-12)


def test_ndcg_no_relevant_row_convention():
    y = np.array([0.0, 0.0, 0.0, 2.0, 0.0, 1.0])
    s = np.array([0.3, 0.2, 0.1, 0.1, 0.9, 0.5])
    v = ref.ndcg_group(s[3:], y[3:])
    assert 0 < v < 1
    assert br.ndcg(y, s, group=[3, 3]) == pytest.approx(v / 2)
    assert br.ndcg(y, s, group=[3, 3], no_relevant_score=1.0) == pytest.approx((1 + v) / 2)
    assert br.ndcg(y, s, group=[3, 3], no_relevant_score=None) == pytest.approx(v)
    per = br.NDCG(no_relevant_score=None).per_group(y, s, group=[3, 3])
    assert math.isnan(per[0]) and per[1] == pytest.approx(v)
    # every group left out -> 0
    assert br.ndcg(y[:3], s[:3], no_relevant_score=None) == 0.0


def test_ndcg_single_row_groups():
    y = np.array([2.0, 0.0, 1.0, 0.0])
    s = np.array([0.1, 0.4, 0.3, 0.2])
    per = br.NDCG().per_group(y, s, group=[1, 1, 2])
    assert per[0] == 1.0  # a single relevant row is perfectly ranked
    assert per[1] == 0.0  # no relevant row: no_relevant_score
    assert per[2] == 1.0
    assert br.NDCG(no_relevant_score=1.0).per_group(y, s, group=[1, 1, 2])[1] == 1.0


def test_ndcg_names_and_options():
    assert br.NDCG(k=5).name == "ndcg@5"
    assert br.NDCG(k=None).name == "ndcg"
    assert br.NDCG.higher_is_better
    for k in (0, 2.5, True, float("nan"), "5"):
        with pytest.raises(ValueError, match="`k`"):
            br.NDCG(k=k)
    for k in (2**63, 1e20):
        with pytest.raises(ValueError, match="below 2"):
            br.NDCG(k=k)
    assert type(br.NDCG(k=np.int64(5)).k) is int and br.NDCG(k=5.0).name == "ndcg@5"
    with pytest.raises(ValueError, match="`gain`"):
        br.NDCG(gain="log")


def test_ndcg_real_data_vs_sklearn():
    data = shared_data("mq2008.npz")
    sizes = data["group"][:20].astype(np.int64)
    n = int(sizes.sum())
    y = data["y"][:n].astype(np.float64)
    s = np.round(data["X"][:n, 0].astype(np.float64), 2)  # real feature: ties included
    off = np.concatenate(([0], np.cumsum(sizes)))
    per = br.NDCG(k=10, gain="linear").per_group(y, s, group=sizes)
    for g, (a, b) in enumerate(_groups(off)):
        assert per[g] == pytest.approx(ndcg_score(y[None, a:b], s[None, a:b], k=10),
                                       rel=1e-10, abs=1e-15)


# =========================================================================== Spearman
def test_spearman_per_group_vs_scipy():
    y, s, sizes, off = _ranking_data(7)  # many ties in both
    rng = np.random.default_rng(8)
    y = y + rng.integers(0, 2, y.size)  # group 2 varies now
    y[off[4]:off[5]] = 1.0  # constant labels -> left out
    s[off[6]:off[7]] = 0.25  # constant scores -> 0
    per = br.SpearmanMetric().per_group(y, s, group=sizes)
    checked = 0
    for g, (a, b) in enumerate(_groups(off)):
        expected = ref.spearman_group(s[a:b], y[a:b])
        if math.isnan(expected):
            assert math.isnan(per[g]), g
        else:
            assert per[g] == pytest.approx(expected, rel=1e-12, abs=1e-14), g
            checked += 1
    assert checked >= 5
    assert math.isnan(per[3]) and math.isnan(per[4]) and per[6] == 0.0


def test_spearman_with_mask_and_weights():
    y, s, sizes, off = _ranking_data(9, ties=False)
    y = y + np.arange(y.size) % 3  # vary every group
    where = np.random.default_rng(10).random(y.size) > 0.25
    gw = np.linspace(1.0, 2.0, sizes.size)
    per, wts = [], []
    for g, (a, b) in enumerate(_groups(off)):
        keep = where[a:b]
        v = ref.spearman_group(s[a:b][keep], y[a:b][keep])
        if not math.isnan(v):
            per.append(v)
            wts.append(gw[g])
    expected = np.average(per, weights=wts)
    got = br.spearman(y, s, group=sizes, where=where, weight=gw)
    assert got == pytest.approx(expected, rel=1e-12)


def test_spearman_docstring_example_by_hand():
    # group 1: ranks (1,2,3) vs (1,3,2) -> 1 - 6*2/(3*8) = 0.5; group 2: 1.0
    assert br.spearman([1, 2, 3, 1, 2], [0.1, 0.3, 0.2, 5.0, 6.0], group=[3, 2]) == 0.75


def test_spearman_conventions():
    # single row and constant labels are left out; all left out -> 0
    assert br.spearman([1.0, 2.0, 3.0, 5.0], [0.1, 0.3, 0.2, 9.0], group=[3, 1]) == \
        pytest.approx(0.5)
    assert br.spearman([1.0, 2.0, 3.0, 4.0, 4.0], [0.1, 0.3, 0.2, 9.0, 1.0], group=[3, 2]) == \
        pytest.approx(0.5)
    assert br.spearman([1.0, 1.0, 1.0], [0.1, 0.2, 0.3]) == 0.0
    assert br.spearman([1.0], [0.1]) == 0.0
    # varying labels, constant scores: 0 (counted)
    assert br.spearman([1.0, 2.0, 3.0, 1.0, 2.0], [0.1, 0.3, 0.2, 7.0, 7.0], group=[3, 2]) == \
        pytest.approx(0.25)


# =========================================================================== pairwise accuracy
def test_pairwise_accuracy_vs_hand_loop():
    y, s, sizes, off = _ranking_data(11, negatives=True)
    where = np.random.default_rng(12).random(y.size) > 0.15
    per = br.PairwiseAccuracy().per_group(y, s, group=sizes, where=where)
    vals = []
    for g, (a, b) in enumerate(_groups(off)):
        keep = where[a:b] & (y[a:b] >= 0)
        expected = ref.pairwise_accuracy_group(list(s[a:b][keep]), list(y[a:b][keep]))
        if math.isnan(expected):
            assert math.isnan(per[g]), g
        else:
            assert per[g] == pytest.approx(expected, rel=1e-14), g
            vals.append(expected)
    assert br.pairwise_accuracy(y, s, group=sizes, where=where) == pytest.approx(np.mean(vals))


def test_pairwise_accuracy_hand_values():
    assert br.pairwise_accuracy([2.0, 1.0, 0.0], [3.0, 2.0, 1.0]) == 1.0
    assert br.pairwise_accuracy([2.0, 1.0, 0.0], [1.0, 2.0, 3.0]) == 0.0
    assert br.pairwise_accuracy([1.0, 0.0], [0.5, 0.5]) == 0.5
    assert br.pairwise_accuracy([1.0, 1.0], [0.5, 0.7]) == 0.0  # no pair: left out
    # negative labels ignored: only the pair (1, 0)
    assert br.pairwise_accuracy([1.0, 0.0, -1.0], [0.2, 0.1, 5.0]) == 1.0


# =========================================================================== RPS metric
def _rps_data(seed: int, n: int = 40, n_classes: int = 5):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n_classes)) * 2
    y = rng.integers(0, n_classes, n).astype(float)
    y[rng.random(n) < 0.1] = -1.0
    w = rng.uniform(0.2, 2.0, n)
    where = rng.random(n) > 0.2
    return z, y, w, where


def _ref_rps_mean(p, y, w, where, normalize=False):
    num = den = 0.0
    for i in range(len(y)):
        if y[i] < 0 or not where[i]:
            continue
        v = ref.rps_from_proba(list(p[i]), y[i])
        if normalize:
            v /= p.shape[1] - 1
        num += w[i] * v
        den += w[i]
    return num / den


@pytest.mark.parametrize("normalize", [False, True])
def test_rps_metric_probabilities_input(normalize):
    z, y, w, where = _rps_data(0)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = _ref_rps_mean(p, y, w, where, normalize)
    got = br.rps_score(y, p, weight=w, where=where, normalize=normalize)
    assert got == pytest.approx(expected, rel=1e-9)
    assert br.rps_score(y, p, weight=w, where=where, normalize=normalize,
                        input="proba") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("normalize", [False, True])
def test_rps_metric_margins_input(normalize):
    z, y, w, where = _rps_data(1)
    p = np.array([ref.softmax_row(list(row)) for row in z])
    expected = _ref_rps_mean(p, y, w, where, normalize)
    assert br.rps_score(y, z, weight=w, where=where, normalize=normalize) == pytest.approx(
        expected, rel=1e-12)
    assert br.rps_score(y, z, weight=w, where=where, normalize=normalize,
                        input="margin") == pytest.approx(expected, rel=1e-12)


def test_rps_metric_forced_margin_reading_of_probabilities():
    z, y, _w, _where = _rps_data(2)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    soft = np.array([ref.softmax_row(list(row)) for row in p])  # p read as margins
    expected = _ref_rps_mean(soft, y, np.ones(len(y)), np.ones(len(y), bool))
    assert br.rps_score(y, p, input="margin") == pytest.approx(expected, rel=1e-12)
    assert br.rps_score(y, p, input="margin") != pytest.approx(br.rps_score(y, p), rel=1e-3)


def test_rps_metric_probabilities_with_zeros():
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    y = np.array([1.0, 0.0, 0.0])
    # row 0: P = (0, 1), O = (0, 1) -> 0; row 1: P = (.5, 1), O = (1, 1) -> .25; row 2: 1 + 1
    assert br.rps_score(y, p) == pytest.approx((0 + 0.25 + 2.0) / 3, rel=1e-12)


def test_rps_metric_per_group():
    z, y, _w, where = _rps_data(3, n=12)
    sizes = [5, 3, 4]
    p = np.array([ref.softmax_row(list(row)) for row in z])
    per = br.RPSMetric().per_group(y, z, group=sizes, where=where)
    off = np.cumsum([0, *sizes])
    for g, (a, b) in enumerate(_groups(off)):
        keep = [i for i in range(a, b) if where[i] and y[i] >= 0]
        if not keep:
            assert math.isnan(per[g])
        else:
            assert per[g] == pytest.approx(
                np.mean([ref.rps_from_proba(list(p[i]), y[i]) for i in keep]), rel=1e-12)
    assert not br.RPSMetric.higher_is_better
    with pytest.raises(ValueError, match="`input`"):
        br.RPSMetric(input="logits")


# =========================================================================== host call shapes
HOST_METRICS = [
    pytest.param(br.NDCG(k=5), True, id="ndcg@5"),
    pytest.param(br.SpearmanMetric(), True, id="spearman"),
    pytest.param(br.PairwiseAccuracy(), True, id="pairwise_accuracy"),
    pytest.param(br.LossMetric(br.PairwiseLogistic()), False, id="loss-logistic"),
    pytest.param(br.LossMetric(br.SoftmaxRanking()), False, id="loss-softmax"),
]


def _host_ranking_data():
    y, s, sizes, _ = _ranking_data(13, ties=False)
    s32 = s.astype(np.float32)
    gw = np.linspace(0.5, 2.0, sizes.size).astype(np.float32).astype(np.float64)
    return y, s32, sizes, gw


@pytest.mark.parametrize(("metric", "higher"), HOST_METRICS)
def test_metric_xgboost_dmatrix_call(metric, higher):
    xgb = pytest.importorskip("xgboost")
    y, s, sizes, gw = _host_ranking_data()
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y)
    dm.set_group(sizes)
    dm.set_weight(gw)
    out = metric(s, dm)
    assert isinstance(out, tuple) and len(out) == 2
    name, value = out
    assert name == metric.name and isinstance(name, str)
    assert isinstance(value, float)
    assert value == pytest.approx(metric.score(y, s, group=sizes, weight=gw), rel=1e-12)


@pytest.mark.parametrize(("metric", "higher"), HOST_METRICS)
def test_metric_lightgbm_dataset_call(metric, higher):
    lgb = pytest.importorskip("lightgbm")
    y, s, sizes, gw = _host_ranking_data()
    w = np.repeat(gw, sizes)
    ds = lgb.Dataset(np.zeros((y.size, 1)), label=y, weight=w, group=sizes,
                     free_raw_data=False, params={"verbose": -1}).construct()
    s64 = s.astype(np.float64)
    out = metric(s64, ds)
    assert isinstance(out, tuple) and len(out) == 3
    name, value, is_higher_better = out
    assert name == metric.name
    assert isinstance(value, float)
    assert is_higher_better is higher
    assert value == pytest.approx(metric.score(y, s64, group=sizes, weight=w), rel=1e-12)
    # LightGBM sklearn eval_metric: (y_true, y_pred, weight, group)
    out_sk = metric(y, s64, w, sizes)
    assert len(out_sk) == 3 and out_sk[2] is higher
    assert out_sk[1] == pytest.approx(value, rel=1e-12)


def test_rps_metric_host_calls():
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    z, y, w, _ = _rps_data(4, n=20, n_classes=4)
    y = np.abs(y)
    expected = br.rps_score(y, z, weight=w)
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y, weight=w)
    name, value = br.RPSMetric()(z, dm)
    assert name == "rps" and value == pytest.approx(expected, rel=1e-6)
    ds = lgb.Dataset(np.zeros((y.size, 1)), label=y, weight=w, free_raw_data=False,
                     params={"verbose": -1}).construct()
    out = br.RPSMetric()(z, ds)
    assert out[0] == "rps" and out[2] is False
    assert out[1] == pytest.approx(expected, rel=1e-6)


def test_metrics_accepted_by_xgboost_and_lightgbm_training():
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(14)
    sizes = [10] * 6
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(float) + (X[:, 1] > 0.5)
    dm = xgb.DMatrix(X, label=y)
    dm.set_group(sizes)
    hist: dict = {}
    metric = br.NDCG(k=5)
    xgb.train({"objective": "rank:pairwise", "disable_default_eval_metric": 1}, dm, 3,
              evals=[(dm, "train")], custom_metric=metric, evals_result=hist,
              verbose_eval=False)
    values = hist["train"]["ndcg@5"]
    assert len(values) == 3 and all(0 <= v <= 1 for v in values)
    ds = lgb.Dataset(X, label=y, group=sizes, params={"verbose": -1})
    res: dict = {}
    lgb.train({"objective": "lambdarank", "metric": "None", "verbose": -1,
               "min_data_in_leaf": 2}, ds, 3, valid_sets=[ds], valid_names=["train"],
              feval=[metric, br.SpearmanMetric()], callbacks=[lgb.record_evaluation(res)])
    assert len(res["train"]["ndcg@5"]) == 3 and len(res["train"]["spearman"]) == 3


# =========================================================================== LossMetric
@pytest.mark.parametrize("obj", REGISTRY)
def test_loss_metric_equals_objective_loss(obj):
    d = data_for(obj, seed=81)
    m = br.LossMetric(obj)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    assert m.score(d.y, d.s, **kw) == pytest.approx(obj.loss(d.y, d.s, **kw), rel=1e-14)
    assert m.score(d.y, d.s, qid=d.qid) == pytest.approx(obj.loss(d.y, d.s, group=d.sizes),
                                                         rel=1e-14)
    assert m.name == obj.name and not m.higher_is_better
    assert isinstance(obj.metric, br.LossMetric) and obj.metric.objective is obj


@pytest.mark.parametrize("obj", REGISTRY)
def test_loss_metric_host_call_equals_objective_loss(obj):
    lgb = pytest.importorskip("lightgbm")
    d = data_for(obj, seed=82, group_weights=True)
    y = np.abs(d.y)  # hosts: no ignored rows
    w = d.w.astype(np.float32).astype(np.float64)
    if is_rps(obj):
        ds = lgb.Dataset(np.zeros((d.n, 1)), label=y, weight=w, free_raw_data=False,
                         params={"verbose": -1}).construct()
        expected = obj.loss(y, d.s, weight=w)
    else:
        ds = lgb.Dataset(np.zeros((d.n, 1)), label=y, weight=w, group=d.sizes,
                         free_raw_data=False, params={"verbose": -1}).construct()
        expected = obj.loss(y, d.s, group=d.sizes, weight=w)
    name, value, higher = obj.metric(d.s, ds)
    assert name == obj.name and higher is False
    assert value == pytest.approx(expected, rel=1e-12)


# =========================================================================== layouts
@pytest.mark.parametrize("metric", [br.NDCG(k=3), br.SpearmanMetric(), br.PairwiseAccuracy()],
                         ids=["ndcg", "spearman", "pairwise_accuracy"])
def test_metric_padded_2d_equals_flat(metric):
    rng = np.random.default_rng(15)
    Y = rng.integers(0, 4, (5, 6)).astype(float)
    S = rng.normal(size=(5, 6))
    M = rng.random((5, 6)) > 0.2
    flat = metric.per_group(Y.ravel(), S.ravel(), group=[6] * 5, where=M.ravel())
    assert_allclose(metric.per_group(Y, S, where=M), flat, rtol=1e-14)
    assert metric.score(Y, S, where=M) == pytest.approx(
        metric.score(Y.ravel(), S.ravel(), group=[6] * 5, where=M.ravel()), rel=1e-14)


def test_metric_padded_2d_with_list_weights():
    Y = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0]])
    S = np.array([[0.1, 0.5, 0.3], [0.3, 0.2, 0.9]])
    lw = np.array([1.0, 3.0])
    v = [ref.ndcg_group(S[i], Y[i]) for i in range(2)]
    expected = np.average(v, weights=lw)
    assert br.ndcg(Y, S, weight=lw) == pytest.approx(expected, rel=1e-12)


def test_metric_qid_equals_group():
    y, s, sizes, _ = _ranking_data(16)
    qid = np.repeat(np.arange(sizes.size)[::-1] * 3, sizes)
    for fn in (br.ndcg, br.spearman, br.pairwise_accuracy):
        assert fn(y, s, qid=qid) == fn(y, s, group=sizes)
    with pytest.raises(ValueError, match="`qid`"):
        br.ndcg([1.0, 0.0, 1.0], [0.1, 0.2, 0.3], qid=[1, 2, 1])
    with pytest.raises(ValueError, match="`group`"):
        br.ndcg([1.0, 0.0, 1.0], [0.1, 0.2, 0.3], group=[1, 1])
    with pytest.raises(ValueError, match="`y_pred`"):
        br.spearman([1.0, 0.0], [0.1, np.nan])
