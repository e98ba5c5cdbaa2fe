r"""Soft Spearman correlation per group (centimators ``SpearmanCorrelation``).

For a group with m valid rows, soft ranks with strength tau (j = i included, sigma(0) = 1/2):

    r_i(x) = sum_j sigma((x_i - x_j) / tau)

a = r(s) - mean, b = r(y) - mean, A = sum a^2, B = sum b^2, N = sum a b,
D = sqrt(A B + 1e-7), corr = N / D and the group's loss is l_g = -wbar_g * corr, wbar_g the
mean weight of its valid rows.

Gradient.  d corr / d r_k = c_k = b_k / D - N B a_k / D^3 (centring drops out because
sum c = 0), and d r_i / d s_k = -sigma'_ik / tau (i != k), sum_{j != k} sigma'_kj / tau (i = k)
with sigma'_kj = sigma(u) sigma(-u), u = (s_k - s_j) / tau.  Hence

    d l_g / d s_k = -wbar_g * sum_{j != k} sigma'_kj (c_k - c_j) / tau.

Hessian surrogates (the exact one is indefinite):

* GAUSS_NEWTON (default): corr = <a_hat, b_hat> = 1 - |a_hat - b_hat|^2 / 2 for unit vectors;
  the Gauss-Newton diagonal of that least-squares form is

      h_k = wbar_g * (B / D_h^2) * max(|v_k|^2 - (a_hat . v_k)^2, 0.1 |v_k|^2),

  v_k = d r / d s_k (column k of the soft-rank Jacobian), with two safeguards.  The projection
  may remove at most 90% of |v_k|^2 (with two rows it removes all of it and the step would
  explode).  D_h^2 = max(D^2, tie_step sqrt(1e-7 B m) (m - 1) / 4): from all-equal scores the
  plain Gauss-Newton step is ~1e-9, below the float32 resolution of XGBoost's margins at its
  0.5 start, so training would never leave the tie; with the floor, rows first move by about
  tie_step * tau.  Away from ties h_k is the plain Gauss-Newton diagonal, whose steps are
  proportional to the current spread of the soft ranks (the loss is scale-free there).
* PAIR_MAGNITUDE: h_k = wbar_g * sum_j sigma'_kj |c_k - c_j| / tau^2, which bounds each row's
  Newton step by tau (sign-like steps; measured worse, kept for comparison).

Windowed method (``method="windowed"``; "auto" uses it for groups of more than AUTO_MIN_ROWS
rows).  The same loss, gradient and Hessians, evaluated in O(m log m + m w) time and O(m)
memory per group instead of O(m^2), w the number of distinct values within SATURATION * tau
of a row.  Why this rather than the permutahedron projection of Blondel et al. (2020): that
is a different soft rank (models and defaults would change); this one changes nothing but the
cost, and agrees with the exact kernel to rounding.

1. Sort (LSD radix argsort) and merge exact ties into blocks: values u_p, sizes t_p, and
   first_p rows below block p.  Inside a block sigma = 1/2 and sigma' = 1/4 exactly.
2. Saturation: for |u| > SATURATION = 37.5, sigma(u) is within e^-37.5 = 5.2e-17 < 2^-54 of
   0 or 1 (below half the rounding unit of 1) and sigma'(u) < 5.2e-17; such pairs are taken as
   exactly 1 / 0 and 0.  Only blocks within 37.5 tau of each other (a window in sorted order,
   found by two pointers) are evaluated:

       r_p = first_p + t_p / 2 - sum_{q < p, window} t_q sigma_qp + sum_{q > p, window} t_q sigma_pq

   (every row below counted as 1, corrected inside the window), each pair visited once.
3. One exponential per block, not per pair: blocks are cut into chunks of span <= CHUNK_SPAN
   tau with an anchor u_0, E_q = exp((u_q - u_0) / tau) <= e^75, and
   sigma_pq = E_p / (E_p + E_q), sigma'_pq = E_p E_q / (E_p + E_q)^2 (no cancellation).
4. Gradient and Gauss-Newton diagonal by block sums over the window, with cb_p the mean of c
   over block p:  S1_p = sum_q t_q sigma'_pq, S2_p = sum_q t_q sigma'_pq^2,
   G_p = sum_q t_q sigma'_pq (cb_p - cb_q), AD_p = sum_q t_q sigma'_pq (a_p - a_q); for row k of
   block p, sum_{j != k} sigma'_kj (c_k - c_j) = G_p + (c_k - cb_p)(S1_p + t_p / 4),
   dsum_k = S1_p + (t_p - 1) / 4, dsq_k = S2_p + (t_p - 1) / 16 and adot_k = AD_p (a is constant
   on a block).  All-equal scores (boosting's first round) are one block: O(m) after the sort.
   PAIR_MAGNITUDE needs sum_j |c_k - c_j| per row: with c sorted inside each block and prefix
   sums, a binary search gives it per (row, block) pair; its cost is O(m w log m) and grows
   towards O(m^2) only when one large block of ties has many distinct values in its window.
5. The labels' soft ranks use the same routine (``spearman_label_ranks``); the objective
   caches them while labels, mask, groups and tau are unchanged.

Accuracy (tests/test_spearman_windowed.py; BENCHMARKS.md, "Soft Spearman: windowed and exact"):
loss and Hessian within rtol 1e-9 of the exact kernel, gradient within 1e-9 of the largest
|gradient| (measured: ~1e-14).  The only dropped terms are saturated ones, each < e^-37.5
relative to an unsaturated term; a row all of whose pairs are saturated has a gradient of that
size (~1e-17 of the others), which the windowed method returns as 0.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import sigmoid, sigmoid_both
from ._sort import radix_argsort

HESS_PAIR_MAGNITUDE = 0
HESS_GAUSS_NEWTON = 1
CORR_EPS = 1e-7
#: The projection in the Gauss-Newton diagonal may remove at most this share's complement of
#: |v_k|^2: with two rows (or v_k along a) it would otherwise vanish and the step explode.
GN_DAMPING = 0.1


@nb.njit(**SERIAL)
def soft_rank(x: np.ndarray, tau: float, out: np.ndarray) -> None:
    """out_i = sum_j sigma((x_i - x_j) / tau), each unordered pair evaluated once."""
    m = x.size
    inv = 1.0 / tau
    for i in range(m):
        out[i] = 0.5
    for i in range(m):
        xi = x[i]
        for j in range(i + 1, m):
            s = sigmoid((xi - x[j]) * inv)
            out[i] += s
            out[j] += 1.0 - s


@nb.njit(**SERIAL)
def _group_corr_parts(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    start: int,
    end: int,
    tau: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float, float]:
    """Valid-row indices, scores, centred soft ranks a, b, and A, B, N, wbar."""
    m = 0
    wsum = 0.0
    for i in range(start, end):
        if valid[i]:
            m += 1
            wsum += weights[i]
    idx = np.empty(m, dtype=np.int64)
    x = np.empty(m, dtype=np.float64)
    y = np.empty(m, dtype=np.float64)
    t = 0
    for i in range(start, end):
        if valid[i]:
            idx[t] = i
            x[t] = scores[i]
            y[t] = labels[i]
            t += 1
    a = np.empty(m, dtype=np.float64)
    b = np.empty(m, dtype=np.float64)
    soft_rank(x, tau, a)
    soft_rank(y, tau, b)
    mean = 0.5 * m  # soft ranks always sum to m^2 / 2
    big_a = 0.0
    big_b = 0.0
    big_n = 0.0
    for i in range(m):
        a[i] -= mean
        b[i] -= mean
        big_a += a[i] * a[i]
        big_b += b[i] * b[i]
        big_n += a[i] * b[i]
    wbar = wsum / m if m > 0 else 0.0
    return idx, x, a, b, big_a, big_b, big_n, wbar


# --------------------------------------------------------------------------- windowed method
METHOD_EXACT = 0
METHOD_WINDOWED = 1
METHOD_AUTO = 2
#: "auto" uses the windowed method for groups of more than this many rows, where it is faster
#: (BENCHMARKS.md, "Soft Spearman: windowed and exact").
AUTO_MIN_ROWS = 16
#: |u| beyond which the windowed method takes sigma(u) as exactly 1 (u > 0) or 0 and sigma'(u)
#: as 0: e^-37.5 = 5.2e-17 < 2^-54, below half the rounding unit of 1.
SATURATION = 37.5
#: Largest spread (in units of tau) of the blocks sharing one exponent anchor: the exponents
#: then lie in [0, CHUNK_SPAN + SATURATION] = [0, 75] and never overflow.
CHUNK_SPAN = 37.5
#: The pair loops are helpers over contiguous slices with ``error_model="numpy"`` (no
#: ZeroDivisionError check, whose branch stops LLVM from vectorising a loop with a division;
#: every divisor here is E_p + E_q >= 2): 2.5x faster than the same loop written inline.
_VECTOR = {**SERIAL, "error_model": "numpy"}


@nb.njit(**SERIAL)
def _blocks(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Sort ``v``; exactly equal values form blocks.

    Returns order (argsort of v), first (start of block p in sorted order; first[n_blocks] = m),
    u (the blocks' values, ascending), cnt (their sizes as floats) and n_blocks."""
    m = v.size
    order = radix_argsort(v)
    first = np.empty(m + 1, dtype=np.int64)
    u = np.empty(m, dtype=np.float64)
    cnt = np.empty(m, dtype=np.float64)
    nblk = 0
    for pos in range(m):
        val = v[order[pos]]
        if nblk == 0 or val != u[nblk - 1]:
            first[nblk] = pos
            u[nblk] = val
            nblk += 1
    first[nblk] = m
    for p in range(nblk):
        cnt[p] = first[p + 1] - first[p]
    return order, first, u, cnt, nblk


@nb.njit(**SERIAL)
def _window_ends(u: np.ndarray, nblk: int, inv: float, hi: np.ndarray) -> None:
    """hi[p] = last block q with (u_q - u_p) / tau <= SATURATION (nondecreasing in p)."""
    q = 0
    for p in range(nblk):
        if q < p:
            q = p
        while q + 1 < nblk and (u[q + 1] - u[p]) * inv <= SATURATION:
            q += 1
        hi[p] = q


@nb.njit(**SERIAL)
def _chunk(u: np.ndarray, hi: np.ndarray, nblk: int, p0: int, inv: float,
           expo: np.ndarray) -> int:
    """Blocks p0 <= p < p1 (returned) share the anchor u[p0]: expo[q] = exp((u_q - u_p0)/tau)
    for every q up to hi[p1 - 1], so sigma((u_p - u_q)/tau) = E_p / (E_p + E_q)."""
    anchor = u[p0]
    p1 = p0 + 1
    while p1 < nblk and (u[p1] - anchor) * inv <= CHUNK_SPAN:
        p1 += 1
    for q in range(p0, hi[p1 - 1] + 1):
        expo[q] = math.exp((u[q] - anchor) * inv)
    return p1


@nb.njit(**SERIAL)
def _windowed_soft_rank(v: np.ndarray, inv: float) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Soft ranks of v per block of ties.

    r_p = first_p + t_p / 2 - sum_{q < p, in window} t_q sigma_qp
          + sum_{q > p, in window} t_q sigma_pq,   sigma_pq = sigma((u_p - u_q) / tau)

    (every row below block p counted as 1, then corrected inside the window).  Returns order,
    first, u, cnt, r (per block), hi and n_blocks."""
    order, first, u, cnt, nblk = _blocks(v)
    m = v.size
    hi = np.empty(m, dtype=np.int64)
    expo = np.empty(m, dtype=np.float64)
    r = np.empty(m, dtype=np.float64)
    _window_ends(u, nblk, inv, hi)
    for p in range(nblk):
        r[p] = first[p] + 0.5 * cnt[p]
    # not a literal 0: typing would first compile _chunk for the constant (Literal[int](0))
    p0 = np.int64(0)
    while p0 < nblk:
        p1 = _chunk(u, hi, nblk, p0, inv, expo)
        for p in range(p0, p1):
            q1 = hi[p] + 1
            r[p] += _rank_pairs(expo[p], cnt[p], expo[p + 1:q1], cnt[p + 1:q1], r[p + 1:q1])
        p0 = p1
    return order, first, u, cnt, r, hi, nblk


@nb.njit(**_VECTOR)
def _rank_pairs(ep: float, tp: float, eq: np.ndarray, tq: np.ndarray, rq: np.ndarray) -> float:
    """Block p against the blocks q above it in its window: rq -= t_p sigma_pq; returns
    sum_q t_q sigma_pq."""
    acc = 0.0
    for k in range(eq.size):
        s = ep / (ep + eq[k])
        acc += tq[k] * s
        rq[k] -= tp * s
    return acc


@nb.njit(**_VECTOR)
def _gn_pairs(ep: float, tp: float, cp: float, ap: float, eq: np.ndarray, tq: np.ndarray,
              cq: np.ndarray, aq: np.ndarray, s1: np.ndarray, s2: np.ndarray, gs: np.ndarray,
              ad: np.ndarray) -> tuple[float, float, float, float]:
    """Block p against the blocks q above it in its window: adds p's share to the q entries of
    s1, s2, gs, ad and returns block p's sums over these q."""
    g1 = 0.0
    g2 = 0.0
    gp = 0.0
    gd = 0.0
    for k in range(eq.size):
        e = eq[k]
        den = 1.0 / (ep + e)
        sd = ep * e * den * den
        t = tq[k]
        sq = sd * sd
        dc = sd * (cp - cq[k])
        da = sd * (ap - aq[k])
        g1 += t * sd
        s1[k] += tp * sd
        g2 += t * sq
        s2[k] += tp * sq
        gp += t * dc
        gs[k] -= tp * dc
        gd += t * da
        ad[k] -= tp * da
    return g1, g2, gp, gd


@nb.njit(**SERIAL)
def _abs_diff_sum(v: float, cs: np.ndarray, cpre: np.ndarray, lo: int, n: int,
                  total: float) -> float:
    """sum_{lo <= j < lo + n} |v - cs[j]| for cs ascending there, cpre[j] = sum cs[lo:j]."""
    if n <= 8:
        acc = 0.0
        for j in range(lo, lo + n):
            acc += abs(v - cs[j])
        return acc
    a = lo
    b = lo + n
    while a < b:
        mid = (a + b) // 2
        if cs[mid] < v:
            a = mid + 1
        else:
            b = mid
    k = a - lo
    below = cpre[a] if k < n else total
    return (v * k - below) + (total - below) - v * (n - k)


@nb.njit(**SERIAL)
def _windowed_corr(scores: np.ndarray, weights: np.ndarray, valid: np.ndarray, start: int,
                   end: int, label_ranks: np.ndarray, inv: float) -> tuple[
        int, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
        np.ndarray, np.ndarray, int, float, float, float]:
    """The correlation parts of one group (rows ``start:end``) by the windowed method.

    Returns m (valid rows), wbar, idx (their rows), b (their centred label soft ranks),
    then per block of tied scores (``_windowed_soft_rank``) order, first, u, cnt, a (the
    centred soft rank of the block), hi and n_blocks, and A, B, N."""
    m = 0
    wsum = 0.0
    for i in range(start, end):
        if valid[i]:
            m += 1
            wsum += weights[i]
    wbar = wsum / m if m > 0 else 0.0
    idx = np.empty(m, dtype=np.int64)
    x = np.empty(m, dtype=np.float64)
    b = np.empty(m, dtype=np.float64)  # centred label soft ranks, precomputed per row
    t = 0
    for i in range(start, end):
        if valid[i]:
            idx[t] = i
            x[t] = scores[i]
            b[t] = label_ranks[i]
            t += 1
    mean = 0.5 * m
    order, first, u, cnt, ab, hi, nblk = _windowed_soft_rank(x, inv)
    big_a = 0.0
    big_b = 0.0
    big_n = 0.0
    for p in range(nblk):
        ab[p] -= mean  # a per block (rows tied in x share their soft rank)
        ap = ab[p]
        big_a += cnt[p] * ap * ap
        for pos in range(first[p], first[p + 1]):
            bk = b[order[pos]]
            big_b += bk * bk
            big_n += ap * bk
    return m, wbar, idx, b, order, first, u, cnt, ab, hi, nblk, big_a, big_b, big_n


@nb.njit(**SERIAL)
def _windowed_loss(scores: np.ndarray, weights: np.ndarray, valid: np.ndarray, start: int,
                   end: int, label_ranks: np.ndarray, tau: float) -> float:
    """One group's loss by the windowed method (0 without valid rows)."""
    m, wbar, _, _, _, _, _, _, _, _, _, big_a, big_b, big_n = _windowed_corr(
        scores, weights, valid, start, end, label_ranks, 1.0 / tau)
    if m == 0:
        return 0.0
    return -wbar * big_n / math.sqrt(big_a * big_b + CORR_EPS)


def _make_windowed_grad_hess(pair_magnitude: bool) -> Any:
    """The windowed gradient and Hessian of one group for one Hessian surrogate, a closure
    constant: branches on it are pruned before typing, so the Gauss-Newton variant does not
    compile the pair-magnitude sums and their sorting."""

    @nb.njit(**SERIAL)
    def windowed_grad_hess(scores: np.ndarray, weights: np.ndarray, valid: np.ndarray,
                           start: int, end: int, label_ranks: np.ndarray, tau: float,
                           tie_step: float, grad: np.ndarray, hess: np.ndarray) -> None:
        """Gradient and Hessian of one group (rows ``start:end``; invalid rows get 0 and the
        floor) by the windowed method."""
        inv = 1.0 / tau
        for i in range(start, end):
            grad[i] = 0.0
            hess[i] = HESSIAN_FLOOR
        m, wbar, idx, b, order, first, u, cnt, ab, hi, nblk, big_a, big_b, big_n = \
            _windowed_corr(scores, weights, valid, start, end, label_ranks, inv)
        if m < 2 or wbar == 0.0:
            return
        d = math.sqrt(big_a * big_b + CORR_EPS)
        c = np.empty(m, dtype=np.float64)  # c per row in sorted order (pos: row order[pos])
        cb = np.empty(nblk, dtype=np.float64)  # mean c per block
        ctot = np.empty(nblk, dtype=np.float64)
        k3 = big_n * big_b / (d * d * d)
        for p in range(nblk):
            tot = 0.0
            for pos in range(first[p], first[p + 1]):
                cv = b[order[pos]] / d - k3 * ab[p]
                c[pos] = cv
                tot += cv
            ctot[p] = tot
            cb[p] = tot / cnt[p]
        s1 = np.zeros(nblk, dtype=np.float64)  # sum_{q != p} t_q sigma'_pq
        s2 = np.zeros(nblk, dtype=np.float64)  # sum_{q != p} t_q sigma'_pq^2
        gs = np.zeros(nblk, dtype=np.float64)  # sum_{q != p} t_q sigma'_pq (cb_p - cb_q)
        ad = np.zeros(nblk, dtype=np.float64)  # sum_{q != p} t_q sigma'_pq (a_p - a_q)
        expo = np.empty(nblk, dtype=np.float64)
        if pair_magnitude:
            # |c_k - c_j| sums: c ascending inside each block, with in-block prefix sums
            habs = np.zeros(m, dtype=np.float64)
            cpre = np.empty(m, dtype=np.float64)
            for p in range(nblk):
                f0 = first[p]
                f1 = first[p + 1]
                if f1 - f0 > 1:
                    srt = radix_argsort(c[f0:f1])
                    rows = order[f0:f1].copy()
                    vals = c[f0:f1].copy()
                    for j in range(f1 - f0):
                        order[f0 + j] = rows[srt[j]]
                        c[f0 + j] = vals[srt[j]]
                acc = 0.0
                for pos in range(f0, f1):
                    cpre[pos] = acc
                    acc += c[pos]
                for pos in range(f0, f1):  # in-block pairs: sigma' = 1/4
                    habs[pos] = 0.25 * _abs_diff_sum(c[pos], c, cpre, f0, f1 - f0, ctot[p])
        p0 = np.int64(0)  # not a literal (see _windowed_soft_rank)
        while p0 < nblk:
            p1 = _chunk(u, hi, nblk, p0, inv, expo)
            for p in range(p0, p1):
                ep = expo[p]
                tp = cnt[p]
                cp = cb[p]
                if pair_magnitude:
                    g1 = 0.0
                    gp = 0.0
                    for q in range(p + 1, hi[p] + 1):
                        eq = expo[q]
                        den = 1.0 / (ep + eq)
                        sd = ep * eq * den * den
                        dc = sd * (cp - cb[q])
                        g1 += cnt[q] * sd
                        s1[q] += tp * sd
                        gp += cnt[q] * dc
                        gs[q] -= tp * dc
                        fp = first[p]
                        fq = first[q]
                        if tp == 1.0 and cnt[q] == 1.0:
                            h = sd * abs(c[fp] - c[fq])
                            habs[fp] += h
                            habs[fq] += h
                        else:
                            nq = first[q + 1] - fq
                            np_ = first[p + 1] - fp
                            for pos in range(fp, fp + np_):
                                habs[pos] += sd * _abs_diff_sum(c[pos], c, cpre, fq, nq,
                                                                ctot[q])
                            for pos in range(fq, fq + nq):
                                habs[pos] += sd * _abs_diff_sum(c[pos], c, cpre, fp, np_,
                                                                ctot[p])
                    s1[p] += g1
                    gs[p] += gp
                else:
                    q0 = p + 1
                    q1 = hi[p] + 1
                    g1, g2, gp, gd = _gn_pairs(ep, tp, cp, ab[p], expo[q0:q1], cnt[q0:q1],
                                               cb[q0:q1], ab[q0:q1], s1[q0:q1], s2[q0:q1],
                                               gs[q0:q1], ad[q0:q1])
                    s1[p] += g1
                    s2[p] += g2
                    gs[p] += gp
                    ad[p] += gd
            p0 = p1
        inv_norm_a = 1.0 / math.sqrt(big_a) if big_a > 0.0 else 0.0
        tie_d2 = tie_step * math.sqrt(CORR_EPS * big_b * m) * (m - 1) / 4.0
        d2 = max(big_a * big_b + CORR_EPS, tie_d2)
        for p in range(nblk):
            tp = cnt[p]
            dsum = s1[p] + 0.25 * (tp - 1.0)
            dsq = s2[p] + 0.0625 * (tp - 1.0)
            av = ad[p] * inv * inv_norm_a
            for pos in range(first[p], first[p + 1]):
                row = idx[order[pos]]
                # sum_{j != k} sigma'_kj (c_k - c_j): other blocks, then the in-block part
                gsum = gs[p] + (c[pos] - cb[p]) * (s1[p] + 0.25 * tp)
                grad[row] = -wbar * gsum * inv
                if pair_magnitude:
                    h = wbar * habs[pos] * inv * inv
                else:
                    vv = (dsum * dsum + dsq) * inv * inv
                    h = wbar * big_b / d2 * max(vv - av * av, GN_DAMPING * vv)
                hess[row] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR

    return windowed_grad_hess


#: The windowed gradient and Hessian of one group: Gauss-Newton and pair-magnitude Hessians
#: (module globals, so that the functions calling them stay cacheable; see below).
_WINDOWED_GN = _make_windowed_grad_hess(False)
_WINDOWED_PM = _make_windowed_grad_hess(True)


@nb.njit(**SERIAL)
def _use_window(method: int, rows: int) -> bool:
    return method == METHOD_WINDOWED or (method == METHOD_AUTO and rows > AUTO_MIN_ROWS)


def _methods_used(method: int, offsets: np.ndarray) -> tuple[bool, bool]:
    """(whether some group is evaluated exactly, whether some group by the windowed method),
    the per-group choice of ``_use_window``."""
    if method != METHOD_AUTO:
        return method == METHOD_EXACT, method == METHOD_WINDOWED
    windowed = np.diff(offsets) > AUTO_MIN_ROWS
    return bool((~windowed).any()), bool(windowed.any())


# --------------------------------------------------------------------------- exact method
@nb.njit(**SERIAL)
def _exact_loss(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                valid: np.ndarray, start: int, end: int, tau: float) -> float:
    """One group's loss by the exact method."""
    _, _, _, _, big_a, big_b, big_n, wbar = _group_corr_parts(scores, labels, weights, valid,
                                                               start, end, tau)
    return -wbar * big_n / math.sqrt(big_a * big_b + CORR_EPS)


@nb.njit(**SERIAL)
def _exact_grad_hess(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                     valid: np.ndarray, start: int, end: int, tau: float, hess_kind: int,
                     tie_step: float, grad: np.ndarray, hess: np.ndarray) -> None:
    """Gradient and Hessian of one group (rows ``start:end``) by the exact method."""
    inv = 1.0 / tau
    for i in range(start, end):
        grad[i] = 0.0
        hess[i] = HESSIAN_FLOOR
    idx, x, a, b, big_a, big_b, big_n, wbar = _group_corr_parts(
        scores, labels, weights, valid, start, end, tau
    )
    m = idx.size
    if m < 2 or wbar == 0.0:
        return
    d = math.sqrt(big_a * big_b + CORR_EPS)
    c = np.empty(m, dtype=np.float64)
    for i in range(m):
        c[i] = b[i] / d - big_n * big_b * a[i] / (d * d * d)
    gsum = np.zeros(m, dtype=np.float64)
    habs = np.zeros(m, dtype=np.float64)
    dsum = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj
    dsq = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj^2
    adot = np.zeros(m, dtype=np.float64)  # sum_j sigma'_kj (a_k - a_j)
    for i in range(m):
        xi = x[i]
        for j in range(i + 1, m):
            # sigma(u) sigma(-u) from one exponential: s (1 - s) loses all precision as
            # s -> 1 (u = 30: relative error ~1e-3)
            sp, sn = sigmoid_both((xi - x[j]) * inv)
            sd = sp * sn
            if sd == 0.0:
                continue
            t = sd * (c[i] - c[j])
            gsum[i] += t
            gsum[j] -= t
            if hess_kind == HESS_PAIR_MAGNITUDE:
                habs[i] += abs(t)
                habs[j] += abs(t)
            else:
                dsum[i] += sd
                dsum[j] += sd
                dsq[i] += sd * sd
                dsq[j] += sd * sd
                da = sd * (a[i] - a[j])
                adot[i] += da
                adot[j] -= da
    inv_norm_a = 1.0 / math.sqrt(big_a) if big_a > 0.0 else 0.0
    # floor of D^2 in the Gauss-Newton diagonal: from all-equal scores, the Newton step of
    # row k is then tie_step * tau * b_k * sqrt(m) / |b| (rows move ~tie_step * tau)
    tie_d2 = tie_step * math.sqrt(CORR_EPS * big_b * m) * (m - 1) / 4.0
    for i in range(m):
        row = idx[i]
        grad[row] = -wbar * gsum[i] * inv
        if hess_kind == HESS_PAIR_MAGNITUDE:
            h = wbar * habs[i] * inv * inv
        else:
            vv = (dsum[i] * dsum[i] + dsq[i]) * inv * inv
            av = adot[i] * inv * inv_norm_a
            d2 = max(big_a * big_b + CORR_EPS, tie_d2)
            h = wbar * big_b / d2 * max(vv - av * av, GN_DAMPING * vv)
        hess[row] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


# --------------------------------------------------------------------------- kernels
@nb.njit(**SERIAL)
def spearman_label_ranks(labels: np.ndarray, valid: np.ndarray, offsets: np.ndarray,
                         tau: float, out: np.ndarray) -> None:
    """out_i = r_i(y) - m_g / 2 (windowed soft rank of the valid labels of row i's group; 0 on
    invalid rows): the label half of the windowed method, which the objective caches because
    labels do not change between boosting rounds (serial, since it runs once per data set)."""
    inv = 1.0 / tau
    for g in range(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        m = 0
        for i in range(start, end):
            out[i] = 0.0
            if valid[i]:
                m += 1
        if m == 0:
            continue
        y = np.empty(m, dtype=np.float64)
        idx = np.empty(m, dtype=np.int64)
        t = 0
        for i in range(start, end):
            if valid[i]:
                idx[t] = i
                y[t] = labels[i]
                t += 1
        order, first, _, _, r, _, nblk = _windowed_soft_rank(y, inv)
        mean = 0.5 * m
        for p in range(nblk):
            for pos in range(first[p], first[p + 1]):
                out[idx[order[pos]]] = r[p] - mean


# The loss and grad/hess kernels are made per combination of methods in use (and Hessian
# surrogate), so that a call compiles only the code its groups need: parallel loops over groups
# whose bodies only call compiled functions (Numba's parfor lowering compiles the body again).
# They are closures over these constants only and reach the functions they call as module
# globals: Numba's on-disk cache keys a closure by its captured values, which for a captured
# compiled function include a per-process id (never a cache hit).
def _make_loss_kernel(exact: bool, windowed: bool) -> Any:
    @nb.njit(**PARALLEL)
    def loss_kernel(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                    valid: np.ndarray, offsets: np.ndarray, tau: float, method: int,
                    label_ranks: np.ndarray, out: np.ndarray) -> None:
        for g in nb.prange(offsets.size - 1):
            start = offsets[g]
            end = offsets[g + 1]
            if _use_window(method, end - start):
                if windowed:  # compile-time constants: only the methods in use compile
                    out[g] = _windowed_loss(scores, weights, valid, start, end, label_ranks,
                                            tau)
            elif exact:
                out[g] = _exact_loss(scores, labels, weights, valid, start, end, tau)

    return loss_kernel


def _make_grad_hess_kernel(exact: bool, windowed: bool, pair_magnitude: bool) -> Any:
    @nb.njit(**PARALLEL)
    def grad_hess_kernel(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                         valid: np.ndarray, offsets: np.ndarray, tau: float, hess_kind: int,
                         tie_step: float, method: int, label_ranks: np.ndarray,
                         grad: np.ndarray, hess: np.ndarray) -> None:
        for g in nb.prange(offsets.size - 1):
            start = offsets[g]
            end = offsets[g + 1]
            if _use_window(method, end - start):
                if windowed:  # compile-time constants: only the methods in use compile
                    if pair_magnitude:
                        _WINDOWED_PM(scores, weights, valid, start, end, label_ranks, tau,
                                     tie_step, grad, hess)
                    else:
                        _WINDOWED_GN(scores, weights, valid, start, end, label_ranks, tau,
                                     tie_step, grad, hess)
            elif exact:
                _exact_grad_hess(scores, labels, weights, valid, start, end, tau, hess_kind,
                                 tie_step, grad, hess)

    return grad_hess_kernel


#: The kernels of every combination of (exact method used, windowed method used) and, for the
#: gradient, Hessian surrogate; made at import, compiled on first call.
_METHOD_SETS = ((True, False), (False, True), (True, True), (False, False))
_LOSS_KERNELS = {used: _make_loss_kernel(*used) for used in _METHOD_SETS}
_GRAD_HESS_KERNELS = {(*used, pm): _make_grad_hess_kernel(*used, pm)
                      for used in _METHOD_SETS for pm in (False, True)}


def spearman_loss_groups(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    tau: float,
    method: int,
    label_ranks: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each group's loss into ``out`` (``label_ranks``: ``spearman_label_ranks``' output, read
    by the windowed groups).  Picks the kernel of the methods the groups use and passes the
    scalars as Python numbers (NumPy scalars would compile other specialisations)."""
    kernel = _LOSS_KERNELS[_methods_used(method, offsets)]
    kernel(scores, labels, weights, valid, offsets, float(tau), int(method), label_ranks, out)


def spearman_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    tau: float,
    hess_kind: int,
    tie_step: float,
    method: int,
    label_ranks: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    """Gradient and Hessian of every group into ``grad``, ``hess``: the exact O(m^2) method
    or the windowed one per group as ``method`` selects (``_use_window``).  Picks the kernel
    as ``spearman_loss_groups``."""
    exact, windowed = _methods_used(method, offsets)
    kernel = _GRAD_HESS_KERNELS[exact, windowed, hess_kind == HESS_PAIR_MAGNITUDE]
    kernel(scores, labels, weights, valid, offsets, float(tau), int(hess_kind),
           float(tie_step), int(method), label_ranks, grad, hess)


@nb.njit(**SERIAL)
def mse_mix(total_w: float, total_h: float, count: float, mse_weight: float,
            spearman_weight: float, balanced: bool) -> tuple[float, float]:
    """(lambda, row scale) of one group for ``add_mse_grad_hess`` from its valid rows'
    weight sum W_g, Spearman Hessian sum H_g and count m_g: the Spearman term is multiplied by
    lambda and the MSE term's w (s - y) by the row scale (also compiled for the GPU twin)."""
    if balanced:
        norm = 1.0 / (2.0 * mse_weight + spearman_weight)
        informative = total_h > count * HESSIAN_FLOOR
        lam = norm * spearman_weight * total_w / total_h if informative else 0.0
        return lam, norm * 2.0 * mse_weight
    return spearman_weight, 2.0 * mse_weight / max(count, 1.0)


@nb.njit(**SERIAL)
def add_mse_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    mse_weight: float,
    spearman_weight: float,
    balanced: bool,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    """CombinedLoss: add the MSE term to the soft Spearman grad/hess, in place.

    balanced=False (``grad_hess``; hosts with ``balance=None``): the derivatives of
    alpha mean_g(w (s - y)^2) + beta soft Spearman:
    grad <- beta grad + 2 alpha w (s - y) / m_g, hess <- beta hess + 2 alpha w / m_g, m_g the
    valid rows of the group (at least 1).

    balanced=True (hosts with ``balance="rows"``): each group's Spearman grad/hess are
    multiplied by lambda_g = W_g / H_g (W_g the sum of the valid rows' weights, H_g the sum of
    their Spearman Hessians), so that the term's Hessian sums to W_g, and with
    n = 1 / (2 alpha + beta): grad <- n (beta lambda_g grad + 2 alpha w (s - y)),
    hess <- n (beta lambda_g hess + 2 alpha w).  A group whose Spearman Hessians are all at the
    floor (one valid row, all labels equal: no correlation to learn) gets lambda_g = 0.

    Hessians are floored; invalid rows get 0 and the floor.  Serial: one pass over the rows,
    a few percent of the Spearman kernel's time, not worth a parallel kernel's compile."""
    for g in range(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        total_w = 0.0
        total_h = 0.0
        count = 0.0
        for i in range(start, end):
            if valid[i]:
                total_w += weights[i]
                total_h += hess[i]
                count += 1.0
        lam, row_scale = mse_mix(total_w, total_h, count, mse_weight, spearman_weight,
                                 balanced)
        for i in range(start, end):
            if not valid[i]:
                grad[i] = 0.0
                hess[i] = HESSIAN_FLOOR
                continue
            scale = row_scale * weights[i]
            grad[i] = lam * grad[i] + scale * (scores[i] - labels[i])
            h = lam * hess[i] + scale
            hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
