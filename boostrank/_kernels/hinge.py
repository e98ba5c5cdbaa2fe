r"""Pairwise squared hinge: a margin-based rank-order loss (keras-rs ``PairwiseHingeLoss``, rax
``pairwise_hinge_loss``, squared so that its gradient is continuous).

For a group g, valid rows only, d_ij = s_i - s_j, c_ij = w_i * lambda_ij and margin m > 0:

    l_g = sum_i sum_j [y_i > y_j] c_ij * max(0, m - d_ij)^2

    dl/ds_i = -2 c_ij max(0, m - d_ij) = -dl/ds_j          per pair (i the higher label)

``lambda_ij`` is 1, or |Delta NDCG_ij| of swapping i and j in the current ranking (LambdaRank,
the same gains, discounts and cut-off as :mod:`.pairwise`, computed by its helper), held fixed.
A pair is *active* while d_ij < m.  Hessian diagonal, per pair and on both of its rows:

    HESS_EXACT:        2 c_ij [d_ij < m]     (the exact diagonal; 0 for a row with no active
                                              pair, which the floor then lifts)
    HESS_UPPER_BOUND:  2 c_ij                (every pair as if active: the curvature of the
                                              quadratic that majorises each pair's loss, so
                                              positive for every row with a pair of c > 0)

each row's sum floored at ``HESSIAN_FLOOR``.  Each unordered pair is visited once and updates
both rows; O(m^2) per group of m valid rows, groups spread over the threads by ``prange``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import ndcg_discount, ndcg_gain
from .pairwise import _group_lambda_setup

#: Hessian choices (see the module docstring).
HESS_EXACT = 0
HESS_UPPER_BOUND = 1


@nb.njit(**SERIAL)
def _group_lambdas(scores: np.ndarray, labels: np.ndarray, valid: np.ndarray, start: int,
                   end: int, k: int, rank: np.ndarray, gain: np.ndarray,
                   disc: np.ndarray) -> float:
    """Each valid row's gain 2^y - 1 and discount at its current rank (ties by row order) into
    ``gain`` / ``disc[start:end]``; returns 1 / IDCG@k of the group (0 when IDCG is 0)."""
    inv_idcg = _group_lambda_setup(scores, labels, valid, start, end, k, rank)
    for i in range(start, end):
        if valid[i]:
            gain[i] = ndcg_gain(labels[i])
            disc[i] = ndcg_discount(rank[i], k)
    return inv_idcg


@nb.njit(**SERIAL)
def _group_grad_hess(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                     valid: np.ndarray, start: int, end: int, margin: float, use_ndcg: bool,
                     k: int, hess_kind: int, rank: np.ndarray, gain: np.ndarray,
                     disc: np.ndarray, grad: np.ndarray, hess: np.ndarray) -> None:
    """One group's gradient and Hessian (floored) into grad / hess[start:end]."""
    for i in range(start, end):
        grad[i] = 0.0
        hess[i] = 0.0
    inv_idcg = 1.0
    if use_ndcg:
        inv_idcg = _group_lambdas(scores, labels, valid, start, end, k, rank, gain, disc)
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
            slack = margin - (scores[hi] - scores[lo])
            if slack > 0.0:
                d = 2.0 * c * slack
                grad[hi] -= d
                grad[lo] += d
            if slack > 0.0 or hess_kind == HESS_UPPER_BOUND:
                hess[hi] += 2.0 * c
                hess[lo] += 2.0 * c
    for i in range(start, end):
        if not hess[i] > HESSIAN_FLOOR:
            hess[i] = HESSIAN_FLOOR


@nb.njit(**PARALLEL)
def hinge_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    margin: float,
    use_ndcg: bool,
    k: int,
    hess_kind: int,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    """Gradient and Hessian diagonal (``HESS_*``) of the summed loss, written into grad / hess
    (rows outside ``valid``: 0 and the floor)."""
    m = scores.size if use_ndcg else 1  # per-row NDCG scratch, each group writes its own rows
    rank = np.zeros(m, dtype=np.int64)
    gain = np.empty(m)
    disc = np.empty(m)
    for g in nb.prange(offsets.size - 1):
        _group_grad_hess(scores, labels, weights, valid, offsets[g], offsets[g + 1], margin,
                         use_ndcg, k, hess_kind, rank, gain, disc, grad, hess)


@nb.njit(**SERIAL)
def _group_loss_rows(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                     valid: np.ndarray, start: int, end: int, margin: float, use_ndcg: bool,
                     k: int, rank: np.ndarray, gain: np.ndarray, disc: np.ndarray,
                     out: np.ndarray) -> None:
    """One group's per-row loss into out[start:end]."""
    for i in range(start, end):
        out[i] = 0.0
    inv_idcg = 1.0
    if use_ndcg:
        inv_idcg = _group_lambdas(scores, labels, valid, start, end, k, rank, gain, disc)
    for i in range(start, end):
        if not valid[i]:
            continue
        yi = labels[i]
        for j in range(start, end):
            if not valid[j] or not yi > labels[j]:
                continue
            c = weights[i]
            if use_ndcg:
                c *= abs((gain[i] - gain[j]) * (disc[i] - disc[j])) * inv_idcg
            slack = margin - (scores[i] - scores[j])
            if slack > 0.0:
                out[i] += c * slack * slack


@nb.njit(**PARALLEL)
def hinge_loss_rows(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    margin: float,
    use_ndcg: bool,
    k: int,
    out: np.ndarray,
) -> None:
    """Per-row loss: row i's value sums c_ij max(0, m - d_ij)^2 over the pairs where i is the
    row with the higher label."""
    m = scores.size if use_ndcg else 1
    rank = np.zeros(m, dtype=np.int64)
    gain = np.empty(m)
    disc = np.empty(m)
    for g in nb.prange(offsets.size - 1):
        _group_loss_rows(scores, labels, weights, valid, offsets[g], offsets[g + 1], margin,
                         use_ndcg, k, rank, gain, disc, out)
