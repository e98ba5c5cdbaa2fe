"""GPU twin of :mod:`boostrank._kernels.rps`: one thread per row.

A thread has no scratch arrays of length K, so the row's own outputs serve as scratch: the
ascending pass stores p_c in ``grad[i, c]`` and P_c in ``hess[i, c]``; the descending pass
reads index c before overwriting it and recomputes the prefix sum of P_k^2 (k < c) from the
entries not yet overwritten, in the CPU kernel's order (O(K^2) multiply-adds, no extra
exponentials)."""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels.rps import HESS_EXACT_CLIPPED
from ._common import on_rows


@cuda.jit(device=True)
def _softmax_total(margins: Any, i: int) -> tuple[float, float]:
    """(max, sum of exp(z - max)) of row i."""
    n_classes = margins.shape[1]
    mx = margins[i, 0]
    for c in range(1, n_classes):
        if margins[i, c] > mx:
            mx = margins[i, c]
    acc = 0.0
    for c in range(n_classes):
        acc += math.exp(margins[i, c] - mx)
    return mx, acc


@cuda.jit(cache=True)
def _loss_rows(margins: Any, labels: Any, weights: Any, valid: Any, scale: float,
               out: Any) -> None:
    i = cuda.grid(1)
    if i >= margins.shape[0]:
        return
    if not valid[i]:
        out[i] = 0.0
        return
    mx, total = _softmax_total(margins, i)
    y = labels[i]
    cum = 0.0
    acc = 0.0
    for k in range(margins.shape[1] - 1):
        cum += math.exp(margins[i, k] - mx) / total
        e = cum - (1.0 if k >= y else 0.0)
        acc += e * e
    out[i] = scale * weights[i] * acc


def rps_loss_rows(margins: Any, labels: Any, weights: Any, valid: Any, scale: float,
                  out: Any) -> None:
    """Twin of the CPU ``rps_loss_rows``; returns None (the objective checks the margins for
    NaN / inf on the host before they are uploaded, instead of the kernel counting them)."""
    on_rows(_loss_rows, margins.shape[0])(margins, labels, weights, valid, scale, out)


@cuda.jit(cache=True)
def _grad_hess_rows(margins: Any, labels: Any, weights: Any, valid: Any, scale: float,
                    hess_kind: int, grad: Any, hess: Any) -> None:
    i = cuda.grid(1)
    if i >= margins.shape[0]:
        return
    n_classes = margins.shape[1]
    if not valid[i]:
        for c in range(n_classes):
            grad[i, c] = 0.0
            hess[i, c] = HESSIAN_FLOOR
        return
    mx, total = _softmax_total(margins, i)
    for c in range(n_classes):  # grad[i] holds p until the descending pass
        grad[i, c] = math.exp(margins[i, c] - mx) / total
    y = labels[i]
    w2 = 2.0 * scale * weights[i]
    cum = 0.0
    s = 0.0
    for k in range(n_classes - 1):  # hess[i] holds P until the descending pass
        cum += grad[i, k]
        hess[i, k] = cum
        e = cum - (1.0 if k >= y else 0.0)
        s += e * cum
    suffix_e = 0.0
    suffix_q = 0.0
    for c in range(n_classes - 1, -1, -1):
        if c < n_classes - 1:
            cum_c = hess[i, c]
            suffix_e += cum_c - (1.0 if c >= y else 0.0)
            suffix_q += (1.0 - cum_c) * (1.0 - cum_c)
        prefix_sq = 0.0
        for k in range(c):
            prefix_sq += hess[i, k] * hess[i, k]
        p = grad[i, c]
        g = w2 * p * (suffix_e - s)
        h = w2 * p * p * (prefix_sq + suffix_q)
        if hess_kind == HESS_EXACT_CLIPPED:
            h += (1.0 - 2.0 * p) * g
        grad[i, c] = g
        hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


def rps_grad_hess(margins: Any, labels: Any, weights: Any, valid: Any, scale: float,
                  hess_kind: int, grad: Any, hess: Any) -> None:
    """Twin of the CPU ``rps_grad_hess``; returns None (margins checked on the host, as for
    ``rps_loss_rows``)."""
    on_rows(_grad_hess_rows, margins.shape[0])(margins, labels, weights, valid, scale,
                                               hess_kind, grad, hess)
