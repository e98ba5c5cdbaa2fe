r"""Pairwise soft zero-one and pairwise logistic (RankNet) losses.

For a group g, valid rows only, u_ij = (s_i - s_j) / T and c_ij = w_i * lambda_ij:

    l_g = sum_i sum_j [y_i > y_j] c_ij * phi(u_ij)

    soft zero-one:  phi(u) = 1 - sigma(u)          phi'(u) = -q       phi''(u) = q (2 sigma(u) - 1)
    logistic:       phi(u) = log(1 + exp(-u))     phi'(u) = -sigma(-u) phi''(u) = q

with q = sigma(u) sigma(-u).  ``lambda_ij`` is 1, or |Delta NDCG_ij| (LambdaRank) held fixed.
Each unordered pair is visited once and updates both rows.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import ndcg_discount, ndcg_gain, sigmoid, sigmoid_both, softplus_neg

#: Largest score span / T of a group for which exp((s - mid) / T) cannot overflow.
RATIO_SPAN = 1400.0

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
    order = np.argsort(neg, kind="mergesort")
    for r in range(m):
        rank_out[idx[order[r]]] = r + 1
    ideal = np.sort(lab)
    idcg = 0.0
    for r in range(m):
        idcg += ndcg_gain(-ideal[r]) * ndcg_discount(r + 1, k)
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
        mid = 0.5 * (hi_score + lo_score)
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
    for g in range(n_groups):
        m = offsets[g + 1] - offsets[g]
        cost[g] = 0.5 * m * (m - 1) + m
    by_cost = np.argsort(-cost, kind="mergesort")
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
    bin_ptr = np.cumsum(count)
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
    n_groups = offsets.size - 1
    inv_t = 1.0 / temperature
    m = scores.size if use_ndcg else 1
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
        for i in range(start, end):
            if not valid[i]:
                continue
            yi = labels[i]
            for j in range(i + 1, end):
                if not valid[j] or labels[j] == yi:
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
