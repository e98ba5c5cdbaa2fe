"""GPU twin of :mod:`boostrank._kernels.scaling`: one block per group."""

from __future__ import annotations

from typing import Any

import numba
from numba import cuda

from .._config import HESSIAN_FLOOR
from .._kernels import scaling as _cpu
from ._common import block_sum, on_groups, on_rows

# the CPU pass's per-group factor and floor sequence, compiled for the device: one source
lambdarank_factor = cuda.jit(device=True)(_cpu.lambdarank_factor.py_func)
host_hessian = cuda.jit(device=True)(_cpu.host_hessian.py_func)


@cuda.jit(cache=True)
def _scale_groups(grad: Any, hess: Any, offsets: Any, hess_factor: float) -> None:
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    part = 0.0
    i = start + cuda.threadIdx.x
    while i < end:
        part += abs(grad[i])
        i += cuda.blockDim.x
    scale = lambdarank_factor(block_sum(shared, part))
    i = start + cuda.threadIdx.x
    while i < end:
        if scale != 1.0:
            grad[i] *= scale
        hess[i] = host_hessian(hess[i], scale, hess_factor)
        i += cuda.blockDim.x


def lambdarank_scale_inplace(grad: Any, hess: Any, offsets: Any, hess_factor: float) -> None:
    """Twin of the CPU ``lambdarank_scale_inplace``."""
    on_groups(_scale_groups, offsets.size - 1)(grad, hess, offsets, hess_factor)


@cuda.jit(cache=True)
def _scale_floor(array: Any, factor: float, floor: float) -> None:
    i = cuda.grid(1)
    if i < array.size:
        v = array[i] * factor
        array[i] = v if not (floor and v < floor) else floor


def scale_floor_inplace(array: Any, factor: float, floor: float) -> None:
    """Twin of the CPU ``scale_floor_inplace`` (any contiguous 1-D device array)."""
    on_rows(_scale_floor, array.size)(array, factor, floor)


@cuda.jit(cache=True)
def _scale_rows(grad: Any, hess: Any, grad_scale: Any, hess_scale: Any) -> None:
    i = cuda.grid(1)
    if i < grad.size:
        grad[i] *= grad_scale[i]
        h = hess[i] * hess_scale[i]
        hess[i] = h if h > HESSIAN_FLOOR else HESSIAN_FLOOR


def scale_rows_inplace(grad: Any, hess: Any, grad_scale: Any, hess_scale: Any) -> None:
    """Twin of the CPU ``scale_rows_inplace``."""
    on_rows(_scale_rows, grad.size)(grad, hess, grad_scale, hess_scale)
