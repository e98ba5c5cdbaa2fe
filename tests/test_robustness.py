"""Robustness: hypothesis properties of every objective and metric, a seeded fuzz loop over
valid and invalid inputs, thread determinism, extreme temperatures, very large groups and the
RPS shape checks.

Contracts checked here:

* every call either returns finite outputs (Hessians >= ``HESSIAN_FLOOR``) or raises
  ``ValueError`` / ``TypeError`` (``boostrank._validation``: "Only ValueError and TypeError
  leave this module");
* ``sum(loss(reduction="none")) == loss(reduction="sum")`` and, for moderate scores, the losses
  and Hessians equal the float64 references of ``tests/reference.py``;
* metrics stay in their ranges;
* compiled kernels give bit-identical results with 1 and with several Numba threads.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pytest
from conftest import (
    REGISTRY,
    counts_rounds,
    data_for,
    ignores_negative,
    is_pairwise,
    is_rps,
    is_spearman_family,
    ref_hess,
    ref_loss,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import boostrank as br
from boostrank._config import HESSIAN_FLOOR

OBJECTIVES = [p.values[0] for p in REGISTRY]
OBJECTIVE_IDS = [p.id for p in REGISTRY]

#: No example database: it would write a ``.hypothesis`` folder into the repository.
PROPERTY = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REDUCTIONS = ("none", "sum", "mean")


# =========================================================================== helpers
def assert_finite(x: Any, what: str) -> None:
    arr = np.asarray(x, dtype=np.float64)
    assert np.isfinite(arr).all(), f"{what} is not finite: {arr!r}"


def assert_grad_hess_ok(grad: np.ndarray, hess: np.ndarray, shape: tuple[int, ...],
                        what: str) -> None:
    assert grad.shape == shape, f"{what}: grad shape {grad.shape}, expected {shape}"
    assert hess.shape == shape, f"{what}: hess shape {hess.shape}, expected {shape}"
    assert_finite(grad, f"{what} grad")
    assert_finite(hess, f"{what} hess")
    assert (hess >= HESSIAN_FLOOR).all(), f"{what}: hess below the floor: {hess.min()!r}"


def bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


# =========================================================================== strategies
#: Scores that sit on edges: signed zeros, subnormals, the exp overflow / underflow limits,
#: the pairwise kernel's RATIO_SPAN switch (1400) and the +-1e30 extremes.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, 5e-324, -1e-300, 1e-15, 1399.9, 1400.0, -700.0, 710.0,
           -745.5, 1e15, -1e15, 1e30, -1e30)


def wide_floats() -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from(SPECIAL),
        st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False),
        st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False),
    )


def moderate_floats() -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False),
        st.sampled_from((-5.0, -1.0, -0.25, 0.0, 0.25, 1.0, 5.0)),
    )


@st.composite
def values(draw: Any, n: int, elements: st.SearchStrategy[float]) -> np.ndarray:
    """n floats: free, drawn from a pool of at most 3 (exact ties), or all equal."""
    mode = draw(st.sampled_from(("free", "ties", "constant")))
    if mode == "constant":
        return np.full(n, draw(elements))
    if mode == "ties":
        pool = draw(st.lists(elements, min_size=1, max_size=3))
        return np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)),
                        dtype=np.float64)
    return np.array(draw(st.lists(elements, min_size=n, max_size=n)), dtype=np.float64)


@dataclass(frozen=True)
class Case:
    y: np.ndarray
    s: np.ndarray  # (n,) scores or (n, K) margins
    sizes: list[int]
    weight: np.ndarray | None  # as passed: None, per row or per group
    w_rows: np.ndarray | None  # per row, for the references
    where: np.ndarray | None
    kw: dict[str, Any]  # group / qid / weight / where keyword arguments

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.sizes))).astype(np.int64)

    def valid(self, ignore_negative: bool) -> np.ndarray:
        v = np.ones(self.y.shape[0], dtype=bool) if self.where is None else self.where.copy()
        if ignore_negative:
            v &= self.y >= 0
        return v


@st.composite
def cases(draw: Any, kind: str, wide: bool) -> Case:
    """Random grouped data: 1..6 groups of 1..12 rows.  ``kind``: "grades" (relevance 0..4 and
    -1), "real" (soft Spearman labels) or "classes" (RPS, K in 2..6, and -1).

    Unless ``wide``, labels and scores are rounded to multiples of 2^-16 (exact ties stay,
    values closer than that merge, distinct values differ by at least 1.5e-5): these cases are
    compared with the float64 references at rtol 1e-8 to 1e-9.  Nearly equal values make soft
    Spearman ill-conditioned in the package and the reference alike: a group's soft ranks are
    of size ~m and differ by ~spread / tau, so centring them loses ~eps m tau / spread of the
    correlation (labels 0 and 6e-8 gave a relative error of 1.5e-8), and near-tied scores do
    the same to the 1/spread^2 Hessian.  The wide cases (finite, consistent outputs) still
    draw such values."""
    sizes = draw(st.lists(st.integers(1, 12), min_size=1, max_size=6))
    n = sum(sizes)
    elements = wide_floats() if wide else moderate_floats()
    if kind == "classes":
        n_classes = draw(st.integers(2, 6))
        y = np.array(draw(st.lists(st.integers(-1, n_classes - 1), min_size=n, max_size=n)),
                     dtype=np.float64)
        s = draw(values(n * n_classes, elements)).reshape(n, n_classes)
    else:
        if kind == "real":
            y = draw(values(n, wide_floats() if wide else st.floats(-10.0, 10.0)))
        else:
            y = np.array(draw(st.lists(st.sampled_from((-1.0, 0.0, 1.0, 2.0, 3.0, 4.0)),
                                       min_size=n, max_size=n)))
        s = draw(values(n, elements))
    if not wide:  # grades and classes are integers already
        y, s = np.round(y * 65536.0) / 65536.0, np.round(s * 65536.0) / 65536.0
    positive = st.floats(1e-3, 1e3, allow_nan=False)
    weight_mode = draw(st.sampled_from(("none", "row", "group")))
    if weight_mode == "row":
        weight = np.array(draw(st.lists(positive, min_size=n, max_size=n)))
        w_rows = weight
    elif weight_mode == "group":
        weight = np.array(draw(st.lists(positive, min_size=len(sizes), max_size=len(sizes))))
        w_rows = np.repeat(weight, sizes)
    else:
        weight = w_rows = None
    where = None
    if draw(st.booleans()):
        where = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    kw: dict[str, Any] = {"weight": weight, "where": where}
    grouping = draw(st.sampled_from(("group", "qid") if len(sizes) > 1 else ("group", "none")))
    if grouping == "group":
        kw["group"] = list(sizes)
    elif grouping == "qid":  # contiguous, unsorted ids
        kw["qid"] = np.repeat((np.arange(len(sizes)) * 37 + 11) % 97, sizes)
    return Case(y, s, list(sizes), weight, w_rows, where, kw)


def label_kind(obj: Any) -> str:
    if is_rps(obj):
        return "classes"
    return "real" if is_spearman_family(obj) else "grades"


# =========================================================================== (1) objectives
@pytest.mark.parametrize("obj", OBJECTIVES, ids=OBJECTIVE_IDS)
@PROPERTY
@given(data=st.data())
def test_objective_outputs_finite_and_consistent(obj, data):
    c = data.draw(cases(label_kind(obj), wide=True), label="case")
    grad, hess = obj.grad_hess(c.y, c.s, **c.kw)
    assert_grad_hess_ok(grad, hess, c.s.shape, repr(obj))

    # rows that take no part (where=False; negative labels where ignored) get no gradient
    valid = c.valid(ignores_negative(obj))
    assert (grad[~valid] == 0).all()
    assert (hess[~valid] == HESSIAN_FLOOR).all()

    total = obj.loss(c.y, c.s, reduction="sum", **c.kw)
    parts = np.asarray(obj.loss(c.y, c.s, reduction="none", **c.kw))
    mean = obj.loss(c.y, c.s, reduction="mean", **c.kw)
    assert isinstance(total, float)
    assert_finite(total, "loss(sum)")
    assert_finite(parts, "loss(none)")
    assert_finite(mean, "loss(mean)")
    assert_allclose(parts.sum(), total, rtol=1e-9, atol=1e-12 * np.abs(parts).sum())

    if is_spearman_family(obj) and not isinstance(obj, br.CombinedLoss):
        # -wbar * corr with |corr| <= 1 per group
        w = np.ones(c.y.size) if c.w_rows is None else c.w_rows
        wbar = np.array([w[a:b][valid[a:b]].mean() if valid[a:b].any() else 0.0
                         for a, b in zip(c.offsets[:-1], c.offsets[1:], strict=True)])
        assert (np.abs(parts) <= wbar * (1 + 1e-12)).all(), (parts, wbar)
    elif not is_spearman_family(obj):
        assert (parts >= 0).all()

    # the LightGBM-sklearn host form gives grad_hess's arrays (no scaling outside xgb.train;
    # RPS's Gershgorin bound goes to LightGBM times 1.1 K / (2 (K - 1)); CombinedLoss's
    # balance="rows" and SoftSpearman's score_unit="auto" rescale on every host:
    # tests/test_objectives.py)
    rescaled = (type(obj) is br.SoftSpearman and obj.score_unit == "auto"
                and obj.hessian == "gauss_newton")
    if c.where is None and getattr(obj, "balance", None) is None and not rescaled:
        # objectives that draw per host call (YetiRank) are compared at their round 0
        hg, hh = (copy.deepcopy(obj) if counts_rounds(obj) else obj)(c.y, c.s, c.weight,
                                                                      c.sizes)
        g0, h0 = obj.grad_hess(c.y, c.s, group=c.sizes, weight=c.weight)
        if is_rps(obj) and obj.hessian == "gershgorin":  # LightGBM's multi-class convention
            k = c.s.shape[1]
            h0 = np.maximum(h0 * (1.1 * k / (2.0 * (k - 1))), HESSIAN_FLOOR)
        assert_array_equal(hg, g0)
        assert_array_equal(hh, h0)
    elif c.where is None:
        hg, hh = obj(c.y, c.s, c.weight, c.sizes)
        assert_grad_hess_ok(hg, hh, c.s.shape, repr(obj) + " (host)")


@pytest.mark.parametrize("obj", OBJECTIVES, ids=OBJECTIVE_IDS)
@PROPERTY
@given(data=st.data())
def test_objective_matches_reference_moderate_scores(obj, data):
    c = data.draw(cases(label_kind(obj), wide=False), label="case")
    atol = 1e-10
    if is_spearman_family(obj):
        # Labels one grid step apart (2^-16, see ``cases``) still leave the correlation of a
        # near-constant group ill-conditioned: soft ranks ~m/2 carry rounding errors ~1e-16 m
        # each, and with B = sum b^2 tiny the loss is ~N / sqrt(1e-7), so kernel and reference
        # may differ by up to ~1e-15 m^1.5 max|a| / sqrt(1e-7) <= 2e-12 m^2.5 per unit weight.
        m = int(np.diff(c.offsets).max())
        w_max = 1.0 if c.w_rows is None else float(np.max(c.w_rows))
        atol = max(atol, 2e-12 * m**2.5 * w_max)
    for reduction in REDUCTIONS:
        got = obj.loss(c.y, c.s, reduction=reduction, **c.kw)
        expected = ref_loss(obj, c.y, c.s, c.offsets, c.w_rows, c.where, reduction)
        assert_allclose(got, expected, rtol=1e-9, atol=atol, err_msg=reduction)
    if is_rps(obj) and obj.hessian == "exact":
        return  # no closed-form reference for the exact RPS Hessian
    _, hess = obj.grad_hess(c.y, c.s, **c.kw)
    assert_allclose(hess, ref_hess(obj, c.y, c.s, c.offsets, c.w_rows, c.where),
                    rtol=1e-8, atol=1.5 * HESSIAN_FLOOR)


@PROPERTY
@given(data=st.data(),
       strength=st.floats(0.1, 10.0),
       hessian=st.sampled_from(("gauss_newton", "pair_magnitude")),
       tie_step=st.floats(1e-4, 1.0),
       combined=st.booleans())
def test_soft_spearman_matches_reference_any_strength(data, strength, hessian, tie_step,
                                                      combined):
    if combined:
        mse = data.draw(st.floats(0.0, 5.0), label="mse_weight")
        sp = data.draw(st.floats(0.1, 5.0), label="spearman_weight")
        obj: Any = br.CombinedLoss(mse, sp, strength, hessian, tie_step)
    else:
        obj = br.SoftSpearman(strength, hessian, tie_step)
    c = data.draw(cases("real", wide=False), label="case")
    for reduction in REDUCTIONS:
        assert_allclose(obj.loss(c.y, c.s, reduction=reduction, **c.kw),
                        ref_loss(obj, c.y, c.s, c.offsets, c.w_rows, c.where, reduction),
                        rtol=1e-9, atol=1e-10, err_msg=reduction)
    grad, hess = obj.grad_hess(c.y, c.s, **c.kw)
    assert_grad_hess_ok(grad, hess, c.s.shape, repr(obj))
    # the Spearman surrogate is floored before CombinedLoss scales it by spearman_weight
    atol = (getattr(obj, "spearman_weight", 1.0) + 0.5) * HESSIAN_FLOOR
    assert_allclose(hess, ref_hess(obj, c.y, c.s, c.offsets, c.w_rows, c.where),
                    rtol=1e-8, atol=atol)


# =========================================================================== (1) metrics
METRIC_KINDS = ("ndcg", "spearman", "accuracy", "rps")
ULPS = 4 * np.finfo(np.float64).eps


@pytest.mark.parametrize("kind", METRIC_KINDS)
@PROPERTY
@given(data=st.data())
def test_metric_finite_and_in_range(kind, data):
    label = {"ndcg": "grades", "accuracy": "grades", "spearman": "real", "rps": "classes"}[kind]
    c = data.draw(cases(label, wide=True), label="case")
    s = c.s
    if kind == "ndcg":
        metric: Any = br.NDCG(k=data.draw(st.sampled_from((None, 1, 2, 3, 5, 10)), label="k"),
                              gain=data.draw(st.sampled_from(("exponential", "linear"))),
                              no_relevant_score=data.draw(st.sampled_from((0.0, 1.0, None))))
        low, high = 0.0, 1.0
    elif kind == "spearman":
        metric, low, high = br.SpearmanMetric(), -1.0, 1.0
    elif kind == "accuracy":
        metric, low, high = br.PairwiseAccuracy(), 0.0, 1.0
    else:
        normalize = data.draw(st.booleans(), label="normalize")
        reading = data.draw(st.sampled_from(("auto", "margin", "proba")))
        metric = br.RPSMetric(normalize=normalize, input=reading)
        if data.draw(st.booleans(), label="probabilities") or reading == "proba":
            p = np.where(np.abs(s) < 1.0, 1.0 + s, 0.0)  # non-negative, with exact zeros
            p[:, 0] += p.sum(axis=1) == 0
            s = p / p.sum(axis=1, keepdims=True)
            if reading == "auto" and s.shape[1] == 2:  # two-class probabilities: ambiguous
                with pytest.raises(ValueError, match="ambiguous"):
                    metric.score(c.y, s, **c.kw)
                metric = br.RPSMetric(normalize=normalize, input="proba")
        low, high = 0.0, 1.0 if normalize else s.shape[1] - 1.0
    # a few ulps of slack: NDCG's tie averaging rounds to 1 + 2^-52 on all-tied groups
    # (test_ndcg_never_exceeds_one holds that bug to the exact bound)
    low, high = low - ULPS, high + ULPS
    if kind == "rps" and metric.input == "auto":
        try:
            br.ordinal.as_margins(s)
        except ValueError as exc:  # margins that look like probabilities: refused, not misread
            assert "ambiguous" in str(exc) or "rounded probabilities" in str(exc)
            return
    value = metric.score(c.y, s, **c.kw)
    assert isinstance(value, float)
    assert math.isfinite(value)
    assert low <= value <= high, f"{metric!r} = {value!r} outside [{low}, {high}]"
    if c.where is None and "qid" not in c.kw:  # the host form (sizes, per-row weights)
        out = metric(c.y, s, c.w_rows, c.sizes)
        assert out[0] == metric.name and math.isfinite(out[1])
        assert low <= out[1] <= high


@pytest.mark.parametrize("gain", ["exponential", "linear"])
def test_ndcg_never_exceeds_one(gain):
    y = [2.0, 2.0, 2.0] if gain == "exponential" else [3.0, 3.0, 3.0]
    value = br.NDCG(k=None, gain=gain).score(y, [1.0, 1.0, 1.0])
    assert 0.0 <= value <= 1.0, repr(value)


# =========================================================================== (2) fuzz
N_FUZZ = 2000
FUZZ_SEED = 1234


@dataclass
class FuzzInput:
    y: Any
    s: Any
    group: Any = None
    qid: Any = None
    weight: Any = None
    where: Any = None
    muts: tuple[str, ...] = ()

    def describe(self) -> str:
        def show(v: Any) -> str:
            return np.array2string(v, threshold=60) if isinstance(v, np.ndarray) else repr(v)

        fields = ("y", "s", "group", "qid", "weight", "where")
        return (f"mutations={self.muts} "
                + " ".join(f"{f}={show(getattr(self, f))}" for f in fields))


def _base_input(rng: np.random.Generator) -> FuzzInput:
    layout = rng.choice(["flat", "padded", "classes"], p=[0.45, 0.2, 0.35])
    scale = float(rng.choice([1.0, 1e3, 1e30]))
    sizes = rng.integers(1, 8, rng.integers(1, 5))
    n = int(sizes.sum())
    if layout == "padded":
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 6)))
        y = rng.integers(-1, 5, shape).astype(np.float64)
        s = np.round(rng.normal(size=shape), 1) * scale
        where = rng.random(shape) < 0.8 if rng.random() < 0.3 else None
        weight = rng.uniform(0.0, 3.0, shape[0] * shape[1]) if rng.random() < 0.3 else None
        return FuzzInput(y, s, weight=weight, where=where)
    if layout == "classes":
        k = int(rng.integers(2, 7))
        y = rng.integers(-1, k, n).astype(np.float64)
        s = rng.normal(size=(n, k)) * scale
    else:
        y = rng.integers(-1, 5, n).astype(np.float64)
        s = np.round(rng.normal(size=n), 1) * scale  # rounding: ties
    where = rng.random(n) < 0.8 if rng.random() < 0.3 else None
    r = rng.random()
    weight = (rng.uniform(0.0, 3.0, n) if r < 0.3
              else rng.uniform(0.0, 3.0, sizes.size) if r < 0.45 else None)
    group = sizes if rng.random() < 0.7 else None
    return FuzzInput(y, s, group=group, weight=weight, where=where)


def _replace_one(rng: np.random.Generator, a: Any, value: float) -> Any:
    a = np.array(a, dtype=np.float64)
    if a.size:
        a.flat[int(rng.integers(a.size))] = value
    return a


def _m_pred_nonfinite(rng, f):
    f.s = _replace_one(rng, f.s, float(rng.choice([np.nan, np.inf, -np.inf])))


def _m_label_nonfinite(rng, f):
    f.y = _replace_one(rng, f.y, float(rng.choice([np.nan, np.inf, -np.inf])))


def _m_label_short(rng, f):
    f.y = np.asarray(f.y).reshape(-1)[:-1]


def _m_pred_long(rng, f):
    f.s = np.concatenate([np.asarray(f.s), np.asarray(f.s)[:1]])


def _m_pred_column(rng, f):  # (n, 1): 2-D where 1-D expected
    f.s = np.asarray(f.s).reshape(-1, 1)


def _m_pred_two_columns(rng, f):
    s = np.asarray(f.s).reshape(len(np.asarray(f.s)), -1)
    f.s = np.concatenate([s, s], axis=1)


def _m_pred_flat(rng, f):  # margins flattened: 1-D where 2-D expected
    f.s = np.asarray(f.s).reshape(-1)


def _m_pred_3d(rng, f):
    f.s = np.asarray(f.s)[..., None]


def _m_label_2d(rng, f):
    f.y = np.asarray(f.y).reshape(-1, 1)


def _m_group_bad_sum(rng, f):
    g = np.atleast_1d(np.asarray(f.group if f.group is not None else [np.size(f.y)]))
    g = g.copy()
    g[-1] += int(rng.choice([-1, 1, 5]))
    f.group = g


def _m_group_zero(rng, f):
    g = np.asarray(f.group if f.group is not None else [np.size(f.y)])
    f.group = np.insert(g, int(rng.integers(g.size + 1)), 0)


def _m_group_negative(rng, f):
    f.group = np.array([np.size(f.y) + 2, -2])


def _m_group_float(rng, f):
    f.group = np.array([np.size(f.y) - 0.5, 0.5])


def _m_group_2d(rng, f):
    f.group = np.array([[np.size(f.y)]])


def _m_group_str(rng, f):
    f.group = ["1", "2"]


def _m_group_and_qid(rng, f):
    f.group = [np.size(f.y)]
    f.qid = np.zeros(np.size(f.y))


def _m_qid_interleaved(rng, f):
    f.group = None
    f.qid = np.arange(len(np.asarray(f.y).reshape(-1))) % 2


def _m_qid_valid(rng, f):  # valid: contiguous ids, sorted descending
    f.group = None
    f.qid = np.sort(rng.integers(0, 3, len(np.asarray(f.y).reshape(-1))))[::-1]


def _m_weight_negative(rng, f):
    n = len(np.asarray(f.y).reshape(-1))
    f.weight = _replace_one(rng, np.ones(n), -float(rng.uniform(1e-3, 5.0)))


def _m_weight_nan(rng, f):
    f.weight = _replace_one(rng, np.ones(np.size(f.y)), np.nan)


def _m_weight_length(rng, f):
    f.weight = np.ones(np.size(f.y) + 3)


def _m_weight_2d(rng, f):
    f.weight = np.ones((np.size(f.y), 2))


def _m_weight_zero(rng, f):  # valid: every row dropped
    f.weight = np.zeros(np.size(f.y))


def _m_where_shape(rng, f):
    f.where = np.ones(np.size(f.y) + 1, dtype=bool)


def _m_where_float(rng, f):
    f.where = np.full(np.shape(f.s), 0.5)


def _m_where_int(rng, f):  # valid: 0/1 integers
    f.where = (rng.random(np.shape(f.s)) < 0.5).astype(np.int64)


def _m_where_false(rng, f):  # valid: nothing counts
    f.where = np.zeros(np.shape(f.s)[:1] if np.ndim(f.s) == 2 and np.ndim(f.y) == 1
                       else np.shape(f.s), dtype=bool)


def _m_label_class_high(rng, f):
    k = np.shape(f.s)[1] if np.ndim(f.s) == 2 else 3
    f.y = _replace_one(rng, f.y, float(k + rng.integers(0, 3)))


def _m_label_noninteger(rng, f):
    f.y = _replace_one(rng, f.y, 0.5)


def _m_label_big(rng, f):  # > 31: refused by the NDCG lambda weights
    f.y = _replace_one(rng, f.y, 40.0)


def _m_label_negative(rng, f):  # valid: ignored rows
    f.y = _replace_one(rng, f.y, -3.0)


def _m_empty(rng, f):
    f.y = np.zeros(0)
    f.s = np.zeros((0, 3)) if rng.random() < 0.5 else np.zeros(0)


def _m_object(rng, f):
    f.s = np.array([*[1.0, None, "a"][: max(1, np.size(f.y) % 3 + 1)], 2.0], dtype=object)


def _m_object_labels(rng, f):
    f.y = np.asarray(f.y).astype(object)
    f.y[0] = None


def _m_string(rng, f):
    f.s = "abc" if rng.random() < 0.5 else np.array(["1.0"] * np.size(f.y))


def _m_string_labels(rng, f):
    f.y = [str(v) for v in np.asarray(f.y).reshape(-1)]


def _m_none_pred(rng, f):
    f.s = None


def _m_scalar_pred(rng, f):  # 0-d: as_f64 makes it one row
    f.s = float(rng.normal()) if rng.random() < 0.5 else np.float64(1.0)
    if rng.random() < 0.5:  # with one label (0-d or 1 row) the call is valid for one row
        f.y = float(rng.integers(0, 3)) if rng.random() < 0.5 else [float(rng.integers(0, 3))]
        f.group = f.weight = f.where = None


def _m_ragged(rng, f):
    f.s = [[1.0, 2.0], [3.0]]


def _m_lists(rng, f):  # valid: plain lists
    f.y = np.asarray(f.y).tolist()
    f.s = np.asarray(f.s).tolist()


def _m_dtypes(rng, f):  # valid: other numeric dtypes
    f.s = np.asarray(f.s).astype(rng.choice([np.float32, np.int32, np.bool_]))
    f.y = np.asarray(f.y).astype(np.int64)


def _m_constant(rng, f):  # valid: all-equal scores
    f.s = np.full(np.shape(f.s), float(rng.choice([0.0, 1e30, -1e30])))


def _m_dict(rng, f):
    f.weight = {"a": 1}


MUTATIONS: dict[str, Callable[[np.random.Generator, FuzzInput], None]] = {
    name[3:]: fn for name, fn in globals().items() if name.startswith("_m_")
}


def _make_fuzz_input(rng: np.random.Generator) -> FuzzInput:
    f = _base_input(rng)
    names = sorted(MUTATIONS)
    n_mut = int(rng.choice([0, 1, 1, 2]))
    muts = tuple(rng.choice(names, size=n_mut, replace=False)) if n_mut else ()
    applied = []
    for name in muts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # casts of NaN / 1e30 to int in _m_dtypes
            try:
                MUTATIONS[name](rng, f)
            except (ValueError, TypeError, IndexError):
                continue  # a mutation that does not apply to an earlier one's output
        applied.append(name)
    f.muts = tuple(applied)
    return f


METRICS = [br.NDCG(k=3), br.NDCG(k=None, gain="linear", no_relevant_score=None),
           br.SpearmanMetric(), br.PairwiseAccuracy(), br.RPSMetric(),
           br.RPSMetric(normalize=True, input="margin")]


def _check_output(out: Any, method: str) -> str | None:
    """None when ``out`` is finite (and Hessians >= floor); otherwise what is wrong."""
    if method in ("grad_hess", "__call__"):
        grad, hess = out
        if not (np.isfinite(grad).all() and np.isfinite(hess).all()):
            return "non-finite grad/hess"
        if not (hess >= HESSIAN_FLOOR).all():
            return f"hess below floor ({hess.min()!r})"
        return None
    if method == "host":
        out = out[1]
    return None if np.isfinite(np.asarray(out, dtype=np.float64)).all() else f"non-finite {out!r}"


def _calls(f: FuzzInput, target: str,
           reduction: str) -> list[tuple[str, Any, str, Callable[[], Any]]]:
    kw = {"group": f.group, "qid": f.qid, "weight": f.weight, "where": f.where}
    host_group = f.group if f.qid is None else None
    out: list[tuple[str, Any, str, Callable[[], Any]]] = []
    if target == "objectives":
        for obj in OBJECTIVES:
            out.append(("loss", obj, reduction,
                        lambda o=obj: o.loss(f.y, f.s, reduction=reduction, **kw)))
            out.append(("grad_hess", obj, "", lambda o=obj: o.grad_hess(f.y, f.s, **kw)))
            out.append(("__call__", obj, "", lambda o=obj: o(f.y, f.s, f.weight, host_group)))
    else:
        for m in METRICS:
            out.append(("score", m, "", lambda m=m: m.score(f.y, f.s, **kw)))
            out.append(("host", m, "", lambda m=m: m(f.y, f.s, f.weight, host_group)))
    return out


@pytest.mark.parametrize("target", ["objectives", "metrics"])
def test_fuzz_valid_and_invalid_inputs(target):
    rng = np.random.default_rng(FUZZ_SEED + (target == "metrics"))
    failures: list[str] = []
    n_ok = n_raised = 0
    for it in range(N_FUZZ):
        f = _make_fuzz_input(rng)
        reduction = str(rng.choice(REDUCTIONS))
        for method, callee, extra, call in _calls(f, target, reduction):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ComplexWarning, RuntimeWarning, ...
                try:
                    out = call()
                except (ValueError, TypeError):
                    n_raised += 1
                    continue
                except Exception as exc:  # any other type is a failure
                    failures.append(f"#{it} {callee!r}.{method}({extra}) raised "
                                    f"{type(exc).__name__}: {exc} | {f.describe()}")
                    continue
            problem = _check_output(out, method)
            if problem is None:
                n_ok += 1
            else:
                failures.append(f"#{it} {callee!r}.{method}({extra}): {problem} | "
                                f"{f.describe()}")
    assert not failures, f"{len(failures)} failing calls, e.g.:\n" + "\n".join(failures[:10])
    # the generator must produce both kinds of input, or the test checks little
    assert n_ok > 1000 and n_raised > 1000, (n_ok, n_raised)


@pytest.mark.parametrize("metric", [br.NDCG(), br.SpearmanMetric(), br.PairwiseAccuracy()],
                         ids=["ndcg", "spearman", "accuracy"])
def test_metric_score_scalar_prediction(metric):
    with pytest.raises(ValueError, match="`y_pred`"):
        metric.score(1.0, 2.0)


def test_ndcg_huge_exponential_labels():
    y, s = [2000.0, 0.0], [1.0, 2.0]  # the relevant row ranked second
    try:
        value = br.NDCG(k=None).score(y, s)
    except ValueError:
        return  # refusing such labels (as the NDCG lambda weights do above 31) is fine too
    assert value == pytest.approx(1.0 / math.log2(3.0), rel=1e-12)


@pytest.mark.parametrize("metric", [br.NDCG(), br.SpearmanMetric(), br.PairwiseAccuracy()],
                         ids=["ndcg", "spearman", "accuracy"])
@pytest.mark.parametrize("grouping", [{"group": [-5, 11]}, {"qid": [0, 1, 0, 1, 0, 1]}],
                         ids=["negative-sizes", "interleaved-qid"])
def test_metric_padded_input_refuses_groups(metric, grouping):
    y = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    s = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError):
        br.softmax_ranking.loss(y, s, **grouping)  # what the objectives do
    with pytest.raises(ValueError):
        metric.score(y, s, **grouping)


# =========================================================================== (3) determinism
DETERMINISM_SIZES = (40, 1, 7, 64, 3, 25, 2, 50, 12, 33)


@pytest.mark.parametrize("obj", OBJECTIVES, ids=OBJECTIVE_IDS)
def test_bit_identical_across_thread_counts(obj):
    n_threads = numba.config.NUMBA_NUM_THREADS
    if n_threads < 2:
        pytest.skip("Numba has a single thread here: nothing to compare")
    d = data_for(obj, seed=5, sizes=DETERMINISM_SIZES)
    s = d.s.copy()
    s[:10] = s[0]  # some exact ties
    kw = {"group": d.sizes, "weight": d.w, "where": d.where}

    def run() -> list[bytes]:
        g, h = obj.grad_hess(d.y, s, **kw)
        parts = np.asarray(obj.loss(d.y, s, reduction="none", **kw))
        hg, hh = (copy.deepcopy(obj) if counts_rounds(obj) else obj)(d.y, s, d.w, d.sizes)
        return [bits(g), bits(h), bits(parts), bits(hg), bits(hh)]

    many = run()
    try:
        numba.set_num_threads(1)
        one = run()
    finally:
        numba.set_num_threads(n_threads)
    assert numba.get_num_threads() == n_threads
    for name, a, b in zip(("grad", "hess", "loss", "host grad", "host hess"), one, many,
                          strict=True):
        assert a == b, f"{name} differs between 1 and {n_threads} threads"


@pytest.mark.parametrize("metric", METRICS, ids=repr)
def test_metric_bit_identical_across_thread_counts(metric):
    n_threads = numba.config.NUMBA_NUM_THREADS
    if n_threads < 2:
        pytest.skip("Numba has a single thread here: nothing to compare")
    rps = isinstance(metric, br.RPSMetric)
    d = data_for(br.rps if rps else br.pairwise_logistic, seed=9, sizes=DETERMINISM_SIZES)
    kw = {"group": d.sizes, "where": d.where}
    many = bits(metric.per_group(d.y, d.s, **kw))
    try:
        numba.set_num_threads(1)
        one = bits(metric.per_group(d.y, d.s, **kw))
    finally:
        numba.set_num_threads(n_threads)
    assert one == many


# =========================================================================== (4) extremes
EXTREME_OBJECTIVES = [
    *(cls(temperature=t, **opts)
      for cls in (br.PairwiseSoftZeroOne, br.PairwiseLogistic)
      for t in (1e-8, 1e8)
      for opts in ({}, {"lambda_weight": "ndcg", "k": 3})),
    br.PairwiseSoftZeroOne(temperature=1e-8, hessian="exact"),
    *(br.PairwiseSquaredHinge(margin=m, **opts)
      for m in (1e-8, 1e8) for opts in ({}, {"lambda_weight": "ndcg", "k": 3})),
    *(br.SoftSpearman(regularization_strength=t, hessian=h)
      for t in (1e-8, 1e8) for h in ("gauss_newton", "pair_magnitude")),
    br.CombinedLoss(regularization_strength=1e-8),
    br.CombinedLoss(regularization_strength=1e8),
]


def _extreme_scores(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=n)
    if kind == "close":  # gaps ~1e-9: u = gap / T of order 0.1 at T = 1e-8
        return rng.integers(0, 5, n) * 1e-9
    if kind == "far":  # gaps ~1e9: u of order 10 at T = 1e8
        return rng.normal(size=n) * 1e9
    if kind == "ties":
        return np.full(n, 0.3)
    return rng.choice([-1e30, 0.0, 1e30], n)  # "huge"


@pytest.mark.parametrize("scores", ["normal", "close", "far", "ties", "huge"])
@pytest.mark.parametrize("obj", EXTREME_OBJECTIVES, ids=repr)
def test_extreme_temperatures_and_strengths(obj, scores):
    rng = np.random.default_rng(3)
    d = data_for(obj, seed=11, sizes=(1, 5, 12, 2, 9))
    s = _extreme_scores(scores, d.n, rng)
    y = d.y if not is_spearman_family(obj) else rng.normal(size=d.n)
    for kw in ({"group": d.sizes}, {"group": d.sizes, "weight": d.w, "where": d.where}):
        grad, hess = obj.grad_hess(y, s, **kw)
        assert_grad_hess_ok(grad, hess, s.shape, repr(obj))
        assert_finite(obj.loss(y, s, reduction="sum", **kw), "loss")
        if is_pairwise(obj):
            # each pair's gradient is at most c / (4 T) (soft zero-one) or c / T (logistic)
            bound = np.sum(d.w if "weight" in kw else 1.0) * 12 / obj.temperature
            assert np.abs(grad).max() <= bound


# =========================================================================== (5) large groups
def _large_ranking(n: int, rng: np.random.Generator, binary: bool) -> tuple[np.ndarray, ...]:
    y = ((rng.random(n) < 0.1) if binary else rng.integers(0, 5, n)).astype(np.float64)
    y[rng.random(n) < 0.01] = -1.0
    s = np.round(rng.normal(size=n), 2)  # many exact ties
    return y, s


def test_softmax_ranking_one_group_of_100k_rows():
    rng = np.random.default_rng(0)
    n = 100_000
    y, s = _large_ranking(n, rng, binary=False)
    obj = br.softmax_ranking
    grad, hess = obj.grad_hess(y, s)
    assert_grad_hess_ok(grad, hess, (n,), "softmax_ranking")
    # dl/ds_k = A p_k - w_k y_k sums to 0 over the group
    total = y[y >= 0].sum()
    assert abs(grad.sum()) <= 1e-9 * total
    assert_finite(obj.loss(y, s, reduction="sum"), "loss")
    hg, hh = obj(y, s, None, [n])
    assert_grad_hess_ok(hg, hh, (n,), "softmax_ranking host")


def test_rps_100k_rows():
    rng = np.random.default_rng(1)
    n, k = 100_000, 5
    y = rng.integers(-1, k, n).astype(np.float64)
    z = rng.normal(size=(n, k)) * 3
    z[::7] = 1e30  # all-equal margins in some rows
    grad, hess = br.rps.grad_hess(y, z)
    assert_grad_hess_ok(grad, hess, (n, k), "rps")
    # softmax-invariance: each row's gradient sums to 0 over the classes
    assert np.abs(grad.sum(axis=1)).max() <= 1e-12
    value = br.rps.loss(y, z, reduction="sum")
    assert_finite(value, "loss")
    assert 0 <= value <= (k - 1) * n
    hg, hh = br.rps(y, z, None, None)
    assert_grad_hess_ok(hg, hh, (n, k), "rps host")


def test_pairwise_logistic_one_group_of_20k_rows():
    rng = np.random.default_rng(2)
    n = 20_000
    y, s = _large_ranking(n, rng, binary=True)  # sparse binary relevance keeps the loss fast
    obj = br.pairwise_logistic
    grad, hess = obj.grad_hess(y, s)
    assert_grad_hess_ok(grad, hess, (n,), "pairwise_logistic")
    assert abs(grad.sum()) <= 1e-9 * np.abs(grad).sum()  # pairs add and subtract
    assert_finite(obj.loss(y, s, reduction="sum"), "loss")
    hg, hh = obj(y, s, None, [n])
    assert_grad_hess_ok(hg, hh, (n,), "pairwise_logistic host")


# =========================================================================== (6) RPS shapes
RPS_Y = np.array([0.0, 2.0, 1.0, 2.0])
RPS_Z = np.arange(12.0).reshape(4, 3) / 10

RPS_SHAPE_CASES = [
    pytest.param(RPS_Y, RPS_Z[:, :1], "y_pred", id="n-by-1-margins"),
    pytest.param(RPS_Y, RPS_Z.ravel(), "y_pred", id="flat-margins"),
    pytest.param(RPS_Y, RPS_Z[:, 0], "y_pred", id="1d-one-per-row"),
    pytest.param(RPS_Y, RPS_Z[..., None], "y_pred", id="3d-margins"),
    pytest.param(RPS_Y, RPS_Z[:, :0], "y_pred", id="zero-classes"),
    pytest.param(np.array([0.0, 3.0, 1.0, 2.0]), RPS_Z, "y_true", id="label-equals-K"),
    pytest.param(np.array([0.0, 9.0, 1.0, 2.0]), RPS_Z, "y_true", id="label-above-K"),
    pytest.param(np.array([0.0, 1.5, 1.0, 2.0]), RPS_Z, "y_true", id="label-non-integer"),
    pytest.param(RPS_Y[:3], RPS_Z, "y_true", id="too-few-labels"),
    pytest.param(np.append(RPS_Y, 1.0), RPS_Z, "y_true", id="too-many-labels"),
]


@pytest.mark.parametrize(("y", "z", "name"), RPS_SHAPE_CASES)
@pytest.mark.parametrize("obj", [br.rps, br.RankedProbabilityScore(normalize=True,
                                                                      hessian="exact")],
                         ids=["rps", "rps-normalized-exact"])
def test_rps_shape_errors_name_the_argument(obj, y, z, name):
    for call in (lambda: obj.loss(y, z), lambda: obj.grad_hess(y, z),
                 lambda: obj(y, z, None, None), lambda: obj.metric.score(y, z)):
        with pytest.raises(ValueError, match=f"`{name}`"):
            call()


@pytest.mark.parametrize(("y", "z", "name"), RPS_SHAPE_CASES)
def test_rps_metric_shape_errors_name_the_argument(y, z, name):
    for call in (lambda: br.RPSMetric().score(y, z), lambda: br.RPSMetric()(y, z, None, None),
                 lambda: br.RPSMetric(input="margin").per_group(y, z)):
        with pytest.raises(ValueError, match=f"`{name}`"):
            call()


def test_rps_xgboost_flat_predictions_name_y_pred():
    """XGBoost without ``num_class`` passes one margin per row."""
    xgb = pytest.importorskip("xgboost")
    dtrain = xgb.DMatrix(np.zeros((4, 1)), label=RPS_Y)
    with pytest.raises(ValueError, match="`y_pred`"):
        br.rps(np.zeros(4), dtrain)
    with pytest.raises(ValueError, match="`y_pred`"):
        br.rps(np.zeros((4, 1)), dtrain)
    bad = xgb.DMatrix(np.zeros((4, 1)), label=[0.0, 3.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="`y_true`"):
        br.rps(RPS_Z, bad)
