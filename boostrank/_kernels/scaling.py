"""Per-group rescaling of what the hosts receive (see ``objectives.lambdarank_group_scale``)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._config import HESSIAN_FLOOR, PARALLEL


@nb.njit(**PARALLEL)
def lambdarank_scale_inplace(grad: np.ndarray, hess: np.ndarray, offsets: np.ndarray) -> None:
    """grad, hess *= log2(1 + S_g) / S_g per group, S_g = sum |grad|; Hessian re-floored."""
    for g in nb.prange(offsets.size - 1):
        start = offsets[g]
        end = offsets[g + 1]
        total = 0.0
        for i in range(start, end):
            total += abs(grad[i])
        if total <= 0.0:
            continue
        scale = math.log2(1.0 + total) / total
        for i in range(start, end):
            grad[i] *= scale
            h = hess[i] * scale
            hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
