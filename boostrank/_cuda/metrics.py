"""GPU twins of the per-group metric kernels in :mod:`boostrank._kernels.metrics`.

Same values and conventions (NaN for undefined groups).  Where the CPU sorts a group, a
thread here counts, for its own row, the valid rows of its group above it and tied with it
(O(m) per row, O(m^2) per group, no scratch of that size): that is all tie-averaged DCG,
average ranks and the tie-expected AP/RR need.  Per-row terms are then summed per group by a
block reduction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda

from .._kernels import metrics as _cpu
from ._common import group_of, ndcg_discount, on_rows, sum_by_group

_gain = cuda.jit(device=True)(_cpu._gain.py_func)


# --------------------------------------------------------------------------- NDCG
@cuda.jit(cache=True)
def _ndcg_terms(scores: Any, labels: Any, valid: Any, offsets: Any, k: int, exponential: bool,
                out: Any) -> None:
    """Row i's share of the tie-averaged DCG (its gain times the mean discount over its tie
    block's positions) and of the ideal DCG (its gain at its label-sorted position)."""
    i = cuda.grid(1)
    if i >= scores.size:
        return
    out[i, 0] = 0.0
    out[i, 1] = 0.0
    if not valid[i]:
        return
    g = group_of(offsets, i)
    xi = scores[i]
    yi = labels[i]
    above = 0
    tied = 0
    ideal_pos = 1
    for j in range(offsets[g], offsets[g + 1]):
        if not valid[j]:
            continue
        if scores[j] > xi:
            above += 1
        elif scores[j] == xi:
            tied += 1
        if labels[j] > yi or (labels[j] == yi and j < i):
            ideal_pos += 1
    disc = 0.0
    for t in range(above + 1, above + tied + 1):
        disc += ndcg_discount(t, k)
    gain = _gain(yi, exponential)
    out[i, 0] = gain * disc / tied
    out[i, 1] = gain * ndcg_discount(ideal_pos, k)


@cuda.jit(cache=True)
def _ndcg_finish(sums: Any, out: Any) -> None:
    g = cuda.grid(1)
    if g < out.size:
        out[g] = sums[g, 0] / sums[g, 1] if sums[g, 1] > 0.0 else math.nan


def ndcg_groups(scores: Any, labels: Any, valid: Any, offsets: Any, k: int, exponential: bool,
                out: Any) -> None:
    """Twin of the CPU ``ndcg_groups``."""
    terms = cuda.device_array((scores.size, 2), dtype=np.float64)
    on_rows(_ndcg_terms, scores.size)(scores, labels, valid, offsets, k, exponential, terms)
    on_rows(_ndcg_finish, out.size)(sum_by_group(terms, offsets), out)


# --------------------------------------------------------------------------- correlations
@cuda.jit(cache=True)
def _moment_terms(a: Any, b: Any, valid: Any, offsets: Any, average_ranks: bool,
                  out: Any) -> None:
    """Row terms of the first pass: [1, x_i, y_i, x varies, y varies] on valid rows, with x, y
    the average ranks (ties averaged) of the scores and labels when ``average_ranks``."""
    i = cuda.grid(1)
    if i >= a.size:
        return
    for c in range(5):
        out[i, c] = 0.0
    if not valid[i]:
        return
    g = group_of(offsets, i)
    first = offsets[g]
    while not valid[first]:
        first += 1
    out[i, 0] = 1.0
    out[i, 3] = 1.0 if a[i] != a[first] else 0.0
    out[i, 4] = 1.0 if b[i] != b[first] else 0.0
    if not average_ranks:
        out[i, 1] = a[i]
        out[i, 2] = b[i]
        return
    below_a = 0
    tied_a = 0
    below_b = 0
    tied_b = 0
    for j in range(offsets[g], offsets[g + 1]):
        if valid[j]:
            below_a += a[j] < a[i]
            tied_a += a[j] == a[i]
            below_b += b[j] < b[i]
            tied_b += b[j] == b[i]
    out[i, 1] = below_a + 0.5 * (tied_a + 1)
    out[i, 2] = below_b + 0.5 * (tied_b + 1)


@cuda.jit(cache=True)
def _centred_terms(first: Any, valid: Any, offsets: Any, moments: Any, out: Any) -> None:
    """Row terms once the group means are known: [da db, da^2, db^2] around them."""
    i = cuda.grid(1)
    if i >= valid.size:
        return
    out[i, 0] = 0.0
    out[i, 1] = 0.0
    out[i, 2] = 0.0
    if not valid[i]:
        return
    g = group_of(offsets, i)
    m = moments[g, 0]
    da = first[i, 1] - moments[g, 1] / m
    db = first[i, 2] - moments[g, 2] / m
    out[i, 0] = da * db
    out[i, 1] = da * da
    out[i, 2] = db * db


@cuda.jit(cache=True)
def _corr_finish(moments: Any, sums: Any, out: Any) -> None:
    g = cuda.grid(1)
    if g >= out.size:
        return
    if moments[g, 0] < 2.0 or moments[g, 4] == 0.0:
        out[g] = math.nan
    elif moments[g, 3] == 0.0:
        out[g] = 0.0
    else:
        out[g] = sums[g, 0] / math.sqrt(sums[g, 1] * sums[g, 2])


def _correlation(scores: Any, labels: Any, valid: Any, offsets: Any, average_ranks: bool,
                 out: Any) -> None:
    n = scores.size
    first = cuda.device_array((n, 5), dtype=np.float64)
    on_rows(_moment_terms, n)(scores, labels, valid, offsets, average_ranks, first)
    moments = sum_by_group(first, offsets)
    centred = cuda.device_array((n, 3), dtype=np.float64)
    on_rows(_centred_terms, n)(first, valid, offsets, moments, centred)
    on_rows(_corr_finish, out.size)(moments, sum_by_group(centred, offsets), out)


def spearman_groups(scores: Any, labels: Any, valid: Any, offsets: Any, out: Any) -> None:
    """Twin of the CPU ``spearman_groups``."""
    _correlation(scores, labels, valid, offsets, True, out)


def pearson_groups(scores: Any, labels: Any, valid: Any, offsets: Any, out: Any) -> None:
    """Twin of the CPU ``pearson_groups``."""
    _correlation(scores, labels, valid, offsets, False, out)


# --------------------------------------------------------------------------- pairwise accuracy
@cuda.jit(cache=True)
def _accuracy_terms(scores: Any, labels: Any, valid: Any, offsets: Any, out: Any) -> None:
    """[pairs, correctly ordered pairs] with row i as the preferred item (ties count 1/2)."""
    i = cuda.grid(1)
    if i >= scores.size:
        return
    pairs = 0.0
    good = 0.0
    if valid[i]:
        g = group_of(offsets, i)
        for j in range(offsets[g], offsets[g + 1]):
            if valid[j] and labels[i] > labels[j]:
                pairs += 1.0
                d = scores[i] - scores[j]
                if d > 0.0:
                    good += 1.0
                elif d == 0.0:
                    good += 0.5
    out[i, 0] = pairs
    out[i, 1] = good


@cuda.jit(cache=True)
def _ratio_finish(sums: Any, out: Any) -> None:
    g = cuda.grid(1)
    if g < out.size:
        out[g] = sums[g, 1] / sums[g, 0] if sums[g, 0] > 0.0 else math.nan


def pairwise_accuracy_groups(scores: Any, labels: Any, valid: Any, offsets: Any,
                             out: Any) -> None:
    """Twin of the CPU ``pairwise_accuracy_groups``."""
    terms = cuda.device_array((scores.size, 2), dtype=np.float64)
    on_rows(_accuracy_terms, scores.size)(scores, labels, valid, offsets, terms)
    on_rows(_ratio_finish, out.size)(sum_by_group(terms, offsets), out)


# --------------------------------------------------------------------------- AP@k and RR@k
@cuda.jit(cache=True)
def _ap_rr_terms(scores: Any, labels: Any, valid: Any, offsets: Any, k: int, out: Any) -> None:
    """[AP share, RR share, relevant, valid] of row i.  The first row (in row order) of each
    block of tied scores adds its block's expected contributions, with the formulas of the
    CPU's ``_tie_averaged_ap_rr``; every valid row counts itself in the last two columns."""
    i = cuda.grid(1)
    if i >= scores.size:
        return
    for c in range(4):
        out[i, c] = 0.0
    if not valid[i]:
        return
    out[i, 2] = 1.0 if labels[i] > 0.0 else 0.0
    out[i, 3] = 1.0
    g = group_of(offsets, i)
    xi = scores[i]
    r = 0  # rows strictly above the block
    b = 0  # rows in the block
    h = 0  # relevant rows in the block
    above = 0  # relevant rows above the block
    m = 0
    for j in range(offsets[g], offsets[g + 1]):
        if not valid[j]:
            continue
        m += 1
        if scores[j] > xi:
            r += 1
            above += labels[j] > 0.0
        elif scores[j] == xi:
            if j < i:
                return  # not the block's first row
            b += 1
            h += labels[j] > 0.0
    cut = m if k <= 0 else min(k, m)
    if h == 0 or r >= cut:
        return
    ap = 0.0
    for t in range(1, b + 1):
        if r + t > cut:
            break
        extra = (t - 1) * (h - 1) / (b - 1) if b > 1 else 0.0
        ap += h / b * (above + 1.0 + extra) / (r + t)
    rr = 0.0
    if above == 0:
        q = 1.0
        for j in range(b - h + 1):
            if r + j + 1 > cut:
                break
            rr += q * h / (b - j) / (r + j + 1)
            q *= (b - h - j) / (b - j)
    out[i, 0] = ap
    out[i, 1] = rr


@cuda.jit(cache=True)
def _ap_rr_finish(sums: Any, k: int, ap_out: Any, rr_out: Any) -> None:
    g = cuda.grid(1)
    if g >= ap_out.size:
        return
    n_rel = sums[g, 2]
    if n_rel == 0.0:
        ap_out[g] = math.nan
        rr_out[g] = math.nan
        return
    m = sums[g, 3]
    cut = m if k <= 0 else min(float(k), m)
    ap_out[g] = sums[g, 0] / min(n_rel, cut)
    rr_out[g] = sums[g, 1]


def ap_rr_groups(scores: Any, labels: Any, valid: Any, offsets: Any, k: int, ap_out: Any,
                 rr_out: Any) -> None:
    """Twin of the CPU ``ap_rr_groups``."""
    terms = cuda.device_array((scores.size, 4), dtype=np.float64)
    on_rows(_ap_rr_terms, scores.size)(scores, labels, valid, offsets, k, terms)
    on_rows(_ap_rr_finish, ap_out.size)(sum_by_group(terms, offsets), k, ap_out, rr_out)
