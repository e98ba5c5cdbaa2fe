r"""YetiRank: the pairwise logistic loss over neighbours in randomly perturbed rankings.

For a group g (valid rows only, ``m`` of them), a boosting round r and permutations
p = 0..P-1:

    z_i^p = s_i + eps_i^p              eps = log(u / (1 - u)), a standard logistic variable,
                                       u = ``uniform_draw(seed, r, g, p, position of i in g)``
    pi^p  = the rows by descending z^p (equal z: lower position first)

and each pair of neighbours a = pi^p_k, b = pi^p_{k+1} (k = 0..m-2) with y_a != y_b gets the
weight

    c = w_hi * lambda_k / P            hi, lo = the rows of the pair with the higher, lower label
    "classic":  lambda_k = decay^k * |y_a - y_b|                         (CatBoost's YetiRank)
    "ndcg":     lambda_k = |(2^y_a - 2^y_b) (1/log2(k + 2) - 1/log2(k + 3))| / IDCG_g
                           (|Delta NDCG| of swapping the two at positions k, k + 1)

The pair's loss is c * log(1 + exp(-(s_hi - s_lo))), at the *unperturbed* scores; the weights
(which pairs, and c) are held fixed when differentiating, as LambdaRank holds its |Delta NDCG|:

    dl/ds_hi = -c sigma(-u) = -dl/ds_lo,  u = s_hi - s_lo
    Hessian per pair and row: c (``HESS_PAIR_WEIGHT``) or c sigma(u) sigma(-u)
    (``HESS_LOGISTIC``, the exact diagonal)

A pair that is neighbours in several permutations adds up.  Nothing of size m^2 is stored: each
permutation's m - 1 neighbour pairs are enumerated after one sort, O(P m log m) per group.

The draws come from a counter-based hash (SplitMix64's output function chained over seed,
round, group, permutation and position), not from a stream, so they do not depend on the
thread schedule or the device: the CUDA twins draw the same ``u`` bit for bit (the logistic
transform uses each device's ``log``, which may differ in the last bit: permutations could only
differ for perturbed scores equal to within one rounding).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import ndcg_gain, softplus_neg
from ._sort import radix_argsort
from .scaling import host_hessian, scale_group_inplace

#: Pair weights: CatBoost's YetiRank ("classic") or |Delta NDCG| of the swap ("ndcg").
WEIGHT_CLASSIC = 0
WEIGHT_NDCG = 1
#: Hessians: the pair weight c (YetiRankPairwise's curvature) or the exact diagonal c q.
HESS_PAIR_WEIGHT = 0
HESS_LOGISTIC = 1
#: What a host receives per group: grad_hess's arrays, times log2(1 + S_g) / S_g (LambdaMART's
#: normalisation, S_g = sum |grad|), or times 1 / H_g (H_g = the group's Hessian sum: every
#: group with a pair then weighs the same in the trees, as every query does in the metric).
SCALE_NONE = 0
SCALE_LAMBDARANK = 1
SCALE_QUERY = 2

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@nb.njit(**SERIAL)
def uniform_draw(seed: int, rnd: int, group: int, perm: int, position: int) -> float:
    """The uniform draw of (seed, round, group, permutation, position): x = 0, then for each
    of the five words x <- mix(x XOR word), mix being SplitMix64's output function of
    x + 0x9E3779B97F4A7C15 (every input bit flips about half of the output bits); the top 52
    bits k of x give u = (k + 1/2) / 2^52, never 0 or 1 and computed without rounding on any
    device.  A leaf function (no calls), so the CUDA twin compiles the same source."""
    x = np.uint64(0)
    for word in (np.uint64(seed), np.uint64(rnd), np.uint64(group), np.uint64(perm),
                 np.uint64(position)):
        x = (x ^ word) + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        x = x ^ (x >> np.uint64(31))
    return (np.float64(x >> np.uint64(12)) + 0.5) * (1.0 / 4503599627370496.0)


@nb.njit(**SERIAL)
def _inverse_ideal_dcg(y: np.ndarray, m: int) -> float:
    """1 / IDCG of the group's labels y[:m] (whole list, gain 2^y - 1); 0 when IDCG is 0."""
    ideal = radix_argsort(y[:m])  # ascending
    idcg = 0.0
    for r in range(m):
        idcg += ndcg_gain(y[ideal[m - 1 - r]]) / math.log2(r + 2.0)
    return 1.0 / idcg if idcg > 0.0 else 0.0


@nb.njit(**SERIAL)
def neighbour_pairs(s: np.ndarray, y: np.ndarray, w: np.ndarray, pos: np.ndarray, m: int,
                    permutations: int, decay: float, weight_kind: int, seed: int, rnd: int,
                    group: int, hi_out: np.ndarray, lo_out: np.ndarray,
                    c_out: np.ndarray) -> int:
    """The weighted neighbour pairs of one group: s, y, w, pos hold the valid rows' scores,
    labels, weights and positions in the group (first m entries); writes pair t's rows (indices
    into those arrays) to hi_out[t], lo_out[t] and its weight c to c_out[t], and returns the
    number of pairs (at most permutations * (m - 1))."""
    inv_idcg = _inverse_ideal_dcg(y, m) if weight_kind == WEIGHT_NDCG else 1.0
    neg_z = np.empty(m)
    n_pairs = 0
    for p in range(permutations):
        for t in range(m):
            u = uniform_draw(seed, rnd, group, p, pos[t])
            neg_z[t] = -(s[t] + math.log(u / (1.0 - u)))  # + standard logistic noise
        order = radix_argsort(neg_z)  # stable: equal z by position
        for k in range(m - 1):
            a = order[k]
            b = order[k + 1]
            if y[a] == y[b]:
                continue
            hi, lo = (a, b) if y[a] > y[b] else (b, a)
            if weight_kind == WEIGHT_CLASSIC:
                lam = decay**k * abs(y[a] - y[b])
            else:
                lam = abs((ndcg_gain(y[a]) - ndcg_gain(y[b]))
                          * (1.0 / math.log2(k + 2.0) - 1.0 / math.log2(k + 3.0))) * inv_idcg
            hi_out[n_pairs] = hi
            lo_out[n_pairs] = lo
            c_out[n_pairs] = w[hi] * lam / permutations
            n_pairs += 1
    return n_pairs


@nb.njit(**SERIAL)
def group_pairs(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                valid: np.ndarray, start: int, end: int, permutations: int, decay: float,
                weight_kind: int, seed: int, rnd: int,
                group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                     np.ndarray, int]:
    """``neighbour_pairs`` of the group rows start..end-1: returns (rows, s, hi, lo, c,
    n_pairs), the group's valid rows and their scores, and the pairs as indices into them."""
    m0 = end - start
    s = np.empty(m0)
    y = np.empty(m0)
    w = np.empty(m0)
    pos = np.empty(m0, dtype=np.int64)
    rows = np.empty(m0, dtype=np.int64)
    m = 0
    for i in range(start, end):
        if valid[i]:
            s[m] = scores[i]
            y[m] = labels[i]
            w[m] = weights[i]
            pos[m] = i - start
            rows[m] = i
            m += 1
    cap = permutations * max(m - 1, 0)
    hi = np.empty(cap, dtype=np.int64)
    lo = np.empty(cap, dtype=np.int64)
    c = np.empty(cap)
    n_pairs = 0
    if m > 1:
        n_pairs = neighbour_pairs(s, y, w, pos, m, permutations, decay, weight_kind, seed, rnd,
                                  group, hi, lo, c)
    return rows, s, hi, lo, c, n_pairs


@nb.njit(**PARALLEL)
def yetirank_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    permutations: int,
    decay: float,
    weight_kind: int,
    seed: int,
    rnd: int,
    hess_kind: int,
    grad: np.ndarray,
    hess: np.ndarray,
    group_scale: int,
    hess_factor: float,
) -> None:
    """Gradient and Hessian diagonal of the summed loss of round ``rnd``'s pairs, written into
    grad / hess (rows outside ``valid``: 0 and the floor).  What a host receives comes out of
    the same pass, as in ``pairwise.pairwise_grad_hess_ordered``: each group times the factor
    of ``group_scale`` (``SCALE_*``; with ``SCALE_QUERY`` 1 / H_g, H_g the sum of the group's
    Hessians before the floor, for groups with H_g > 0), then the Hessian times
    ``hess_factor``, floored after each step; ``SCALE_NONE, 1.0`` gives ``grad_hess``'s
    arrays.  The work per group is O(P m log m), so groups are spread over the threads by
    ``prange`` alone."""
    for g in nb.prange(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        for i in range(start, end):
            grad[i] = 0.0
            hess[i] = 0.0
        rows, s, hi, lo, c, n_pairs = group_pairs(scores, labels, weights, valid, start, end,
                                                  permutations, decay, weight_kind, seed,
                                                  rnd, g)
        for q in range(n_pairs):
            a = hi[q]
            b = lo[q]
            # sigma(-u) and sigma(u) sigma(-u), u = s_hi - s_lo, from one exponential
            e = math.exp(-abs(s[a] - s[b]))
            inv = 1.0 / (1.0 + e)
            d = c[q] * (e * inv if s[a] >= s[b] else inv)
            curv = c[q] if hess_kind == HESS_PAIR_WEIGHT else c[q] * e * inv * inv
            grad[rows[a]] -= d
            grad[rows[b]] += d
            hess[rows[a]] += curv
            hess[rows[b]] += curv
        if group_scale == SCALE_QUERY:
            total = 0.0
            for i in range(start, end):
                total += hess[i]
            scale = 1.0 / total if total > 0.0 else 1.0
            for i in range(start, end):
                grad[i] *= scale
                hess[i] = host_hessian(hess[i], scale, hess_factor)
            continue
        for i in range(start, end):
            if not hess[i] > HESSIAN_FLOOR:
                hess[i] = HESSIAN_FLOOR
        if group_scale == SCALE_LAMBDARANK or hess_factor != 1.0:
            scale_group_inplace(grad, hess, start, end, group_scale == SCALE_LAMBDARANK,
                                hess_factor)


@nb.njit(**PARALLEL)
def yetirank_loss_rows(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    permutations: int,
    decay: float,
    weight_kind: int,
    seed: int,
    rnd: int,
    out: np.ndarray,
) -> None:
    """Per-row loss of round ``rnd``'s pairs: row i's value sums c log(1 + exp(-u)) over the
    pairs where i is the row with the higher label."""
    for g in nb.prange(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        for i in range(start, end):
            out[i] = 0.0
        rows, s, hi, lo, c, n_pairs = group_pairs(scores, labels, weights, valid, start, end,
                                                  permutations, decay, weight_kind, seed,
                                                  rnd, g)
        for q in range(n_pairs):
            out[rows[hi[q]]] += c[q] * softplus_neg(s[hi[q]] - s[lo[q]])
