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


# --------------------------------------------------------------------------- label-ordered form
#: The pair loops below are helpers over contiguous slices compiled with ``error_model="numpy"``
#: (no ZeroDivisionError branch, which stops LLVM from vectorising a loop with a division; every
#: divisor is E_a + E_j > 0), as in ``spearman.py``.
_VECTOR = {**SERIAL, "error_model": "numpy"}


@nb.njit(**PARALLEL)
def pairwise_label_order(
    labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The static part of the label-ordered kernels: depends on labels, mask and groups only,
    so it is computed once per data set (labels are fixed across boosting rounds).

    Returns (order, order_offsets, lower_start): ``order[order_offsets[g]:order_offsets[g + 1]]``
    are group g's valid rows by descending label, ties in row order (invalid rows dropped);
    for a position p of ``order``, the positions of the rows with a strictly lower label in the
    same group are ``lower_start[p]`` to ``order_offsets[g + 1] - 1``.  So the pairs
    [y_i > y_j] of row i form one contiguous range, with no label comparison."""
    n_groups = offsets.size - 1
    counts = np.zeros(n_groups + 1, dtype=np.int64)
    for g in nb.prange(n_groups):
        c = 0
        for i in range(offsets[g], offsets[g + 1]):
            if valid[i]:
                c += 1
        counts[g + 1] = c
    order_offsets = np.cumsum(counts)
    total = order_offsets[-1]
    order = np.empty(total, dtype=np.int64)
    lower_start = np.empty(total, dtype=np.int64)
    for g in nb.prange(n_groups):
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
        by_label = np.argsort(neg, kind="mergesort")
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


@nb.njit(inline="always", **_VECTOR)
def _pair_terms(ea: float, ej: float, loss_kind: int, hess_kind: int) -> tuple[float, float]:
    """(-phi'(u), curvature) of the pair a > j, u = (s_a - s_j)/T, from E_a and E_j:
    sigma(u) = E_a / (E_a + E_j); one division."""
    inv = 1.0 / (ea + ej)
    sn = ej * inv  # sigma(-u)
    q = ea * sn * inv  # sigma(u) sigma(-u)
    d1 = sn if loss_kind == LOGISTIC else q
    d2 = q if hess_kind == HESS_LOGISTIC_CURVATURE else q * (ea - ej) * inv
    return d1, d2


@nb.njit(**_VECTOR)
def _pairs_one(ea: float, e: np.ndarray, g: np.ndarray, h: np.ndarray, gain_a: float,
               gain: np.ndarray, disc_a: float, disc: np.ndarray, use_ndcg: bool, cg: float,
               ch: float, loss_kind: int, hess_kind: int) -> tuple[float, float]:
    """Row a against the rows j of lower label (the slices): adds cg * lambda_aj * d1 to g[j]
    and ch * lambda_aj * d2 to h[j] and returns row a's sums of lambda_aj * d1 and
    lambda_aj * d2.  No branch depends on j (the flags are loop-invariant), so LLVM
    vectorises the loop."""
    acc_g = 0.0
    acc_h = 0.0
    for j in range(e.size):
        d1, d2 = _pair_terms(ea, e[j], loss_kind, hess_kind)
        if use_ndcg:
            lam = abs((gain_a - gain[j]) * (disc_a - disc[j]))
            d1 *= lam
            d2 *= lam
        acc_g += d1
        acc_h += d2
        g[j] += cg * d1
        h[j] += ch * d2
    return acc_g, acc_h


@nb.njit(**_VECTOR)
def _pairs_two(ea: float, eb: float, e: np.ndarray, g: np.ndarray, h: np.ndarray,
               gain_a: float, gain_b: float, gain: np.ndarray, disc_a: float, disc_b: float,
               disc: np.ndarray, use_ndcg: bool, cga: float, cha: float, cgb: float, chb: float,
               loss_kind: int, hess_kind: int) -> tuple[float, float, float, float]:
    """``_pairs_one`` for two rows a, b of the same label block (the same lower rows) in one
    pass: each lower row's E, g and h are loaded and stored once for two pairs (~20% faster)."""
    ag = 0.0
    ah = 0.0
    bg = 0.0
    bh = 0.0
    for j in range(e.size):
        ej = e[j]
        a1, a2 = _pair_terms(ea, ej, loss_kind, hess_kind)
        b1, b2 = _pair_terms(eb, ej, loss_kind, hess_kind)
        if use_ndcg:
            la = abs((gain_a - gain[j]) * (disc_a - disc[j]))
            lb = abs((gain_b - gain[j]) * (disc_b - disc[j]))
            a1 *= la
            a2 *= la
            b1 *= lb
            b2 *= lb
        ag += a1
        ah += a2
        bg += b1
        bh += b2
        g[j] += cga * a1 + cgb * b1
        h[j] += cha * a2 + chb * b2
    return ag, ah, bg, bh


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


#: Up to this many rows a group's score ranks are counted (O(m^2) vectorised compares, cheaper
#: than a sort for small groups); above, sorted.
COUNT_RANKS_MAX = 192


@nb.njit(**_VECTOR)
def _count_rank(sp: float, rp: int, s: np.ndarray, rows: np.ndarray) -> int:
    """1 + the number of rows ranked before (sp, rp): higher score, or equal score and lower
    row index."""
    r = 1
    for q in range(s.size):
        r += (s[q] > sp) | ((s[q] == sp) & (rows[q] < rp))
    return r


@nb.njit(**_VECTOR)
def _count_higher(sp: float, s: np.ndarray) -> int:
    r = 1
    for q in range(s.size):
        r += s[q] > sp
    return r


@nb.njit(**SERIAL)
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
        key[p] = -s[p]
    by_score = np.argsort(key, kind="mergesort")  # stable: equal scores keep label order
    r = 0
    while r < m:  # equal scores: ranks go by row order, not label order
        r1 = r + 1
        while r1 < m and key[by_score[r1]] == key[by_score[r]]:
            r1 += 1
        if r1 - r > 1:
            tied = by_score[r:r1]
            by_row = np.argsort(rows[tied])
            for t in range(r1 - r):
                rank[tied[by_row[t]]] = r + t + 1
        else:
            rank[by_score[r]] = r + 1
        r = r1


@nb.njit(**PARALLEL)
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
) -> None:
    """``pairwise_grad_hess`` on the label order of ``pairwise_label_order(labels, valid,
    offsets)`` (the last three arguments): the same results up to the order of summation.

    Per group, the valid rows are gathered in descending label order into contiguous scratch;
    row a's pairs are then the contiguous tail lower_start[a]..end with one division per pair
    (the per-row exponential trick) and no label comparison or validity branch, a loop LLVM
    vectorises.  Accumulation is in float64."""
    inv_t = 1.0 / temperature
    inv_t2 = inv_t * inv_t
    n_groups = offsets.size - 1
    largest = 0
    for grp in range(n_groups):
        largest = max(largest, order_offsets[grp + 1] - order_offsets[grp])
    disc_table = np.zeros(largest + 1)  # disc_table[r] = 1 / log2(1 + r), 0 beyond k
    if use_ndcg:
        for r in range(1, largest + 1):
            disc_table[r] = ndcg_discount(r, k)
    bin_ptr, sched = balanced_schedule(offsets, n_threads)
    for b in nb.prange(bin_ptr.size - 1):
        s = np.empty(largest)
        e = np.zeros(largest + PAD)
        g = np.zeros(largest + PAD)
        h = np.zeros(largest + PAD)
        gain = np.zeros(largest + PAD)
        disc = np.zeros(largest + PAD)
        rank = np.empty(largest, dtype=np.int64)
        for t in range(bin_ptr[b], bin_ptr[b + 1]):
            grp = sched[t]
            start = offsets[grp]
            end = offsets[grp + 1]
            p0 = order_offsets[grp]
            m = order_offsets[grp + 1] - p0
            if m < end - start:  # rows outside the order (invalid) get no pairs
                for i in range(start, end):
                    grad[i] = 0.0
                    hess[i] = HESSIAN_FLOOR
            if m == 0:
                continue
            rows = order[p0:p0 + m]
            lo_score = np.inf
            hi_score = -np.inf
            for p in range(m):
                v = scores[rows[p]]
                s[p] = v
                lo_score = min(lo_score, v)
                hi_score = max(hi_score, v)
                g[p] = 0.0
                h[p] = 0.0
            per_row_exp = (hi_score - lo_score) * inv_t < RATIO_SPAN
            if per_row_exp:
                mid = 0.5 * (hi_score + lo_score)
                for p in range(m):
                    e[p] = math.exp((s[p] - mid) * inv_t)
                for p in range(m, m + PAD):  # padding: E = 0 gives terms of exactly 0
                    e[p] = 0.0
            inv_idcg = 1.0
            if use_ndcg:
                _score_ranks(s, rows, m, rank)
                idcg = 0.0
                for p in range(m):  # rows are in ideal order already
                    # one 2^y per label block, discounts from the table
                    first = p == 0 or lower_start[p0 + p - 1] == p0 + p
                    gain[p] = ndcg_gain(labels[rows[p]]) if first else gain[p - 1]
                    disc[p] = disc_table[rank[p]]
                    idcg += gain[p] * disc_table[p + 1]
                inv_idcg = 1.0 / idcg if idcg > 0.0 else 0.0
            a = 0
            while a < m:
                lo = lower_start[p0 + a] - p0
                if lo >= m:
                    break  # the lowest label block: nothing below it
                ca = weights[rows[a]] * inv_idcg
                if not per_row_exp:
                    acc_g, acc_h = _pairs_scalar(s[a], s[lo:m], g[lo:m], h[lo:m], gain[a],
                                                 gain[lo:m], disc[a], disc[lo:m], use_ndcg,
                                                 inv_t, ca * inv_t, ca * inv_t2, loss_kind,
                                                 hess_kind)
                    g[a] -= ca * inv_t * acc_g
                    h[a] += ca * inv_t2 * acc_h
                    a += 1
                    continue
                hi = lo + (m - lo + PAD - 1) // PAD * PAD
                if a + 1 < lo:  # rows a and a + 1 share their lower rows
                    cb = weights[rows[a + 1]] * inv_idcg
                    ag, ah, bg, bh = _pairs_two(e[a], e[a + 1], e[lo:hi], g[lo:hi], h[lo:hi],
                                                gain[a], gain[a + 1], gain[lo:hi], disc[a],
                                                disc[a + 1], disc[lo:hi], use_ndcg, ca * inv_t,
                                                ca * inv_t2, cb * inv_t, cb * inv_t2, loss_kind,
                                                hess_kind)
                    g[a] -= ca * inv_t * ag
                    h[a] += ca * inv_t2 * ah
                    g[a + 1] -= cb * inv_t * bg
                    h[a + 1] += cb * inv_t2 * bh
                    a += 2
                else:
                    acc_g, acc_h = _pairs_one(e[a], e[lo:hi], g[lo:hi], h[lo:hi], gain[a],
                                              gain[lo:hi], disc[a], disc[lo:hi], use_ndcg,
                                              ca * inv_t, ca * inv_t2, loss_kind, hess_kind)
                    g[a] -= ca * inv_t * acc_g
                    h[a] += ca * inv_t2 * acc_h
                    a += 1
            for p in range(m):
                r = rows[p]
                grad[r] = g[p]
                hv = h[p]
                hess[r] = hv if hv > HESSIAN_FLOOR else HESSIAN_FLOOR
