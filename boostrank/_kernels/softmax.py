r"""Listwise softmax ranking loss (rax ``softmax_loss``, braintools ``ranking_softmax_loss``).

For a group g with valid rows, a_i = w_i y_i (labels not normalised), A = sum_i a_i and
p = softmax(s) over the valid rows:

    l_g = -sum_i a_i log p_i
    dl/ds_k = A p_k - a_k
    d2l/ds_k^2 = A p_k (1 - p_k)            (exact diagonal; the loss is convex)

A group with A = 0 contributes 0 and zero gradient.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL
from ._math import exp_inplace


@nb.njit(**SERIAL)
def _group_logsumexp(scores: np.ndarray, valid: np.ndarray, start: int, end: int) -> float:
    mx = -np.inf
    for i in range(start, end):
        if valid[i] and scores[i] > mx:
            mx = scores[i]
    if mx == -np.inf:
        return mx
    acc = 0.0
    for i in range(start, end):
        if valid[i]:
            acc += math.exp(scores[i] - mx)
    return mx + math.log(acc)


@nb.njit(**PARALLEL)
def softmax_grad_hess(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray,
) -> None:
    n_groups = offsets.size - 1
    for g in nb.prange(n_groups):
        start = offsets[g]
        end = offsets[g + 1]
        total = 0.0
        mx = -np.inf
        for i in range(start, end):
            if valid[i]:
                total += weights[i] * labels[i]
                mx = max(mx, scores[i])
        if total == 0.0:  # no weighted label: nothing to learn in this group
            for i in range(start, end):
                grad[i] = 0.0
                hess[i] = HESSIAN_FLOOR
            continue
        # one exponential per row: e_i = exp(s_i - max) kept in grad until the sum is known,
        # all of a group's in one vectorised call (invalid rows: exp(-inf) = 0)
        for i in range(start, end):
            grad[i] = scores[i] - mx if valid[i] else -np.inf
        exp_inplace(grad[start:end])
        acc = 0.0
        for i in range(start, end):
            acc += grad[i]
        inv = 1.0 / acc
        for i in range(start, end):
            p = grad[i] * inv
            h = total * p * (1.0 - p)
            grad[i] = total * p - weights[i] * labels[i] if valid[i] else 0.0
            hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


@nb.njit(**PARALLEL)
def softmax_loss_groups(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    offsets: np.ndarray,
    out: np.ndarray,
) -> None:
    n_groups = offsets.size - 1
    for g in nb.prange(n_groups):
        start = offsets[g]
        end = offsets[g + 1]
        lse = _group_logsumexp(scores, valid, start, end)
        acc = 0.0
        for i in range(start, end):
            if valid[i]:
                a = weights[i] * labels[i]
                if a != 0.0:
                    acc -= a * (scores[i] - lse)
        out[g] = acc
