"""GPU twin of :mod:`boostrank._kernels.softmax`: one block per group (maximum, sum of
exponentials and weighted label sum by block reductions), then the block writes its rows."""

from __future__ import annotations

import math
from typing import Any

import numba
from numba import cuda

from .._config import HESSIAN_FLOOR
from ._common import block_max, block_sum, on_groups


@cuda.jit(device=True)
def _group_logsumexp(shared: Any, scores: Any, valid: Any, start: int, end: int) -> float:
    mx = -math.inf
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i] and scores[i] > mx:
            mx = scores[i]
        i += cuda.blockDim.x
    mx = block_max(shared, mx)
    if mx == -math.inf:
        return mx
    acc = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            acc += math.exp(scores[i] - mx)
        i += cuda.blockDim.x
    return mx + math.log(block_sum(shared, acc))


@cuda.jit(cache=True)
def _grad_hess_groups(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                      grad: Any, hess: Any) -> None:
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    part = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            part += weights[i] * labels[i]
        i += cuda.blockDim.x
    total = block_sum(shared, part)
    lse = _group_logsumexp(shared, scores, valid, start, end)
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i] and total != 0.0:
            p = math.exp(scores[i] - lse)
            grad[i] = total * p - weights[i] * labels[i]
            h = total * p * (1.0 - p)
        else:
            grad[i] = 0.0
            h = 0.0
        hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
        i += cuda.blockDim.x


def softmax_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                      grad: Any, hess: Any) -> None:
    """Twin of the CPU ``softmax_grad_hess``."""
    on_groups(_grad_hess_groups, offsets.size - 1)(scores, labels, weights, valid, offsets,
                                                   grad, hess)


@cuda.jit(cache=True)
def _loss_groups(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                 out: Any) -> None:
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    lse = _group_logsumexp(shared, scores, valid, start, end)
    acc = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            a = weights[i] * labels[i]
            if a != 0.0:
                acc -= a * (scores[i] - lse)
        i += cuda.blockDim.x
    total = block_sum(shared, acc)
    if cuda.threadIdx.x == 0:
        out[g] = total


def softmax_loss_groups(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                        out: Any) -> None:
    """Twin of the CPU ``softmax_loss_groups``."""
    on_groups(_loss_groups, offsets.size - 1)(scores, labels, weights, valid, offsets, out)
