"""The vectorisable exponential (``_math.exp_inplace``) against ``np.exp``, and the kernels
that use it (RPS, softmax ranking) against slow float64 references on margins that exercise
its range reduction (spreads of hundreds, the underflow edge, +-1e30)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as ref
from numpy.testing import assert_allclose

import boostrank as br
from boostrank._kernels._math import exp_inplace

EDGES = np.array([
    0.0, -0.0, 1e-300, -1e-300, 5e-324, 1.0, -1.0, 0.5 * math.log(2), -0.5 * math.log(2),
    math.log(2), 1.0 - 1e-16, 100.0, -100.0, 700.0, -700.0, 709.0, 709.78, 709.7827128933840,
    709.79, 710.0, 711.0, 1e30, np.inf, -708.39, -708.40, -720.0, -744.44, -745.13,
    -745.1332191019411, -745.14, -746.0, -1000.0, -1e30, -np.inf,
])


def _exp(x: np.ndarray) -> np.ndarray:
    out = np.array(x, dtype=np.float64)  # a writable copy
    exp_inplace(out)
    return out


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(want)


@pytest.mark.parametrize("lo, hi", [(-0.35, 0.35), (-5.0, 5.0), (-60.0, 60.0), (-700.0, 709.7),
                                    (-708.3, -600.0), (600.0, 709.78)])
def test_exp_within_one_ulp_of_numpy(lo: float, hi: float) -> None:
    x = np.random.default_rng(int(abs(hi))).uniform(lo, hi, 200_003)
    got, want = _exp(x), np.exp(x)
    assert _ulps(got, want).max() <= 1.0


def test_exp_subnormal_results_within_one_subnormal_step() -> None:
    x = np.random.default_rng(1).uniform(-745.2, -708.3, 100_000)
    got, want = _exp(x), np.exp(x)
    assert np.abs(got - want).max() <= np.spacing(0.0) * (1 + 1e-9) + np.spacing(want).max()


def test_exp_edges_match_numpy() -> None:
    with np.errstate(over="ignore"):
        want = np.exp(EDGES)
    got = _exp(EDGES)
    same_class = (np.isinf(got) == np.isinf(want)) & ((got == 0) == (want == 0))
    assert same_class.all(), EDGES[~same_class]
    normal = np.isfinite(want) & (want >= np.finfo(float).tiny)
    assert _ulps(got[normal], want[normal]).max() <= 1.0
    assert np.abs(got[~normal & np.isfinite(want)] - want[~normal & np.isfinite(want)]).max() \
        <= np.spacing(0.0)
    assert np.isnan(_exp(np.array([np.nan, -np.nan]))).all()
    assert np.all(_exp(np.array([1e300, -1e300])) == [np.inf, 0.0])


def test_exp_odd_lengths() -> None:
    for n in (0, 1, 7, 8, 9, 63, 65):
        x = np.linspace(-30.0, 30.0, n)
        assert _ulps(_exp(x), np.exp(x)).max(initial=0.0) <= 1.0


def _rps_grad_reference(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """dl/dz_c = 2 w sum_k e_k dP_k/dz_c, dP_k/dz_c = p_c ([c <= k] - P_k), row by row."""
    n, k_cls = z.shape
    g = np.zeros((n, k_cls))
    for i in range(n):
        p = ref.softmax_row(list(z[i]))
        cum = np.cumsum(p)
        e = [cum[k] - (1.0 if k >= y[i] else 0.0) for k in range(k_cls - 1)]
        for c in range(k_cls):
            g[i, c] = 2.0 * w[i] * sum(e[k] * p[c] * ((1.0 if c <= k else 0.0) - cum[k])
                                       for k in range(k_cls - 1))
    return g


@pytest.mark.parametrize("spread", [1.0, 30.0, 400.0, 1e30])
def test_rps_kernel_against_reference(spread: float) -> None:
    rng = np.random.default_rng(int(min(spread, 1e6)))
    n, k_cls = 300, 7  # not a multiple of the kernel's block of rows
    z = rng.normal(size=(n, k_cls)) * spread
    z[::11] = 0.0  # all-equal margins
    z[5::13, 3] = z[5::13].max(axis=1) - 745.0  # one class near the underflow edge
    y = rng.integers(0, k_cls, n).astype(np.float64)
    w = rng.random(n)
    grad, hess = br.RankedProbabilityScore(hessian="gauss_newton").grad_hess(y, z, weight=w)
    g_ref = _rps_grad_reference(z, y, w)
    h_ref = ref.rps_hess_gauss_newton(z, y, w)
    # the default Hessian, the Gershgorin bound, from the same kernel pass
    assert_allclose(br.rps.grad_hess(y, z, weight=w)[1], ref.rps_hess_gershgorin(z, y, w),
                    rtol=1e-11)
    # the gradient 2 w p_c (E_c - S) is a difference of terms up to K - 1 in size: rounding
    # of order eps (K - 1) 2 w p_c, whatever the row's exponentials
    p = np.array([ref.softmax_row(list(row)) for row in z])
    bound = 1e-13 * 2.0 * w[:, None] * p * (k_cls - 1) + 1e-300
    assert np.all(np.abs(grad - g_ref) <= bound), np.max(np.abs(grad - g_ref) / bound)
    assert_allclose(grad, g_ref, rtol=1e-9, atol=1e-14 * np.abs(g_ref).max())
    assert_allclose(hess, h_ref, rtol=1e-11)
    assert_allclose(br.rps.loss(y, z, weight=w, reduction="none"), ref.rps_rows(z, y, w),
                    rtol=1e-12, atol=1e-15)


def _softmax_grad_reference(s, y, sizes, w, where):
    """A p_k - w_k y_k per group over its valid rows (0 elsewhere and in groups with A = 0)."""
    g = np.zeros(s.size)
    start = 0
    for m in sizes:
        rows = [i for i in range(start, start + m) if where[i] and y[i] >= 0]
        total = sum(w[i] * y[i] for i in rows)
        if rows and total != 0:
            mx = max(s[i] for i in rows)
            e = {i: math.exp(s[i] - mx) for i in rows}
            acc = math.fsum(e.values())
            for i in rows:
                g[i] = total * e[i] / acc - w[i] * y[i]
        start += m
    return g


@pytest.mark.parametrize("spread", [1.0, 30.0, 400.0, 1e30])
def test_softmax_kernel_against_reference(spread: float) -> None:
    rng = np.random.default_rng(int(min(spread, 1e6)) + 7)
    sizes = rng.integers(1, 40, 60)
    n = int(sizes.sum())
    s = rng.normal(size=n) * spread
    y = rng.integers(-1, 4, n).astype(np.float64)
    w = rng.random(n)
    where = rng.random(n) > 0.1
    grad, hess = br.softmax_ranking.grad_hess(y, s, group=sizes, weight=w, where=where)
    g_ref = _softmax_grad_reference(s, y, sizes, w, where)
    # A p_k - a_k: rounding of order eps (A + |a_k|)
    total = np.repeat(np.add.reduceat(np.where(where & (y >= 0), w * y, 0.0),
                                      np.r_[0, np.cumsum(sizes)[:-1]]), sizes)
    assert np.all(np.abs(grad - g_ref) <= 1e-14 * (total + np.abs(w * y)) + 1e-300)
    offsets = np.r_[0, np.cumsum(sizes)]
    h_ref = ref.softmax_hess(s, y, offsets, w, where)
    # A p (1 - p): 1 - p keeps only p's absolute accuracy when p ~ 1, and the reference's p =
    # exp(s - logsumexp) carries the rounding of logsumexp, ~eps |s|: compare on that scale
    big = np.repeat(np.maximum.reduceat(np.abs(s), offsets[:-1]), sizes)
    bad = np.abs(hess - h_ref) > 1e-14 * total * (1.0 + np.minimum(big, 1e3)) + 1e-300
    assert not bad.any(), (hess[bad], h_ref[bad], total[bad])
    assert_allclose(br.softmax_ranking.loss(y, s, group=sizes, weight=w, where=where,
                                            reduction="none"),
                    ref.softmax_groups(s, y, offsets, w, where), rtol=1e-12, atol=1e-300)
