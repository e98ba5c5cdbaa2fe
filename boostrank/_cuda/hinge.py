"""GPU twin of :mod:`boostrank._kernels.hinge` (same maths, see its docstring).

Row kernels: one thread per row, looping over the valid rows of its group and writing only its
own gradient, Hessian or loss, so each pair is evaluated by both of its rows and no atomics are
needed (results do not depend on scheduling).  With NDCG lambda weights, the ranks, gains,
discounts and 1 / IDCG come from the pairwise twin's setup (:mod:`.pairwise`), the same as the
CPU kernels take them from :mod:`boostrank._kernels.pairwise`.
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels.hinge import HESS_UPPER_BOUND
from ._common import group_of, on_rows, workspace
from .pairwise import _setup as _pairwise_setup


@cuda.jit(cache=True)
def _grad_hess_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                    margin: float, use_ndcg: bool, hess_kind: int, gain: Any, disc: Any,
                    inv_idcg: Any, grad: Any, hess: Any) -> None:
    i = cuda.grid(1)
    if i >= scores.size:
        return
    if not valid[i]:
        grad[i] = 0.0
        hess[i] = HESSIAN_FLOOR
        return
    g = group_of(offsets, i)
    yi = labels[i]
    si = scores[i]
    acc_g = 0.0
    acc_h = 0.0
    for j in range(offsets[g], offsets[g + 1]):
        if j == i or not valid[j] or labels[j] == yi:
            continue
        i_higher = yi > labels[j]
        c = weights[i] if i_higher else weights[j]
        if use_ndcg:
            c *= abs((gain[i] - gain[j]) * (disc[i] - disc[j])) * inv_idcg[g]
        slack = margin - (si - scores[j] if i_higher else scores[j] - si)
        if slack > 0.0:
            acc_g += -2.0 * c * slack if i_higher else 2.0 * c * slack
        if slack > 0.0 or hess_kind == HESS_UPPER_BOUND:
            acc_h += 2.0 * c
    grad[i] = acc_g
    hess[i] = acc_h if acc_h > HESSIAN_FLOOR else HESSIAN_FLOOR


@cuda.jit(cache=True)
def _loss_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any, margin: float,
               use_ndcg: bool, gain: Any, disc: Any, inv_idcg: Any, out: Any) -> None:
    hi = cuda.grid(1)
    if hi >= scores.size:
        return
    out[hi] = 0.0
    if not valid[hi]:
        return
    g = group_of(offsets, hi)
    y_hi = labels[hi]
    acc = 0.0
    for lo in range(offsets[g], offsets[g + 1]):
        if not valid[lo] or not y_hi > labels[lo]:
            continue
        c = weights[hi]
        if use_ndcg:
            c *= abs((gain[hi] - gain[lo]) * (disc[hi] - disc[lo])) * inv_idcg[g]
        slack = margin - (scores[hi] - scores[lo])
        if slack > 0.0:
            acc += c * slack * slack
    out[hi] = acc


def _lambdas(scores: Any, labels: Any, valid: Any, offsets: Any, use_ndcg: bool,
             k: int) -> tuple[Any, Any, Any]:
    """(gain, disc, 1 / IDCG) of the NDCG lambda weights; placeholders without them."""
    if not use_ndcg:
        none = workspace(labels, "hinge.no_lambdas", 1)
        return none, none, none
    _, _, _, gain, disc, inv_idcg = _pairwise_setup(scores, labels, valid, offsets, 1.0, True,
                                                    k, 0)
    return gain, disc, inv_idcg


def hinge_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                    margin: float, use_ndcg: bool, k: int, hess_kind: int, grad: Any,
                    hess: Any) -> None:
    """Twin of the CPU ``hinge_grad_hess``."""
    gain, disc, inv_idcg = _lambdas(scores, labels, valid, offsets, use_ndcg, k)
    on_rows(_grad_hess_rows, scores.size)(scores, labels, weights, valid, offsets, margin,
                                          use_ndcg, hess_kind, gain, disc, inv_idcg, grad, hess)


def hinge_loss_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                    margin: float, use_ndcg: bool, k: int, out: Any) -> None:
    """Twin of the CPU ``hinge_loss_rows``."""
    gain, disc, inv_idcg = _lambdas(scores, labels, valid, offsets, use_ndcg, k)
    on_rows(_loss_rows, scores.size)(scores, labels, weights, valid, offsets, margin, use_ndcg,
                                     gain, disc, inv_idcg, out)
