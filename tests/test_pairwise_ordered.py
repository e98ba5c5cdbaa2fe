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
    pw.pairwise_grad_hess_ordered(*args, g1, h1, numba.get_num_threads(), *order, 0, 0, 0,
                                  False, 1.0)
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


@pytest.mark.parametrize("group_scale,hess_factor", [(True, 1.0), (True, 2.0), (False, 2.0),
                                                      (False, 0.25)])
@pytest.mark.parametrize("scores", ["normal", "equal", "wide"])
@pytest.mark.parametrize("use_ndcg,truncation,pairs_per_row",
                         [(False, 0, 0), (True, 0, 0), (True, 5, 0), (False, 0, 3)])
def test_host_scaling_in_kernel_matches_separate_pass(group_scale, hess_factor, scores,
                                                      use_ndcg, truncation, pairs_per_row):
    """The kernel's fused host scaling against the unscaled kernel followed by the separate
    passes (what the CUDA twin runs), bit for bit: groups with ignored rows, an empty group,
    a group with no valid row, a group of equal labels (zero gradient, so no group scale),
    every pair set, and the scalar path for wide score spans."""
    sizes = [1, 4, 9, 0, 17, 3, 12, 30]
    s, y, w, valid, offsets = _case(7, sizes, scores)
    valid[offsets[5]:offsets[6]] = False  # no valid row
    y[offsets[6]:offsets[7]] = 2.0  # equal labels
    from boostrank._kernels import scaling

    n = s.size
    for loss_kind, hess_kind, _, _ in KINDS:
        args = (s, y, w, valid, offsets, 0.8, loss_kind, use_ndcg, 0, hess_kind)
        order = pw.pairwise_label_order(y, valid, offsets)
        subsets = (truncation, pairs_per_row, 5)
        g0, h0, g1, h1 = (np.full(n, np.nan) for _ in range(4))
        pw.pairwise_grad_hess_ordered(*args, g0, h0, 2, *order, *subsets, False, 1.0)
        if group_scale:
            scaling.lambdarank_scale_inplace(g0, h0, offsets, hess_factor)
        else:
            scaling.scale_floor_inplace(h0, hess_factor, br._config.HESSIAN_FLOOR)
        pw.pairwise_grad_hess_ordered(*args, g1, h1, 2, *order, *subsets, group_scale,
                                      hess_factor)
        assert_array_equal(g1, g0)
        assert_array_equal(h1, h0)
        assert np.all(h1 >= br._config.HESSIAN_FLOOR)


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


# --------------------------------------------------------------------------- pair subsets
def _ref_grad_hess(s, y, w, valid, offsets, *, kind, temperature=1.0, ndcg=False, k=None,
                   truncation=None):
    """Float64 reference: the pairs of ``reference._pairs``, kept when one of the two rows is
    among its group's top ``truncation`` by score (ties by row order)."""
    n = s.size
    grad = np.zeros(n)
    hess = np.zeros(n)
    top = np.zeros(n, dtype=bool)
    for start, end in ref.group_ranges(offsets):
        rows = ref.valid_rows(y, valid, start, end, ignore_negative=True)
        by_score = sorted(rows, key=lambda i: (-s[i], i))
        top[by_score[:truncation]] = True
    for i, j, c, u in ref._pairs(s, y, offsets, w, valid, temperature, ndcg, k):
        if truncation is not None and not (top[i] or top[j]):
            continue
        sp, sn = ref.sigmoid(u), ref.sigmoid(-u)
        d1 = sn if kind == "logistic" else sp * sn
        grad[i] -= c * d1 / temperature
        grad[j] += c * d1 / temperature
        hess[i] += c * sp * sn / temperature**2
        hess[j] += c * sp * sn / temperature**2
    return grad, np.maximum(hess, br._config.HESSIAN_FLOOR)


@pytest.mark.parametrize("cls,kind", [(br.PairwiseLogistic, "logistic"),
                                      (br.PairwiseSoftZeroOne, "soft_zero_one")])
@pytest.mark.parametrize("ndcg", [False, True])
@pytest.mark.parametrize("level", [1, 3, 10, 1000])
@pytest.mark.parametrize("scores", ["normal", "tied"])
def test_truncation_level_matches_reference(cls, kind, ndcg, level, scores):
    s, y, w, valid, offsets = _case(11, [1, 5, 12, 30, 2, 250], scores)
    obj = cls(lambda_weight="ndcg" if ndcg else None, truncation_level=level, temperature=0.8)
    kw = {"group": np.diff(offsets), "weight": w, "where": valid}
    grad, hess = obj.grad_hess(y, s, **kw)
    eg, eh = _ref_grad_hess(s, y, w, valid, offsets, kind=kind, temperature=0.8, ndcg=ndcg,
                            truncation=level)
    assert_allclose(grad, eg, rtol=1e-10, atol=1e-12 * np.abs(eg).max())
    assert_allclose(hess, eh, rtol=1e-10)
    # the loss is that of the same pairs: its gradient (ranks and lambda weights held fixed)
    rows = ref.pairwise_rows(s, y, offsets, w, valid, kind=kind, temperature=0.8, ndcg=ndcg)
    total = obj.loss(y, s, reduction="sum", **kw)
    if level >= 250:  # every group fully inside the top level: all pairs
        assert total == pytest.approx(rows.sum(), rel=1e-12)
        full = cls(lambda_weight="ndcg" if ndcg else None, temperature=0.8).grad_hess(y, s, **kw)
        assert_allclose(grad, full[0], rtol=1e-10, atol=1e-12 * np.abs(eg).max())
    else:
        assert total < rows.sum()


def test_truncated_loss_gradient_by_finite_differences():
    rng = np.random.default_rng(2)
    sizes = [40, 25]
    y = rng.integers(0, 4, 65).astype(np.float64)
    s = rng.normal(size=65)
    obj = br.PairwiseLogistic(truncation_level=5)
    grad, _ = obj.grad_hess(y, s, group=sizes)
    eps = 1e-6
    for i in range(0, 65, 7):
        up, dn = s.copy(), s.copy()
        up[i] += eps
        dn[i] -= eps
        num = (obj.loss(y, up, group=sizes, reduction="sum")
               - obj.loss(y, dn, group=sizes, reduction="sum")) / (2 * eps)
        assert num == pytest.approx(grad[i], rel=1e-6, abs=1e-8)


def test_pair_sampling_is_unbiased_and_reproducible():
    s, y, w, valid, offsets = _case(13, [3, 12, 20, 7], "normal")
    kw = {"group": np.diff(offsets), "weight": w, "where": valid}
    full_g, full_h = br.PairwiseLogistic().grad_hess(y, s, **kw)
    obj = br.PairwiseLogistic(pairs_per_row=4, seed=3)
    draws = [obj.grad_hess(y, s, **kw) for _ in range(400)]
    again = br.PairwiseLogistic(pairs_per_row=4, seed=3).grad_hess(y, s, **kw)
    assert_array_equal(again[0], draws[0][0])  # same seed, same call: same pairs
    assert not np.array_equal(draws[0][0], draws[1][0])  # each call draws new pairs
    mean_g = np.mean([d[0] for d in draws], axis=0)
    mean_h = np.mean([np.where(d[1] > br._config.HESSIAN_FLOOR, d[1], 0.0) for d in draws],
                     axis=0)
    scale = np.abs(full_g).max()
    assert np.abs(mean_g - full_g).max() < 0.05 * scale
    h_ref = np.where(full_h > br._config.HESSIAN_FLOOR, full_h, 0.0)
    assert np.abs(mean_h - h_ref).max() < 0.05 * h_ref.max()
    assert np.all(draws[0][1] >= br._config.HESSIAN_FLOOR)
    # invalid rows still get nothing
    assert np.all(draws[0][0][~valid] == 0.0)


def test_pair_draws_are_uniform():
    counts = np.bincount([pw.pair_draw(7, 123, t, 5) for t in range(20_000)], minlength=5)
    assert counts.min() > 3_700 and counts.max() < 4_300


def test_pair_subset_options_validated():
    for kw in ({"truncation_level": 0}, {"pairs_per_row": -1}, {"pairs_per_row": 2.5},
               {"truncation_level": 3, "pairs_per_row": 2}, {"seed": -1}):
        with pytest.raises(ValueError):
            br.PairwiseLogistic(**kw)


@pytest.mark.parametrize("span", [10.0, 349.0, 351.0, 699.0, 701.0, 745.5, 1500.0])
@pytest.mark.parametrize("kinds", KINDS, ids=[k[2] + "-" + k[3] for k in KINDS])
@pytest.mark.parametrize("use_ndcg", [False, True])
def test_ordered_kernel_finite_at_extreme_spans(span, kinds, use_ndcg):
    """Products such as 1/(E_a + E_j)^2 (reassociated) must not overflow into inf * 0."""
    loss_kind, hess_kind, _, _ = kinds
    rng = np.random.default_rng(int(span))
    y = rng.integers(0, 3, 40).astype(np.float64)
    s = rng.uniform(-span / 2, span / 2, 40)
    s[:2] = (-span / 2, span / 2)
    args = (s, y, np.ones(40), np.ones(40, dtype=bool), np.array([0, 3, 40], dtype=np.int64))
    g0, h0, g1, h1 = _both(*args, 1.0, loss_kind, use_ndcg, 0, hess_kind)
    assert np.all(np.isfinite(g1)) and np.all(np.isfinite(h1))
    assert_allclose(g1, g0, rtol=1e-12, atol=1e-13 * max(np.abs(g0).max(), 1e-300))
    assert_allclose(h1, h0, rtol=1e-9)


@pytest.mark.parametrize("obj", [br.PairwiseLogistic(),
                                 br.PairwiseSoftZeroOne(lambda_weight="ndcg"),
                                 br.PairwiseLogistic(truncation_level=2)], ids=repr)
def test_equal_scores_near_the_float64_maximum(obj):
    """A group's centre for the per-row exponentials is taken half by half: 0.5 * (hi + lo)
    overflowed to inf for scores above ~9e307 and gave NaN gradients.  Equal scores give the
    same arrays wherever they sit."""
    y = np.array([0.0, 1.0, 2.0, 1.0, 3.0])
    for big in (1.5e308, -1.7e308, np.finfo(np.float64).max):
        g, h = obj.grad_hess(y, np.full(5, big), group=[3, 2])
        g0, h0 = obj.grad_hess(y, np.zeros(5), group=[3, 2])
        assert_array_equal(g, g0)
        assert_array_equal(h, h0)
