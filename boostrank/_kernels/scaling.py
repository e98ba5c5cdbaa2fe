"""Per-group rescaling of what the hosts receive (see ``objectives.lambdarank_group_scale``)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL


@nb.njit(**PARALLEL)
def lambdarank_scale_inplace(grad: np.ndarray, hess: np.ndarray, offsets: np.ndarray,
                             hess_factor: float) -> None:
    """grad, hess *= log2(1 + S_g) / S_g per group, S_g = sum |grad|; Hessian re-floored, then
    multiplied by ``hess_factor`` and re-floored (the host's Hessian convention, in the same
    pass: the same values as a separate ``scale_floor_inplace`` afterwards)."""
    for g in nb.prange(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        total = 0.0
        for i in range(start, end):
            total += abs(grad[i])
        if total <= 0.0:
            if hess_factor != 1.0:
                for i in range(start, end):
                    h = hess[i] * hess_factor
                    hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
            continue
        scale = math.log2(1.0 + total) / total
        for i in range(start, end):
            grad[i] *= scale
            h = hess[i] * scale
            h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
            if hess_factor != 1.0:
                h *= hess_factor
                h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
            hess[i] = h


@nb.njit(**PARALLEL)
def scale_floor_inplace(array: np.ndarray, factor: float, floor: float) -> None:
    """array <- max(array * factor, floor) for a contiguous 1-D array (floor 0: no floor), in
    one parallel pass (NumPy's ``*=`` then ``maximum`` took two, single-threaded)."""
    for i in nb.prange(array.size):
        v = array[i] * factor
        if floor != 0.0:
            v = v if v > floor else floor
        array[i] = v
