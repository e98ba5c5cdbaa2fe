r"""Pairwise soft zero-one and pairwise logistic (RankNet) losses.

For a group g, valid rows only, u_ij = (s_i - s_j) / T and c_ij = w_i * lambda_ij:

    l_g = sum_i sum_j [y_i > y_j] c_ij * phi(u_ij)

    soft zero-one:  phi(u) = 1 - sigma(u)          phi'(u) = -q       phi''(u) = q (2 sigma(u) - 1)
    logistic:       phi(u) = log(1 + exp(-u))     phi'(u) = -sigma(-u) phi''(u) = q

with q = sigma(u) sigma(-u).  ``lambda_ij`` is 1, or |Delta NDCG_ij| (LambdaRank) held fixed.
Each unordered pair is visited once and updates both rows.

Two forms of the gradient kernel, same results up to the order of summation:

* ``pairwise_grad_hess``: rows in their own order, a label comparison per pair.
* ``pairwise_grad_hess_ordered`` (what the objectives call): rows of each group in descending
  label order (``pairwise_label_order``, computed once per data set and cached), so the pairs
  [y_i > y_j] of row i are one contiguous range and the pair loop vectorises; also the opt-in
  truncated and sampled pair sets.  ``pairwise_loss_rows_truncated`` is the loss over the
  truncated set.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import (
    exp_inplace,
    midpoint,
    ndcg_discount,
    ndcg_gain,
    sigmoid,
    sigmoid_both,
    softplus_neg,
)
from ._sort import radix_argsort
from .scaling import scale_group_inplace

#: Largest score span / T of a group for which exp((s - mid) / T) cannot overflow.
RATIO_SPAN = 1400.0
#: The same for the label-ordered kernel, whose vectorised loops are compiled with
#: reassociation: any product of E_a, E_j and 1 / (E_a + E_j) (e.g. inv * inv) must stay
#: finite, so E stays within e^+-350.
RATIO_SPAN_VECTOR = 700.0

SOFT_ZERO_ONE = 0
LOGISTIC = 1

#: Hessian choices.  LOGISTIC_CURVATURE: q / T^2 per pair (exact for the logistic loss, the
#: Gauss-Newton-style surrogate for soft zero-one).  EXACT_CLIPPED: phi''(u) / T^2 clipped at
#: the floor.
HESS_LOGISTIC_CURVATURE = 0
HESS_EXACT_CLIPPED = 1


@nb.njit(**SERIAL)
def _group_lambda_setup(
    scores: np.ndarray,
    labels: np.ndarray,
    valid: np.ndarray,
    start: int,
    end: int,
    k: int,
    rank_out: np.ndarray,
) -> float:
    """Write each valid row's 1-based rank by descending score into ``rank_out[start:end]``
    (ties broken by row order) and return 1 / IDCG@k of the group (0 when IDCG is 0)."""
    m = 0
    for i in range(start, end):
        if valid[i]:
            m += 1
    idx = np.empty(m, dtype=np.int64)
    neg = np.empty(m, dtype=np.float64)
    lab = np.empty(m, dtype=np.float64)
    t = 0
    for i in range(start, end):
        if valid[i]:
            idx[t] = i
            neg[t] = -scores[i]
            lab[t] = -labels[i]
            t += 1
    order = radix_argsort(neg)
    for r in range(m):
        rank_out[idx[order[r]]] = r + 1
    ideal = radix_argsort(lab)  # descending labels
    idcg = 0.0
    for r in range(m):
        idcg += ndcg_gain(-lab[ideal[r]]) * ndcg_discount(r + 1, k)
    return 1.0 / idcg if idcg > 0.0 else 0.0


@nb.njit(**SERIAL)
def _group_setup(
    scores: np.ndarray,
    labels: np.ndarray,
    valid: np.ndarray,
    start: int,
    end: int,
    inv_t: float,
    use_ndcg: bool,
    k: int,
    rank: np.ndarray,
    expo: np.ndarray,
    gain: np.ndarray,
    disc: np.ndarray,
) -> tuple[bool, float]:
    """Per-row quantities of one group, so the pair loops evaluate no exp, pow or log2.

    One exponential per row: sigma((s_i - s_j)/T) = E_i / (E_i + E_j), E = exp((s - mid)/T),
    exact up to rounding while E stays far from overflow (score span / T < RATIO_SPAN); returns
    whether that holds.  With NDCG lambda weights also each row's gain 2^y - 1, its discount at
    its current rank, and 1 / IDCG (returned)."""
    lo_score = np.inf
    hi_score = -np.inf
    for i in range(start, end):
        if valid[i]:
            lo_score = min(lo_score, scores[i])
            hi_score = max(hi_score, scores[i])
    per_row_exp = (hi_score - lo_score) * inv_t < RATIO_SPAN
    if per_row_exp:
        mid = midpoint(hi_score, lo_score)
        for i in range(start, end):
            expo[i] = math.exp((scores[i] - mid) * inv_t) if valid[i] else 0.0
    inv_idcg = 1.0
    if use_ndcg:
        inv_idcg = _group_lambda_setup(scores, labels, valid, start, end, k, rank)
        for i in range(start, end):
            if valid[i]:
                gain[i] = ndcg_gain(labels[i])
                disc[i] = ndcg_discount(rank[i], k)
    return per_row_exp, inv_idcg


@nb.njit(**SERIAL)
def balanced_schedule(offsets: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the groups into ``n_bins`` lists of about equal pair work, one per thread.

    Cost of a group of m rows: m (m - 1) / 2 pairs plus m rows.  Groups are dealt largest
    first to the least-loaded bin (LPT), then each bin's groups are put back in row order.
    Returns (bin_ptr, order): bin b holds groups order[bin_ptr[b]:bin_ptr[b + 1]].  Groups are
    independent (each writes only its own rows), so results do not depend on the schedule."""
    n_groups = offsets.size - 1
    n_bins = max(1, min(n_bins, n_groups))
    cost = np.empty(n_groups)
    neg_cost = np.empty(n_groups)
    for g in range(n_groups):
        m = offsets[g + 1] - offsets[g]
        cost[g] = 0.5 * m * (m - 1) + m
        neg_cost[g] = -cost[g]
    by_cost = radix_argsort(neg_cost)  # largest first, equal costs in row order
    load = np.zeros(n_bins)
    owner = np.empty(n_groups, dtype=np.int64)
    count = np.zeros(n_bins + 1, dtype=np.int64)
    for t in range(n_groups):
        g = by_cost[t]
        b = 0
        for c in range(1, n_bins):
            if load[c] < load[b]:
                b = c
        owner[g] = b
        load[b] += cost[g]
        count[b + 1] += 1
    bin_ptr = count  # running sum in place
    for b in range(n_bins):
        bin_ptr[b + 1] += bin_ptr[b]
    fill = bin_ptr[:-1].copy()
    order = np.empty(n_groups, dtype=np.int64)
    for g in range(n_groups):  # row order inside each bin
        b = owner[g]
        order[fill[b]] = g
        fill[b] += 1
    return bin_ptr, order


@nb.njit(**PARALLEL)
def pairwise_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    temperature: float,
    loss_kind: int,
    use_ndcg: bool,
    k: int,
    hess_kind: int,
    grad: np.ndarray,
    hess: np.ndarray,
    n_threads: int,
) -> None:
    """Gradient and Hessian diagonal of the summed pairwise loss, written into grad/hess.

    ``n_threads``: ``numba.get_num_threads()`` of the caller (passed in because reading it
    here would stop the kernel from being cached on disk)."""
    inv_t = 1.0 / temperature
    inv_t2 = inv_t * inv_t
    rank = np.zeros(scores.size, dtype=np.int64) if use_ndcg else np.zeros(1, dtype=np.int64)
    expo = np.empty(scores.size)
    m = scores.size if use_ndcg else 1
    gain = np.empty(m)
    disc = np.empty(m)
    # one prange iteration per thread, each over a cost-balanced list of groups: a plain
    # prange over groups splits them into equal index ranges, unbalanced with skewed sizes
    bin_ptr, order = balanced_schedule(offsets, n_threads)
    for b in nb.prange(bin_ptr.size - 1):
        for t in range(bin_ptr[b], bin_ptr[b + 1]):
            grp = order[t]
            start = offsets[grp]
            end = offsets[grp + 1]
            for i in range(start, end):
                grad[i] = 0.0
                hess[i] = 0.0
            per_row_exp, inv_idcg = _group_setup(scores, labels, valid, start, end, inv_t, use_ndcg,
                                                 k, rank, expo, gain, disc)
            for i in range(start, end):
                if not valid[i]:
                    continue
                yi = labels[i]
                ei = expo[i]
                # row i's sums stay in registers; each pair also updates row j in memory
                acc_g = 0.0
                acc_h = 0.0
                for j in range(i + 1, end):
                    if not valid[j] or labels[j] == yi:
                        continue
                    i_higher = yi > labels[j]
                    sign = 1.0 if i_higher else -1.0  # +1: i is the preferred row
                    c = weights[i] if i_higher else weights[j]
                    if use_ndcg:  # |Delta NDCG_ij| from per-row gains and discounts
                        c *= abs((gain[i] - gain[j]) * (disc[i] - disc[j])) * inv_idcg
                    if per_row_exp:
                        inv_den = 1.0 / (ei + expo[j])
                        # sigma(u), u = (s_hi - s_lo)/T
                        sp = (ei if i_higher else expo[j]) * inv_den
                        sn = (expo[j] if i_higher else ei) * inv_den
                    else:
                        sp, sn = sigmoid_both(sign * (scores[i] - scores[j]) * inv_t)
                    q = sp * sn
                    if loss_kind == SOFT_ZERO_ONE:
                        d1 = -q
                        d2 = q * (sp - sn)
                    else:
                        d1 = -sn
                        d2 = q
                    g = sign * c * d1 * inv_t  # added to row i, subtracted from row j
                    h = c * (q if hess_kind == HESS_LOGISTIC_CURVATURE else d2) * inv_t2
                    acc_g += g
                    acc_h += h
                    grad[j] -= g
                    hess[j] += h
                grad[i] += acc_g
                hess[i] += acc_h
            for i in range(start, end):
                if not hess[i] > HESSIAN_FLOOR:
                    hess[i] = HESSIAN_FLOOR


@nb.njit(**PARALLEL)
def pairwise_loss_rows_truncated(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    temperature: float,
    loss_kind: int,
    use_ndcg: bool,
    k: int,
    out: np.ndarray,
    truncation: int,
) -> None:
    """``pairwise_loss_rows`` over the pairs of ``pairwise_grad_hess_ordered``'s
    ``truncation``: those with at least one row among its group's top ``truncation`` by
    current score (ties by row order); 0: all pairs."""
    n_groups = offsets.size - 1
    inv_t = 1.0 / temperature
    m = scores.size if use_ndcg or truncation > 0 else 1
    rank = np.zeros(m, dtype=np.int64)
    gain = np.empty(m)
    disc = np.empty(m)
    expo = np.empty(scores.size)
    for g in nb.prange(n_groups):
        start = offsets[g]
        end = offsets[g + 1]
        for i in range(start, end):
            out[i] = 0.0
        per_row_exp, inv_idcg = _group_setup(scores, labels, valid, start, end, inv_t, use_ndcg,
                                             k, rank, expo, gain, disc)
        if truncation > 0 and not use_ndcg:
            _group_lambda_setup(scores, labels, valid, start, end, k, rank)
        for i in range(start, end):
            if not valid[i]:
                continue
            yi = labels[i]
            for j in range(i + 1, end):
                if not valid[j] or labels[j] == yi:
                    continue
                if truncation > 0 and rank[i] > truncation and rank[j] > truncation:
                    continue
                hi, lo = (i, j) if yi > labels[j] else (j, i)
                c = weights[hi]
                if use_ndcg:
                    c *= abs((gain[i] - gain[j]) * (disc[i] - disc[j])) * inv_idcg
                if c == 0.0:
                    continue
                if per_row_exp and loss_kind == SOFT_ZERO_ONE:
                    term = expo[lo] / (expo[hi] + expo[lo])  # sigma(-u), u = (s_hi - s_lo)/T
                elif per_row_exp:  # log(1 + exp(-u)) without overflow or cancellation
                    if expo[lo] <= expo[hi]:
                        term = math.log1p(expo[lo] / expo[hi])
                    else:
                        term = (scores[lo] - scores[hi]) * inv_t + math.log1p(expo[hi] / expo[lo])
                else:
                    u = (scores[hi] - scores[lo]) * inv_t
                    term = sigmoid(-u) if loss_kind == SOFT_ZERO_ONE else softplus_neg(u)
                out[hi] += c * term


@nb.njit(**SERIAL)
def pairwise_loss_rows(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    temperature: float,
    loss_kind: int,
    use_ndcg: bool,
    k: int,
    out: np.ndarray,
) -> None:
    """Per-row loss: row i's value is the sum over the pairs where i is the preferred item."""
    pairwise_loss_rows_truncated(scores, labels, weights, valid, offsets, temperature,
                                 loss_kind, use_ndcg, k, out, 0)


# --------------------------------------------------------------------------- label-ordered form
#: The pair loops below are helpers over contiguous slices compiled with ``error_model="numpy"``
#: (no ZeroDivisionError branch, which stops LLVM from vectorising a loop with a division; every
#: divisor is E_a + E_j > 0), as in ``spearman.py``.
_VECTOR = {**SERIAL, "error_model": "numpy"}


@nb.njit(**SERIAL)
def pairwise_label_order(
    labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The static part of the label-ordered kernels: depends on labels, mask and groups only,
    so it is computed once per data set (labels are fixed across boosting rounds; serial,
    since it runs once).

    Returns (order, order_offsets, lower_start): ``order[order_offsets[g]:order_offsets[g + 1]]``
    are group g's valid rows by descending label, ties in row order (invalid rows dropped);
    for a position p of ``order``, the positions of the rows with a strictly lower label in the
    same group are ``lower_start[p]`` to ``order_offsets[g + 1] - 1``.  So the pairs
    [y_i > y_j] of row i form one contiguous range, with no label comparison."""
    n_groups = offsets.size - 1
    order_offsets = np.zeros(n_groups + 1, dtype=np.int64)
    for g in range(n_groups):
        c = 0
        for i in range(offsets[g], offsets[g + 1]):
            if valid[i]:
                c += 1
        order_offsets[g + 1] = order_offsets[g] + c
    total = order_offsets[-1]
    order = np.empty(total, dtype=np.int64)
    lower_start = np.empty(total, dtype=np.int64)
    for g in range(n_groups):
        p0 = order_offsets[g]
        m = order_offsets[g + 1] - p0
        idx = np.empty(m, dtype=np.int64)
        neg = np.empty(m, dtype=np.float64)
        t = 0
        for i in range(offsets[g], offsets[g + 1]):
            if valid[i]:
                idx[t] = i
                neg[t] = -labels[i]
                t += 1
        by_label = radix_argsort(neg)
        for p in range(m):
            order[p0 + p] = idx[by_label[p]]
        for p in range(m - 1, -1, -1):  # end of p's block of equal labels
            if p + 1 < m and labels[order[p0 + p]] == labels[order[p0 + p + 1]]:
                lower_start[p0 + p] = lower_start[p0 + p + 1]
            else:
                lower_start[p0 + p] = p0 + p + 1
    return order, order_offsets, lower_start


#: Scratch padding after a group's rows: the pair loops run to a multiple of PAD rows, over
#: padding rows with E = 0 whose terms are exactly 0, so no scalar remainder loop runs.
PAD = 8


# The pair loops of one (loss, lambda weight) variant take ``soft`` (soft zero-one, else
# logistic) and ``use_ndcg`` as compile-time constants: callers pass them as literal constants,
# so Numba compiles one specialisation per variant (the argument types are Literal[bool]) and
# the branches on them fold away.  With the flags as run-time arguments LLVM if-converts every
# variant into one loop (all computed, one selected) instead of unswitching: up to 1.5x slower
# (all flags at run time), 10-35% (loss kind at run time).  The exact Hessian (rarely used) is
# a run-time, loop-invariant select instead of a fifth and sixth variant: compile time.
@nb.njit(inline="always", **_VECTOR)
def _terms(ea: float, ej: float, exact: bool, soft: bool) -> tuple[float, float]:
    """(d1, d2) of one pair from E_a, E_j: d1 = -phi'(u), d2 the curvature."""
    inv = 1.0 / (ea + ej)
    sp = ea * inv  # sigma(u)
    sn = ej * inv  # sigma(-u)
    q = sp * sn
    d1 = q if soft else sn
    d2 = q * ((sp - sn) if exact else 1.0)
    return d1, d2


@nb.njit(inline="always", **_VECTOR)
def _lam(ga: float, gj: float, da: float, dj: float, use_ndcg: bool) -> float:
    return abs((ga - gj) * (da - dj)) if use_ndcg else 1.0


@nb.njit(inline="always", **_VECTOR)
def _one(ea: float, e: np.ndarray, g: np.ndarray, h: np.ndarray, ga: float, gain: np.ndarray,
         da: float, disc: np.ndarray, cg: float, ch: float, exact: bool, soft: bool,
         use_ndcg: bool) -> tuple[float, float]:
    """Row a against the rows of the slices e, g, h, gain, disc: adds its terms to g, h and
    returns its own sums."""
    acc_g = 0.0
    acc_h = 0.0
    for j in range(e.size):
        d1, d2 = _terms(ea, e[j], exact, soft)
        w = _lam(ga, gain[j], da, disc[j], use_ndcg)
        acc_g += w * d1
        acc_h += w * d2
        g[j] += cg * w * d1
        h[j] += ch * w * d2
    return acc_g, acc_h


@nb.njit(inline="always", **_VECTOR)
def _four(e0: float, e1: float, e2: float, e3: float, e: np.ndarray, g: np.ndarray,
          h: np.ndarray, g0: float, g1: float, g2: float, g3: float, gain: np.ndarray,
          d0: float, d1: float, d2: float, d3: float, disc: np.ndarray, cg: np.ndarray,
          ch: np.ndarray, out: np.ndarray, exact: bool, soft: bool, use_ndcg: bool) -> None:
    """``_one`` for four rows sharing their lower rows, in one pass; their sums into out."""
    cg0, cg1, cg2, cg3 = cg[0], cg[1], cg[2], cg[3]
    ch0, ch1, ch2, ch3 = ch[0], ch[1], ch[2], ch[3]
    sg0 = sg1 = sg2 = sg3 = 0.0
    sh0 = sh1 = sh2 = sh3 = 0.0
    for j in range(e.size):
        ej = e[j]
        gj = gain[j]
        dj = disc[j]
        a0, b0 = _terms(e0, ej, exact, soft)
        a1, b1 = _terms(e1, ej, exact, soft)
        a2, b2 = _terms(e2, ej, exact, soft)
        a3, b3 = _terms(e3, ej, exact, soft)
        w0 = _lam(g0, gj, d0, dj, use_ndcg)
        w1 = _lam(g1, gj, d1, dj, use_ndcg)
        w2 = _lam(g2, gj, d2, dj, use_ndcg)
        w3 = _lam(g3, gj, d3, dj, use_ndcg)
        sg0 += w0 * a0
        sg1 += w1 * a1
        sg2 += w2 * a2
        sg3 += w3 * a3
        sh0 += w0 * b0
        sh1 += w1 * b1
        sh2 += w2 * b2
        sh3 += w3 * b3
        g[j] += cg0 * w0 * a0 + cg1 * w1 * a1 + cg2 * w2 * a2 + cg3 * w3 * a3
        h[j] += ch0 * w0 * b0 + ch1 * w1 * b1 + ch2 * w2 * b2 + ch3 * w3 * b3
    out[0] = sg0
    out[1] = sg1
    out[2] = sg2
    out[3] = sg3
    out[4] = sh0
    out[5] = sh1
    out[6] = sh2
    out[7] = sh3


@nb.njit(**_VECTOR)
def _all_pairs(e: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
               disc: np.ndarray, cg: np.ndarray, ch: np.ndarray, lower: np.ndarray, m: int,
               exact: bool, soft: bool, use_ndcg: bool) -> None:
    """Every pair of a group: for each row a in label order and each row j in its contiguous
    lower range lower[a]..m - 1, adds lambda_aj * d1 / d2 times cg[a], ch[a] to g[j], h[j] and
    subtracts / adds the row sums to g[a], h[a]; sigma(u_aj) = E_a / (E_a + E_j) (one
    division per pair).  Rows of one label block share their lower range: four of them go
    through it in one pass (each lower row's E, g and h loaded and stored once per four
    pairs: ~1.45x faster than one at a time on W1; eight spill registers and are slower)."""
    sums = np.empty(8)
    a = 0
    while a < m:
        lo = lower[a]
        if lo >= m:
            break  # the lowest label block: nothing below it
        hi = lo + (m - lo + PAD - 1) // PAD * PAD
        if a + 3 < lo:  # rows a..a + 3 share their lower rows
            _four(e[a], e[a + 1], e[a + 2], e[a + 3], e[lo:hi], g[lo:hi], h[lo:hi],
                  gain[a], gain[a + 1], gain[a + 2], gain[a + 3], gain[lo:hi],
                  disc[a], disc[a + 1], disc[a + 2], disc[a + 3], disc[lo:hi],
                  cg[a:a + 4], ch[a:a + 4], sums, exact, soft, use_ndcg)
            for r in range(4):
                g[a + r] -= cg[a + r] * sums[r]
                h[a + r] += ch[a + r] * sums[4 + r]
            a += 4
        else:
            acc_g, acc_h = _one(e[a], e[lo:hi], g[lo:hi], h[lo:hi], gain[a], gain[lo:hi],
                                disc[a], disc[lo:hi], cg[a], ch[a], exact, soft, use_ndcg)
            g[a] -= cg[a] * acc_g
            h[a] += ch[a] * acc_h
            a += 1


@nb.njit(**_VECTOR)
def _truncated_pairs(e: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                     disc: np.ndarray, cg: np.ndarray, ch: np.ndarray, lower: np.ndarray,
                     m: int, rank: np.ndarray, level: int, top: np.ndarray, exact: bool,
                     soft: bool, use_ndcg: bool) -> None:
    """The pairs with a row in the top ``level`` by score: a row of the top against all its
    lower rows, any other row against the lower rows of the top only.  Both loops are
    vectorised: the top rows' E, gains and discounts are copied, in label order, into
    contiguous arrays, so a row's lower top rows are one contiguous tail of them."""
    n_top = 0
    for p in range(m):  # top positions, ascending (label order)
        if rank[p] <= level:
            top[n_top] = p
            n_top += 1
    n_pad = n_top + PAD
    et = np.zeros(n_pad)
    gt = np.zeros(n_pad)
    dt = np.zeros(n_pad)
    g_top = np.zeros(n_pad)
    h_top = np.zeros(n_pad)
    for t in range(n_top):
        et[t] = e[top[t]]
        gt[t] = gain[top[t]]
        dt[t] = disc[top[t]]
    k0 = 0  # first top entry at or after lower[a] (lower is nondecreasing)
    for a in range(m):
        lo = lower[a]
        if lo >= m:
            break
        if rank[a] <= level:
            hi = lo + (m - lo + PAD - 1) // PAD * PAD
            acc_g, acc_h = _one(e[a], e[lo:hi], g[lo:hi], h[lo:hi], gain[a], gain[lo:hi],
                                disc[a], disc[lo:hi], cg[a], ch[a], exact, soft, use_ndcg)
        else:
            while k0 < n_top and top[k0] < lo:
                k0 += 1
            if k0 == n_top:
                continue
            k1 = k0 + (n_top - k0 + PAD - 1) // PAD * PAD
            acc_g, acc_h = _one(e[a], et[k0:k1], g_top[k0:k1], h_top[k0:k1], gain[a],
                                gt[k0:k1], disc[a], dt[k0:k1], cg[a], ch[a], exact, soft,
                                use_ndcg)
        g[a] -= cg[a] * acc_g
        h[a] += ch[a] * acc_h
    for t in range(n_top):
        g[top[t]] += g_top[t]
        h[top[t]] += h_top[t]


@nb.njit(inline="always", **SERIAL)
def _add_pair_e(a: int, j: int, e: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                disc: np.ndarray, use_ndcg: bool, cg: float, ch: float, f: float,
                loss_kind: int, hess_kind: int) -> None:
    """One pair a > j (label), times f, from the per-row exponentials."""
    inv = 1.0 / (e[a] + e[j])
    sp = e[a] * inv
    sn = e[j] * inv
    q = sp * sn
    d1 = sn if loss_kind == LOGISTIC else q
    d2 = q if hess_kind == HESS_LOGISTIC_CURVATURE else q * (sp - sn)
    if use_ndcg:
        f *= abs((gain[a] - gain[j]) * (disc[a] - disc[j]))
    g[a] -= cg * f * d1
    g[j] += cg * f * d1
    h[a] += ch * f * d2
    h[j] += ch * f * d2


@nb.njit(**SERIAL)
def _sampled_pairs(e: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                   disc: np.ndarray, use_ndcg: bool, cg: np.ndarray, ch: np.ndarray,
                   lower: np.ndarray, m: int, rows: np.ndarray, n_draws: int, seed: int,
                   loss_kind: int, hess_kind: int) -> None:
    """Each row against ``n_draws`` partners of another label drawn uniformly
    (``pair_draw``), each pair weighted N_a / (2 n_draws); scalar (a few pairs per row)."""
    bs = 0
    for a in range(m):
        if a > 0 and lower[a - 1] != lower[a]:
            bs = a  # first row of a's label block
        blk = lower[a] - bs
        n_other = m - blk
        if n_other == 0:
            continue
        f = n_other / (2.0 * n_draws)
        for t in range(n_draws):
            u = pair_draw(seed, rows[a], t, n_other)
            j = u if u < bs else u + blk
            if j >= lower[a]:  # a has the higher label
                _add_pair_e(a, j, e, g, h, gain, disc, use_ndcg, cg[a], ch[a], f, loss_kind,
                            hess_kind)
            else:
                _add_pair_e(j, a, e, g, h, gain, disc, use_ndcg, cg[j], ch[j], f, loss_kind,
                            hess_kind)


@nb.njit(**SERIAL)
def _pairs_scalar(sa: float, s: np.ndarray, g: np.ndarray, h: np.ndarray, lam_a: float,
                  gain: np.ndarray, disc_a: float, disc: np.ndarray, use_ndcg: bool,
                  inv_t: float, cg: float, ch: float, loss_kind: int,
                  hess_kind: int) -> tuple[float, float]:
    """The same sums from the scores directly (two sigmoids from one exponential per pair), for
    groups whose score span / T would overflow the per-row exponentials."""
    acc_g = 0.0
    acc_h = 0.0
    for j in range(s.size):
        lam = abs((lam_a - gain[j]) * (disc_a - disc[j])) if use_ndcg else 1.0
        sp, sn = sigmoid_both((sa - s[j]) * inv_t)
        q = sp * sn
        d1 = sn if loss_kind == LOGISTIC else q
        d2 = q if hess_kind == HESS_LOGISTIC_CURVATURE else q * (sp - sn)
        acc_g += lam * d1
        acc_h += lam * d2
        g[j] += cg * lam * d1
        h[j] += ch * lam * d2
    return acc_g, acc_h


@nb.njit(**SERIAL)
def _add_pair(hi: int, lo: int, s: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
              disc: np.ndarray, use_ndcg: bool, inv_t: float, cg: float, ch: float, f: float,
              loss_kind: int, hess_kind: int) -> None:
    """One pair hi > lo (positions in the group's scratch), times f: the truncated and sampled
    paths' pair term, from the scores (two sigmoids from one exponential)."""
    sp, sn = sigmoid_both((s[hi] - s[lo]) * inv_t)
    q = sp * sn
    d1 = sn if loss_kind == LOGISTIC else q
    d2 = q if hess_kind == HESS_LOGISTIC_CURVATURE else q * (sp - sn)
    if use_ndcg:
        f *= abs((gain[hi] - gain[lo]) * (disc[hi] - disc[lo]))
    g[hi] -= cg * f * d1
    g[lo] += cg * f * d1
    h[hi] += ch * f * d2
    h[lo] += ch * f * d2


@nb.njit(inline="always", **SERIAL)
def pair_draw(seed: int, row: int, t: int, n: int) -> int:
    """A uniform draw from 0..n-1 (n < 2^32) for the t-th partner of ``row``: splitmix64 of
    (seed, row, t), so the sampled pairs do not depend on the thread schedule."""
    x = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(row) * np.uint64(
        0xBF58476D1CE4E5B9) + np.uint64(t) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    # multiply-shift instead of x % n (a 64-bit division: most of a draw's time)
    return np.int64(((x >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


#: Up to this many rows a group's score ranks are counted (O(m^2) vectorised compares, cheaper
#: than a sort for small groups); above, sorted.
COUNT_RANKS_MAX = 192


@nb.njit(inline="always", **_VECTOR)
def _count_rank(sp: float, rp: int, s: np.ndarray, rows: np.ndarray) -> int:
    """1 + the number of rows ranked before (sp, rp): higher score, or equal score and lower
    row index."""
    r = 1
    for q in range(s.size):
        r += (s[q] > sp) | ((s[q] == sp) & (rows[q] < rp))
    return r


@nb.njit(inline="always", **_VECTOR)
def _count_higher(sp: float, s: np.ndarray) -> int:
    r = 1
    for q in range(s.size):
        r += s[q] > sp
    return r


@nb.njit(**_VECTOR)
def _score_ranks(s: np.ndarray, rows: np.ndarray, m: int, rank: np.ndarray) -> None:
    """rank[p] = 1-based rank of s[p] by descending score among s[:m], ties broken by
    ascending ``rows[p]`` (row order), as ``_group_lambda_setup``."""
    if m <= COUNT_RANKS_MAX:
        total = 0
        for p in range(m):  # 1 + rows with a higher score: the rank when no score is tied
            rank[p] = _count_higher(s[p], s[:m])
            total += rank[p]
        if total != m * (m + 1) // 2:  # some tie (tied rows share a rank, the sum drops)
            for p in range(m):
                rank[p] = _count_rank(s[p], rows[p], s[:m], rows)
        return
    key = np.empty(m)
    for p in range(m):
        key[p] = rows[p]  # row indices are exact in float64
    by_row = radix_argsort(key)
    for t in range(m):
        key[t] = -s[by_row[t]]
    by_score = radix_argsort(key)  # stable: equal scores stay in row order
    for r in range(m):
        rank[by_row[by_score[r]]] = r + 1




# --------------------------------------------------------------------------- one group, in steps
@nb.njit(**SERIAL)
def _gather_scores(scores: np.ndarray, rows: np.ndarray, m: int, inv_t: float, s: np.ndarray,
                   e: np.ndarray, g: np.ndarray, h: np.ndarray) -> bool:
    """A group's scores in label order into ``s``, its sums ``g``, ``h`` zeroed, and, when
    its score span / T allows (returned), the per-row exponentials E = exp((s - mid) / T)
    into ``e`` followed by PAD zeros."""
    lo_score = np.inf
    hi_score = -np.inf
    for p in range(m):
        v = scores[rows[p]]
        s[p] = v
        lo_score = min(lo_score, v)
        hi_score = max(hi_score, v)
        g[p] = 0.0
        h[p] = 0.0
    per_row_exp = (hi_score - lo_score) * inv_t < RATIO_SPAN_VECTOR
    if per_row_exp:
        mid = midpoint(hi_score, lo_score)
        for p in range(m):
            e[p] = (s[p] - mid) * inv_t
        exp_inplace(e[:m])
        for p in range(m, m + PAD):  # padding: E = 0 gives terms of exactly 0
            e[p] = 0.0
    return per_row_exp


@nb.njit(**SERIAL)
def _pair_factors(labels: np.ndarray, weights: np.ndarray, rows: np.ndarray,
                  lower_start: np.ndarray, p0: int, m: int, inv_t: float, use_ndcg: bool,
                  rank: np.ndarray, disc_table: np.ndarray, gain: np.ndarray, disc: np.ndarray,
                  cg: np.ndarray, ch: np.ndarray, lower: np.ndarray) -> None:
    """Per-row factors of a group's pair terms: cg = w / T and ch = w / T^2 (times 1 / IDCG
    with NDCG lambda weights, then also each row's gain 2^y - 1 and the discount of its score
    rank ``rank``), and each row's lower range start within the group's scratch."""
    inv_idcg = 1.0
    if use_ndcg:
        idcg = 0.0
        for p in range(m):  # rows are in ideal order already
            # one 2^y per label block, discounts from the table
            first = p == 0 or lower_start[p0 + p - 1] == p0 + p
            gain[p] = ndcg_gain(labels[rows[p]]) if first else gain[p - 1]
            disc[p] = disc_table[rank[p]]
            idcg += gain[p] * disc_table[p + 1]
        inv_idcg = 1.0 / idcg if idcg > 0.0 else 0.0
    inv_t2 = inv_t * inv_t
    for p in range(m):
        c = weights[rows[p]] * inv_idcg
        cg[p] = c * inv_t
        ch[p] = c * inv_t2
        lower[p] = lower_start[p0 + p] - p0


@nb.njit(**SERIAL)
def _scalar_all_pairs(s: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                      disc: np.ndarray, cg: np.ndarray, ch: np.ndarray, lower: np.ndarray,
                      m: int, use_ndcg: bool, inv_t: float, loss_kind: int,
                      hess_kind: int) -> None:
    """All pairs of a group from the scores (``_pairs_scalar``): groups whose score span / T
    would overflow the per-row exponentials."""
    for a in range(m):
        lo = lower[a]
        if lo >= m:
            break
        acc_g, acc_h = _pairs_scalar(s[a], s[lo:m], g[lo:m], h[lo:m], gain[a], gain[lo:m],
                                     disc[a], disc[lo:m], use_ndcg, inv_t, cg[a], ch[a],
                                     loss_kind, hess_kind)
        g[a] -= cg[a] * acc_g
        h[a] += ch[a] * acc_h


@nb.njit(**SERIAL)
def _scalar_truncated_pairs(s: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                            disc: np.ndarray, cg: np.ndarray, ch: np.ndarray,
                            lower: np.ndarray, m: int, rank: np.ndarray, truncation: int,
                            top: np.ndarray, use_ndcg: bool, inv_t: float, loss_kind: int,
                            hess_kind: int) -> None:
    """The truncated pair set of a group from the scores (wide score spans)."""
    n_top = 0
    for p in range(m):  # top-K positions, ascending
        if rank[p] <= truncation:
            top[n_top] = p
            n_top += 1
    for a in range(m):
        lo = lower[a]
        if lo >= m:
            break
        if rank[a] <= truncation:  # a in the top K: all its lower rows
            acc_g, acc_h = _pairs_scalar(s[a], s[lo:m], g[lo:m], h[lo:m], gain[a], gain[lo:m],
                                         disc[a], disc[lo:m], use_ndcg, inv_t, cg[a], ch[a],
                                         loss_kind, hess_kind)
            g[a] -= cg[a] * acc_g
            h[a] += ch[a] * acc_h
        else:  # only the lower rows in the top K
            for t in range(n_top):
                if top[t] >= lo:
                    _add_pair(a, top[t], s, g, h, gain, disc, use_ndcg, inv_t, cg[a], ch[a],
                              1.0, loss_kind, hess_kind)


@nb.njit(**SERIAL)
def _scalar_sampled_pairs(s: np.ndarray, g: np.ndarray, h: np.ndarray, gain: np.ndarray,
                          disc: np.ndarray, cg: np.ndarray, ch: np.ndarray, lower: np.ndarray,
                          m: int, rows: np.ndarray, n_draws: int, seed: int, use_ndcg: bool,
                          inv_t: float, loss_kind: int, hess_kind: int) -> None:
    """The drawn pairs of ``_sampled_pairs`` from the scores (wide score spans)."""
    bs = 0
    for a in range(m):
        if a > 0 and lower[a - 1] != lower[a]:
            bs = a  # first row of a's label block
        blk = lower[a] - bs
        n_other = m - blk
        if n_other == 0:
            continue
        f = n_other / (2.0 * n_draws)
        for t in range(n_draws):
            u = pair_draw(seed, rows[a], t, n_other)
            j = u if u < bs else u + blk
            if j >= lower[a]:  # a has the higher label
                _add_pair(a, j, s, g, h, gain, disc, use_ndcg, inv_t, cg[a], ch[a], f,
                          loss_kind, hess_kind)
            else:
                _add_pair(j, a, s, g, h, gain, disc, use_ndcg, inv_t, cg[j], ch[j], f,
                          loss_kind, hess_kind)


@nb.njit(**SERIAL)
def _write_group(g: np.ndarray, h: np.ndarray, rows: np.ndarray, m: int, grad: np.ndarray,
                 hess: np.ndarray, start: int, end: int, group_scale: bool,
                 hess_factor: float) -> None:
    """A group's sums back to its rows (Hessian floored), then the host's scaling of the
    group while its rows are in cache (``scaling.scale_group_inplace``, as the separate
    pass: the same arrays bit for bit)."""
    for p in range(m):
        r = rows[p]
        grad[r] = g[p]
        hv = h[p]
        hess[r] = hv if hv > HESSIAN_FLOOR else HESSIAN_FLOOR
    if group_scale or hess_factor != 1.0:
        scale_group_inplace(grad, hess, start, end, group_scale, hess_factor)


@nb.njit(**SERIAL)
def _largest_group(order_offsets: np.ndarray) -> int:
    """The most valid rows of any group."""
    largest = 0
    for grp in range(order_offsets.size - 1):
        m = order_offsets[grp + 1] - order_offsets[grp]
        largest = m if m > largest else largest
    return largest


@nb.njit(**SERIAL)
def _discount_table(largest: int, k: int) -> np.ndarray:
    """disc_table[r] = 1 / log2(1 + r) for ranks r = 1..largest (0 beyond k)."""
    disc_table = np.zeros(largest + 1)
    for r in range(1, largest + 1):
        disc_table[r] = ndcg_discount(r, k)
    return disc_table


@nb.njit(**SERIAL)
def _scratch(largest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                    np.ndarray]:
    """One thread's scratch for groups of up to ``largest`` valid rows: s, e, g, h, gain,
    disc (padded by PAD), rank, cg, ch, lower, top."""
    return (np.empty(largest), np.zeros(largest + PAD), np.zeros(largest + PAD),
            np.zeros(largest + PAD), np.zeros(largest + PAD), np.zeros(largest + PAD),
            np.empty(largest, dtype=np.int64), np.empty(largest), np.empty(largest),
            np.empty(largest, dtype=np.int64), np.empty(largest, dtype=np.int64))


# --------------------------------------------------------------------------- kernel variants
#: Pair sets of the label-ordered kernel (see ``pairwise_grad_hess_ordered``).
ALL_PAIRS = 0
TRUNCATED_PAIRS = 1
SAMPLED_PAIRS = 2


def _make_ordered_kernel(soft: bool, use_ndcg: bool, pair_set: int, wide: bool) -> Any:
    """The label-ordered kernel of one variant, compiled on its first call: only its own
    pair loops (the sampled variant serves every loss and lambda weight, whose flags stay
    run-time arguments there), around per-group steps compiled once per process and shared
    by every variant.

    Groups whose score span / T allows per-row exponentials (``_gather_scores``; nearly
    always) are computed by the ``wide=False`` kernel, which marks the others in
    ``is_wide`` and leaves them; the ``wide=True`` kernel computes only those, from the
    scores, so its scalar pair functions compile only when some group needs them.

    One ``prange`` iteration per thread, each over a cost-balanced bin of groups
    (``balanced_schedule``) in its own scratch; the loop body only calls compiled functions,
    since Numba's parfor lowering compiles the body again.  The closure holds constants only
    (``soft``, ``use_ndcg``, ``sampled``, ``truncating``, ``wide``) and reaches every function
    as a module global: Numba's on-disk cache keys a closure by its captured values, which for
    a captured compiled function include a per-process id (never a cache hit)."""
    sampled = pair_set == SAMPLED_PAIRS
    truncating = pair_set == TRUNCATED_PAIRS

    @nb.njit(**PARALLEL)
    def kernel(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
               offsets: np.ndarray, temperature: float, use_ndcg_: bool, k: int,
               loss_kind: int, hess_kind: int, grad: np.ndarray, hess: np.ndarray,
               n_threads: int, order: np.ndarray, order_offsets: np.ndarray,
               lower_start: np.ndarray, truncation: int, n_draws: int, seed: int,
               group_scale: bool, hess_factor: float, is_wide: np.ndarray) -> None:
        # `if` on the closure's constants are pruned before typing: a variant types (and so
        # compiles) only the functions it can call; `soft` and `use_ndcg` reach the pair
        # loops as literal constants
        inv_t = 1.0 / temperature
        largest = _largest_group(order_offsets)
        if use_ndcg or sampled:
            disc_table = _discount_table(largest, k)
        else:  # never read
            disc_table = np.zeros(1)
        exact = hess_kind == HESS_EXACT_CLIPPED
        bin_ptr, sched = balanced_schedule(offsets, n_threads)
        for b in nb.prange(bin_ptr.size - 1):
            s, e, g, h, gain, disc, rank, cg, ch, lower, top = _scratch(largest)
            for t in range(bin_ptr[b], bin_ptr[b + 1]):
                grp = sched[t]
                if wide and not is_wide[grp]:
                    continue
                start = offsets[grp]
                end = offsets[grp + 1]
                p0 = order_offsets[grp]
                m = order_offsets[grp + 1] - p0
                if m < end - start:  # rows outside the order (invalid) get no pairs
                    for i in range(start, end):
                        grad[i] = 0.0
                        hess[i] = HESSIAN_FLOOR
                if m == 0:
                    if group_scale or hess_factor != 1.0:
                        scale_group_inplace(grad, hess, start, end, group_scale, hess_factor)
                    continue
                rows = order[p0:p0 + m]
                if not _gather_scores(scores, rows, m, inv_t, s, e, g, h) and not wide:
                    is_wide[grp] = True  # the wide kernel computes it
                    continue
                truncated = 0 < truncation < m
                if use_ndcg:
                    _score_ranks(s, rows, m, rank)
                elif truncating:
                    if truncated:
                        _score_ranks(s, rows, m, rank)
                elif sampled:
                    if use_ndcg_:
                        _score_ranks(s, rows, m, rank)
                _pair_factors(labels, weights, rows, lower_start, p0, m, inv_t, use_ndcg_,
                              rank, disc_table, gain, disc, cg, ch, lower)
                if wide:
                    if sampled:
                        _scalar_sampled_pairs(s, g, h, gain, disc, cg, ch, lower, m, rows,
                                              n_draws, seed, use_ndcg_, inv_t, loss_kind,
                                              hess_kind)
                    elif truncating and truncated:
                        _scalar_truncated_pairs(s, g, h, gain, disc, cg, ch, lower, m, rank,
                                                truncation, top, use_ndcg_, inv_t, loss_kind,
                                                hess_kind)
                    else:
                        _scalar_all_pairs(s, g, h, gain, disc, cg, ch, lower, m, use_ndcg_,
                                          inv_t, loss_kind, hess_kind)
                elif sampled:
                    _sampled_pairs(e, g, h, gain, disc, use_ndcg_, cg, ch, lower, m, rows,
                                   n_draws, seed, loss_kind, hess_kind)
                elif truncating and truncated:
                    _truncated_pairs(e, g, h, gain, disc, cg, ch, lower, m, rank, truncation,
                                     top, exact, soft, use_ndcg)
                else:
                    _all_pairs(e, g, h, gain, disc, cg, ch, lower, m, exact, soft, use_ndcg)
                _write_group(g, h, rows, m, grad, hess, start, end, group_scale, hess_factor)

    return kernel


#: Every variant's kernel, by (soft zero-one, NDCG lambda weights, pair set, wide); made at
#: import, compiled on first call.  The sampled pair set has one kernel for every loss and
#: lambda weight.
_ORDERED_KERNELS = {
    **{(soft, ndcg, pair_set, wide): _make_ordered_kernel(soft, ndcg, pair_set, wide)
       for soft in (False, True) for ndcg in (False, True)
       for pair_set in (ALL_PAIRS, TRUNCATED_PAIRS) for wide in (False, True)},
    **{(False, False, SAMPLED_PAIRS, wide): _make_ordered_kernel(False, False, SAMPLED_PAIRS,
                                                                 wide)
       for wide in (False, True)},
}


def pairwise_grad_hess_ordered(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    temperature: float,
    loss_kind: int,
    use_ndcg: bool,
    k: int,
    hess_kind: int,
    grad: np.ndarray,
    hess: np.ndarray,
    n_threads: int,
    order: np.ndarray,
    order_offsets: np.ndarray,
    lower_start: np.ndarray,
    truncation: int,
    pairs_per_row: int,
    seed: int,
    group_scale: bool,
    hess_factor: float,
) -> None:
    """``pairwise_grad_hess`` on the label order of ``pairwise_label_order(labels, valid,
    offsets)`` (the last three arguments): the same results up to the order of summation.

    Per group, the valid rows are gathered in descending label order into contiguous scratch;
    row a's pairs are then the contiguous tail lower_start[a]..end with one division per pair
    (the per-row exponential trick) and no label comparison or validity branch, a loop LLVM
    vectorises.  Accumulation is in float64.

    Opt-in cheaper pair sets for large groups (0 turns each off; not both at once):

    * ``truncation`` K > 0 (LightGBM's ``lambdarank_truncation_level``): only the pairs with
      at least one row among the group's top K by current score (ties by row order):
      O(m K) per group instead of O(m^2).
    * ``pairs_per_row`` n > 0 (XGBoost's ``lambdarank_num_pair_per_sample``, "mean" method):
      each valid row draws n partners with another label, uniformly with replacement
      (``pair_draw(seed, row, t, N_i)``), each drawn pair weighted N_i / (2 n), N_i the number
      of such partners: the expected gradient and Hessian are the full sums.  O(m n).

    What a host receives comes out of the same pass: with ``group_scale``, the arrays of
    ``scaling.lambdarank_scale_inplace(grad, hess, offsets, hess_factor)`` applied afterwards;
    without, those of ``hess <- max(hess * hess_factor, floor)``; ``False, 1.0`` gives
    ``grad_hess``'s arrays.  Each group is rescaled right after its write-back, while its rows
    are in cache, by the same compiled ``scaling.scale_group_inplace`` as the separate pass,
    so the arrays are identical bit for bit and the pass over both arrays is saved.

    This entry point is plain Python: it picks the compiled kernel of the loss, the lambda
    weights and the pair set (``_make_ordered_kernel``; each compiles on its first use), runs
    it, then the scalar one for groups whose score span / T is too wide for per-row
    exponentials if there are any, and passes the scalars as Python ``float`` / ``int`` /
    ``bool``, so that NumPy scalars or other integer types do not compile extra
    specialisations.  ``valid`` is not read: the
    label order holds the valid rows only."""
    pair_set = (SAMPLED_PAIRS if pairs_per_row > 0 else
                TRUNCATED_PAIRS if truncation > 0 else ALL_PAIRS)
    sampled = pair_set == SAMPLED_PAIRS
    soft = loss_kind == SOFT_ZERO_ONE and not sampled
    ndcg = bool(use_ndcg) and not sampled
    is_wide = np.zeros(offsets.size - 1, dtype=np.bool_)
    args = (scores, labels, weights, offsets, float(temperature), bool(use_ndcg), int(k),
            int(loss_kind), int(hess_kind), grad, hess, int(n_threads), order, order_offsets,
            lower_start, int(truncation), int(pairs_per_row), int(seed), bool(group_scale),
            float(hess_factor), is_wide)
    _ORDERED_KERNELS[soft, ndcg, pair_set, False](*args)
    if is_wide.any():  # groups whose score span / T is too wide for per-row exponentials
        _ORDERED_KERNELS[soft, ndcg, pair_set, True](*args)
