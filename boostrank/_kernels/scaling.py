"""Per-group rescaling of what the hosts receive (see ``objectives.lambdarank_group_scale``)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL, SERIAL


@nb.njit(**SERIAL)
def abs_sum(x: np.ndarray, start: int, end: int) -> float:
    """sum |x[start:end]|: S_g of the LambdaMART normalisation.  One compiled function for
    every caller, so the separate pass and the pairwise kernel's fused one sum in the same
    order and give bit-identical scales."""
    total = 0.0
    for i in range(start, end):
        total += abs(x[i])
    return total


@nb.njit(inline="always", **SERIAL)
def lambdarank_factor(total: float) -> float:
    """log2(1 + S_g) / S_g, or 1 for a group without gradient (S_g = 0)."""
    return math.log2(1.0 + total) / total if total > 0.0 else 1.0


@nb.njit(inline="always", **SERIAL)
def host_hessian(h: float, scale: float, hess_factor: float) -> float:
    """A Hessian as the host receives it: floored, times the group's ``scale`` and floored,
    times the host's ``hess_factor`` and floored (a factor of exactly 1 is skipped)."""
    h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
    if scale != 1.0:
        h *= scale
        h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
    if hess_factor != 1.0:
        h *= hess_factor
        h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
    return h


@nb.njit(**PARALLEL)
def lambdarank_scale_inplace(grad: np.ndarray, hess: np.ndarray, offsets: np.ndarray,
                             hess_factor: float) -> None:
    """grad, hess *= log2(1 + S_g) / S_g per group, S_g = sum |grad|; Hessian re-floored, then
    multiplied by ``hess_factor`` and re-floored (the host's Hessian convention, in the same
    pass: the same values as a separate ``scale_floor_inplace`` afterwards)."""
    for g in nb.prange(offsets.size - 1):
        # np.bool_(True), not True: a literal would compile a Literal[bool](True) copy of
        # scale_group_inplace beside the pairwise kernel's (bool)
        scale_group_inplace(grad, hess, offsets[g], offsets[g + 1], np.bool_(True),
                            hess_factor)


@nb.njit(**SERIAL)
def scale_group_inplace(grad: np.ndarray, hess: np.ndarray, start: int, end: int,
                        group_scale: bool, hess_factor: float) -> None:
    """One group of ``lambdarank_scale_inplace`` (``group_scale``) or only the Hessian
    factor; also the write-back of the pairwise kernel, so both give identical arrays."""
    scale = lambdarank_factor(abs_sum(grad, start, end)) if group_scale else 1.0
    for i in range(start, end):
        if scale != 1.0:
            grad[i] *= scale
        hess[i] = host_hessian(hess[i], scale, hess_factor)


@nb.njit(**PARALLEL)
def scale_floor_inplace(array: np.ndarray, factor: float, floor: float) -> None:
    """array <- max(array * factor, floor) for a contiguous 1-D array (floor 0: no floor), in
    one parallel pass (NumPy's ``*=`` then ``maximum`` took two, single-threaded)."""
    for i in nb.prange(array.size):
        v = array[i] * factor
        if floor != 0.0:
            v = v if v > floor else floor
        array[i] = v


@nb.njit(**PARALLEL)
def scale_rows_inplace(grad: np.ndarray, hess: np.ndarray, grad_scale: np.ndarray,
                       hess_scale: np.ndarray) -> None:
    """grad_i *= grad_scale_i and hess_i <- max(hess_i * hess_scale_i, floor): per-row
    constants (soft Spearman's host units, see ``SoftSpearman``)."""
    for i in nb.prange(grad.size):
        grad[i] *= grad_scale[i]
        h = hess[i] * hess_scale[i]
        hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
