"""GPU twin of :mod:`boostrank._kernels.pairwise` (same maths, see its docstring).

Gradient and Hessian, groups of up to ``BLOCK_GROUP_ROWS`` rows (queries, W1's groups of 100,
P1000's of 1,000): one kernel launch per call, one block per group.  The block copies its
group into shared memory, finds the score span (whether one exponential per row is exact, and
its centre) by a block reduction, ranks its rows (rows above, ties by row order, as the CPU's
stable sort) when NDCG lambda weights or a truncation level need them, replaces the scores by
E_i = exp((s_i - mid)/T), sums each row's side of every pair of the group from shared memory,
and applies the host's scaling (``group_scale``, ``hess_factor``) in its epilogue, as the CPU
kernel does in its write-back.

Larger groups, and the loss: the same steps as separate launches over the whole grid (one
block per group for the span, then one thread per row for the setup and the pair sums, the
group's rows spread over many blocks), with scratch arrays reused per data set.

1 / IDCG@k depends only on the labels: it is computed once per data set.
``pairwise_grad_hess_ordered`` (the CPU's label-ordered kernel) has the same twin: the label
order only makes the CPU's loop vectorise, and the GPU kernels need none.  Its
``truncation_level`` is supported; ``pairs_per_row`` sampling is not (each drawn pair updates
two rows: on the GPU that needs order-dependent atomics), and the objective refuses it there.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels.pairwise import HESS_LOGISTIC_CURVATURE, RATIO_SPAN, SOFT_ZERO_ONE
from . import _common
from ._common import (
    block_max,
    block_sum,
    derived,
    group_of,
    largest_group,
    midpoint,
    ndcg_discount,
    ndcg_gain,
    on_groups,
    on_rows,
    sigmoid,
    sigmoid_both,
    softplus_neg,
    sum_by_group,
    workspace,
)
from .scaling import host_hessian, lambdarank_factor, lambdarank_scale_inplace, scale_floor_inplace

#: Largest group the one-block-per-group kernel holds in shared memory: six float64 per row
#: (48 KB at 1,024 rows, what a block gets without opting in to more).
BLOCK_GROUP_ROWS = 1024
_SHARED_PER_ROW = 6


# --------------------------------------------------------------------------- shared maths
@cuda.jit(device=True)
def _pair_terms(i_higher: bool, c: float, per_row_exp: bool, xi: float, xj: float,
                inv_t: float, inv_t2: float, loss_kind: int,
                hess_kind: int) -> tuple[float, float]:
    """Row i's gradient and Hessian terms of the pair (i, j) with weight ``c``: x = E (one
    exponential per row) when ``per_row_exp``, else the raw scores (a sigmoid per pair)."""
    sign = 1.0 if i_higher else -1.0
    if per_row_exp:
        inv_den = 1.0 / (xi + xj)
        sp = (xi if i_higher else xj) * inv_den
        sn = (xj if i_higher else xi) * inv_den
    else:
        sp, sn = sigmoid_both(sign * (xi - xj) * inv_t)
    q = sp * sn
    if loss_kind == SOFT_ZERO_ONE:
        d1 = -q
        d2 = q * (sp - sn)
    else:
        d1 = -sn
        d2 = q
    return sign * c * d1 * inv_t, c * (q if hess_kind == HESS_LOGISTIC_CURVATURE else d2) * inv_t2


# --------------------------------------------------------------------------- one block per group
@cuda.jit(cache=True)
def _grad_hess_blocks(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                      inv_t: float, loss_kind: int, use_ndcg: bool, k: int, hess_kind: int,
                      truncation: int, inv_idcg: Any, group_scale: bool, hess_factor: float,
                      capacity: int, grad: Any, hess: Any) -> None:
    """Everything for one group in one block, from shared memory (see the module docstring).
    ``capacity`` >= the largest group and the block size: rows of the shared arrays."""
    shared = cuda.shared.array(0, numba.float64)  # _SHARED_PER_ROW * capacity entries
    x = shared[:capacity]  # the raw scores, then E where one exponential per row is exact
    y = shared[capacity:2 * capacity]  # labels; NaN marks an invalid row
    w = shared[2 * capacity:3 * capacity]
    gain = shared[3 * capacity:4 * capacity]  # also the scratch of the span reductions
    disc = shared[4 * capacity:5 * capacity]
    rank = shared[5 * capacity:6 * capacity]
    g = cuda.blockIdx.x
    start = offsets[g]
    m = offsets[g + 1] - start
    tid = cuda.threadIdx.x
    step = cuda.blockDim.x
    hi = -math.inf
    neg_lo = -math.inf
    for r in range(tid, m, step):
        i = start + r
        s = scores[i]
        x[r] = s
        w[r] = weights[i]
        if valid[i]:
            y[r] = labels[i]
            hi = max(hi, s)
            neg_lo = max(neg_lo, -s)
        else:
            y[r] = math.nan
    hi = block_max(gain, hi)  # its barriers also publish the rows above to the block
    lo = -block_max(gain, neg_lo)
    if hi < lo:  # no valid row: nothing reads E
        hi = 0.0
        lo = 0.0
    per_row_exp = (hi - lo) * inv_t < RATIO_SPAN
    if use_ndcg or truncation > 0:
        for r in range(tid, m, step):
            yr = y[r]
            if yr == yr:
                sr = x[r]
                above = 1
                for j in range(m):
                    if y[j] == y[j] and (x[j] > sr or (x[j] == sr and j < r)):
                        above += 1
                rank[r] = above
                if use_ndcg:
                    gain[r] = ndcg_gain(yr)
                    disc[r] = ndcg_discount(above, k)
    cuda.syncthreads()  # every rank loop has read the raw scores
    if per_row_exp:
        mid = midpoint(hi, lo)
        for r in range(tid, m, step):
            yr = y[r]
            x[r] = math.exp((x[r] - mid) * inv_t) if yr == yr else 0.0  # invalid: never read
        cuda.syncthreads()
    inv_t2 = inv_t * inv_t
    inv_idcg_g = inv_idcg[g] if use_ndcg else 0.0
    part = 0.0  # this thread's share of sum |grad| over the group
    for r in range(tid, m, step):
        i = start + r
        yi = y[r]
        if not yi == yi:
            grad[i] = 0.0
            hess[i] = HESSIAN_FLOOR
            continue
        xi = x[r]
        wi = w[r]
        outside = truncation > 0 and rank[r] > truncation  # beyond the top K: pairs with it
        acc_g = 0.0
        acc_h = 0.0
        for j in range(m):
            yj = y[j]
            if j == r or not yj == yj or yj == yi:
                continue
            if outside and rank[j] > truncation:
                continue
            i_higher = yi > yj
            c = wi if i_higher else w[j]
            if use_ndcg:
                c *= abs((gain[r] - gain[j]) * (disc[r] - disc[j])) * inv_idcg_g
            dg, dh = _pair_terms(i_higher, c, per_row_exp, xi, x[j], inv_t, inv_t2, loss_kind,
                                 hess_kind)
            acc_g += dg
            acc_h += dh
        grad[i] = acc_g
        hess[i] = acc_h if acc_h > HESSIAN_FLOOR else HESSIAN_FLOOR
        part += abs(acc_g)
    if group_scale:  # the host's LambdaMART normalisation, as the separate pass computes it
        cuda.syncthreads()  # the pair loops are done with the shared rows: x is free
        scale = lambdarank_factor(block_sum(x, part))
        for r in range(tid, m, step):
            i = start + r
            if scale != 1.0:
                grad[i] *= scale
            hess[i] = host_hessian(hess[i], scale, hess_factor)
    elif hess_factor != 1.0:
        for r in range(tid, m, step):
            i = start + r
            v = hess[i] * hess_factor
            hess[i] = v if not v < HESSIAN_FLOOR else HESSIAN_FLOOR


# --------------------------------------------------------------------------- over the grid
@cuda.jit(cache=True)
def _score_span(scores: Any, valid: Any, offsets: Any, inv_t: float, mid: Any,
                use_exp: Any) -> None:
    """Per group (one block): the centre of the valid scores and whether span / T is small
    enough for one exponential per row."""
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    hi = -math.inf
    neg_lo = -math.inf
    i = offsets[g] + cuda.threadIdx.x
    while i < offsets[g + 1]:
        if valid[i]:
            hi = max(hi, scores[i])
            neg_lo = max(neg_lo, -scores[i])
        i += cuda.blockDim.x
    hi = block_max(shared, hi)
    lo = -block_max(shared, neg_lo)
    if cuda.threadIdx.x == 0:
        if hi < lo:  # no valid row: nothing reads E
            hi = 0.0
            lo = 0.0
        use_exp[g] = (hi - lo) * inv_t < RATIO_SPAN
        mid[g] = midpoint(hi, lo)


@cuda.jit(cache=True)
def _row_setup(scores: Any, labels: Any, valid: Any, offsets: Any, inv_t: float, use_ndcg: bool,
               k: int, ranked: bool, mid: Any, use_exp: Any, expo: Any, rank: Any, gain: Any,
               disc: Any) -> None:
    i = cuda.grid(1)
    if i >= scores.size:
        return
    g = group_of(offsets, i)
    expo[i] = 0.0
    if not valid[i]:
        return
    si = scores[i]
    if use_exp[g]:
        expo[i] = math.exp((si - mid[g]) * inv_t)
    if ranked:
        r = 1
        for j in range(offsets[g], offsets[g + 1]):
            if valid[j] and (scores[j] > si or (scores[j] == si and j < i)):
                r += 1
        rank[i] = r
        if use_ndcg:
            gain[i] = ndcg_gain(labels[i])
            disc[i] = ndcg_discount(r, k)


@cuda.jit(cache=True)
def _ideal_terms(labels: Any, valid: Any, offsets: Any, k: int, out: Any) -> None:
    """Row i's term of the ideal DCG@k: its gain at its position in the label-sorted list."""
    i = cuda.grid(1)
    if i >= labels.size:
        return
    out[i, 0] = 0.0
    if not valid[i]:
        return
    g = group_of(offsets, i)
    yi = labels[i]
    pos = 1
    for j in range(offsets[g], offsets[g + 1]):
        if valid[j] and (labels[j] > yi or (labels[j] == yi and j < i)):
            pos += 1
    out[i, 0] = ndcg_gain(yi) * ndcg_discount(pos, k)


@cuda.jit(cache=True)
def _invert_positive(idcg: Any, out: Any) -> None:
    g = cuda.grid(1)
    if g < out.size:
        out[g] = 1.0 / idcg[g, 0] if idcg[g, 0] > 0.0 else 0.0


def inverse_ideal_dcg(labels: Any, valid: Any, offsets: Any, k: int) -> Any:
    """1 / IDCG@k per group (0 where it is 0), once per data set."""

    def compute() -> Any:
        terms = cuda.device_array((labels.size, 1), dtype=np.float64)
        on_rows(_ideal_terms, labels.size)(labels, valid, offsets, k, terms)
        idcg = sum_by_group(terms, offsets)
        inv = cuda.device_array(offsets.size - 1, dtype=np.float64)
        on_rows(_invert_positive, inv.size)(idcg, inv)
        return inv

    return derived((labels, valid, offsets), ("inverse_ideal_dcg", k), compute)


def _setup(scores: Any, labels: Any, valid: Any, offsets: Any, inv_t: float, use_ndcg: bool,
           k: int, truncation: int) -> tuple[Any, ...]:
    """The grid path's per-row setup, in scratch arrays reused per data set."""
    n = scores.size
    n_groups = offsets.size - 1
    mid = workspace(labels, "pairwise.mid", n_groups)
    use_exp = workspace(labels, "pairwise.use_exp", n_groups, np.bool_)
    on_groups(_score_span, n_groups)(scores, valid, offsets, inv_t, mid, use_exp)
    ranked = use_ndcg or truncation > 0
    expo = workspace(labels, "pairwise.expo", n)
    rank = workspace(labels, "pairwise.rank", n if ranked else 1, np.int64)
    gain = workspace(labels, "pairwise.gain", n if use_ndcg else 1)
    disc = workspace(labels, "pairwise.disc", n if use_ndcg else 1)
    on_rows(_row_setup, n)(scores, labels, valid, offsets, inv_t, use_ndcg, k, ranked, mid,
                           use_exp, expo, rank, gain, disc)
    inv_idcg = (inverse_ideal_dcg(labels, valid, offsets, k) if use_ndcg
                else workspace(labels, "pairwise.no_idcg", 1))
    return use_exp, expo, rank, gain, disc, inv_idcg


@cuda.jit(cache=True)
def _grad_hess_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                    inv_t: float, loss_kind: int, use_ndcg: bool, hess_kind: int,
                    truncation: int, use_exp: Any, expo: Any, rank: Any, gain: Any, disc: Any,
                    inv_idcg: Any, grad: Any, hess: Any) -> None:
    i = cuda.grid(1)
    if i >= scores.size:
        return
    if not valid[i]:
        grad[i] = 0.0
        hess[i] = HESSIAN_FLOOR
        return
    g = group_of(offsets, i)
    per_row_exp = use_exp[g]
    x = expo if per_row_exp else scores
    yi = labels[i]
    xi = x[i]
    inv_t2 = inv_t * inv_t
    acc_g = 0.0
    acc_h = 0.0
    outside = truncation > 0 and rank[i] > truncation  # beyond the top K: pairs with it only
    for j in range(offsets[g], offsets[g + 1]):
        if j == i or not valid[j] or labels[j] == yi:
            continue
        if outside and rank[j] > truncation:
            continue
        i_higher = yi > labels[j]
        c = weights[i] if i_higher else weights[j]
        if use_ndcg:
            c *= abs((gain[i] - gain[j]) * (disc[i] - disc[j])) * inv_idcg[g]
        dg, dh = _pair_terms(i_higher, c, per_row_exp, xi, x[j], inv_t, inv_t2, loss_kind,
                             hess_kind)
        acc_g += dg
        acc_h += dh
    grad[i] = acc_g
    hess[i] = acc_h if acc_h > HESSIAN_FLOOR else HESSIAN_FLOOR


def pairwise_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                       temperature: float, loss_kind: int, use_ndcg: bool, k: int,
                       hess_kind: int, grad: Any, hess: Any, n_threads: int) -> None:
    """Twin of the CPU ``pairwise_grad_hess`` (``n_threads`` is unused on the GPU)."""
    pairwise_grad_hess_ordered(scores, labels, weights, valid, offsets, temperature, loss_kind,
                               use_ndcg, k, hess_kind, grad, hess, n_threads, None, None, None,
                               0, 0, 0, False, 1.0)


def pairwise_grad_hess_ordered(scores: Any, labels: Any, weights: Any, valid: Any,
                               offsets: Any, temperature: float, loss_kind: int,
                               use_ndcg: bool, k: int, hess_kind: int, grad: Any, hess: Any,
                               n_threads: int, order: Any, order_offsets: Any,
                               lower_start: Any, truncation: int, pairs_per_row: int,
                               seed: int, group_scale: bool, hess_factor: float) -> None:
    """Twin of the CPU ``pairwise_grad_hess_ordered``: ``n_threads`` and the label order are
    unused on the GPU, ``truncation`` as on the CPU, ``pairs_per_row`` must be 0.  Groups of
    up to ``BLOCK_GROUP_ROWS`` rows take one launch, the host's scaling included."""
    if pairs_per_row:
        raise ValueError("pairs_per_row sampling has no GPU kernel (see the module docstring)")
    inv_t = 1.0 / temperature
    n_groups = offsets.size - 1
    largest = largest_group(offsets)
    if largest <= BLOCK_GROUP_ROWS:
        inv_idcg = (inverse_ideal_dcg(labels, valid, offsets, k) if use_ndcg
                    else workspace(labels, "pairwise.no_idcg", 1))
        capacity = max(largest, _common.THREADS)  # rows of each shared array
        on_groups(_grad_hess_blocks, n_groups, _SHARED_PER_ROW * capacity)(
            scores, labels, weights, valid, offsets, inv_t, loss_kind, use_ndcg, k, hess_kind,
            truncation, inv_idcg, group_scale, hess_factor, capacity, grad, hess)
        return
    use_exp, expo, rank, gain, disc, inv_idcg = _setup(scores, labels, valid, offsets, inv_t,
                                                       use_ndcg, k, truncation)
    on_rows(_grad_hess_rows, scores.size)(
        scores, labels, weights, valid, offsets, inv_t, loss_kind, use_ndcg, hess_kind,
        truncation, use_exp, expo, rank, gain, disc, inv_idcg, grad, hess)
    if group_scale:
        lambdarank_scale_inplace(grad, hess, offsets, hess_factor)
    elif hess_factor != 1.0:
        scale_floor_inplace(hess, hess_factor, HESSIAN_FLOOR)


@cuda.jit(cache=True)
def _loss_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any, inv_t: float,
               loss_kind: int, use_ndcg: bool, truncation: int, use_exp: Any, expo: Any,
               rank: Any, gain: Any, disc: Any, inv_idcg: Any, out: Any) -> None:
    hi = cuda.grid(1)
    if hi >= scores.size:
        return
    out[hi] = 0.0
    if not valid[hi]:
        return
    g = group_of(offsets, hi)
    per_row_exp = use_exp[g]
    y_hi = labels[hi]
    acc = 0.0
    outside = truncation > 0 and rank[hi] > truncation
    for lo in range(offsets[g], offsets[g + 1]):
        if not valid[lo] or not y_hi > labels[lo]:
            continue
        if outside and rank[lo] > truncation:
            continue
        c = weights[hi]
        if use_ndcg:
            c *= abs((gain[hi] - gain[lo]) * (disc[hi] - disc[lo])) * inv_idcg[g]
        if c == 0.0:
            continue
        if per_row_exp and loss_kind == SOFT_ZERO_ONE:
            term = expo[lo] / (expo[hi] + expo[lo])
        elif per_row_exp:
            if expo[lo] <= expo[hi]:
                term = math.log1p(expo[lo] / expo[hi])
            else:
                term = (scores[lo] - scores[hi]) * inv_t + math.log1p(expo[hi] / expo[lo])
        else:
            u = (scores[hi] - scores[lo]) * inv_t
            term = sigmoid(-u) if loss_kind == SOFT_ZERO_ONE else softplus_neg(u)
        acc += c * term
    out[hi] = acc


def pairwise_loss_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                       temperature: float, loss_kind: int, use_ndcg: bool, k: int,
                       out: Any) -> None:
    """Twin of the CPU ``pairwise_loss_rows``."""
    pairwise_loss_rows_truncated(scores, labels, weights, valid, offsets, temperature,
                                 loss_kind, use_ndcg, k, out, 0)


def pairwise_loss_rows_truncated(scores: Any, labels: Any, weights: Any, valid: Any,
                                 offsets: Any, temperature: float, loss_kind: int,
                                 use_ndcg: bool, k: int, out: Any, truncation: int) -> None:
    """Twin of the CPU ``pairwise_loss_rows_truncated``."""
    inv_t = 1.0 / temperature
    use_exp, expo, rank, gain, disc, inv_idcg = _setup(scores, labels, valid, offsets, inv_t,
                                                       use_ndcg, k, truncation)
    on_rows(_loss_rows, scores.size)(
        scores, labels, weights, valid, offsets, inv_t, loss_kind, use_ndcg, truncation, use_exp,
        expo, rank, gain, disc, inv_idcg, out)
