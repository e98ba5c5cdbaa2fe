"""GPU twin of :mod:`boostrank._kernels.spearman` (same loss, gradient and Hessians; see its
docstring for the maths).

The GPU evaluates every pair: one thread per row sums its side of the group's pairs, which
spreads an era of thousands of rows over many blocks.  ``method`` is therefore not used here
("exact" and "windowed" agree to rtol 1e-9 on the CPU).  ``label_ranks``, when it has one entry
per row, is taken as the centred soft ranks of the labels: the objective computes them once per
data set with :func:`spearman_label_ranks` (every pair) and keeps them on the device;
otherwise they are computed here.
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
    group_of,
    on_groups,
    on_rows,
    sigmoid,
    sigmoid_both,
    sum_by_group,
)


@cuda.jit(cache=True)
def _count_terms(weights: Any, valid: Any, out: Any) -> None:
    i = cuda.grid(1)
    if i < valid.size:
        out[i, 0] = 1.0 if valid[i] else 0.0
        out[i, 1] = weights[i] if valid[i] and weights.size == valid.size else 0.0


def _counts(weights: Any, valid: Any, offsets: Any) -> Any:
    """(n_groups, 2): the valid rows m and their weight sum per group (0 without weights)."""
    terms = cuda.device_array((valid.size, 2), dtype=np.float64)
    on_rows(_count_terms, valid.size)(weights, valid, terms)
    return sum_by_group(terms, offsets)


@cuda.jit(cache=True)
def _centred_soft_ranks(x: Any, valid: Any, offsets: Any, inv: float, counts: Any,
                        out: Any) -> None:
    """out_i = sum_j sigma((x_i - x_j) / tau) - m / 2 over the valid rows j of i's group."""
    i = cuda.grid(1)
    if i >= x.size:
        return
    out[i] = 0.0
    if not valid[i]:
        return
    g = group_of(offsets, i)
    xi = x[i]
    r = 0.5
    for j in range(offsets[g], offsets[g + 1]):
        if j != i and valid[j]:
            r += sigmoid((xi - x[j]) * inv)
    out[i] = r - 0.5 * counts[g, 0]


def spearman_label_ranks(labels: Any, valid: Any, offsets: Any, tau: float, out: Any) -> None:
    """Twin of the CPU ``spearman_label_ranks`` (every pair evaluated)."""
    counts = _counts(cuda.device_array(0, dtype=np.float64), valid, offsets)
    on_rows(_centred_soft_ranks, labels.size)(labels, valid, offsets, 1.0 / tau, counts, out)


@cuda.jit(cache=True)
def _product_terms(a: Any, b: Any, out: Any) -> None:
    i = cuda.grid(1)
    if i < a.size:  # a = b = 0 on invalid rows
        out[i, 0] = a[i] * a[i]
        out[i, 1] = b[i] * b[i]
        out[i, 2] = a[i] * b[i]


def _corr_parts(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any, tau: float,
                label_ranks: Any) -> tuple[Any, Any, Any, Any]:
    """Centred soft ranks a (scores) and b (labels), per-group (m, wsum) and (A, B, N)."""
    n = scores.size
    counts = _counts(weights, valid, offsets)
    a = cuda.device_array(n, dtype=np.float64)
    on_rows(_centred_soft_ranks, n)(scores, valid, offsets, 1.0 / tau, counts, a)
    if label_ranks.size == n:
        b = label_ranks
    else:
        b = cuda.device_array(n, dtype=np.float64)
        on_rows(_centred_soft_ranks, n)(labels, valid, offsets, 1.0 / tau, counts, b)
    terms = cuda.device_array((n, 3), dtype=np.float64)
    on_rows(_product_terms, n)(a, b, terms)
    return a, b, counts, sum_by_group(terms, offsets)


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
    _, _, counts, sums = _corr_parts(scores, labels, weights, valid, offsets, tau, label_ranks)
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
def _grad_hess_rows(scores: Any, valid: Any, offsets: Any, inv: float, hess_kind: int,
                    tie_step: float, a: Any, c: Any, counts: Any, sums: Any, grad: Any,
                    hess: Any) -> None:
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
    xi = scores[i]
    gsum = 0.0
    habs = 0.0
    dsum = 0.0
    dsq = 0.0
    adot = 0.0
    for j in range(offsets[g], offsets[g + 1]):
        if j == i or not valid[j]:
            continue
        sp, sn = sigmoid_both((xi - scores[j]) * inv)
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
    a, b, counts, sums = _corr_parts(scores, labels, weights, valid, offsets, tau, label_ranks)
    c = cuda.device_array(scores.size, dtype=np.float64)
    on_rows(_corr_gradient, scores.size)(valid, offsets, a, b, sums, c)
    on_rows(_grad_hess_rows, scores.size)(scores, valid, offsets, 1.0 / tau, hess_kind,
                                          tie_step, a, c, counts, sums, grad, hess)


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
