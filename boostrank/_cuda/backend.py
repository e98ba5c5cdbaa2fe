"""The GPU backend: device copies of each data set's static arrays, kernel modules, outputs.

Labels, weights, the validity mask and the offsets of a training set go to the device once
and are reused every round: they are cached per host array object (the objective keeps the
same arrays for a ``DMatrix`` / ``Dataset`` across rounds) and released with it.  Per round
only the predictions go up.  XGBoost receives the gradient and Hessian as device arrays
(``__cuda_array_interface__``), which it consumes in place; LightGBM and the public
``grad_hess`` get host arrays (float32 for LightGBM, which converts to it anyway).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from numba import cuda
from numba.core import config

from . import metrics, pairwise, rps, scaling, softmax, spearman
from ._common import THREADS, row_blocks


@dataclass(frozen=True)
class DeviceBatch:
    """A :class:`boostrank.objectives.Batch` with its arrays on the device."""

    scores: Any
    labels: Any
    weights: Any
    valid: Any
    offsets: Any
    shape: tuple[int, ...]

    @property
    def n_rows(self) -> int:
        return int(self.labels.size)


@cuda.jit
def _to_float32(src: Any, dst: Any) -> None:
    i = cuda.grid(1)
    if i < src.size:
        dst[i] = src[i]


class GPU:
    """The numba.cuda twins of the CPU kernels (same names, same argument order)."""

    name = "cuda"
    kernels = SimpleNamespace(pairwise=pairwise, softmax=softmax, spearman=spearman, rps=rps,
                              scaling=scaling, metrics=metrics)
    #: numba's simulator (NUMBA_ENABLE_CUDASIM=1) has no __cuda_array_interface__.
    simulated = bool(getattr(config, "ENABLE_CUDASIM", False))

    def __init__(self) -> None:
        # id(host array) -> (weak reference to it, device copy); NumPy arrays are unhashable,
        # so the entry is dropped by a finaliser when the host array is freed
        self._copies: dict[int, tuple[weakref.ref[np.ndarray], Any]] = {}
        self._last: tuple[weakref.ref[Any], DeviceBatch] | None = None
        self._lock = threading.Lock()

    @staticmethod
    def run(kernel: Any, *args: Any) -> Any:
        return kernel(*args)

    def put(self, array: np.ndarray) -> Any:
        """The device copy of a host array, uploaded once per array object."""
        key = id(array)
        with self._lock:
            entry = self._copies.get(key)
        if entry is not None and entry[0]() is array:
            return entry[1]
        copy = cuda.to_device(np.ascontiguousarray(array))
        with self._lock:
            self._copies[key] = (weakref.ref(array), copy)
        weakref.finalize(array, self._copies.pop, key, None)
        return copy

    def batch(self, b: Any) -> DeviceBatch:
        """Predictions uploaded now (once per batch object); labels, weights, mask and offsets
        from the cache."""
        with self._lock:
            last = self._last
        if last is not None and last[0]() is b:
            return last[1]
        # only arrays boostrank owns for a data set's lifetime may be cached by identity: a
        # caller's array (public API, sklearn hosts) can be changed in place between calls
        up = self.put if getattr(b, "static", False) else self.upload
        d = DeviceBatch(cuda.to_device(b.scores), up(b.labels), up(b.weights),
                        up(b.valid), up(b.offsets), b.shape)
        with self._lock:
            self._last = (weakref.ref(b), d)
        return d

    @staticmethod
    def upload(array: np.ndarray) -> Any:
        """A fresh device copy (for arrays that may change in place between calls)."""
        return cuda.to_device(np.ascontiguousarray(array))

    @staticmethod
    def empty(shape: int | tuple[int, ...]) -> Any:
        return cuda.device_array(shape, dtype=np.float64)

    @staticmethod
    def host(array: Any) -> np.ndarray:
        return np.asarray(array.copy_to_host())

    def for_host(self, grad: Any, hess: Any, host: str) -> tuple[Any, Any]:
        """Device arrays for XGBoost, host float32 for LightGBM, host float64 otherwise."""
        if host == "xgboost" and not self.simulated:
            return grad, hess
        if host == "lightgbm" and grad.ndim == 1:
            return self._float32(grad), self._float32(hess)
        return self.host(grad), self.host(hess)

    @staticmethod
    def _float32(array: Any) -> np.ndarray:
        out = cuda.device_array(array.shape, dtype=np.float32)
        _to_float32[row_blocks(array.size), THREADS](array, out)
        return np.asarray(out.copy_to_host())
