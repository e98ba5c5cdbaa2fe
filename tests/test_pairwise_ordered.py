"""The label-ordered pairwise kernel against the row-order kernel and the float64 reference."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import reference as ref
from numpy.testing import assert_allclose, assert_array_equal

import boostrank as br
from boostrank._kernels import pairwise as pw

KINDS = [  # (loss_kind, hess_kind, reference kind, reference hessian)
    (pw.LOGISTIC, pw.HESS_LOGISTIC_CURVATURE, "logistic", "logistic"),
    (pw.SOFT_ZERO_ONE, pw.HESS_LOGISTIC_CURVATURE, "soft_zero_one", "logistic"),
    (pw.SOFT_ZERO_ONE, pw.HESS_EXACT_CLIPPED, "soft_zero_one", "exact"),
]


def _case(seed: int, sizes: list[int], scores: str = "normal", grades: int = 5):
    rng = np.random.default_rng(seed)
    n = int(sum(sizes))
    y = rng.integers(0, grades, n).astype(np.float64)
    y[rng.random(n) < 0.05] = -1.0  # ignored rows
    s = {"normal": rng.normal(size=n), "tied": np.round(rng.normal(size=n)),
         "equal": np.full(n, 0.5), "wide": rng.normal(size=n) * 1e4}[scores]
    w = rng.random(n) + 0.5
    valid = (rng.random(n) > 0.1) & (y >= 0)
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    return s, y, w, valid, offsets


def _both(s, y, w, valid, offsets, temperature, loss_kind, use_ndcg, k, hess_kind):
    n = s.size
    args = (s, y, w, valid, offsets, temperature, loss_kind, use_ndcg, k, hess_kind)
    g0, h0, g1, h1 = (np.full(n, np.nan) for _ in range(4))
    pw.pairwise_grad_hess(*args, g0, h0, numba.get_num_threads())
    order = pw.pairwise_label_order(y, valid, offsets)
    pw.pairwise_grad_hess_ordered(*args, g1, h1, numba.get_num_threads(), *order)
    return g0, h0, g1, h1


SIZES = {
    "small": [1, 2, 3, 7, 30, 100, 5, 64],
    "large": [250, 3, 400],  # score ranks by sorting (more than COUNT_RANKS_MAX rows)
}


@pytest.mark.parametrize("kinds", KINDS, ids=[k[2] + "-" + k[3] for k in KINDS])
@pytest.mark.parametrize("use_ndcg,k", [(False, 0), (True, 0), (True, 3)])
@pytest.mark.parametrize("scores", ["normal", "tied", "equal", "wide"])
@pytest.mark.parametrize("sizes", list(SIZES), ids=list(SIZES))
def test_ordered_kernel_matches_row_kernel(kinds, use_ndcg, k, scores, sizes):
    loss_kind, hess_kind, _, _ = kinds
    temperature = 0.7
    data = _case(3, SIZES[sizes], scores)
    g0, h0, g1, h1 = _both(*data, temperature, loss_kind, use_ndcg, k, hess_kind)
    scale = max(np.abs(g0).max(), 1e-300)
    assert_allclose(g1, g0, rtol=1e-12, atol=1e-13 * scale)
    assert_allclose(h1, h0, rtol=1e-9, atol=1e-13 * max(h0.max(), 1.0))
    assert np.all(h1 >= br._config.HESSIAN_FLOOR) and np.all(np.isfinite(g1))


@pytest.mark.parametrize("kinds", KINDS, ids=[k[2] + "-" + k[3] for k in KINDS])
@pytest.mark.parametrize("use_ndcg,k", [(False, 0), (True, 0), (True, 2)])
def test_ordered_kernel_hessian_matches_reference(kinds, use_ndcg, k):
    loss_kind, hess_kind, ref_kind, ref_hessian = kinds
    s, y, w, valid, offsets = _case(5, [1, 4, 9, 17, 2, 12], "tied")
    _, _, _, h1 = _both(s, y, w, valid, offsets, 1.5, loss_kind, use_ndcg, k, hess_kind)
    expected = ref.pairwise_hess(s, y, offsets, w, valid, kind=ref_kind, temperature=1.5,
                                 ndcg=use_ndcg, k=k or None, hessian=ref_hessian)
    assert_allclose(h1, expected, rtol=1e-10)


def test_label_order_layout():
    y = np.array([1.0, 3.0, 1.0, 0.0, 3.0, 2.0, 5.0, 5.0])
    valid = np.array([True, True, True, True, False, True, True, True])
    offsets = np.array([0, 6, 6, 8], dtype=np.int64)  # an empty group in the middle
    order, order_offsets, lower_start = pw.pairwise_label_order(y, valid, offsets)
    assert_array_equal(order_offsets, [0, 5, 5, 7])
    assert_array_equal(order, [1, 5, 0, 2, 3, 6, 7])  # by label, ties in row order
    assert_array_equal(lower_start, [1, 2, 4, 4, 5, 7, 7])


def test_objective_reuses_label_order_per_data_set():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300).astype(np.float64)
    sizes = [100, 150, 50]
    obj = br.PairwiseLogistic()
    obj.grad_hess(y, rng.normal(size=300), group=sizes)
    first = obj._order_cache[3]
    obj.grad_hess(y.copy(), rng.normal(size=300), group=sizes)  # equal labels: reused
    assert obj._order_cache[3] is first
    y2 = y.copy()
    y2[0] = 3.0 - y2[0]
    s = rng.normal(size=300)
    g, _ = obj.grad_hess(y2, s, group=sizes)  # new labels: a new order, right gradient
    assert obj._order_cache[3] is not first
    assert_allclose(g, br.PairwiseLogistic().grad_hess(y2, s, group=sizes)[0], rtol=1e-12)
