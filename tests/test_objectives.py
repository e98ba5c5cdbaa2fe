"""Objectives: worked examples from the original libraries, the float64 references, finite
differences, Hessians, registry-driven invariances, input validation and input types."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import pytest
import reference as ref
import xgboost as xgb
from conftest import (
    N_CLASSES,
    REGISTRY,
    SMALL_SIZES,
    TAU,
    Data,
    counts_rounds,
    data_for,
    draws_by_position,
    drop_rows,
    ignores_negative,
    is_pairwise,
    is_rps,
    is_yetirank,
    ref_hess,
    ref_loss,
    row_unreduced,
    shared_data,
    shift_invariant,
    true_hessian,
    yetirank_options,
)
from numpy.testing import assert_allclose, assert_array_equal

import boostrank as br
from boostrank._config import HESSIAN_FLOOR

REDUCTIONS = ("none", "sum", "mean")


# =========================================================================== (1) worked examples
# keras-rs PairwiseSoftZeroOneLoss docstring example
KRS_LABELS = np.array([[1.0, 0.0, 1.0, 3.0, 2.0], [0.0, 1.0, 2.0, 3.0, 1.5]])
KRS_SCORES = np.array([[1.0, 3.0, 2.0, 4.0, 0.8], [1.0, 1.8, 2.0, 3.0, 2.0]])


def test_keras_rs_soft_zero_one_unreduced():
    out = br.PairwiseSoftZeroOne().loss(KRS_LABELS, KRS_SCORES, reduction="none")
    expected = [[0.880797, 0.0, 0.731059, 0.474736, 2.218608],
                [0.0, 0.310025, 1.219108, 0.888561, 0.719108]]
    assert out.shape == (2, 5)
    assert_allclose(out, expected, atol=1e-6)


def test_keras_rs_soft_zero_one_mean():
    assert br.PairwiseSoftZeroOne().loss(KRS_LABELS, KRS_SCORES) == pytest.approx(0.744200,
                                                                                  abs=1e-6)


def test_keras_rs_soft_zero_one_temperature():
    out = br.PairwiseSoftZeroOne(temperature=0.5).loss(KRS_LABELS, KRS_SCORES, reduction="none")
    expected = [[0.982014, 0.0, 0.880797, 0.141321, 2.503386],
                [0.0, 0.167982, 1.020515, 0.339565, 0.520515]]
    assert_allclose(out, expected, atol=1e-6)


def test_keras_rs_soft_zero_one_mask():
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    out = br.PairwiseSoftZeroOne().loss(KRS_LABELS, KRS_SCORES, where=mask, reduction="none")
    assert_allclose(out[1], [0.0, 0.310025, 0.719108, 0.0, 0.0], atol=1e-6)
    assert_allclose(out[0], [0.880797, 0.0, 0.731059, 0.474736, 2.218608], atol=1e-6)


def test_tfr_soft_zero_one_example():
    # TF-Ranking PairwiseSoftZeroOneLoss: y = [1, 0], s = [0.6, 0.8]
    assert br.PairwiseSoftZeroOne().loss([1.0, 0.0], [0.6, 0.8]) == pytest.approx(0.274917,
                                                                                  abs=1e-6)


def test_rax_softmax_loss():
    assert br.SoftmaxRanking().loss([1.0, 0.0, 0.0], [2.0, 1.0, 3.0]) == pytest.approx(
        1.4076059, abs=1e-7)


def test_rax_softmax_loss_mean_with_where():
    scores = [[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]]
    labels = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    where = [[True, True, False], [True, True, True]]
    value = br.SoftmaxRanking().loss(labels, scores, where=where, reduction="mean")
    assert value == pytest.approx(0.49676564, abs=1e-7)


def test_rax_pairwise_logistic_sum():
    value = br.PairwiseLogistic().loss([1.0, 0.0, 0.0], [2.0, 1.0, 3.0], reduction="sum")
    assert value == pytest.approx(1.6265235, abs=1e-6)


def test_rps_hand_example():
    # p = (0.2, 0.5, 0.3), y = 2: P = (0.2, 0.7), RPS = 0.2^2 + 0.7^2 = 0.53
    margins = np.log([[0.2, 0.5, 0.3]])
    assert br.RankedProbabilityScore().loss([2], margins) == pytest.approx(0.53, abs=1e-12)
    assert br.RankedProbabilityScore(normalize=True).loss([2], margins) == pytest.approx(0.265)


def test_soft_spearman_perfect_and_reversed():
    y = [1.0, 2.0, 3.0, 4.0]
    s = [10.0, 20.0, 30.0, 40.0]
    obj = br.SoftSpearman()  # tau = 1e-3: soft ranks are the ranks
    assert obj.loss(y, s) == pytest.approx(-1.0, abs=1e-6)
    assert obj.loss(y, s[::-1]) == pytest.approx(1.0, abs=1e-6)


def test_combined_loss_centimators_form():
    # one group, default options: 2 * mean((s - y)^2) - corr (corr = 1 here)
    y = np.array([1.0, 2.0, 3.0])
    s = np.array([1.0, 2.0, 4.0])
    expected = 2 * np.mean((s - y) ** 2) - 1.0
    assert br.CombinedLoss().loss(y, s) == pytest.approx(expected, abs=1e-6)


# =========================================================================== (2) vs reference
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted-masked"])
@pytest.mark.parametrize("obj", REGISTRY)
def test_loss_matches_reference(obj, reduction, weighted):
    d = data_for(obj, seed=1)
    kw: dict[str, Any] = {}
    w = where = None
    if weighted:
        w, where = d.w, d.where
        kw = {"weight": w, "where": where}
    got = obj.loss(d.y, d.s, group=d.sizes, reduction=reduction, **kw)
    expected = ref_loss(obj, d.y, d.s, d.offsets, w, where, reduction)
    if reduction == "none":
        assert got.shape == ((d.n,) if row_unreduced(obj) else (d.n_groups,))
        assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    else:
        assert isinstance(got, float)
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("obj", REGISTRY)
def test_loss_reference_several_seeds(obj):
    for seed in (2, 3, 4):
        d = data_for(obj, seed, score_scale=3.0)
        got = obj.loss(d.y, d.s, group=d.sizes, weight=d.w, where=d.where, reduction="none")
        assert_allclose(got, ref_loss(obj, d.y, d.s, d.offsets, d.w, d.where, "none"),
                        rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("obj", REGISTRY)
def test_reduced_forms_agree(obj):
    d = data_for(obj, seed=5)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    parts = obj.loss(d.y, d.s, reduction="none", **kw)
    assert obj.loss(d.y, d.s, reduction="sum", **kw) == pytest.approx(parts.sum(), rel=1e-12)


@pytest.mark.parametrize("obj", REGISTRY)
def test_all_rows_masked_gives_zero(obj):
    d = data_for(obj, seed=6, sizes=(4, 3))
    where = np.zeros(d.n, dtype=bool)
    for reduction in REDUCTIONS:
        value = obj.loss(d.y, d.s, group=d.sizes, where=where, reduction=reduction)
        assert np.all(np.asarray(value) == 0.0)
    grad, hess = obj.grad_hess(d.y, d.s, group=d.sizes, where=where)
    assert np.all(grad == 0.0)
    assert np.all(hess > 0)


@pytest.mark.parametrize("obj", [p for p in REGISTRY if getattr(p.values[0], "lambda_weight", None)]
                         + [pytest.param(br.PairwiseLogistic(lambda_weight="ndcg", k=2),
                                         id="logistic-ndcg@2")])
def test_ndcg_lambda_weights_with_tied_scores(obj):
    """Tied scores: ranks break ties by row order (stable), as the reference does."""
    d = data_for(obj, seed=7)
    s = np.round(d.s)  # many ties
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    assert_allclose(obj.loss(d.y, s, reduction="none", **kw),
                    ref_loss(obj, d.y, s, d.offsets, d.w, d.where, "none"), rtol=1e-10,
                    atol=1e-12)
    _, hess = obj.grad_hess(d.y, s, **kw)
    assert_allclose(hess, ref_hess(obj, d.y, s, d.offsets, d.w, d.where), rtol=1e-10)


def test_ndcg_lambda_weight_hand_example():
    # y = (1, 0), s = (0, 1): ranks (2, 1), |dG| = 1, |dD| = 1 - 1/log2(3), IDCG = 1
    lam = 1 - 1 / math.log2(3)
    got = br.PairwiseLogistic(lambda_weight="ndcg").loss([1.0, 0.0], [0.0, 1.0],
                                                           reduction="sum")
    assert got == pytest.approx(lam * math.log1p(math.e), rel=1e-12)
    # k = 1: the discount of rank 2 is 0, so |dD| = 1
    got = br.PairwiseLogistic(lambda_weight="ndcg", k=1).loss([1.0, 0.0], [0.0, 1.0],
                                                                reduction="sum")
    assert got == pytest.approx(math.log1p(math.e), rel=1e-12)


def test_real_data_mq2008_pairwise_vs_reference():
    data = shared_data("mq2008.npz")
    sizes = data["group"][:8].astype(np.int64)
    n = int(sizes.sum())
    y = data["y"][:n].astype(np.float64)
    s = data["X"][:n, :5].astype(np.float64) @ np.array([0.5, -0.2, 1.0, 0.3, 0.1])
    off = np.concatenate(([0], np.cumsum(sizes)))
    for obj in (br.PairwiseLogistic(lambda_weight="ndcg", k=10), br.SoftmaxRanking()):
        got = obj.loss(y, s, group=sizes, reduction="sum")
        assert got == pytest.approx(ref_loss(obj, y, s, off, reduction="sum"), rel=1e-10)


# =========================================================================== (3) gradients
def _central_differences(f, s: np.ndarray, rel_step: float) -> np.ndarray:
    """out[idx] = (f(s + h e_idx, idx) - f(s - h e_idx, idx)) / 2h for every entry of s."""
    flat = s.reshape(-1)
    out = np.empty(flat.size)
    for idx in range(flat.size):
        h = rel_step * max(1.0, abs(flat[idx]))
        sp = flat.copy()
        sm = flat.copy()
        sp[idx] += h
        sm[idx] -= h
        out[idx] = (f(sp.reshape(s.shape), idx) - f(sm.reshape(s.shape), idx)) / (
            sp[idx] - sm[idx])
    return out.reshape(s.shape)


def _fd_grad(obj, d: Data, s: np.ndarray, kw: dict[str, Any]) -> np.ndarray:
    """Central differences of loss(reduction="sum") in every score / margin."""
    return _central_differences(
        lambda x, _: obj.loss(d.y, x, reduction="sum", **kw), s, 1e-6)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted-masked"])
@pytest.mark.parametrize("obj", REGISTRY)
def test_gradient_finite_differences(obj, weighted):
    d = data_for(obj, seed=11, sizes=SMALL_SIZES)
    kw: dict[str, Any] = {"group": d.sizes}
    if weighted:
        kw.update(weight=d.w, where=d.where)
    grad, _ = obj.grad_hess(d.y, d.s, **kw)
    fd = _fd_grad(obj, d, d.s, kw)
    assert grad.shape == d.s.shape
    assert np.abs(fd).max() > 1e-3  # the check is not vacuous
    assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("obj", [br.SoftSpearman(regularization_strength=0.5),
                                 br.CombinedLoss(mse_weight=0.5, spearman_weight=2.0,
                                                 regularization_strength=0.3)],
                         ids=["spearman-tau0.5", "combined-custom"])
def test_gradient_finite_differences_other_options(obj):
    d = data_for(obj, seed=12, sizes=SMALL_SIZES)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    grad, _ = obj.grad_hess(d.y, d.s, **kw)
    assert_allclose(grad, _fd_grad(obj, d, d.s, kw), rtol=1e-5, atol=1e-7)


# =========================================================================== (4) Hessians
def _fd_hess_diag(obj, d: Data, s: np.ndarray, kw: dict[str, Any]) -> np.ndarray:
    """Central differences of each gradient entry in its own score: the Hessian diagonal."""
    return _central_differences(
        lambda x, idx: obj.grad_hess(d.y, x, **kw)[0].reshape(-1)[idx], s, 1e-5)


EXACT_HESSIAN = [p for p in REGISTRY if true_hessian(p.values[0])] + [
    pytest.param(br.PairwiseSoftZeroOne(temperature=0.5, hessian="exact"),
                 id="softzeroone-T0.5-exacthess"),
    pytest.param(br.PairwiseLogistic(temperature=2.0, lambda_weight="ndcg", k=4),
                 id="logistic-T2-ndcg@4"),
]


@pytest.mark.parametrize("obj", EXACT_HESSIAN)
def test_exact_hessian_finite_differences(obj):
    """Exact diagonals (clipped at the floor where the true value is smaller)."""
    d = data_for(obj, seed=13, sizes=SMALL_SIZES)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    _, hess = obj.grad_hess(d.y, d.s, **kw)
    fd = _fd_hess_diag(obj, d, d.s, kw)
    assert (fd > 10 * HESSIAN_FLOOR).sum() >= 3
    assert_allclose(hess, np.maximum(fd, HESSIAN_FLOOR), rtol=1e-4, atol=1e-7)


def test_exact_soft_zero_one_hessian_is_clipped_where_negative():
    # misordered pair: phi''(u) = q (2 sigma(u) - 1) < 0, so both rows get the floor
    _, hess = br.PairwiseSoftZeroOne(hessian="exact").grad_hess([1.0, 0.0], [0.0, 2.0])
    assert_array_equal(hess, [HESSIAN_FLOOR, HESSIAN_FLOOR])
    _, hess = br.PairwiseSoftZeroOne().grad_hess([1.0, 0.0], [0.0, 2.0])
    q = ref.sigmoid(-2.0) * ref.sigmoid(2.0)
    assert_allclose(hess, [q, q], rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted-masked"])
@pytest.mark.parametrize("obj", [p for p in REGISTRY if p.values[0].name != "rps"
                                 or p.values[0].hessian != "exact"])
def test_hessian_matches_documented_formula(obj, weighted):
    d = data_for(obj, seed=14)
    w, where = (d.w, d.where) if weighted else (None, None)
    _, hess = obj.grad_hess(d.y, d.s, group=d.sizes, weight=w, where=where)
    expected = ref_hess(obj, d.y, d.s, d.offsets, w, where)
    assert hess.shape == d.s.shape
    # atol: the floor may be applied to a part (Spearman surrogate) or to the total
    assert_allclose(hess, expected, rtol=1e-9, atol=1.5 * HESSIAN_FLOOR)
    assert (expected > 10 * HESSIAN_FLOOR).any()


# =========================================================================== (5) positivity
@pytest.mark.parametrize("obj", REGISTRY)
def test_hessian_finite_and_positive(obj):
    for seed in (21, 22):
        d = data_for(obj, seed, score_scale=4.0)
        grad, hess = obj.grad_hess(d.y, d.s, group=d.sizes, weight=d.w, where=d.where)
        assert np.isfinite(grad).all()
        assert np.isfinite(hess).all()
        assert (hess >= HESSIAN_FLOOR).all()


# =========================================================================== (6) invariances
def _within_group_permutation(d: Data, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([a + rng.permutation(b - a)
                           for a, b in zip(d.offsets[:-1], d.offsets[1:], strict=True)])


@pytest.mark.parametrize("obj", [p for p in REGISTRY if not draws_by_position(p.values[0])])
def test_permutation_within_groups(obj):
    d = data_for(obj, seed=31)
    perm = _within_group_permutation(d, 0)
    kw = {"group": d.sizes}
    base = obj.loss(d.y, d.s, weight=d.w, where=d.where, reduction="none", **kw)
    got = obj.loss(d.y[perm], d.s[perm], weight=d.w[perm], where=d.where[perm],
                   reduction="none", **kw)
    assert_allclose(got, base[perm] if row_unreduced(obj) else base, rtol=1e-10, atol=1e-13)
    g0, h0 = obj.grad_hess(d.y, d.s, weight=d.w, where=d.where, **kw)
    g1, h1 = obj.grad_hess(d.y[perm], d.s[perm], weight=d.w[perm], where=d.where[perm], **kw)
    assert_allclose(g1, g0[perm], rtol=1e-10, atol=1e-13)
    assert_allclose(h1, h0[perm], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("obj", [p for p in REGISTRY if not draws_by_position(p.values[0])])
def test_reordering_groups(obj):
    d = data_for(obj, seed=32)
    gperm = np.array([4, 0, 6, 2, 1, 5, 3])
    rows = np.concatenate([np.arange(d.offsets[g], d.offsets[g + 1]) for g in gperm])
    kw0 = {"group": d.sizes, "weight": d.w, "where": d.where}
    kw1 = {"group": d.sizes[gperm], "weight": d.w[rows], "where": d.where[rows]}
    base = obj.loss(d.y, d.s, reduction="none", **kw0)
    got = obj.loss(d.y[rows], d.s[rows], reduction="none", **kw1)
    assert_allclose(got, base[rows] if row_unreduced(obj) else base[gperm], rtol=1e-12)
    assert obj.loss(d.y[rows], d.s[rows], **kw1) == pytest.approx(obj.loss(d.y, d.s, **kw0),
                                                                  rel=1e-12)
    g0, h0 = obj.grad_hess(d.y, d.s, **kw0)
    g1, h1 = obj.grad_hess(d.y[rows], d.s[rows], **kw1)
    assert_allclose(g1, g0[rows], rtol=1e-12)
    assert_allclose(h1, h0[rows], rtol=1e-12)


RANKING = [p for p in REGISTRY if not is_rps(p.values[0])]


@pytest.mark.parametrize("obj", RANKING)
def test_padded_2d_with_mask_equals_flat(obj):
    d = data_for(obj, seed=33, sizes=(5, 1, 8, 3, 6))
    n_lists, size = d.n_groups, int(d.sizes.max())
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 5, (n_lists, size)).astype(float)  # garbage in the padding
    S = rng.normal(size=(n_lists, size)) * 10
    M = np.zeros((n_lists, size), dtype=bool)
    for g in range(n_lists):
        a, b = d.offsets[g], d.offsets[g + 1]
        Y[g, : b - a] = d.y[a:b]
        S[g, : b - a] = d.s[a:b]
        M[g, : b - a] = d.where[a:b]
    list_w = np.random.default_rng(1).uniform(0.5, 2.0, n_lists)
    row_w = np.repeat(list_w, d.sizes)
    pad_groups = np.full(n_lists, size)
    for reduction in REDUCTIONS:
        padded = obj.loss(Y, S, where=M, weight=list_w, reduction=reduction)
        flat_where = obj.loss(Y.ravel(), S.ravel(), where=M.ravel(), group=pad_groups,
                              weight=list_w, reduction=reduction)
        if reduction == "none" and row_unreduced(obj):
            assert padded.shape == (n_lists, size)
            assert_allclose(padded.ravel(), flat_where, rtol=1e-12)
            assert_allclose(padded[M], obj.loss(d.y, d.s, group=d.sizes, where=d.where,
                                                weight=row_w, reduction="none")[d.where],
                            rtol=1e-12)
            assert (padded[~M] == 0).all()
        else:
            assert_allclose(padded, flat_where, rtol=1e-12)
        if reduction == "sum" or not row_unreduced(obj):
            # "mean" of a row-wise loss divides by the rows passed (padding included)
            flat = obj.loss(d.y, d.s, group=d.sizes, where=d.where, weight=row_w,
                            reduction=reduction)
            assert_allclose(padded, flat, rtol=1e-12)
    gp, hp = obj.grad_hess(Y, S, where=M, weight=list_w)
    gf, hf = obj.grad_hess(d.y, d.s, group=d.sizes, where=d.where, weight=row_w)
    assert gp.shape == hp.shape == (n_lists, size)
    assert_allclose(gp[M], gf[d.where], rtol=1e-12)
    assert_allclose(hp[M], hf[d.where], rtol=1e-12)
    assert (gp[~M] == 0).all()


@pytest.mark.parametrize("obj", REGISTRY)
def test_unit_weights_equal_no_weights(obj):
    d = data_for(obj, seed=34)
    kw = {"group": d.sizes, "where": d.where}
    for reduction in REDUCTIONS:
        assert_allclose(obj.loss(d.y, d.s, weight=np.ones(d.n), reduction=reduction, **kw),
                        obj.loss(d.y, d.s, reduction=reduction, **kw), rtol=1e-14)
    g0, h0 = obj.grad_hess(d.y, d.s, **kw)
    g1, h1 = obj.grad_hess(d.y, d.s, weight=np.ones(d.n), **kw)
    assert_array_equal(g0, g1)
    assert_array_equal(h0, h1)


@pytest.mark.parametrize("obj", REGISTRY)
def test_group_weights_equal_repeated_row_weights(obj):
    d = data_for(obj, seed=35, group_weights=True)
    kw = {"group": d.sizes, "where": d.where}
    for reduction in REDUCTIONS:
        assert_allclose(obj.loss(d.y, d.s, weight=d.group_weights(), reduction=reduction, **kw),
                        obj.loss(d.y, d.s, weight=d.w, reduction=reduction, **kw), rtol=1e-14)
    g0, h0 = obj.grad_hess(d.y, d.s, weight=d.group_weights(), **kw)
    g1, h1 = obj.grad_hess(d.y, d.s, weight=d.w, **kw)
    assert_array_equal(g0, g1)
    assert_array_equal(h0, h1)


@pytest.mark.parametrize("obj", REGISTRY)
def test_weights_scale_loss_and_gradient(obj):
    d = data_for(obj, seed=36)
    kw = {"group": d.sizes, "where": d.where}
    base = obj.loss(d.y, d.s, weight=d.w, reduction="sum", **kw)
    assert obj.loss(d.y, d.s, weight=3 * d.w, reduction="sum", **kw) == pytest.approx(3 * base)
    g0, _ = obj.grad_hess(d.y, d.s, weight=d.w, **kw)
    g1, _ = obj.grad_hess(d.y, d.s, weight=3 * d.w, **kw)
    assert_allclose(g1, 3 * g0, rtol=1e-12, atol=1e-15)


def _check_removed(obj, d: Data, full_kw: dict[str, Any], keep: np.ndarray) -> None:
    """Loss sum, listwise mean and gradient equal those of the data without the rows."""
    r = drop_rows(d, keep)
    kw_r = {"group": r.sizes, "weight": r.w}
    assert obj.loss(d.y, d.s, reduction="sum", **full_kw) == pytest.approx(
        obj.loss(r.y, r.s, reduction="sum", **kw_r), rel=1e-12, abs=1e-14)
    if not row_unreduced(obj):
        assert obj.loss(d.y, d.s, **full_kw) == pytest.approx(obj.loss(r.y, r.s, **kw_r),
                                                              rel=1e-12, abs=1e-14)
    g, h = obj.grad_hess(d.y, d.s, **full_kw)
    gr, hr = obj.grad_hess(r.y, r.s, **kw_r)
    assert_allclose(g[keep], gr, rtol=1e-12, atol=1e-15)
    assert_allclose(h[keep], hr, rtol=1e-12, atol=1e-15)
    assert (g[~keep] == 0).all()
    assert (h[~keep] > 0).all()


@pytest.mark.parametrize("obj", [p for p in REGISTRY if ignores_negative(p.values[0])
                                 and not draws_by_position(p.values[0])])
def test_negative_labels_equal_removed_rows(obj):
    d = data_for(obj, seed=37, neg_frac=0.25)
    keep = d.y >= 0
    assert (~keep).sum() >= 5
    _check_removed(obj, d, {"group": d.sizes, "weight": d.w}, keep)


@pytest.mark.parametrize("obj", [p for p in REGISTRY if not ignores_negative(p.values[0])])
def test_negative_labels_are_ordinary_values(obj):
    d = data_for(obj, seed=37, neg_frac=0.25)
    assert obj.loss(d.y, d.s, group=d.sizes, reduction="sum") == pytest.approx(
        ref_loss(obj, d.y, d.s, d.offsets, reduction="sum"), rel=1e-10)
    assert obj.loss(d.y, d.s, group=d.sizes, reduction="sum") != pytest.approx(
        obj.loss(d.y, d.s, group=d.sizes, where=d.y >= 0, reduction="sum"), rel=1e-6)


@pytest.mark.parametrize("obj", [p for p in REGISTRY if not draws_by_position(p.values[0])])
def test_masked_rows_equal_removed_rows(obj):
    d = data_for(obj, seed=38, neg_frac=0.0, mask_frac=0.3)
    _check_removed(obj, d, {"group": d.sizes, "weight": d.w, "where": d.where}, d.where)


@pytest.mark.parametrize("obj", [p for p in REGISTRY if shift_invariant(p.values[0])])
def test_constant_shift_invariance(obj):
    d = data_for(obj, seed=39)
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    if is_rps(obj):  # softmax margins: any constant per row
        shifted = d.s + np.random.default_rng(0).normal(size=(d.n, 1)) * 5
    else:
        shifted = d.s + 3.75
    assert_allclose(obj.loss(d.y, shifted, reduction="none", **kw),
                    obj.loss(d.y, d.s, reduction="none", **kw), rtol=1e-9, atol=1e-12)
    g0, h0 = obj.grad_hess(d.y, d.s, **kw)
    g1, h1 = obj.grad_hess(d.y, shifted, **kw)
    assert_allclose(g1, g0, rtol=1e-8, atol=1e-12)
    assert_allclose(h1, h0, rtol=1e-8, atol=1e-12)


def test_combined_loss_is_not_shift_invariant():
    obj = br.CombinedLoss(regularization_strength=TAU)
    y = np.array([0.0, 1.0, 2.0])
    s = np.array([0.1, 0.9, 2.2])
    assert obj.loss(y, s + 1.0) > obj.loss(y, s) + 1.0


@pytest.mark.parametrize("obj", REGISTRY)
def test_extreme_scores_stay_finite(obj):
    d = data_for(obj, seed=40)
    rng = np.random.default_rng(1)
    s = d.s.copy()
    big = rng.random(s.shape) < 0.4
    s[big] = rng.choice([-1e30, 1e30], size=int(big.sum()))
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}
    assert np.isfinite(obj.loss(d.y, s, reduction="none", **kw)).all()
    grad, hess = obj.grad_hess(d.y, s, **kw)
    assert np.isfinite(grad).all()
    assert np.isfinite(hess).all()
    assert (hess > 0).all()


def _varying_groups(obj, d: Data, where: np.ndarray | None) -> list[np.ndarray]:
    """Row indices of each group whose valid rows have at least two distinct labels
    (RPS: each valid row on its own)."""
    valid = np.ones(d.n, dtype=bool) if where is None else where.copy()
    if ignores_negative(obj):
        valid &= d.y >= 0
    if is_rps(obj):
        return [np.array([i]) for i in np.flatnonzero(valid)]
    out = []
    for a, b in zip(d.offsets[:-1], d.offsets[1:], strict=True):
        rows = np.arange(a, b)[valid[a:b]]
        if np.unique(d.y[rows]).size >= 2:
            out.append(rows)
    return out


@pytest.mark.parametrize("obj", REGISTRY)
def test_constant_start_has_useful_gradient(obj):
    """All scores equal (XGBoost's base_score start): finite, and every group with varying
    labels gets a non-zero gradient."""
    d = data_for(obj, seed=41)
    s = np.full(d.s.shape, 0.5)
    for where in (None, d.where):
        grad, hess = obj.grad_hess(d.y, s, group=d.sizes, weight=d.w, where=where)
        assert np.isfinite(grad).all()
        assert np.isfinite(hess).all()
        assert (hess > 0).all()
        groups = _varying_groups(obj, d, where)
        assert len(groups) >= 3
        for rows in groups:
            assert np.abs(grad[rows]).max() > 1e-8, rows
        assert np.isfinite(obj.loss(d.y, s, group=d.sizes, weight=d.w, where=where))


# =========================================================================== (7) validation
@pytest.mark.parametrize("obj", REGISTRY)
def test_qid_equals_group(obj):
    d = data_for(obj, seed=51)
    kw = {"weight": d.w, "where": d.where}
    for reduction in REDUCTIONS:
        assert_array_equal(obj.loss(d.y, d.s, qid=d.qid, reduction=reduction, **kw),
                           obj.loss(d.y, d.s, group=d.sizes, reduction=reduction, **kw))
    g0, h0 = obj.grad_hess(d.y, d.s, qid=d.qid, **kw)
    g1, h1 = obj.grad_hess(d.y, d.s, group=d.sizes, **kw)
    assert_array_equal(g0, g1)
    assert_array_equal(h0, h1)


def _error_cases(obj) -> list[tuple[str, dict[str, Any], str]]:
    """(id, changes to the call, regex the message must match)."""
    d = data_for(obj, seed=52, sizes=(3, 4, 5))
    n = d.n
    s_nan = d.s.copy()
    s_nan[4] = np.nan
    s_inf = d.s.copy()
    s_inf[2] = np.inf
    y_nan = d.y.copy()
    y_nan[1] = np.nan
    cases = [
        ("group-sum", {"group": [3, 4, 4]}, "`group`"),
        ("group-sum-high", {"group": [3, 4, 6]}, "`group`"),
        ("group-zero", {"group": [3, 0, 4, 5]}, "`group`"),
        ("group-negative", {"group": [3, -1, 10]}, "`group`"),
        ("group-fraction", {"group": [3, 4.5, 4.5]}, "`group`"),
        ("group-2d", {"group": [[3, 4, 5]]}, "`group`"),
        ("group-and-qid", {"group": d.sizes, "qid": d.qid}, "`group`"),
        ("qid-interleaved", {"qid": np.array([1, 1, 2, 2, 1, 3, 3, 3, 3, 3, 3, 3]),
                             "group": None}, "`qid`"),
        ("qid-length", {"qid": d.qid[:-1], "group": None}, "`qid`"),
        ("nan-pred", {"y_pred": s_nan}, "`y_pred`"),
        ("inf-pred", {"y_pred": s_inf}, "`y_pred`"),
        ("nan-label", {"y_true": y_nan}, "`y_true`"),
        ("weight-length", {"weight": np.ones(n + 1)}, "`weight`"),
        ("weight-length-2", {"weight": np.ones(2)}, "`weight`"),
        ("weight-negative", {"weight": np.r_[np.ones(n - 1), -0.5]}, "`weight`"),
        ("weight-negative-group", {"weight": [1.0, -1.0, 1.0]}, "`weight`"),
        ("weight-nan", {"weight": np.r_[np.ones(n - 1), np.nan]}, "`weight`"),
        ("labels-shorter", {"y_true": d.y[:-1]}, "`y_true`"),
        ("where-shape", {"where": np.ones(n - 1, dtype=bool)}, "`where`"),
        ("pred-3d", {"y_pred": d.s.reshape((*d.s.shape, 1))[None]}, "`y_pred`"),
    ]
    if is_rps(obj):
        y_big = d.y.copy()
        y_big[0] = N_CLASSES
        y_frac = d.y.copy()
        y_frac[0] = 1.5
        cases += [
            ("rps-label-too-big", {"y_true": y_big}, "`y_true`"),
            ("rps-label-non-integer", {"y_true": y_frac}, "`y_true`"),
            ("rps-pred-1d", {"y_pred": d.s[:, 0]}, "`y_pred`"),
            ("rps-one-class", {"y_pred": d.s[:, :1]}, "`y_pred`"),
        ]
    else:
        cases += [
            ("pred-empty", {"y_pred": d.s[:0], "y_true": d.y[:0], "group": None}, "`y_pred`"),
            ("pred-2d-labels-1d", {"y_pred": d.s.reshape(3, 4), "group": None}, "`y_true`"),
            ("padded-with-group", {"y_pred": d.s.reshape(3, 4), "y_true": d.y.reshape(3, 4),
                                   "group": [1, 1, 1]}, "`group`"),
        ]
        if getattr(obj, "lambda_weight", None) == "ndcg":
            y_big = np.abs(d.y)
            y_big[0] = 40.0
            cases.append(("ndcg-label-too-big", {"y_true": y_big}, "`y_true`"))
    return cases


@pytest.mark.parametrize("obj", REGISTRY)
def test_invalid_inputs_raise_naming_the_argument(obj):
    d = data_for(obj, seed=52, sizes=(3, 4, 5))
    for cid, changes, pattern in _error_cases(obj):
        call = {"y_true": d.y, "y_pred": d.s, "group": d.sizes}
        call.update(changes)
        y_true = call.pop("y_true")
        y_pred = call.pop("y_pred")
        with pytest.raises(ValueError, match=pattern):
            obj.loss(y_true, y_pred, **call)
            pytest.fail(f"case {cid}: loss did not raise")
        with pytest.raises(ValueError, match=pattern):
            obj.grad_hess(y_true, y_pred, **call)
            pytest.fail(f"case {cid}: grad_hess did not raise")


@pytest.mark.parametrize("obj", REGISTRY)
def test_invalid_reduction(obj):
    d = data_for(obj, seed=53, sizes=(3, 2))
    with pytest.raises(ValueError, match="`reduction`"):
        obj.loss(d.y, d.s, reduction="average")


@pytest.mark.parametrize(
    ("factory", "pattern"),
    [
        (lambda: br.PairwiseSoftZeroOne(temperature=0.0), "`temperature`"),
        (lambda: br.PairwiseLogistic(temperature=-1.0), "`temperature`"),
        (lambda: br.PairwiseLogistic(temperature=float("nan")), "`temperature`"),
        (lambda: br.PairwiseSoftZeroOne(lambda_weight="dcg"), "`lambda_weight`"),
        (lambda: br.PairwiseSoftZeroOne(lambda_weight="ndcg", k=0), "`k`"),
        (lambda: br.PairwiseSoftZeroOne(lambda_weight="ndcg", k=2.5), "`k`"),
        (lambda: br.PairwiseSoftZeroOne(k=3), "`k`"),
        (lambda: br.PairwiseSoftZeroOne(lambda_weight="ndcg", k=True), "`k`"),
        (lambda: br.PairwiseSoftZeroOne(lambda_weight="ndcg", k=float("nan")), "`k`"),
        (lambda: br.PairwiseLogistic(truncation_level=float("inf")), "`truncation_level`"),
        (lambda: br.PairwiseLogistic(truncation_level=0), "`truncation_level`"),
        (lambda: br.PairwiseLogistic(pairs_per_row=1.5), "`pairs_per_row`"),
        (lambda: br.PairwiseLogistic(pairs_per_row="8"), "`pairs_per_row`"),
        (lambda: br.PairwiseLogistic(seed=-1), "`seed`"),
        (lambda: br.PairwiseLogistic(seed=np.bool_(True)), "`seed`"),
        (lambda: br.PairwiseSoftZeroOne(hessian="newton"), "`hessian`"),
        (lambda: br.PairwiseLogistic(hessian="logistic"), "`hessian`"),
        (lambda: br.SoftSpearman(regularization_strength=0.0), "`regularization_strength`"),
        (lambda: br.SoftSpearman(hessian="exact"), "`hessian`"),
        (lambda: br.CombinedLoss(mse_weight=-1.0), "`mse_weight`"),
        (lambda: br.CombinedLoss(spearman_weight=float("inf")), "`spearman_weight`"),
        (lambda: br.CombinedLoss(mse_weight=0.0, spearman_weight=0.0), "`mse_weight`"),
        (lambda: br.RankedProbabilityScore(hessian="pair_magnitude"), "`hessian`"),
    ],
)
def test_invalid_options_raise(factory, pattern):
    with pytest.raises(ValueError, match=pattern):
        factory()


def test_qid_may_be_unsorted_but_contiguous():
    obj = br.SoftmaxRanking()
    y = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    s = np.array([0.3, 0.1, -0.2, 0.5, 0.9])
    assert_array_equal(obj.loss(y, s, qid=[9, 9, 2, 2, 2], reduction="none"),
                       obj.loss(y, s, group=[2, 3], reduction="none"))


# =========================================================================== (8) input types
def _variants(obj, d: Data) -> dict[str, tuple[Any, Any, dict[str, Any], tuple]]:
    """Each input flavour -> (y_true, y_pred, kwargs, the float64 arrays with the same
    values: (y, s, w, where))."""
    pd = pytest.importorskip("pandas")
    y, s, w, where = d.y, d.s, d.w, d.where
    out: dict[str, tuple[Any, Any, dict[str, Any], tuple]] = {}
    y32, s32, w32 = y.astype(np.float32), s.astype(np.float32), w.astype(np.float32)
    out["float32"] = (y32, s32, {"weight": w32, "group": d.sizes.astype(np.int32)},
                      (y32.astype(float), s32.astype(float), w32.astype(float), None))
    yi = np.where(y < 0, -1, np.floor(y)).astype(np.int64)
    si = np.round(s * 3).astype(np.int32)
    wi = np.round(w * 3).astype(np.int64)
    out["int"] = (yi, si, {"weight": wi, "group": d.sizes, "where": where.astype(np.int8)},
                  (yi.astype(float), si.astype(float), wi.astype(float), where))

    def strided(a: np.ndarray) -> np.ndarray:
        big = np.zeros((a.shape[0] * 2, *a.shape[1:]) if a.ndim == 1 else (a.shape[0],
                       a.shape[1] * 3), dtype=a.dtype)
        view = big[::2] if a.ndim == 1 else big[:, ::3]
        view[...] = a
        assert not view.flags.c_contiguous
        return view

    kw_strided = {"weight": strided(w), "where": strided(where), "group": strided(d.sizes)}
    out["non-contiguous"] = (strided(y), strided(s), kw_strided, (y, s, w, where))

    def readonly(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        a.setflags(write=False)
        return a

    out["read-only"] = (readonly(y), readonly(s), {"weight": readonly(w), "where":
                                                   readonly(where), "group": readonly(d.sizes)},
                        (y, s, w, where))
    s_pd = pd.DataFrame(s) if s.ndim == 2 else pd.Series(s, index=np.arange(d.n) + 100)
    out["pandas"] = (pd.Series(y), s_pd, {"weight": pd.Series(w), "where": pd.Series(where),
                                          "group": pd.Series(d.sizes)}, (y, s, w, where))
    out["lists"] = (y.tolist(), s.tolist(), {"weight": w.tolist(), "where": where.tolist(),
                                             "group": d.sizes.tolist()}, (y, s, w, where))
    return out


@pytest.mark.parametrize("flavour", ["float32", "int", "non-contiguous", "read-only", "pandas",
                                     "lists"])
@pytest.mark.parametrize("obj", REGISTRY)
def test_input_types_match_float64(obj, flavour):
    d = data_for(obj, seed=61)
    yv, sv, kw, (y64, s64, w64, where64) = _variants(obj, d)[flavour]
    kw64 = {"group": d.sizes, "weight": w64, "where": where64}
    got = obj.loss(yv, sv, reduction="none", **kw)
    assert_allclose(got, obj.loss(y64, s64, reduction="none", **kw64), rtol=1e-13, atol=0)
    g, h = obj.grad_hess(yv, sv, **kw)
    g64, h64 = obj.grad_hess(y64, s64, **kw64)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64 and h.dtype == np.float64
    assert_allclose(g, g64, rtol=1e-13, atol=0)
    assert_allclose(h, h64, rtol=1e-13, atol=0)
    # and the float64 call itself agrees with the reference
    assert_allclose(obj.loss(y64, s64, reduction="sum", **kw64),
                    ref_loss(obj, y64, s64, d.offsets, w64, where64, "sum"), rtol=1e-10)


# =========================================================================== host conventions
def _rps_host_factor(obj, host, n_classes):
    """RPS's documented ``hessian_factor="auto"``: the Gershgorin bound reaches XGBoost as it
    is and LightGBM times 1.1 K / (2 (K - 1)); the Gauss-Newton and exact diagonals are doubled
    under XGBoost; a number applies under every host."""
    if obj.hessian_factor != "auto":
        return obj.hessian_factor
    xgboost = host in ("xgboost", "xgboost_sklearn")
    if obj.hessian == "gershgorin":
        return 1.0 if xgboost else 1.1 * n_classes / (2.0 * (n_classes - 1))
    return 2.0 if xgboost else 1.0


def _host_expected(obj, grad, hess, offsets, host="sklearn"):
    """What a host receives: ``grad_hess`` output, per-group LambdaMART-normalised when the
    objective's ``group_scale`` is "lambdarank", or "auto" under ``xgb.train``; then the
    Hessian doubled under XGBoost (``hessian_factor="auto"``, ranking losses).  RPS: the
    Hessian times ``_rps_host_factor``, floored.  ``host``: "xgboost", "xgboost_sklearn",
    "lightgbm" or "sklearn" (LightGBM's sklearn API)."""
    if is_rps(obj):
        factor = _rps_host_factor(obj, host, hess.shape[1])
        return grad, np.maximum(factor * hess, HESSIAN_FLOOR)
    scale = getattr(obj, "group_scale", None)
    if scale == "lambdarank" or (scale == "auto" and host == "xgboost"):
        grad, hess = ref.lambdarank_group_scale(grad, hess, offsets)
    factor = getattr(obj, "hessian_factor", None)
    if factor == "auto" and host in ("xgboost", "xgboost_sklearn"):
        hess = 2.0 * hess
    elif factor is not None and factor != "auto":
        hess = factor * hess
    return grad, hess


def spearman_host_units(obj, y, sizes):
    """Per group (unit u_g, footing m_g) of SoftSpearman's score_unit="auto", from the
    documented formula u_g = 4 tau sqrt(1e-7 / B_g) / m_g^1.5 with the labels' reference soft
    ranks (u_g = 1 and m_g = 1 for a group whose labels are all equal)."""
    tau = obj.regularization_strength
    units, footings = [], []
    start = 0
    for m in sizes:
        _, _, _, big_b, _ = ref._spearman_parts([0.0] * m, list(y[start:start + m]), tau)
        start += m
        learnable = big_b > 0
        units.append(4 * tau * np.sqrt(1e-7 / big_b) / m**1.5 if learnable else 1.0)
        footings.append(float(m) if learnable else 1.0)
    return np.array(units), np.array(footings)


def _yetirank_host_expected(obj, y, s, sizes, weight, host):
    """What YetiRank gives a host at its first call (round 0): the reference's gradient and
    Hessian, then ``group_scale`` ("query", and "auto" under ``xgb.train``: times 1 / H_g per
    group) and the Hessian factor."""
    offsets = np.r_[0, np.cumsum(sizes)]
    w = np.asarray(weight, dtype=np.float64)
    if w.size != y.size:  # XGBoost: one weight per group
        w = np.repeat(w, sizes)
    g, h = ref.yetirank_grad_hess(s, y, offsets, w, hessian=obj.hessian, floor=False,
                                  **yetirank_options(obj))
    factor = 2.0 if host in ("xgboost", "xgboost_sklearn") else 1.0
    if obj.group_scale == "query" or (obj.group_scale == "auto" and host == "xgboost"):
        return ref.query_group_scale(g, h, offsets, factor)
    return _host_expected(obj, g, np.maximum(h, HESSIAN_FLOOR), offsets, host)


def _spearman_host_expected(obj, y, s, group=None, weight=None, host="xgboost"):
    """What soft Spearman / CombinedLoss give a host.  SoftSpearman (score_unit="auto"): per
    group g, the derivatives of F -> m_g l_g(u_g F) (``spearman_host_units``).  CombinedLoss:
    the Spearman term's derivatives of s -> l(u s), u = 1e-3 tau, and its MSE term in raw units
    (every row valid here): balance=None, the loss's per-group mean; balance="rows", per row,
    with the Spearman term of group g multiplied by (sum of w) / (sum of its Hessian)."""
    sizes = np.asarray([y.size] if group is None else group)
    w = np.ones(y.size) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.size == sizes.size != y.size:  # XGBoost: one weight per group
        w = np.repeat(w, sizes)
    s = np.asarray(s, dtype=np.float64)
    sp = br.SoftSpearman(obj.regularization_strength, obj.hessian, obj.tie_step, obj.method)
    if not isinstance(obj, br.CombinedLoss) and obj.hessian == "pair_magnitude":
        return sp.grad_hess(y, s, group=sizes, weight=w)  # "auto" is u = 1 here
    if not isinstance(obj, br.CombinedLoss):
        units, footings = spearman_host_units(obj, y, sizes)
        u = np.repeat(units, sizes)
        g, h = sp.grad_hess(y, u * s, group=sizes, weight=w)
        foot = np.repeat(footings, sizes)
        c = 0.6 if host in ("lightgbm", "sklearn") else 1.0  # documented LightGBM factor
        return foot * u * g, np.maximum(c * foot * u * u * h, HESSIAN_FLOOR)
    balanced = obj.balance == "rows"
    u = obj.host_score_unit(host)
    assert u == (1e-3 * obj.regularization_strength
                 if balanced or host.startswith("xgboost") else 1.0)
    g, h = sp.grad_hess(y, u * s, group=sizes, weight=w)
    g, h = u * g, np.maximum(u * u * h, HESSIAN_FLOOR)
    if balanced:
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        sum_h = np.add.reduceat(h, starts)
        informative = sum_h > sizes * HESSIAN_FLOOR  # else no correlation to learn
        lam = np.repeat(np.where(informative, np.add.reduceat(w, starts) / sum_h, 0.0),
                        sizes)
        g, h = lam * g, lam * h
        scale = 2.0 * obj.mse_weight * w
    else:
        scale = 2.0 * obj.mse_weight * w / np.repeat(sizes, sizes)
    norm = 1.0 / (2.0 * obj.mse_weight + obj.spearman_weight) if balanced else 1.0
    g = norm * (obj.spearman_weight * g + scale * (s - y))
    h = np.maximum(norm * (obj.spearman_weight * h + scale), HESSIAN_FLOOR)
    return g, h


def _host_rtol(obj):
    """SoftSpearman's host margins sit where its soft ranks are m/2 plus ~1e-7: the arrays
    carry ~1e-7 relative rounding (documented), so an independently computed unit agrees to
    that; everything else is the same arithmetic."""
    auto = type(obj) is br.SoftSpearman and obj.hessian == "gauss_newton"
    return 1e-6 if auto else 1e-12


def _first_call(obj):
    """``obj`` itself, or for objectives that count host calls a fresh copy (round 0)."""
    return copy.deepcopy(obj) if counts_rounds(obj) else obj


def _host_data(obj):
    d = data_for(obj, seed=71, group_weights=True)
    y = d.y.astype(np.float32).astype(np.float64)
    s = d.s.astype(np.float32)  # hosts pass float32 (XGBoost) predictions
    gw = d.group_weights().astype(np.float32).astype(np.float64)
    return d, y, s, gw


@pytest.mark.parametrize("obj", REGISTRY)
def test_xgboost_dmatrix_call(obj):
    xgb = pytest.importorskip("xgboost")
    d, y, s, gw = _host_data(obj)
    dm = xgb.DMatrix(np.zeros((d.n, 1)), label=y)
    if is_rps(obj):
        w = np.repeat(gw, d.sizes)
        dm.set_weight(w)
        expected = _host_expected(obj, *obj.grad_hess(y, s, weight=w), None, host="xgboost")
    else:
        dm.set_group(d.sizes)
        dm.set_weight(gw)
        if isinstance(obj, br.SoftSpearman):
            expected = _spearman_host_expected(obj, y, s, group=d.sizes, weight=gw)
        elif is_yetirank(obj):
            expected = _yetirank_host_expected(obj, y, s.astype(np.float64), d.sizes, gw,
                                               "xgboost")
        else:
            expected = _host_expected(obj, *obj.grad_hess(y, s, group=d.sizes, weight=gw),
                                      d.offsets, host="xgboost")
    grad, hess = obj(s, dm)
    assert grad.shape == hess.shape == s.shape
    rtol = _host_rtol(obj)
    assert_allclose(grad, expected[0], rtol=rtol, atol=rtol * np.abs(expected[0]).max())
    assert_allclose(hess, expected[1], rtol=rtol)


@pytest.mark.parametrize("obj", REGISTRY)
def test_lightgbm_dataset_and_sklearn_calls(obj):
    lgb = pytest.importorskip("lightgbm")
    d, y, s, gw = _host_data(obj)
    w = np.repeat(gw, d.sizes)
    s64 = s.astype(np.float64)
    if is_rps(obj):
        g, h = obj.grad_hess(y, s64, weight=w)
        expected = _host_expected(obj, g, h, None, host="lightgbm")
        ds = lgb.Dataset(np.zeros((d.n, 1)), label=y, weight=w, free_raw_data=False,
                         params={"verbose": -1})
        for got, host in ((obj(y, s64, sample_weight=w), "xgboost_sklearn"),
                          (obj(y, s64, w, None), "sklearn")):
            want = _host_expected(obj, g, h, None, host=host)
            assert_allclose(got[0], want[0], rtol=1e-12)
            assert_allclose(got[1], want[1], rtol=1e-12)
    else:
        if isinstance(obj, br.SoftSpearman):
            expected = _spearman_host_expected(obj, y, s64, group=d.sizes, weight=w,
                                               host="lightgbm")
        elif is_yetirank(obj):
            expected = _yetirank_host_expected(obj, y, s64, d.sizes, w, "lightgbm")
        else:
            expected = _host_expected(obj, *obj.grad_hess(y, s64, group=d.sizes, weight=w),
                                      d.offsets)
        ds = lgb.Dataset(np.zeros((d.n, 1)), label=y, weight=w, group=d.sizes,
                         free_raw_data=False, params={"verbose": -1})
        # XGBoost sklearn: (y_true, y_pred, sample_weight=w), no groups: one group of all rows
        got_xgb_sklearn = _first_call(obj)(y, s64, sample_weight=w)
        if isinstance(obj, br.SoftSpearman):
            one_group = _spearman_host_expected(obj, y, s64, weight=w, host="xgboost_sklearn")
        elif is_yetirank(obj):
            one_group = _yetirank_host_expected(obj, y, s64, [d.n], w, "xgboost_sklearn")
        else:
            one_group = _host_expected(obj, *obj.grad_hess(y, s64, weight=w), [0, d.n],
                                       host="xgboost_sklearn")
        rtol = _host_rtol(obj)
        assert_allclose(got_xgb_sklearn[0], one_group[0], rtol=rtol,
                        atol=rtol * np.abs(one_group[0]).max())
        assert_allclose(got_xgb_sklearn[1], one_group[1], rtol=rtol)
        # LightGBM sklearn: (y_true, y_pred, weight, group)
        got_lgb_sklearn = _first_call(obj)(y, s64, w, d.sizes)
        assert_allclose(got_lgb_sklearn[0], expected[0], rtol=rtol,
                        atol=rtol * np.abs(expected[0]).max())
        assert_allclose(got_lgb_sklearn[1], expected[1], rtol=rtol)
    ds.construct()
    grad, hess = obj(s64, ds)
    rtol = _host_rtol(obj)
    assert_allclose(grad, expected[0], rtol=rtol, atol=rtol * np.abs(expected[0]).max())
    assert_allclose(hess, expected[1], rtol=rtol)


@pytest.mark.parametrize("obj", [p for p in RANKING if hasattr(p.values[0], "group_scale")])
def test_host_arrays_without_group_scale_equal_grad_hess(obj):
    """group_scale=None: the host receives exactly grad_hess's arrays."""
    xgb = pytest.importorskip("xgboost")
    plain = type(obj)(**{**{k: v for k, v in vars(obj).items() if not k.startswith("_")},
                         "group_scale": None, "hessian_factor": 1.0})
    d, y, s, gw = _host_data(obj)
    dm = xgb.DMatrix(np.zeros((d.n, 1)), label=y)
    dm.set_group(d.sizes)
    dm.set_weight(gw)
    grad, hess = plain(s, dm)
    g0, h0 = plain.grad_hess(y, s, group=d.sizes, weight=gw)
    assert_array_equal(grad, g0)
    assert_array_equal(hess, h0)


@pytest.mark.parametrize("obj", [p for p in RANKING if hasattr(p.values[0], "group_scale")])
def test_lambdarank_group_scale_keeps_newton_step(obj):
    """The documented per-query normalisation rescales grad and hess by the same constant per
    group, so -grad / hess is unchanged wherever the Hessian is above the floor."""
    d = data_for(obj, seed=73)
    assert obj.group_scale == "auto"
    obj = type(obj)(**{**{k: v for k, v in vars(obj).items() if not k.startswith("_")},
                       "group_scale": "lambdarank"})
    grad, hess = obj(d.y, d.s, d.w, d.sizes)  # LightGBM sklearn convention
    g0, h0 = obj.grad_hess(d.y, d.s, group=d.sizes, weight=d.w)
    assert not np.allclose(grad, g0)
    big = hess > 10 * HESSIAN_FLOOR
    assert big.sum() >= 10
    assert_allclose(grad[big] / hess[big], g0[big] / h0[big], rtol=1e-10)
    for a, b in zip(d.offsets[:-1], d.offsets[1:], strict=True):
        total = np.abs(g0[a:b]).sum()
        if total > 0:
            assert np.abs(grad[a:b]).sum() == pytest.approx(np.log2(1 + total), rel=1e-10)


@pytest.mark.parametrize("obj", [p for p in RANKING if not is_pairwise(p.values[0])] + [
    pytest.param(br.PairwiseLogistic(), id="logistic")])
def test_host_column_vector_predictions(obj):
    d = data_for(obj, seed=72, sizes=(4, 5))
    g0, h0 = _first_call(obj)(d.y, d.s, None, d.sizes)
    g1, h1 = _first_call(obj)(d.y, d.s[:, None], None, d.sizes)
    assert_array_equal(g0, g1)
    assert_array_equal(h0, h1)


# =========================================================================== known bugs
def test_combined_loss_hessian_floor_with_small_spearman_weight():
    obj = br.CombinedLoss(mse_weight=1.0, spearman_weight=0.0)
    y = np.array([0.0, 1.0, 2.0, 3.0])
    s = np.array([0.1, 0.5, 1.0, 2.0])
    _, hess = obj.grad_hess(y, s, where=[True, True, True, False])
    assert (hess >= HESSIAN_FLOOR).all(), hess


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_rps_empty_input_raises():
    with pytest.raises(ValueError, match="`y_pred`"):
        br.RankedProbabilityScore().loss(np.zeros(0), np.zeros((0, 3)))


# --------------------------------------------------------------------------- Spearman Gauss-Newton
@pytest.mark.parametrize("tie_step", [None, 1e-3, 0.5])
def test_spearman_gauss_newton_at_ties_and_two_row_groups(tie_step):
    """The two safeguards of the Gauss-Newton surrogate: the D^2 floor (all-equal scores) and
    the damping of the projection (two-row groups, where it would remove all curvature)."""
    obj = br.SoftSpearman(tie_step=tie_step)
    y = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 1.0])
    offsets = np.array([0, 4, 6])
    for s in (np.full(6, 0.5), np.array([0.5, 0.5, 0.5, 0.5, 0.1, 0.1003])):
        _, h = obj.grad_hess(y, s, group=[4, 2])
        expected = ref.soft_spearman_hess(s, y, offsets, tau=1e-3, hessian="gauss_newton",
                                          tie_step=tie_step)
        np.testing.assert_allclose(h, expected, rtol=1e-9)


@pytest.mark.parametrize("tie_step", [1e-3, 0.1])
def test_spearman_first_step_from_ties_is_tie_step_tau(tie_step):
    """From all-equal scores the Newton step -g/h moves rows by about tie_step * tau
    (documented), in the direction of the label ranks."""
    tau = 1e-3
    y = np.arange(20, dtype=float)
    g, h = br.SoftSpearman(regularization_strength=tau, tie_step=tie_step).grad_hess(
        y, np.full(20, 0.5))
    step = -g / h
    typical = np.sqrt(np.mean(step**2))
    assert 0.3 * tie_step * tau < typical < 3 * tie_step * tau
    assert np.corrcoef(step, y)[0, 1] > 0.99


def test_quadratic_objectives_warn_on_huge_single_group():
    """A DMatrix without groups makes one group of all rows: O(n^2) per call, so warn."""
    n = 60_000
    y = np.zeros(n)  # no pairs: the call itself stays cheap
    s = np.zeros(n)
    with pytest.warns(RuntimeWarning, match="pass them"):
        br.pairwise_logistic.grad_hess(y, s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        br.pairwise_logistic.grad_hess(y, s, group=[30_000, 30_000])
        br.softmax_ranking.grad_hess(y, s)  # O(n): no warning


# =========================================================================== host conventions (2)
@pytest.mark.parametrize("obj", [br.pairwise_soft_zero_one, br.pairwise_logistic,
                                 br.softmax_ranking,
                                 br.RankedProbabilityScore(hessian="gauss_newton")], ids=repr)
def test_hessian_factor_doubles_under_xgboost_only(obj):
    """hessian_factor="auto": XGBoost (DMatrix and its sklearn API) receives 2 x the Hessian
    (after group_scale), LightGBM exactly grad_hess's; a number applies under every host
    (RPS's Gershgorin bound: ``test_rps_gershgorin_host_hessian_factor``)."""
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    d = data_for(obj, seed=81)
    y = d.y.astype(np.float32).astype(np.float64)
    s = d.s.astype(np.float32).astype(np.float64)
    group = None if is_rps(obj) else d.sizes
    g0, h0 = obj.grad_hess(y, s, group=group)
    plain = type(obj)(**{**{k: v for k, v in vars(obj).items() if not k.startswith("_")},
                         "hessian_factor": 1.0})
    three = type(obj)(**{**{k: v for k, v in vars(obj).items() if not k.startswith("_")},
                         "hessian_factor": 3.0})
    dm = xgb.DMatrix(np.zeros((d.n, 1)), label=y, group=group)
    ds = lgb.Dataset(np.zeros((d.n, 1)), label=y, group=group, free_raw_data=False,
                     params={"verbose": -1}).construct()
    for host_data in (dm, ds):
        g_auto, h_auto = obj(s.astype(np.float32) if host_data is dm else s, host_data)
        g_one, h_one = plain(s.astype(np.float32) if host_data is dm else s, host_data)
        g_three, h_three = three(s.astype(np.float32) if host_data is dm else s, host_data)
        assert_allclose(g_auto, g_one, rtol=1e-12)
        assert_allclose(h_auto, (2.0 if host_data is dm else 1.0) * h_one, rtol=1e-12)
        assert_allclose(g_three, g_one, rtol=1e-12)
        assert_allclose(h_three, 3.0 * h_one, rtol=1e-12)
    # the LightGBM Dataset with hessian_factor=1 and no group scaling gets grad_hess itself
    if is_rps(obj) or getattr(obj, "group_scale", None) == "auto":
        assert_allclose(plain(s, ds)[1], h0, rtol=1e-12)
        assert_allclose(plain(s, ds)[0], g0, rtol=1e-12)
    # sklearn conventions: XGBoost's (no group argument) doubles, LightGBM's (4 args) does not
    assert_allclose(obj(y, s)[1], 2.0 * plain(y, s)[1], rtol=1e-12)
    assert_allclose(obj(y, s, None, None)[1], plain(y, s, None, None)[1], rtol=1e-12)
    assert_array_equal(obj.grad_hess(y, s, group=group)[1], h0)


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), "exact"])
def test_hessian_factor_is_validated(value):
    for cls in (br.PairwiseSoftZeroOne, br.PairwiseLogistic, br.SoftmaxRanking,
                br.RankedProbabilityScore):
        with pytest.raises(ValueError, match="hessian_factor"):
            cls(hessian_factor=value)


@pytest.mark.parametrize("host", ["xgboost", "lightgbm"])
def test_spearman_auto_unit_first_step_is_the_label_z_score(host):
    """score_unit="auto" from all-equal margins (both hosts' start): row k of a group of m
    valid rows gets gradient -w_k z_k and Hessian c w_k (m - 1) / m, z the z-score (population
    standard deviation) of its label's soft rank in its group and c the documented host
    factor (1 under XGBoost, 0.6 under LightGBM), so the Newton step is z_k m / (c (m - 1)),
    as a regression's on standardised targets; a group whose labels are all equal gets
    nothing to learn."""
    pytest.importorskip(host)
    rng = np.random.default_rng(85)
    sizes = np.array([7, 12, 4])
    y = np.r_[rng.normal(size=19), np.full(4, 2.0)]
    gw = np.array([1.0, 0.5, 2.0])
    w = np.repeat(gw, sizes)
    x = np.zeros((y.size, 1))
    if host == "xgboost":
        import xgboost as xgb

        data, start = xgb.DMatrix(x, label=y, group=sizes, weight=gw), 0.5
    else:
        import lightgbm as lgb

        data = lgb.Dataset(x, label=y, group=sizes, weight=w, free_raw_data=False,
                           params={"verbose": -1}).construct()
        start = 0.0
    grad, hess = br.soft_spearman(np.full(y.size, start), data)
    pos = 0
    for m, wg in zip(sizes[:2], gw[:2], strict=True):
        rows = slice(pos, pos + m)
        r = np.array(ref.soft_rank(list(y[rows]), 1e-3))
        z = (r - r.mean()) / r.std()
        assert_allclose(grad[rows], -wg * z, rtol=1e-5, atol=1e-6)
        c = 1.0 if host == "xgboost" else 0.6
        assert_allclose(hess[rows], c * wg * (m - 1) / m, rtol=1e-6)
        pos += m
    assert_allclose(grad[pos:], 0.0, atol=1e-12)
    assert_allclose(hess[pos:], HESSIAN_FLOOR)


def test_spearman_auto_unit_is_the_gradient_of_the_rescaled_loss():
    """score_unit="auto": the host receives the derivatives of F -> sum_g m_g l_g(u_g F) with
    the documented u_g: the gradient against central finite differences of that function (a
    spread well past the covariance-to-correlation crossover, where the loss is smooth at
    the finite-difference step), the Hessian against grad_hess at u_g F times m_g u_g^2."""
    xgb = pytest.importorskip("xgboost")
    obj = br.SoftSpearman(regularization_strength=0.1)
    rng = np.random.default_rng(82)
    sizes = np.array([6, 9, 5])
    y = rng.integers(0, 4, size=sizes.sum()).astype(np.float64)
    s = (0.5 + 30.0 * rng.normal(size=y.size)).astype(np.float32)
    s64 = s.astype(np.float64)
    grad, hess = obj(s, xgb.DMatrix(np.zeros((y.size, 1)), label=y, group=sizes))
    units, footings = spearman_host_units(obj, y, sizes)
    u, foot = np.repeat(units, sizes), np.repeat(footings, sizes)

    def f(v):
        per_group = obj.loss(y, u * v, group=sizes, reduction="none")
        return float((footings * per_group).sum())

    eps = 1e-2
    fd = np.array([(f(s64 + eps * e) - f(s64 - eps * e)) / (2 * eps) for e in np.eye(y.size)])
    assert np.abs(fd).max() > 1e-3
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())
    _, h_sp = obj.grad_hess(y, u * s64, group=sizes)
    assert_allclose(hess, np.maximum(foot * u * u * h_sp, HESSIAN_FLOOR), rtol=1e-6)
    # score_unit=None: exactly grad_hess
    raw = br.SoftSpearman(regularization_strength=0.1, score_unit=None)
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y, group=sizes)
    assert_allclose(raw(s, dm)[0], raw.grad_hess(y, s, group=sizes)[0], rtol=1e-12)


@pytest.mark.parametrize("obj", [br.CombinedLoss(balance=None),
                                 br.CombinedLoss(regularization_strength=0.1, tie_step=0.01,
                                                 balance=None)],
                         ids=repr)
def test_combined_score_unit_is_the_gradient_of_the_rescaled_loss(obj):
    """CombinedLoss, score_unit="auto": XGBoost receives the derivatives of
    s -> MSE(s) + l^sp(u s), u = 1e-3 tau (balance=None; "rows", on every host, is tested
    below): the gradient against central finite differences, the Hessian against grad_hess at
    u s times u^2; LightGBM with balance=None: exactly grad_hess."""
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    u = 1e-3 * obj.regularization_strength
    assert obj.host_score_unit("xgboost") == u == obj.host_score_unit("xgboost_sklearn")
    rng = np.random.default_rng(82)
    sizes = np.array([6, 9, 5])
    y = rng.integers(0, 4, size=sizes.sum()).astype(np.float64)
    s = (0.5 + rng.normal(size=y.size)).astype(np.float32)
    s64 = s.astype(np.float64)
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y, group=sizes)
    ds = lgb.Dataset(np.zeros((y.size, 1)), label=y, group=sizes, free_raw_data=False,
                     params={"verbose": -1}).construct()
    sp = br.SoftSpearman(obj.regularization_strength, obj.hessian, obj.tie_step, obj.method)

    def f(v):
        total = sp.loss(y, u * v, group=sizes, reduction="sum")
        scale = 2.0 * obj.mse_weight / np.repeat(sizes, sizes)
        return obj.spearman_weight * total + float((scale / 2 * (v - y) ** 2).sum())

    eps = 1e-4
    fd = np.array([(f(s64 + eps * e) - f(s64 - eps * e)) / (2 * eps) for e in np.eye(y.size)])
    assert np.abs(fd).max() > 1e-2
    grad, hess = obj(s, dm)
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())
    _, h_sp = sp.grad_hess(y, u * s64, group=sizes)
    expected = np.maximum(obj.spearman_weight * np.maximum(u * u * h_sp, HESSIAN_FLOOR)
                          + 2.0 * obj.mse_weight / np.repeat(sizes, sizes), HESSIAN_FLOOR)
    assert_allclose(hess, expected, rtol=1e-9)
    assert obj.host_score_unit("lightgbm") == 1.0
    g0, h0 = obj.grad_hess(y, s64, group=sizes)
    assert_allclose(obj(s64, ds)[0], g0, rtol=1e-12)
    assert_allclose(obj(s64, ds)[1], h0, rtol=1e-12)


@pytest.mark.parametrize("host", ["xgboost", "lightgbm"])
def test_combined_balance_rows_is_the_gradient_of_the_balanced_mix(host):
    """balance="rows": the host's gradient is that of
    v -> (alpha sum w (v - y)^2 + beta sum_g lambda_g l_g(u v)) / (2 alpha + beta), lambda_g
    held at its value (central finite differences of the Spearman loss, not the kernel), on
    every host."""
    pytest.importorskip(host)
    obj = br.CombinedLoss(mse_weight=1.5, spearman_weight=2.0, regularization_strength=0.01)
    u = 1e-3 * obj.regularization_strength
    assert obj.host_score_unit(host) == u
    rng = np.random.default_rng(84)
    sizes = np.array([6, 1, 9, 5])
    y = rng.integers(0, 4, size=sizes.sum()).astype(np.float64)
    gw = np.array([1.0, 0.5, 2.0, 0.7])
    w = np.repeat(gw, sizes)
    s = rng.normal(size=y.size)
    x = np.zeros((y.size, 1))
    if host == "xgboost":
        import xgboost as xgb

        s = (0.5 + s).astype(np.float32).astype(np.float64)
        data = xgb.DMatrix(x, label=y, group=sizes, weight=gw)
    else:
        import lightgbm as lgb

        data = lgb.Dataset(x, label=y, group=sizes, weight=w, free_raw_data=False,
                           params={"verbose": -1}).construct()
    grad, hess = (np.asarray(a, dtype=np.float64) for a in obj(s, data))
    sp = br.SoftSpearman(obj.regularization_strength, tie_step=obj.tie_step)
    _, h_sp = sp.grad_hess(y, u * s, group=sizes, weight=w)
    h_sp = np.maximum(u * u * h_sp, HESSIAN_FLOOR)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    lam = np.add.reduceat(w, starts) / np.add.reduceat(h_sp, starts)
    lam[sizes == 1] = 0.0  # documented: no correlation in a group of one row
    norm = 2 * obj.mse_weight + obj.spearman_weight

    def f(v):
        per_group = sp.loss(y, u * v, group=sizes, weight=w, reduction="none")
        return (obj.mse_weight * float((w * (v - y) ** 2).sum())
                + obj.spearman_weight * float((lam * per_group).sum())) / norm

    eps = 1e-4
    fd = np.array([(f(s + eps * e) - f(s - eps * e)) / (2 * eps) for e in np.eye(y.size)])
    rtol = 1e-4 if host == "xgboost" else 1e-5  # LightGBM receives float32
    assert_allclose(grad, fd, rtol=rtol, atol=1e-6 * np.abs(fd).max())
    # the documented Hessian: the MSE's plus the Spearman term's, which sums to the weights
    expected = (2 * obj.mse_weight * w + obj.spearman_weight * np.repeat(lam, sizes) * h_sp)
    assert_allclose(hess, expected / norm, rtol=rtol)
    spearman_part = (norm * hess - 2 * obj.mse_weight * w) / obj.spearman_weight
    assert_allclose(np.add.reduceat(spearman_part, starts), np.where(sizes > 1, gw * sizes, 0),
                    rtol=rtol, atol=1e-5)
    # and the whole Hessian sums to the weights where the correlation is defined
    assert_allclose(np.add.reduceat(hess, starts)[sizes > 1], (gw * sizes)[sizes > 1],
                    rtol=rtol)


def test_combined_rows_outside_where_get_nothing_whatever_the_weights():
    """Masked rows get 0 and the floor, also with spearman_weight > 1 (the Spearman part's
    floor is not scaled up)."""
    rng = np.random.default_rng(85)
    y = rng.normal(size=12)
    s = rng.normal(size=12)
    where = np.ones(12, dtype=bool)
    where[[2, 7]] = False
    g, h = br.CombinedLoss(spearman_weight=3.0).grad_hess(y, s, group=[5, 7], where=where)
    assert (g[~where] == 0).all() and (h[~where] == HESSIAN_FLOOR).all()
    assert (h[where] > HESSIAN_FLOOR).all()


def test_combined_balance_is_validated_and_old_pickles_keep_the_raw_mix():
    with pytest.raises(ValueError, match="balance"):
        br.CombinedLoss(balance="groups")
    old = br.CombinedLoss.__new__(br.CombinedLoss)
    state = {k: v for k, v in vars(br.combined_loss).items() if k != "balance"}
    old.__setstate__(state)
    assert old.balance is None
    assert br.CombinedLoss(balance=None).host_score_unit("lightgbm") == 1.0


@pytest.mark.parametrize("value", [0.0, -1e-6, float("inf"), "exact"])
def test_score_unit_is_validated(value):
    with pytest.raises(ValueError, match="score_unit"):
        br.SoftSpearman(score_unit=value)


@pytest.mark.parametrize("hessian", ["gershgorin", "gauss_newton", "exact"])
def test_rps_fortran_margins_read_in_place_same_values(hessian: str) -> None:
    """LightGBM passes multi-class scores as an (n, K) Fortran view of its buffer: RPS reads
    it without a C copy and returns Fortran-ordered arrays with the same values."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(301, 6)) * 4.0
    y = rng.integers(-1, 6, 301).astype(np.float64)
    obj = br.RankedProbabilityScore(hessian=hessian)
    zf = np.asfortranarray(z)
    g_c, h_c = obj.grad_hess(y, z)
    g_f, h_f = obj.grad_hess(y, zf)
    assert g_f.flags.f_contiguous and h_f.flags.f_contiguous
    assert np.array_equal(g_f, g_c) and np.array_equal(h_f, h_c)
    assert obj.loss(y, zf, reduction="sum") == obj.loss(y, z, reduction="sum")
    with pytest.raises(ValueError, match="y_pred"):
        zf_bad = zf.copy(order="F")
        zf_bad[3, 2] = np.nan
        obj.grad_hess(y, zf_bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_rps_kernel_finite_check_catches_every_position(value: float, layout: str) -> None:
    """RPS checks its margins for NaN / inf inside the kernel pass that reads them (not in a
    separate pass): a bad value anywhere, in any layout, in a row that ``where`` leaves out, in
    the first or last class or the last row of a partial block, gives the usual error from
    ``grad_hess``, ``loss`` and a host call."""
    rng = np.random.default_rng(11)
    n, k = 2049 + 64 + 5, 4  # more than one chunk of rows, a partial last block
    z = rng.normal(size=(n, k))
    y = rng.integers(0, k, n).astype(np.float64)
    where = rng.random(n) < 0.7
    obj = br.RankedProbabilityScore()
    dmatrix = xgb.DMatrix(np.zeros((n, 1)), label=y)
    obj(z, dmatrix)  # first call: caches the batch
    for row, col in ((0, 0), (n - 1, k - 1), (2048, 2), (int(np.flatnonzero(~where)[0]), 1)):
        bad = np.array(z, order=layout)
        bad[row, col] = value
        match = rf"`y_pred` has 1 NaN or infinite value\(s\) \(first at flat index {row * k + col}"
        with pytest.raises(ValueError, match=match):
            obj.grad_hess(y, bad)
        with pytest.raises(ValueError, match=match):
            obj.loss(y, bad, where=where)
        with pytest.raises(ValueError, match=match):
            obj(y, bad)  # the sklearn host signature
        with pytest.raises(ValueError, match=match):
            obj(bad, dmatrix)  # xgb.train: the cached batch skips the Python-side check
    g, _ = obj.grad_hess(y, z)  # and clean margins pass
    assert np.isfinite(g).all()


# =========================================================================== RPS Hessians
def _rps_rows(seed: int, n: int, n_classes: int, scale: float):
    """Random margins, labels with some -1 (ignored rows), row weights and a ``where`` mask."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n_classes)) * scale
    y = rng.integers(-1, n_classes, n).astype(np.float64)
    return y, z, rng.uniform(0.3, 2.0, n), rng.random(n) > 0.15


@pytest.mark.parametrize("normalize", [False, True], ids=["plain", "normalized"])
@pytest.mark.parametrize(("n_classes", "scale"),
                         [(2, 1.5), (3, 0.3), (5, 4.0), (7, 1.5), (30, 2.0), (30, 8.0)])
def test_rps_gershgorin_hessian_matches_reference(n_classes, scale, normalize):
    """The default Hessian, computed in O(K) per row, against sum_c' |H_cc'| of each row's
    Gauss-Newton matrix built entry by entry, with weights, ``where`` and ignored labels."""
    y, z, w, where = _rps_rows(31 + n_classes, 200, n_classes, scale)
    obj = br.RankedProbabilityScore(normalize=normalize)
    assert obj.hessian == "gershgorin"
    _, hess = obj.grad_hess(y, z, weight=w, where=where)
    expected = ref.rps_hess_gershgorin(z, y, w, where, normalize=normalize)
    assert (expected > 10 * HESSIAN_FLOOR).sum() > hess.size // 10  # not all at the floor
    assert_allclose(hess, expected, rtol=1e-9, atol=0)
    assert (hess[~where | (y < 0)] == HESSIAN_FLOOR).all()


@pytest.mark.parametrize(("n_classes", "scale"), [(2, 1.0), (4, 1.5), (10, 3.0), (30, 1.0)])
def test_rps_gershgorin_hessian_bounds_the_gauss_newton_matrix(n_classes, scale):
    """Per row, h_c >= H_cc and diag(h) - H is positive semi-definite (the diagonal Newton
    step minimises an upper bound of the Gauss-Newton model)."""
    y, z, w, _ = _rps_rows(41 + n_classes, 60, n_classes, scale)
    y = np.abs(y)  # every row valid
    _, hess = br.rps.grad_hess(y, z, weight=w)
    _, diag = br.RankedProbabilityScore(hessian="gauss_newton").grad_hess(y, z, weight=w)
    assert (hess >= diag).all()
    assert (hess > 1.5 * diag).any()  # a bound, not the diagonal again
    for i in range(y.size):
        gap = np.diag(hess[i]) - ref.rps_gauss_newton_matrix(z[i], w[i])
        assert np.linalg.eigvalsh(gap).min() >= -1e-12 * hess[i].max()


def test_rps_gauss_newton_diagonal_alone_is_no_bound():
    """Why the default changed: from all-equal margins (the hosts' start) the Gauss-Newton
    matrix has large positive entries between neighbouring classes, so its diagonal alone
    does not bound it (diag(H) - H has a negative eigenvalue) and the diagonal Newton step
    overshoots; the Gershgorin bound is larger than that diagonal for every class."""
    n_classes = 7
    z = np.zeros((1, n_classes))
    big_h = ref.rps_gauss_newton_matrix(z[0])
    assert np.linalg.eigvalsh(np.diag(np.diag(big_h)) - big_h).min() < -0.1 * big_h.max()
    _, diag = br.RankedProbabilityScore(hessian="gauss_newton").grad_hess([3], z)
    _, bound = br.rps.grad_hess([3], z)
    assert_allclose(diag[0], np.diag(big_h), rtol=1e-12)
    assert_allclose(bound[0], np.abs(big_h).sum(axis=1), rtol=1e-12)
    assert (bound > 1.5 * diag).all()


def test_rps_gershgorin_two_classes_is_twice_the_gauss_newton_diagonal():
    """K = 2: H = 2 w a [[1, -1], [-1, 1]] with a = (p_0 p_1)^2, so the bound is 4 w a, twice
    the diagonal; XGBoost therefore gets the same Hessian from both (factors 1 and 2), and
    LightGBM (1.1 K / (2 (K - 1)) = 1.1) 2.2 times what "gauss_newton" gives it."""
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    y, z, w, _ = _rps_rows(51, 120, 2, 1.0)
    y = np.abs(y)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    a = (p[:, 0] * p[:, 1]) ** 2
    gn = br.RankedProbabilityScore(hessian="gauss_newton")
    _, hess = br.rps.grad_hess(y, z, weight=w)
    _, diag = gn.grad_hess(y, z, weight=w)
    assert (diag > 10 * HESSIAN_FLOOR).all()
    assert_allclose(hess, np.repeat(4.0 * w * a, 2).reshape(-1, 2), rtol=1e-12)
    assert_allclose(hess, 2.0 * diag, rtol=1e-12)
    z32 = z.astype(np.float32)
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y, weight=w)
    assert_allclose(br.rps(z32, dm)[1], gn(z32, dm)[1], rtol=1e-12)
    ds = lgb.Dataset(np.zeros((y.size, 1)), label=y, weight=w, free_raw_data=False,
                     params={"verbose": -1}).construct()
    assert_allclose(br.rps(z, ds)[1], 2.2 * gn(z, ds)[1], rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 4, 7])
def test_rps_gershgorin_host_hessian_factor(n_classes):
    """hessian_factor="auto" with the Gershgorin bound: XGBoost (``xgb.train``, its sklearn
    API) gets it as it is, XGBoost's own multi-class convention; LightGBM (``lgb.train``, its
    sklearn API) 1.1 K / (2 (K - 1)) times it, a little more than its ``multiclass``
    convention K / (2 (K - 1)); a number multiplies it under every host; the gradient is the
    same everywhere."""
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    y, z, _, _ = _rps_rows(61 + n_classes, 150, n_classes, 1.5)
    y = np.abs(y)
    z32 = z.astype(np.float32)
    z = z32.astype(np.float64)  # what both hosts see
    g0, h0 = br.rps.grad_hess(y, z)
    lightgbm_factor = 1.1 * n_classes / (2.0 * (n_classes - 1))
    dm = xgb.DMatrix(np.zeros((y.size, 1)), label=y)
    ds = lgb.Dataset(np.zeros((y.size, 1)), label=y, free_raw_data=False,
                     params={"verbose": -1}).construct()
    three = br.RankedProbabilityScore(hessian_factor=3.0)
    for (g, h), factor in (((br.rps(z32, dm)), 1.0), ((br.rps(y, z)), 1.0),
                           ((br.rps(z, ds)), lightgbm_factor),
                           ((br.rps(y, z, None, None)), lightgbm_factor),
                           ((three(z32, dm)), 3.0), ((three(z, ds)), 3.0)):
        assert_allclose(g, g0, rtol=1e-12)
        assert_allclose(h, np.maximum(factor * h0, HESSIAN_FLOOR), rtol=1e-12)
    assert br.rps.host_hessian_factor("lightgbm", n_classes) == lightgbm_factor
