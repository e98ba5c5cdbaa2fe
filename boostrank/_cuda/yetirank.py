"""GPU twin of :mod:`boostrank._kernels.yetirank` (same maths and the same draws, see its
docstring).

Per permutation p, three launches of one thread per row: the row's perturbed score z = s +
noise (the CPU's hash ``uniform_draw``, compiled for the device); its position in the
perturbed ranking (valid rows of its group with a larger z, or an equal z and a lower position,
as the CPU's stable sort), and the row at each position; then each row adds its side of the
pairs with its two neighbours.  A pair is evaluated by both of its rows (no atomics: the
results do not depend on scheduling), and the permutations are summed in order, one launch
after another, so memory stays O(n) (workspaces of the data set, reused every round).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels import scaling as _cpu_scaling
from .._kernels import yetirank as _cpu
from .._kernels.yetirank import HESS_PAIR_WEIGHT, SCALE_LAMBDARANK, SCALE_QUERY, WEIGHT_CLASSIC
from ._common import block_sum, group_of, ndcg_gain, on_groups, on_rows, softplus_neg, workspace
from .pairwise import inverse_ideal_dcg
from .scaling import lambdarank_scale_inplace, scale_floor_inplace

# the CPU kernels' draws and the host's Hessian floor sequence, compiled for the device: one
# source, the same bits
_uniform_draw = cuda.jit(device=True)(_cpu.uniform_draw.py_func)
_host_hessian = cuda.jit(device=True)(_cpu_scaling.host_hessian.py_func)


@cuda.jit(cache=True)
def _perturb(scores: Any, valid: Any, offsets: Any, seed: int, rnd: int, perm: int,
             z: Any) -> None:
    """z_i = s_i + log(u / (1 - u)), u the draw of (seed, rnd, group, perm, position of i)."""
    i = cuda.grid(1)
    if i >= scores.size or not valid[i]:
        return
    g = group_of(offsets, i)
    u = _uniform_draw(seed, rnd, g, perm, i - offsets[g])
    z[i] = scores[i] + math.log(u / (1.0 - u))


@cuda.jit(cache=True)
def _rank(z: Any, valid: Any, offsets: Any, position: Any, at: Any) -> None:
    """position[i] = i's 0-based place among its group's valid rows by descending z (ties by
    position in the group); at[start + position[i]] = i."""
    i = cuda.grid(1)
    if i >= z.size or not valid[i]:
        return
    g = group_of(offsets, i)
    zi = z[i]
    r = 0
    for j in range(offsets[g], offsets[g + 1]):
        if valid[j] and (z[j] > zi or (z[j] == zi and j < i)):
            r += 1
    position[i] = r
    at[offsets[g] + r] = i


@cuda.jit(device=True)
def _pair_weight(labels: Any, weights: Any, a: int, b: int, k: int, decay: float,
                 weight_kind: int, inv_idcg: float, permutations: int) -> float:
    """c of the neighbours a and b at positions k and k + 1 (either way round), labels
    differing."""
    ya = labels[a]
    yb = labels[b]
    if weight_kind == WEIGHT_CLASSIC:
        lam = decay**k * abs(ya - yb)
    else:
        lam = abs((ndcg_gain(ya) - ndcg_gain(yb))
                  * (1.0 / math.log2(k + 2.0) - 1.0 / math.log2(k + 3.0))) * inv_idcg
    hi = a if ya > yb else b
    return weights[hi] * lam / permutations


@cuda.jit(device=True)
def _valid_count(valid: Any, start: int, end: int) -> int:
    m = 0
    for j in range(start, end):
        if valid[j]:
            m += 1
    return m


@cuda.jit(cache=True)
def _add_pairs(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
               position: Any, at: Any, permutations: int, decay: float, weight_kind: int,
               inv_idcg: Any, hess_kind: int, grad: Any, hess: Any) -> None:
    """Row i's side of its pairs with the rows just above and below it in this ranking."""
    i = cuda.grid(1)
    if i >= scores.size or not valid[i]:
        return
    g = group_of(offsets, i)
    start = offsets[g]
    m = _valid_count(valid, start, offsets[g + 1])
    r = position[i]
    for side in range(2):  # 0: the row above (pair at r - 1), 1: the row below (pair at r)
        if (side == 0 and r == 0) or (side == 1 and r + 1 >= m):
            continue
        j = at[start + r - 1] if side == 0 else at[start + r + 1]
        if labels[i] == labels[j]:
            continue
        c = _pair_weight(labels, weights, i, j, r - 1 if side == 0 else r, decay, weight_kind,
                         inv_idcg[g] if weight_kind != WEIGHT_CLASSIC else 1.0, permutations)
        sign = 1.0 if labels[i] > labels[j] else -1.0  # +1: i has the higher label
        u = sign * (scores[i] - scores[j])  # s_hi - s_lo
        e = math.exp(-abs(u))
        inv = 1.0 / (1.0 + e)
        grad[i] -= sign * c * (e * inv if u >= 0.0 else inv)
        hess[i] += c if hess_kind == HESS_PAIR_WEIGHT else c * e * inv * inv


@cuda.jit(cache=True)
def _add_loss(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any, position: Any,
              at: Any, permutations: int, decay: float, weight_kind: int, inv_idcg: Any,
              out: Any) -> None:
    """Row i's loss terms: its pairs with a neighbour of lower label."""
    i = cuda.grid(1)
    if i >= scores.size or not valid[i]:
        return
    g = group_of(offsets, i)
    start = offsets[g]
    m = _valid_count(valid, start, offsets[g + 1])
    r = position[i]
    for side in range(2):
        if (side == 0 and r == 0) or (side == 1 and r + 1 >= m):
            continue
        j = at[start + r - 1] if side == 0 else at[start + r + 1]
        if not labels[i] > labels[j]:
            continue
        c = _pair_weight(labels, weights, i, j, r - 1 if side == 0 else r, decay, weight_kind,
                         inv_idcg[g] if weight_kind != WEIGHT_CLASSIC else 1.0, permutations)
        out[i] += c * softplus_neg(scores[i] - scores[j])


@cuda.jit(cache=True)
def _zero(grad: Any, hess: Any, with_hess: bool) -> None:
    i = cuda.grid(1)
    if i < grad.size:
        grad[i] = 0.0
        if with_hess:
            hess[i] = 0.0


@cuda.jit(cache=True)
def _query_scale(grad: Any, hess: Any, offsets: Any, hess_factor: float) -> None:
    """One block per group: grad, hess times 1 / H_g (H_g the sum of the group's Hessians, not
    yet floored; groups with H_g = 0 keep factor 1), the Hessian floored, times
    ``hess_factor`` and floored, as the CPU kernel's ``SCALE_QUERY``."""
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    part = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        part += hess[i]
        i += cuda.blockDim.x
    total = block_sum(shared, part)
    scale = 1.0 / total if total > 0.0 else 1.0
    i = start + cuda.threadIdx.x
    while i < end:
        grad[i] *= scale
        hess[i] = _host_hessian(hess[i], scale, hess_factor)
        i += cuda.blockDim.x


@cuda.jit(cache=True)
def _floor(hess: Any) -> None:
    i = cuda.grid(1)
    if i < hess.size and not hess[i] > HESSIAN_FLOOR:
        hess[i] = HESSIAN_FLOOR


class _Rankings:
    """The scratch of the perturbed rankings (O(n) workspaces of the data set) and 1 / IDCG per
    group (NDCG weights; a placeholder otherwise); ``rank(p)`` fills ``position`` and ``at``
    for permutation p."""

    def __init__(self, scores: Any, labels: Any, valid: Any, offsets: Any, seed: int, rnd: int,
                 weight_kind: int) -> None:
        n = scores.size
        self.args = (scores, valid, offsets, seed, rnd)
        self.z = workspace(labels, "yetirank.z", n)
        self.position = workspace(labels, "yetirank.position", n, np.int64)
        self.at = workspace(labels, "yetirank.at", n, np.int64)
        self.inv_idcg = (inverse_ideal_dcg(labels, valid, offsets, 0)
                         if weight_kind != WEIGHT_CLASSIC
                         else workspace(labels, "yetirank.no_idcg", 1))

    def rank(self, p: int) -> None:
        scores, valid, offsets, seed, rnd = self.args
        on_rows(_perturb, scores.size)(scores, valid, offsets, seed, rnd, p, self.z)
        on_rows(_rank, scores.size)(self.z, valid, offsets, self.position, self.at)


def yetirank_grad_hess(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                       permutations: int, decay: float, weight_kind: int, seed: int, rnd: int,
                       hess_kind: int, grad: Any, hess: Any, group_scale: int,
                       hess_factor: float) -> None:
    """Twin of the CPU ``yetirank_grad_hess``; the host's scaling runs as a second kernel."""
    n = scores.size
    on_rows(_zero, n)(grad, hess, True)
    r = _Rankings(scores, labels, valid, offsets, seed, rnd, weight_kind)
    for p in range(permutations):
        r.rank(p)
        on_rows(_add_pairs, n)(scores, labels, weights, valid, offsets, r.position, r.at,
                               permutations, decay, weight_kind, r.inv_idcg, hess_kind, grad,
                               hess)
    if group_scale == SCALE_QUERY:
        on_groups(_query_scale, offsets.size - 1)(grad, hess, offsets, hess_factor)
        return
    on_rows(_floor, n)(hess)
    if group_scale == SCALE_LAMBDARANK:
        lambdarank_scale_inplace(grad, hess, offsets, hess_factor)
    elif hess_factor != 1.0:
        scale_floor_inplace(hess, hess_factor, HESSIAN_FLOOR)


def yetirank_loss_rows(scores: Any, labels: Any, weights: Any, valid: Any, offsets: Any,
                       permutations: int, decay: float, weight_kind: int, seed: int, rnd: int,
                       out: Any) -> None:
    """Twin of the CPU ``yetirank_loss_rows``."""
    n = scores.size
    on_rows(_zero, n)(out, out, False)
    r = _Rankings(scores, labels, valid, offsets, seed, rnd, weight_kind)
    for p in range(permutations):
        r.rank(p)
        on_rows(_add_loss, n)(scores, labels, weights, valid, offsets, r.position, r.at,
                              permutations, decay, weight_kind, r.inv_idcg, out)
