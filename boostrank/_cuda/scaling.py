"""GPU twin of :mod:`boostrank._kernels.scaling`: one block per group."""

from __future__ import annotations

import math
from typing import Any

import numba
from numba import cuda

from .._config import HESSIAN_FLOOR
from ._common import THREADS, block_sum, row_blocks


@cuda.jit(cache=True)
def _scale_groups(grad: Any, hess: Any, offsets: Any, hess_factor: float) -> None:
    shared = cuda.shared.array(THREADS, numba.float64)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    part = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        part += abs(grad[i])
        i += THREADS
    total = block_sum(shared, part)
    if total <= 0.0:
        if hess_factor != 1.0:
            i = start + cuda.threadIdx.x
            while i < end:
                h = hess[i] * hess_factor
                hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
                i += THREADS
        return
    scale = math.log2(1.0 + total) / total
    i = start + cuda.threadIdx.x
    while i < end:
        grad[i] *= scale
        h = hess[i] * scale
        h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
        if hess_factor != 1.0:
            h *= hess_factor
            h = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR
        hess[i] = h
        i += THREADS


def lambdarank_scale_inplace(grad: Any, hess: Any, offsets: Any, hess_factor: float) -> None:
    """Twin of the CPU ``lambdarank_scale_inplace``."""
    _scale_groups[offsets.size - 1, THREADS](grad, hess, offsets, hess_factor)


@cuda.jit(cache=True)
def _scale_floor(array: Any, factor: float, floor: float) -> None:
    i = cuda.grid(1)
    if i < array.size:
        v = array[i] * factor
        array[i] = v if not (floor and v < floor) else floor


def scale_floor_inplace(array: Any, factor: float, floor: float) -> None:
    """Twin of the CPU ``scale_floor_inplace`` (any contiguous 1-D device array)."""
    _scale_floor[row_blocks(array.size), THREADS](array, factor, floor)
