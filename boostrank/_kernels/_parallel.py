"""Running a serial compiled function over bins of groups on several threads.

The parallel kernels are written as a Python loop over thread bins of groups: each bin is
handed to a serial compiled function (``nogil``, so bins run at the same time) on a thread of
a shared pool, and the calling thread runs the first bin itself.  That is a ``prange`` over
the bins without Numba's parfor lowering, which compiles the loop body and everything it
calls twice more (about 1-2 s of a cold first call per kernel on a 2-core machine); the
kernels' steady-state speed is the same (benchmarks/kernel_history.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np

_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    with _POOL_LOCK:
        if not _POOL:
            workers = max(1, int(numba.config.NUMBA_NUM_THREADS) - 1)  # type: ignore[attr-defined]
            _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="boostrank"))
        return _POOL[0]


def even_bins(n_groups: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin_ptr, order) of ``n_bins`` contiguous runs of about equal numbers of groups (the
    split of a ``prange`` over groups), in the layout of ``pairwise.balanced_schedule``."""
    n_bins = max(1, min(n_bins, n_groups))
    bin_ptr = (np.arange(n_bins + 1, dtype=np.int64) * n_groups) // n_bins
    return bin_ptr, np.arange(n_groups, dtype=np.int64)


def run_bins(run_bin: Callable[..., Any], bin_ptr: np.ndarray, order: np.ndarray,
             *args: Any) -> None:
    """``run_bin(order[bin_ptr[b]:bin_ptr[b + 1]], *args)`` for every bin b, one bin per
    thread; returns when all are done.  Bins must write disjoint parts of the outputs."""
    n_bins = bin_ptr.size - 1
    if n_bins <= 1:
        run_bin(order, *args)
        return
    pool = _pool()
    futures = [pool.submit(run_bin, order[bin_ptr[b]:bin_ptr[b + 1]], *args)
               for b in range(1, n_bins)]
    run_bin(order[bin_ptr[0]:bin_ptr[1]], *args)
    for f in futures:
        f.result()
