"""The windowed soft Spearman (``method="windowed"``) against the exact O(n^2) kernel and the
float64 loop reference: the same loss, evaluated sub-quadratically.

Documented tolerance: loss and Hessian within rtol 1e-9, gradient within 1e-9 of the largest
|gradient| (plus 1e-15: a group whose pairs are all saturated has gradients made only of tail
terms below e^-37.5, ~1e-41 here, which the windowed method drops and the exact one keeps)."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import reference as ref
from numpy.testing import assert_allclose, assert_array_equal

import boostrank as br
from boostrank._config import HESSIAN_FLOOR
from boostrank._kernels import spearman as sp

HESSIANS = ["gauss_newton", "pair_magnitude"]
RTOL = 1e-9


def _pair(tau: float, hessian: str, cls: Any = br.SoftSpearman) -> tuple[Any, Any]:
    return (cls(regularization_strength=tau, hessian=hessian, method="exact"),
            cls(regularization_strength=tau, hessian=hessian, method="windowed"))


def _assert_agree(y, s, tau, hessian, cls: Any = br.SoftSpearman, **kw: Any) -> None:
    exact, win = _pair(tau, hessian, cls)
    ge, he = exact.grad_hess(y, s, **kw)
    gw, hw = win.grad_hess(y, s, **kw)
    scale = max(float(np.abs(ge).max()), 1e-300)
    assert_allclose(gw, ge, rtol=RTOL, atol=RTOL * scale + 1e-15)
    assert_allclose(hw, he, rtol=RTOL, atol=1e-3 * HESSIAN_FLOOR)
    assert_allclose(win.loss(y, s, reduction="none", **kw),
                    exact.loss(y, s, reduction="none", **kw), rtol=RTOL, atol=1e-15)


def _grouped(seed: int, sizes: tuple[int, ...], spread: float, *, ties: bool = False,
             label_grades: int | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    s = rng.normal(size=n) * spread
    if ties:  # few distinct values, as a tree ensemble's early rounds give
        s = np.round(s / spread * 3) * spread / 3
    y = rng.random(n) if label_grades is None else rng.integers(0, label_grades, n) * 1.0
    return {"y": y, "s": s, "group": np.asarray(sizes), "weight": rng.uniform(0.2, 3.0, n),
            "where": rng.random(n) > 0.15}


CASES = {
    # scores spread over ~tau: nearly every pair inside the window
    "dense": dict(sizes=(1, 2, 40, 300, 7), spread=1e-3),
    "spread": dict(sizes=(1, 2, 40, 300, 7), spread=1.0),
    "ties-and-grades": dict(sizes=(3, 50, 400), spread=5e-3, ties=True, label_grades=5),
    "huge-spread": dict(sizes=(60, 200), spread=1e6),
    # spread 1e-4 tau: every pair in the window.  (Far below that the problem itself is
    # ill-conditioned: centred soft ranks are ~spread/tau of r, and rounding of r, ~eps, then
    # decides eps tau / spread of the result in either method.)
    "tiny-spread": dict(sizes=(60, 200), spread=1e-7),
}


@pytest.mark.parametrize("hessian", HESSIANS)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("masked", [False, True], ids=["plain", "weighted-masked"])
def test_windowed_matches_exact_kernel(case, hessian, masked):
    d = _grouped(3, **CASES[case])
    kw: dict[str, Any] = {"group": d["group"]}
    if masked:
        kw.update(weight=d["weight"], where=d["where"])
    _assert_agree(d["y"], d["s"], 1e-3, hessian, **kw)


@pytest.mark.parametrize("hessian", HESSIANS)
@pytest.mark.parametrize("tau", [1e-3, 0.3])
def test_windowed_matches_float64_reference(hessian, tau):
    d = _grouped(4, (1, 5, 33, 80), 0.05, ties=True, label_grades=4)
    kw = {"group": d["group"], "weight": np.repeat([0.5, 1.0, 2.0, 1.5], d["group"]),
          "where": d["where"]}
    obj = br.SoftSpearman(regularization_strength=tau, hessian=hessian, method="windowed")
    offsets = np.r_[0, np.cumsum(d["group"])]
    w = kw["weight"]
    assert_allclose(obj.loss(d["y"], d["s"], reduction="none", **kw),
                    ref.soft_spearman_groups(d["s"], d["y"], offsets, w, d["where"], tau=tau),
                    rtol=RTOL, atol=1e-14)
    _, hess = obj.grad_hess(d["y"], d["s"], **kw)
    assert_allclose(hess, ref.soft_spearman_hess(d["s"], d["y"], offsets, w, d["where"],
                                                 tau=tau, hessian=hessian), rtol=RTOL)


@pytest.mark.parametrize("hessian", HESSIANS)
def test_windowed_gradient_finite_differences_with_ties(hessian):
    # ties in scores and labels: the block formulas (sigma' = 1/4 inside a block) are used
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 40) * 1.0
    s = np.round(rng.normal(size=40), 1) * 0.2
    obj = br.SoftSpearman(regularization_strength=0.1, hessian=hessian, method="windowed")
    grad, _ = obj.grad_hess(y, s, group=[25, 15])
    h = 1e-6
    fd = np.empty(s.size)
    for k in range(s.size):
        sp_, sm = s.copy(), s.copy()
        sp_[k] += h
        sm[k] -= h
        fd[k] = (obj.loss(y, sp_, group=[25, 15], reduction="sum")
                 - obj.loss(y, sm, group=[25, 15], reduction="sum")) / (2 * h)
    assert np.abs(fd).max() > 1e-3
    assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_large_group_matches_exact():
    # one era-sized group, continuous labels, scores of a realistic model
    rng = np.random.default_rng(6)
    y = rng.random(3000)
    s = y + 0.1 * rng.normal(size=3000)
    for hessian in HESSIANS:
        _assert_agree(y, s, 1e-3, hessian)


def test_combined_loss_windowed_matches_exact():
    d = _grouped(7, (20, 150), 0.01, ties=True)
    _assert_agree(d["y"], d["s"], 1e-3, "gauss_newton", cls=br.CombinedLoss,
                  group=d["group"], weight=d["weight"], where=d["where"])


@pytest.mark.parametrize("hessian", HESSIANS)
def test_all_equal_scores(hessian):
    # round 0 of boosting: one block of ties, closed forms, no pair loop
    rng = np.random.default_rng(8)
    y = rng.random(500)
    s = np.full(500, 0.5)
    _assert_agree(y, s, 1e-3, hessian, group=[200, 300])
    grad, _ = br.SoftSpearman(method="windowed", hessian=hessian).grad_hess(y, s,
                                                                            group=[200, 300])
    # the gradient points along the label ranks: rows with larger labels move up
    for a, b in ((0, 200), (200, 500)):
        corr = np.corrcoef(-grad[a:b], y[a:b])[0, 1]
        assert corr > 0.99


@pytest.mark.parametrize("hessian", HESSIANS)
def test_degenerate_groups(hessian):
    obj = br.SoftSpearman(method="windowed", hessian=hessian)
    # groups of one row, a group with no valid row, constant labels
    y = np.array([0.3, 0.1, 0.2, 0.9, 1.0, 1.0, 1.0, 0.5])
    s = np.array([0.0, 1.0, 2.0, 0.1, 0.2, 0.3, 0.4, 0.7])
    where = np.array([True, False, False, True, True, True, True, True])
    group = [1, 2, 4, 1]
    grad, hess = obj.grad_hess(y, s, group=group, where=where)
    assert_array_equal(grad[[0, 1, 2, 7]], 0.0)
    assert_array_equal(hess[[0, 1, 2, 7]], HESSIAN_FLOOR)
    _assert_agree(y, s, 1e-3, hessian, group=group, where=where)
    parts = obj.loss(y, s, group=group, where=where, reduction="none")
    assert np.isfinite(parts).all()


def test_signed_zero_is_one_tie():
    s = np.array([0.0, -0.0, 0.0, -0.0, 1e-3, -1e-3] * 5)
    y = np.arange(s.size) % 7 * 1.0
    for hessian in HESSIANS:
        _assert_agree(y, s, 1e-3, hessian)


def test_extreme_strengths():
    rng = np.random.default_rng(9)
    y = rng.random(120)
    s = rng.normal(size=120)
    for tau in (1e-250, 1e250):  # no pair inside the window / every pair inside it
        _assert_agree(y, s, tau, "gauss_newton")


def test_auto_uses_windowed_only_above_the_threshold():
    rng = np.random.default_rng(10)
    m = sp.AUTO_MIN_ROWS
    y = rng.random(3 * m + 1)
    s = rng.normal(size=3 * m + 1) * 1e-3
    group = [m, 2 * m + 1]
    # the dispatch rule itself
    assert [sp._use_window(sp.METHOD_AUTO, rows) for rows in (1, m, m + 1)] == [False, False,
                                                                               True]
    assert sp._use_window(sp.METHOD_WINDOWED, 1) and not sp._use_window(sp.METHOD_EXACT, 10**6)
    # and what each group gets: the two methods agree to ~1e-14 and fast-math code may differ
    # by an ulp between compilations, so compare to a tolerance rather than bit for bit
    auto = br.SoftSpearman().grad_hess(y, s, group=group)
    exact = br.SoftSpearman(method="exact").grad_hess(y, s, group=group)
    win = br.SoftSpearman(method="windowed").grad_hess(y, s, group=group)
    for got, e, w in zip(auto, exact, win, strict=True):
        assert_allclose(got[:m], e[:m], rtol=1e-12)
        assert_allclose(got[m:], w[m:], rtol=1e-12)


def test_radix_argsort_is_a_stable_sort():
    rng = np.random.default_rng(11)
    v = np.concatenate([rng.normal(size=300) * 10.0 ** rng.integers(-300, 300, 300),
                        [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 1.0, 1.0, 1.0],
                        np.round(rng.normal(size=200), 1)])
    order = sp.radix_argsort(v)
    assert_array_equal(np.sort(order), np.arange(v.size))
    assert (np.diff(v[order]) >= 0).all()
    # stable among equal values, -0.0 and 0.0 included (the order of np.argsort's stable sort)
    assert_array_equal(order, np.argsort(v, kind="stable"))
    assert sp.radix_argsort(np.empty(0)).size == 0


def test_label_rank_cache_sees_changed_labels():
    rng = np.random.default_rng(12)
    y = rng.random(200)
    s = rng.normal(size=200)
    obj = br.SoftSpearman(method="windowed")
    g0, _ = obj.grad_hess(y, s, group=[80, 120])
    y[5] = 7.0  # in place: the cache compares contents, not identity
    g1, _ = obj.grad_hess(y, s, group=[80, 120])
    assert_allclose(g1, br.SoftSpearman(method="windowed").grad_hess(y, s, group=[80, 120])[0],
                    rtol=0, atol=0)
    assert not np.allclose(g0, g1)
    # other mask / groups / tau: not the cached ranks either
    where = np.ones(200, dtype=bool)
    where[:10] = False
    assert_array_equal(obj.grad_hess(y, s, group=[80, 120], where=where)[0],
                       br.SoftSpearman(method="windowed").grad_hess(y, s, group=[80, 120],
                                                                    where=where)[0])
    assert_array_equal(obj.grad_hess(y, s, group=[100, 100])[0],
                       br.SoftSpearman(method="windowed").grad_hess(y, s, group=[100, 100])[0])


def test_method_option_validation_equality_and_pickling():
    with pytest.raises(ValueError, match="`method`"):
        br.SoftSpearman(method="fast")
    with pytest.raises(ValueError, match="`method`"):
        br.CombinedLoss(method=None)  # type: ignore[arg-type]
    assert br.SoftSpearman().method == "auto"
    assert br.SoftSpearman(method="windowed") != br.SoftSpearman(method="exact")
    assert br.SoftSpearman(method="windowed") == br.SoftSpearman(method="windowed")
    assert len({br.SoftSpearman(method=m) for m in ("auto", "exact", "windowed")}) == 3
    obj = br.CombinedLoss(method="windowed", mse_weight=0.5)
    obj.grad_hess([0.1, 0.2, 0.3], [1.0, 2.0, 3.0])  # fills the label-rank cache
    clone = pickle.loads(pickle.dumps(obj))
    assert clone == obj and clone.method == "windowed"
    assert "method='windowed'" in repr(obj)
    # objects pickled before the option existed keep the exact evaluation
    old = br.SoftSpearman.__new__(br.SoftSpearman)
    old.__setstate__({"regularization_strength": 1e-3, "hessian": "gauss_newton",
                      "tie_step": 1e-3})
    assert old.method == "exact"


def test_huge_group_warning_only_for_the_exact_method():
    import warnings

    n = 60_000
    y = np.zeros(n)
    s = np.zeros(n)  # all tied: cheap for both methods
    with pytest.warns(RuntimeWarning, match="square of the group size"):
        br.SoftSpearman(method="exact")._batch(y, s)  # input handling only: exact is O(n^2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        br.SoftSpearman().grad_hess(y, s)
        br.SoftSpearman(method="windowed").loss(y, s)
