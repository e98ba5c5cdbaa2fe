"""Predictions to the device: pinned staging, chunked asynchronous copies, widening on the device.

A host array in ordinary (pageable) memory goes to the device at a few GB/s, because the
driver copies it through a small pinned buffer of its own.  Here each thread keeps a pinned
(page-locked) buffer, reused every call; the predictions are copied into it in chunks by a
parallel CPU loop that also counts NaN and infinite values (the check the CPU path makes
anyway, in the same pass over the data), and each chunk is sent with an asynchronous copy
while the next one is staged.  Predictions arrive as float32 from XGBoost: they travel as
float32 (half the bytes) and are widened to float64 on the device.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np
from numba import cuda

from .._config import launch
from .._validation import check_finite
from ._common import on_rows

#: Elements per asynchronous copy (4 MB of float32): large enough to run near the link's
#: speed, small enough that staging the next chunk overlaps the copy.
COPY_CHUNK = 1 << 20
#: Elements per task of the parallel staging loop.
_STAGE_TASK = 1 << 15


@numba.njit(parallel=True, cache=True, nogil=True)
def stage_counting_nonfinite(src: Any, dst: Any) -> int:
    """dst[:] = src (1-D, same length and dtype); returns how many entries are NaN or +-inf."""
    n = src.size
    n_tasks = (n + _STAGE_TASK - 1) // _STAGE_TASK
    bad = 0
    for task in numba.prange(n_tasks):
        lo = task * _STAGE_TASK
        hi = min(lo + _STAGE_TASK, n)
        count = 0
        for i in range(lo, hi):
            v = src[i]
            dst[i] = v
            if not abs(v) < np.inf:
                count += 1
        bad += count
    return bad


@cuda.jit(cache=True)
def _widen(src: Any, dst: Any) -> None:
    i = cuda.grid(1)
    if i < src.size:
        dst[i] = src[i]


class Uploader:
    """Uploads predictions through per-thread pinned staging buffers."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _pinned(self, dtype: np.dtype[Any], size: int) -> np.ndarray:
        """This thread's pinned buffer for ``dtype``, at least ``size`` long (grown by
        doubling: allocating pinned memory is slow, so it is done rarely)."""
        buffers: dict[str, np.ndarray] = self._local.__dict__.setdefault("buffers", {})
        buffer = buffers.get(dtype.str)
        if buffer is None or buffer.size < size:
            grown = max(size, 2 * buffer.size if buffer is not None else 0)
            buffer = cuda.pinned_array(grown, dtype=dtype)
            buffers[dtype.str] = buffer
        return buffer[:size]

    def scores(self, host: np.ndarray, out: Any, raw: Any) -> Any:
        """Copy the C-contiguous float32 or float64 ``host`` into the float64 device array
        ``out`` (same size), through ``raw`` (a device array of ``host``'s dtype and size;
        ``out`` itself for float64).  Raises, before anything is computed, when ``host`` has
        NaN or infinite values.  The copies are queued on the default stream: kernels launched
        after this call see the data, and the pinned buffer is reused only after the stream
        has drained (checked at the start of the next upload)."""
        flat = host.reshape(-1)
        n = flat.size
        stream = cuda.default_stream()
        stream.synchronize()  # earlier copies out of this thread's pinned buffer are done
        pinned = self._pinned(flat.dtype, n)
        raw_flat = raw.reshape(n)
        for lo in range(0, n, COPY_CHUNK):
            hi = min(lo + COPY_CHUNK, n)
            if launch(stage_counting_nonfinite, flat[lo:hi], pinned[lo:hi]):
                check_finite(host, "y_pred")  # raises, saying where
            raw_flat[lo:hi].copy_to_device(pinned[lo:hi], stream=stream)
        if raw is not out:
            on_rows(_widen, n)(raw_flat, out.reshape(n))
        return out
