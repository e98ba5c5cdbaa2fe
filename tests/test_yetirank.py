"""YetiRank beyond the registry tests: the documented draws and their distribution, pairs in the
noise-free limit, boosting rounds under the hosts, reproducible fits, thread counts, pickling.
"""

from __future__ import annotations

import copy
import math
import pickle

import lightgbm as lgb
import numba
import numpy as np
import pytest
import reference as ref
import xgboost as xgb
from conftest import make_data, yetirank_options
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

import boostrank as br
from boostrank._config import HESSIAN_FLOOR
from boostrank._kernels import yetirank as kernels
from boostrank.datasets import make_ranking


# --------------------------------------------------------------------------- the draws
def test_uniform_draws_are_the_documented_hash():
    for words in [(0, 0, 0, 0, 0), (7, 3, 12, 9, 40), (2**40, 1, 5, 2, 1)]:
        assert kernels.uniform_draw(*words) == ref.yetirank_uniform(*words)


def test_noise_is_standard_logistic():
    """Draws over positions, permutations, groups and rounds: uniform u, and log(u / (1 - u))
    distributed as a standard logistic variable (Kolmogorov-Smirnov, fixed seed)."""
    u = np.array([kernels.uniform_draw(3, rnd, group, perm, pos) for rnd in range(4)
                  for group in range(5) for perm in range(10) for pos in range(50)])
    assert 0.0 < u.min() and u.max() < 1.0
    assert np.unique(u).size == u.size
    assert stats.kstest(u, "uniform").pvalue > 0.01
    assert stats.kstest(np.log(u / (1.0 - u)), "logistic").pvalue > 0.01


# --------------------------------------------------------------------------- pairs
def test_two_rows_are_always_neighbours():
    """A pair of rows is the top pair of every ranking: W = w_hi |y_i - y_j| (decay^0) for
    classic weights, whatever the noise; |Delta NDCG| of swapping positions 1 and 2 for NDCG."""
    y, s, w = [3.0, 1.0], [0.2, 0.7], [1.5, 0.5]
    u = 0.2 - 0.7
    classic = br.YetiRank().loss(y, s, weight=w, reduction="sum")
    assert classic == pytest.approx(1.5 * 2.0 * math.log1p(math.exp(-u)), rel=1e-12)
    ndcg = br.YetiRank(weights="ndcg").loss(y, s, weight=w, reduction="sum")
    idcg = 7.0 + 1.0 / math.log2(3.0)
    swap = (7.0 - 1.0) * (1.0 - 1.0 / math.log2(3.0)) / idcg
    assert ndcg == pytest.approx(1.5 * swap * math.log1p(math.exp(-u)), rel=1e-12)


def test_far_apart_scores_give_the_score_ranking_neighbours():
    """Scores 100 apart: the noise (|eps| < 37) never reorders them, so each permutation's
    neighbours are those of the score ranking, with decay^k |dy| at position k."""
    y = np.array([0.0, 2.0, 1.0, 2.0, 0.0])
    s = np.array([400.0, 300.0, 200.0, 100.0, 0.0])  # the ranking is the row order
    decay = 0.8
    obj = br.YetiRank(decay=decay, hessian="logistic")
    expected = np.zeros(5)
    for k in range(4):
        a, b = k, k + 1
        if y[a] != y[b]:
            hi, lo = (a, b) if y[a] > y[b] else (b, a)
            expected[hi] += decay**k * abs(y[a] - y[b]) * ref.log1p_exp_neg(s[hi] - s[lo])
    assert_allclose(obj.loss(y, s, reduction="none"), expected, rtol=1e-12, atol=1e-300)


def test_seed_and_round_change_the_pairs():
    d = make_data(1)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    base = br.YetiRank().loss(d.y, d.s, reduction="none", **kw)
    other = br.YetiRank(seed=1).loss(d.y, d.s, reduction="none", **kw)
    assert not np.allclose(base, other)
    round_1 = ref.yetirank_rows(d.s, d.y, d.offsets, d.w, d.where,
                                **yetirank_options(br.YetiRank(), rnd=1))
    assert not np.allclose(base, round_1)


def test_results_do_not_depend_on_the_thread_count():
    d = make_data(2, sizes=(30, 1, 12, 25, 7, 40, 3, 18))
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        g1, h1 = br.yetirank.grad_hess(d.y, d.s, **kw)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        g2, h2 = br.yetirank.grad_hess(d.y, d.s, **kw)
    finally:
        numba.set_num_threads(before)
    assert_array_equal(g1, g2)
    assert_array_equal(h1, h2)


# --------------------------------------------------------------------------- rounds
def _host_ref(obj, d, s, rnd, offsets, host="lightgbm", w=None):
    """What a host receives at round ``rnd`` from a default YetiRank: the reference's pairs of
    that round; under ``xgb.train`` scaled per query, with the doubled Hessian."""
    g, h = ref.yetirank_grad_hess(s, d.y, offsets, d.w if w is None else w, None,
                                  hessian=obj.hessian, floor=False,
                                  **yetirank_options(obj, rnd))
    if host == "xgboost":
        return ref.query_group_scale(g, h, offsets, 2.0)
    return g, np.maximum(h, HESSIAN_FLOOR)


@pytest.mark.parametrize("host", ["xgboost", "lightgbm"])
def test_host_calls_draw_a_new_round_each_time(host):
    d = make_data(3, neg_frac=0.0, mask_frac=0.0, group_weights=True)
    gw = d.group_weights().astype(np.float32).astype(np.float64)  # the hosts store float32
    w = np.repeat(gw, d.sizes)

    def host_data():
        if host == "xgboost":
            return xgb.DMatrix(np.zeros((d.n, 1)), d.y, group=d.sizes, weight=gw)
        return lgb.Dataset(np.zeros((d.n, 1)), d.y, group=d.sizes, weight=w,
                           params={"verbose": -1}).construct()

    obj = br.YetiRank()
    data = host_data()
    rng = np.random.default_rng(0)
    for rnd in range(3):
        s = rng.normal(size=d.n).astype(np.float32).astype(np.float64)
        g, h = obj(s, data)
        eg, eh = _host_ref(obj, d, s, rnd, d.offsets, host, w)
        assert_allclose(g, eg, rtol=1e-10, atol=1e-14)
        assert_allclose(h, eh, rtol=1e-10)
    # all-equal predictions are the hosts' start: round 0 again
    s0 = np.full(d.n, 0.5)
    g, h = obj(s0, data)
    assert_allclose(g, _host_ref(obj, d, s0, 0, d.offsets, host, w)[0], rtol=1e-10,
                    atol=1e-14)
    # another data set counts its own rounds: its first call is round 0
    s = rng.normal(size=d.n).astype(np.float32).astype(np.float64)
    assert_allclose(obj(s, host_data())[0], _host_ref(obj, d, s, 0, d.offsets, host, w)[0],
                    rtol=1e-10, atol=1e-14)


def test_sklearn_calls_count_rounds_on_the_objective():
    d = make_data(4, neg_frac=0.0, mask_frac=0.0)
    obj = br.YetiRank(hessian="logistic")
    s = np.random.default_rng(1).normal(size=d.n)
    for rnd in range(2):
        g, _ = obj(d.y, s, d.w, d.sizes)  # LightGBM's sklearn convention
        assert_allclose(g, _host_ref(obj, d, s, rnd, d.offsets)[0], rtol=1e-10, atol=1e-14)


@pytest.fixture(scope="module")
def ranking():
    d = make_ranking(n_groups=60, group_size=(5, 25), seed=5)
    return d["X"], d["y"], d["group"]


def test_repeated_fits_are_identical_and_the_seed_matters(ranking):
    x, y, g = ranking
    obj = br.YetiRank()

    def fit_xgb(o):
        bst = xgb.train({"nthread": 1, "disable_default_eval_metric": 1},
                        xgb.DMatrix(x, y, group=g), 15, obj=o)
        return bst.predict(xgb.DMatrix(x), output_margin=True)

    def fit_lgb(o):
        return lgb.train({"objective": o, "verbose": -1, "num_threads": 1},
                         lgb.Dataset(x, y, group=g), 15).predict(x, raw_score=True)

    for fit in (fit_xgb, fit_lgb):
        first = fit(obj)
        assert_array_equal(fit(obj), first)  # the same object again: rounds restart at 0
        assert_array_equal(fit(pickle.loads(pickle.dumps(obj))), first)
        assert not np.allclose(fit(br.YetiRank(seed=3)), first)


def test_query_scale_makes_every_group_weigh_the_same():
    """group_scale="query" (the default's choice under xgb.train): each group with a pair hands
    the host Hessians that sum to 1 (times the Hessian factor), and its Newton step -g/h is
    unchanged."""
    d = make_data(6, neg_frac=0.0, mask_frac=0.0)
    s = np.random.default_rng(3).normal(size=d.n)
    obj = br.YetiRank(group_scale="query")
    g0, h0 = obj.grad_hess(d.y, s, group=d.sizes)
    g, h = obj(d.y, s, None, d.sizes)  # LightGBM's sklearn convention
    informative = 0
    for a, b in zip(d.offsets[:-1], d.offsets[1:], strict=True):
        if np.unique(d.y[a:b]).size < 2:  # no pair: grad_hess's arrays unchanged
            assert_array_equal(g[a:b], g0[a:b])
            continue
        informative += 1
        assert h[a:b].sum() == pytest.approx(1.0, rel=1e-5)  # floored rows add <= 1e-6 each
        big = h0[a:b] > 1e-3
        assert_allclose(g[a:b][big] / h[a:b][big], g0[a:b][big] / h0[a:b][big], rtol=1e-10)
    assert informative >= 3


def test_pickles_keep_the_options_but_not_the_round_count():
    d = make_data(5, neg_frac=0.0, mask_frac=0.0)
    obj = br.YetiRank(permutations=4, decay=0.9, weights="ndcg", seed=11)
    s = np.random.default_rng(2).normal(size=d.n)
    obj(d.y, s, d.w, d.sizes)  # one sklearn-style round
    clone = pickle.loads(pickle.dumps(obj))
    assert clone == obj and repr(clone) == repr(obj)
    assert_array_equal(clone(d.y, s, d.w, d.sizes)[0], copy.deepcopy(clone)(d.y, s, d.w,
                                                                             d.sizes)[0])
    assert_array_equal(clone.grad_hess(d.y, s, group=d.sizes)[0],
                       obj.grad_hess(d.y, s, group=d.sizes)[0])


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"permutations": 0}, "`permutations`"), ({"permutations": 2.5}, "`permutations`"),
     ({"decay": 0.0}, "`decay`"), ({"decay": 1.5}, "`decay`"), ({"weights": "dcg"}, "`weights`"),
     ({"hessian": "exact"}, "`hessian`"), ({"seed": -1}, "`seed`"),
     ({"group_scale": "groups"}, "`group_scale`"), ({"device": "tpu"}, "`device`"),
     ({"permutations": True}, "`permutations`"), ({"permutations": float("nan")},
                                                   "`permutations`"),
     ({"seed": 1.5}, "`seed`"), ({"seed": "1"}, "`seed`"), ({"seed": False}, "`seed`"),
     ({"seed": 2**64}, "`seed`"), ({"permutations": 2**63}, "`permutations`")],
)
def test_invalid_options_raise(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        br.YetiRank(**kwargs)


def test_ndcg_weights_refuse_huge_labels():
    with pytest.raises(ValueError, match="`y_true`"):
        br.YetiRank(weights="ndcg").loss([40.0, 0.0], [0.1, 0.2])
