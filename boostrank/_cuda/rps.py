"""GPU twin of :mod:`boostrank._kernels.rps`: one thread per row.

A thread has no scratch arrays of length K, so the row's gradient serves as scratch: the
first pass stores p_c in ``grad[i, c]``; the Gershgorin bound of each class is then summed
from those p with O(K) work per class, walking S_cc' from c' = 0 (S_c0 = v_c) up, S rising by
P_c' while c' < c and falling by 1 - P_c' after; the descending pass reads ``grad[i, c]``
before overwriting it with the gradient and recomputes P_c and the prefix sum of P_k^2
(k < c) from the entries not yet overwritten, in the CPU kernel's order.  O(K^2)
multiply-adds per row, O(1) memory beyond the outputs, no extra exponentials."""

from __future__ import annotations

import math
from typing import Any

from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels.rps import HESS_EXACT_CLIPPED, HESS_GERSHGORIN
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


@cuda.jit(device=True)
def _gershgorin(prob: Any, i: int, c: int) -> float:
    """sum_c' p_c' |S_cc'| for class c of row i, whose softmax is ``prob[i]``."""
    last = prob.shape[1] - 1
    cum = 0.0
    s_cc = 0.0  # v_c = sum_{c<=k<=K-2} (1 - P_k)^2 - sum_{k<c} P_k (1 - P_k) = S_c0
    for k in range(last):
        cum += prob[i, k]
        if k >= c:
            s_cc += (1.0 - cum) * (1.0 - cum)
        else:
            s_cc -= cum * (1.0 - cum)
    cum = 0.0
    total = 0.0
    for d in range(last + 1):
        total += prob[i, d] * abs(s_cc)
        if d < last:
            cum += prob[i, d]
            s_cc += cum if d < c else cum - 1.0
    return total


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
    for k in range(n_classes - 1):
        cum += grad[i, k]
        e = cum - (1.0 if k >= y else 0.0)
        s += e * cum
    gershgorin = hess_kind == HESS_GERSHGORIN
    if gershgorin:
        for c in range(n_classes):
            h = w2 * grad[i, c] * _gershgorin(grad, i, c)
            hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
    suffix_e = 0.0
    suffix_q = 0.0
    for c in range(n_classes - 1, -1, -1):
        cum = 0.0
        prefix_sq = 0.0
        for k in range(c):
            cum += grad[i, k]
            prefix_sq += cum * cum
        p = grad[i, c]
        if c < n_classes - 1:
            cum += p
            suffix_e += cum - (1.0 if c >= y else 0.0)
            suffix_q += (1.0 - cum) * (1.0 - cum)
        g = w2 * p * (suffix_e - s)
        grad[i, c] = g
        if not gershgorin:
            h = w2 * p * p * (prefix_sq + suffix_q)
            if hess_kind == HESS_EXACT_CLIPPED:
                h += (1.0 - 2.0 * p) * g
            hess[i, c] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


def rps_grad_hess(margins: Any, labels: Any, weights: Any, valid: Any, scale: float,
                  hess_kind: int, grad: Any, hess: Any) -> None:
    """Twin of the CPU ``rps_grad_hess``; returns None (margins checked on the host, as for
    ``rps_loss_rows``)."""
    on_rows(_grad_hess_rows, margins.shape[0])(margins, labels, weights, valid, scale,
                                               hess_kind, grad, hess)
