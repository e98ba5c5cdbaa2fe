"""Launch geometry, block reductions, group lookup and the shared scalar maths on the GPU."""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

import numba
import numpy as np
from numba import cuda

from .._kernels import _math
from .._kernels.pairwise import RATIO_SPAN


def _threads_per_block() -> int:
    raw = os.environ.get("BOOSTRANK_CUDA_THREADS", "128")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or value > 1024 or value & (value - 1):
        raise ValueError(
            f"BOOSTRANK_CUDA_THREADS must be a power of two between 1 and 1024, got {raw!r}."
        )
    return value


#: Threads per block of every launch.  A launch setting only: kernels read ``cuda.blockDim.x``
#: and get their reduction scratch as dynamic shared memory sized at launch, so nothing compiled
#: (and cached on disk) depends on it.
THREADS = _threads_per_block()

# The scalar maths of the CPU kernels, compiled a second time for the device: one source.
sigmoid = cuda.jit(device=True)(_math.sigmoid.py_func)
sigmoid_both = cuda.jit(device=True)(_math.sigmoid_both.py_func)
softplus_neg = cuda.jit(device=True)(_math.softplus_neg.py_func)
ndcg_discount = cuda.jit(device=True)(_math.ndcg_discount.py_func)
ndcg_gain = cuda.jit(device=True)(_math.ndcg_gain.py_func)
midpoint = cuda.jit(device=True)(_math.midpoint.py_func)


def row_blocks(n: int) -> int:
    """Blocks of a one-thread-per-row launch over ``n`` rows (at least one)."""
    return max(1, (n + THREADS - 1) // THREADS)


def on_rows(kernel: Any, n: int) -> Any:
    """``kernel`` launched with one thread per row over ``n`` rows."""
    return kernel[row_blocks(n), THREADS]


def on_groups(kernel: Any, n_groups: int, shared_rows: int = 0) -> Any:
    """``kernel`` launched with one block per group and ``shared_rows`` float64 of dynamic
    shared memory (default: one per thread, the scratch of :func:`block_sum` /
    :func:`block_max`)."""
    return kernel[n_groups, THREADS, 0, 8 * (shared_rows or THREADS)]


@cuda.jit(device=True)
def group_of(offsets: Any, i: int) -> int:
    """The group holding row ``i``: the last g with offsets[g] <= i (binary search)."""
    lo = 0
    hi = offsets.size - 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offsets[mid] <= i:
            lo = mid
        else:
            hi = mid - 1
    return lo


@cuda.jit(device=True)
def _block_reduce(shared: Any, value: float, take_max: bool) -> float:
    """Sum (or maximum) of ``value`` over the block's threads, returned to every thread, by a
    fixed-order tree in shared memory (deterministic for a given block size)."""
    tid = cuda.threadIdx.x
    shared[tid] = value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if tid < step:
            other = shared[tid + step]
            if not take_max:
                shared[tid] += other
            elif other > shared[tid]:
                shared[tid] = other
        cuda.syncthreads()
        step //= 2
    result = shared[0]
    cuda.syncthreads()
    return result


@cuda.jit(device=True)
def block_sum(shared: Any, value: float) -> float:
    """Sum of ``value`` over the block's threads, returned to every thread."""
    return _block_reduce(shared, value, False)


@cuda.jit(device=True)
def block_max(shared: Any, value: float) -> float:
    """Maximum of ``value`` over the block's threads, returned to every thread."""
    return _block_reduce(shared, value, True)


@cuda.jit(cache=True)
def group_sums(values: Any, offsets: Any, out: Any) -> None:
    """out[g, c] = sum of values[i, c] over the rows i of group g (one block per group)."""
    shared = cuda.shared.array(0, numba.float64)  # THREADS entries, see on_groups
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    for c in range(values.shape[1]):
        acc = 0.0
        i = start + cuda.threadIdx.x
        while i < end:
            acc += values[i, c]
            i += cuda.blockDim.x
        total = block_sum(shared, acc)
        if cuda.threadIdx.x == 0:
            out[g, c] = total


def sum_by_group(values: Any, offsets: Any, out: Any = None) -> Any:
    """Per-group column sums of an (n, C) device array, as a (n_groups, C) device array
    (``out`` when given)."""
    n_groups = offsets.size - 1
    if out is None:
        out = cuda.device_array((n_groups, values.shape[1]), dtype=np.float64)
    on_groups(group_sums, n_groups)(values, offsets, out)
    return out


@cuda.jit(cache=True)
def _exponentials(x: Any, valid: Any, offsets: Any, inv_t: float, use_exp: Any,
                  expo: Any) -> None:
    """Per group (one block): whether the span of its valid x over T allows one exponential
    per row, and then E_i = exp((x_i - mid) / T) on its valid rows (0 elsewhere)."""
    shared = cuda.shared.array(0, numba.float64)  # one entry per thread (on_groups)
    g = cuda.blockIdx.x
    start = offsets[g]
    end = offsets[g + 1]
    hi = -math.inf
    neg_lo = -math.inf
    i = start + cuda.threadIdx.x
    while i < end:
        if valid[i]:
            hi = max(hi, x[i])
            neg_lo = max(neg_lo, -x[i])
        i += cuda.blockDim.x
    hi = block_max(shared, hi)
    lo = -block_max(shared, neg_lo)
    if hi < lo:  # no valid row: nothing reads E
        hi = 0.0
        lo = 0.0
    per_row_exp = (hi - lo) * inv_t < RATIO_SPAN
    if cuda.threadIdx.x == 0:
        use_exp[g] = per_row_exp
    mid = midpoint(hi, lo)
    i = start + cuda.threadIdx.x
    while i < end:
        expo[i] = math.exp((x[i] - mid) * inv_t) if per_row_exp and valid[i] else 0.0
        i += cuda.blockDim.x


def row_exponentials(x: Any, valid: Any, offsets: Any, inv_t: float, key: Any,
                     name: str) -> tuple[Any, Any]:
    """(use_exp per group, E per row) of ``_exponentials``, in workspaces of ``key``."""
    n_groups = offsets.size - 1
    use_exp = workspace(key, f"{name}.use_exp", n_groups, np.bool_)
    expo = workspace(key, f"{name}.expo", x.size)
    on_groups(_exponentials, n_groups)(x, valid, offsets, inv_t, use_exp, expo)
    return use_exp, expo


_DERIVED: dict[tuple[Hashable, ...], tuple[tuple[weakref.ref[Any], ...], Any]] = {}


def derived(arrays: tuple[Any, ...], tag: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, memoised while the device ``arrays`` it depends on live (per-data-set
    constants such as the ideal DCG or the labels' soft ranks: computed once, reused every
    round).  Keyed by the arrays' identity, which is stable only for the data-set copies the
    backend caches; arrays uploaded afresh each call simply miss."""
    key = (*map(id, arrays), tag)
    hit = _DERIVED.get(key)
    if hit is not None and all(ref() is a for ref, a in zip(hit[0], arrays, strict=True)):
        return hit[1]
    value = compute()
    _DERIVED[key] = (tuple(weakref.ref(a) for a in arrays), value)
    weakref.finalize(arrays[0], _DERIVED.pop, key, None)
    return value


def workspace(key: Any, name: str, shape: int | tuple[int, ...],
              dtype: type[np.generic] = np.float64) -> Any:
    """A device array for ``name`` that every call on the data set of the device array ``key``
    (a backend-cached copy such as its labels) reuses from the same thread: no allocation per
    boosting round.  A fresh upload as ``key`` gets a fresh array.  The caller overwrites it
    entirely each call; results handed out in it are valid until the next call."""
    return derived((key,), ("workspace", name, shape, np.dtype(dtype).str, threading.get_ident()),
                   lambda: cuda.device_array(shape, dtype=dtype))


def largest_group(offsets: Any) -> int:
    """The largest group size of the device ``offsets`` (read back once per data set)."""
    return int(derived((offsets,), "largest_group",
                       lambda: int(np.diff(offsets.copy_to_host()).max())))
