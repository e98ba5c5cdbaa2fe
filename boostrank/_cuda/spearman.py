"""GPU twin of :mod:`boostrank._kernels.spearman` (same loss, gradient and Hessians; see its
docstring for the maths).

The GPU evaluates every pair: one thread per row sums its side of the group's pairs, which
spreads an era of thousands of rows over many blocks.  ``method`` is therefore not used here
("exact" and "windowed" agree to rtol 1e-9 on the CPU).  As in the pairwise kernels, a group
whose score span over tau is small enough takes one exponential per row, E_i =
exp((x_i - mid) / tau), and sigma((x_i - x_j) / tau) = E_i / (E_i + E_j) per pair (a division
instead of an exponential); wider groups take a sigmoid per pair.  ``label_ranks``, when it has
one entry per row, is taken as the centred soft ranks of the labels: the objective computes
them once per data set with :func:`spearman_label_ranks` (every pair) and keeps them on the
device; otherwise they are computed here.  Scratch arrays are reused per data set.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels.spearman import CORR_EPS, GN_DAMPING, HESS_PAIR_MAGNITUDE, mse_mix
from ._common import (
    block_sum,
    derived,
    group_of,
    on_groups,
    on_rows,
    row_exponentials,
    sigmoid_both,
    sum_by_group,
    workspace,
)


@cuda.jit(cache=True)
def _count_terms(weights: Any, valid: Any, out: Any) -> None:
    i = cuda.grid(1)
    if i < valid.size:
        out[i, 0] = 1.0 if valid[i] else 0.0
        out[i, 1] = weights[i] if valid[i] and weights.size == valid.size else 0.0


def _counts(weights: Any, valid: Any, offsets: Any) -> Any:
    """(n_groups, 2): the valid rows m and their weight sum per group (0 without weights);
    once per data set."""

    def compute() -> Any:
        terms = cuda.device_array((valid.size, 2), dtype=np.float64)
        on_rows(_count_terms, valid.size)(weights, valid, terms)
        return sum_by_group(terms, offsets)

    return derived((weights, valid, offsets), "spearman.counts", compute)


@cuda.jit(device=True)
def _sigmoid_pair(per_row_exp: bool, xi: float, xj: float, inv: float) -> tuple[float, float]:
    """(sigma(u), sigma(-u)), u = (x_i - x_j) / tau: from E_i and E_j when ``per_row_exp``
    (x holds E), else from the raw values."""
    if per_row_exp:
        inv_den = 1.0 / (xi + xj)
        return xi * inv_den, xj * inv_den
    return sigmoid_both((xi - xj) * inv)


@cuda.jit(cache=True)
def _centred_soft_ranks(x: Any, expo: Any, use_exp: Any, valid: Any, offsets: Any, inv: float,
                        counts: Any, b: Any, out: Any, terms: Any) -> None:
    """out_i = sum_j sigma((x_i - x_j) / tau) - m / 2 over the valid rows j of i's group; with
    the labels' ranks ``b`` (one per row), also the row's terms (a^2, b^2, a b) of A, B, N."""
    i = cuda.grid(1)
    if i >= x.size:
        return
    a = 0.0
    if valid[i]:
        g = group_of(offsets, i)
        per_row_exp = use_exp[g]
        v = expo if per_row_exp else x
        vi = v[i]
        r = 0.5
        for j in range(offsets[g], offsets[g + 1]):
            if j != i and valid[j]:
                r += _sigmoid_pair(per_row_exp, vi, v[j], inv)[0]
        a = r - 0.5 * counts[g, 0]
    out[i] = a
    if b.size == x.size:  # a = b = 0 on invalid rows
        terms[i, 0] = a * a
        terms[i, 1] = b[i] * b[i]
        terms[i, 2] = a * b[i]


def _soft_ranks(x: Any, valid: Any, offsets: Any, tau: float, counts: Any, key: Any,
                name: str, b: Any, out: Any, terms: Any) -> None:
    use_exp, expo = row_exponentials(x, valid, offsets, 1.0 / tau, key, name)
    on_rows(_centred_soft_ranks, x.size)(x, expo, use_exp, valid, offsets, 1.0 / tau, counts,
                                         b, out, terms)


def spearman_label_ranks(labels: Any, valid: Any, offsets: Any, tau: float, out: Any) -> None:
    """Twin of the CPU ``spearman_label_ranks`` (every pair evaluated)."""
    counts = _counts(cuda.device_array(0, dtype=np.float64), valid, offsets)
    none = cuda.device_array(0, dtype=np.float64)
    _soft_ranks(labels, valid, offsets, tau, counts, labels, "spearman.label", none, out,
                cuda.device_array((0, 3), dtype=np.float64))


def _corr_parts(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any, tau: float,
                label_ranks: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Centred soft ranks a (scores) and b (labels), per-group (m, wsum) and (A, B, N), and
    the scores' exponentials (use_exp, E) for the pair sums that follow."""
    n = scores.size
    counts = _counts(weights, valid, offsets)
    if label_ranks.size == n:
        b = label_ranks
    else:
        b = workspace(labels, "spearman.b", n)
        _soft_ranks(labels, valid, offsets, tau, counts, labels, "spearman.label",
                    workspace(labels, "spearman.no_b", 0), b,
                    workspace(labels, "spearman.no_terms", (0, 3)))
    a = workspace(labels, "spearman.a", n)
    terms = workspace(labels, "spearman.terms", (n, 3))
    use_exp, expo = row_exponentials(scores, valid, offsets, 1.0 / tau, labels, "spearman")
    on_rows(_centred_soft_ranks, n)(scores, expo, use_exp, valid, offsets, 1.0 / tau, counts,
                                    b, a, terms)
    sums = sum_by_group(terms, offsets, workspace(labels, "spearman.sums",
                                                  (offsets.size - 1, 3)))
    return a, b, counts, sums, (use_exp, expo)


@cuda.jit(cache=True)
def _loss_from_parts(counts: Any, sums: Any, out: Any) -> None:
    g = cuda.grid(1)
    if g < out.size:
        m = counts[g, 0]
        wbar = counts[g, 1] / m if m > 0 else 0.0
        out[g] = -wbar * sums[g, 2] / math.sqrt(sums[g, 0] * sums[g, 1] + CORR_EPS)


def spearman_loss_groups(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                         tau: float, method: int, label_ranks: Any, out: Any) -> None:
    """Twin of the CPU ``spearman_loss_groups``."""
    _, _, counts, sums, _ = _corr_parts(scores, labels, weights, valid, offsets, tau,
                                        label_ranks)
    on_rows(_loss_from_parts, out.size)(counts, sums, out)


@cuda.jit(cache=True)
def _corr_gradient(valid: Any, offsets: Any, a: Any, b: Any, sums: Any, out: Any) -> None:
    """c_k = d corr / d r_k = b_k / D - N B a_k / D^3 (the CPU kernel's expression)."""
    i = cuda.grid(1)
    if i >= a.size:
        return
    out[i] = 0.0
    if valid[i]:
        g = group_of(offsets, i)
        big_b = sums[g, 1]
        big_n = sums[g, 2]
        d = math.sqrt(sums[g, 0] * big_b + CORR_EPS)
        out[i] = b[i] / d - big_n * big_b * a[i] / (d * d * d)


@cuda.jit(cache=True)
def _grad_hess_rows(scores: Any, expo: Any, use_exp: Any, valid: Any, offsets: Any, inv: float,
                    hess_kind: int, tie_step: float, a: Any, c: Any, counts: Any, sums: Any,
                    grad: Any, hess: Any) -> None:
    i = cuda.grid(1)
    if i >= scores.size:
        return
    grad[i] = 0.0
    hess[i] = HESSIAN_FLOOR
    if not valid[i]:
        return
    g = group_of(offsets, i)
    m = counts[g, 0]
    wbar = counts[g, 1] / m
    if m < 2 or wbar == 0.0:
        return
    big_a = sums[g, 0]
    big_b = sums[g, 1]
    ci = c[i]
    per_row_exp = use_exp[g]
    v = expo if per_row_exp else scores
    vi = v[i]
    gsum = 0.0
    habs = 0.0
    dsum = 0.0
    dsq = 0.0
    adot = 0.0
    for j in range(offsets[g], offsets[g + 1]):
        if j == i or not valid[j]:
            continue
        sp, sn = _sigmoid_pair(per_row_exp, vi, v[j], inv)
        sd = sp * sn
        if sd == 0.0:
            continue
        t = sd * (ci - c[j])
        gsum += t
        if hess_kind == HESS_PAIR_MAGNITUDE:
            habs += abs(t)
        else:
            dsum += sd
            dsq += sd * sd
            adot += sd * (a[i] - a[j])
    grad[i] = -wbar * gsum * inv
    if hess_kind == HESS_PAIR_MAGNITUDE:
        h = wbar * habs * inv * inv
    else:
        inv_norm_a = 1.0 / math.sqrt(big_a) if big_a > 0.0 else 0.0
        tie_d2 = tie_step * math.sqrt(CORR_EPS * big_b * m) * (m - 1) / 4.0
        vv = (dsum * dsum + dsq) * inv * inv
        av = adot * inv * inv_norm_a
        d2 = max(big_a * big_b + CORR_EPS, tie_d2)
        h = wbar * big_b / d2 * max(vv - av * av, GN_DAMPING * vv)
    hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


def spearman_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                       tau: float, hess_kind: int, tie_step: float, method: int,
                       label_ranks: Any, grad: Any, hess: Any) -> None:
    """Twin of the CPU ``spearman_grad_hess``."""
    a, b, counts, sums, (use_exp, expo) = _corr_parts(scores, labels, weights, valid, offsets,
                                                      tau, label_ranks)
    c = workspace(labels, "spearman.c", scores.size)
    on_rows(_corr_gradient, scores.size)(valid, offsets, a, b, sums, c)
    on_rows(_grad_hess_rows, scores.size)(scores, expo, use_exp, valid, offsets, 1.0 / tau,
                                          hess_kind, tie_step, a, c, counts, sums, grad, hess)


#: the CPU kernel's per-group mix, compiled for the device: one source
_mse_mix = cuda.jit(device=True)(mse_mix.py_func)


@cuda.jit(cache=True)
def _add_mse_groups(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                    mse_weight: float, spearman_weight: float, balanced: bool, grad: Any,
                    hess: Any) -> None:
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    part_w = 0.0
    part_h = 0.0
    part_n = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            part_w += weights[i]
            part_h += hess[i]
            part_n += 1.0
        i += cuda.blockDim.x
    total_w = block_sum(shared, part_w)
    total_h = block_sum(shared, part_h)
    count = block_sum(shared, part_n)
    lam, row_scale = _mse_mix(total_w, total_h, count, mse_weight, spearman_weight, balanced)
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            scale = row_scale * weights[i]
            grad[i] = lam * grad[i] + scale * (scores[i] - labels[i])
            h = lam * hess[i] + scale
            hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
        else:
            grad[i] = 0.0
            hess[i] = HESSIAN_FLOOR
        i += cuda.blockDim.x


def add_mse_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                      mse_weight: float, spearman_weight: float, balanced: bool, grad: Any,
                      hess: Any) -> None:
    """Twin of the CPU ``add_mse_grad_hess`` (CombinedLoss)."""
    on_groups(_add_mse_groups, offsets.size - 1)(scores, labels, weights, valid, offsets,
                                                 mse_weight, spearman_weight, balanced, grad,
                                                 hess)
