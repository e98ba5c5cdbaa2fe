"""The GPU backend: device copies of each data set's static arrays, kernel modules, outputs.

Labels, weights, the validity mask and the offsets of a training set go to the device once
and are reused every round: they are cached per host array object for the batches the
objective keeps per ``DMatrix`` / ``Dataset`` (``Batch.static``, arrays boostrank owns and never
changes) and released with it.  Per round only the predictions go up, through pinned staging
buffers (:mod:`.transfer`; float32 as float32, widened on the device), into device buffers
that are reused, as are the scratch arrays and the gradient and Hessian arrays
(:func:`._common.workspace`).  Arrays a caller owns (the public ``grad_hess``/``loss``, the
sklearn estimators, metrics) are uploaded on every call, since they may change in place.
XGBoost receives the gradient and Hessian as device arrays (``__cuda_array_interface__``),
which it copies before the next call; LightGBM and the public ``grad_hess`` get host arrays
(float32 for LightGBM, which converts to it anyway).  Kernels run on numba's current device
(GPU 0 unless ``CUDA_VISIBLE_DEVICES`` says otherwise).
"""
from __future__ import annotations

import functools
import threading
import weakref
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from numba import cuda
from numba.core import config

from .._validation import as_f64
from . import hinge, metrics, pairwise, rps, scaling, softmax, spearman, yetirank
from ._common import derived, on_rows, workspace
from .transfer import Uploader


@functools.cache
def _xgboost_has_cuda() -> bool:
    """Whether the installed XGBoost can read device arrays (the CPU-only wheels cannot)."""
    try:
        import xgboost

        return bool(xgboost.build_info().get("USE_CUDA"))
    except Exception:
        return False


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


@cuda.jit(cache=True)
def _to_float32(src: Any, dst: Any) -> None:
    i = cuda.grid(1)
    if i < src.size:
        dst[i] = src[i]


class GPU:
    """The numba.cuda twins of the CPU kernels (same names, same argument order)."""

    name = "cuda"
    derived = staticmethod(derived)
    kernels = SimpleNamespace(hinge=hinge, pairwise=pairwise, softmax=softmax, spearman=spearman,
                              rps=rps, scaling=scaling, metrics=metrics, yetirank=yetirank)
    #: numba's simulator (NUMBA_ENABLE_CUDASIM=1) has no __cuda_array_interface__.
    simulated = bool(getattr(config, "ENABLE_CUDASIM", False))

    def __init__(self) -> None:
        # id(host array) -> (weak reference to it, device copy); NumPy arrays are unhashable,
        # so the entry is dropped by a finaliser when the host array is freed
        self._copies: dict[int, tuple[weakref.ref[np.ndarray], Any]] = {}
        self._last: tuple[weakref.ref[Any], DeviceBatch] | None = None
        self._lock = threading.Lock()
        self._uploader = Uploader()

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
        static = getattr(b, "static", False)
        up = self.put if static else self.upload
        labels = up(b.labels)
        d = DeviceBatch(self._scores(b.scores, labels if static else None), labels,
                        up(b.weights), up(b.valid), up(b.offsets), b.shape)
        with self._lock:
            self._last = (weakref.ref(b), d)
        return d

    def _scores(self, host: np.ndarray, data_set: Any) -> Any:
        """The predictions as a float64 device array, uploaded through pinned memory (float32
        as float32, widened on the device) and checked for NaN / inf on the way.  For a
        data set's batches (``data_set``: its device labels) the device buffers are reused
        every round."""
        keep = host.dtype in (np.float32, np.float64)
        host = np.ascontiguousarray(host, dtype=None if keep else np.float64)
        shape = host.shape
        if data_set is None:
            out = cuda.device_array(shape, dtype=np.float64)
            raw = out if host.dtype == np.float64 else cuda.device_array(shape, dtype=host.dtype)
        else:
            out = workspace(data_set, "scores", shape)
            raw = out if host.dtype == np.float64 else workspace(data_set, "scores32", shape,
                                                                  np.float32)
        return self._uploader.scores(host, out, raw)

    @staticmethod
    def upload(array: np.ndarray) -> Any:
        """A fresh device copy (for arrays that may change in place between calls)."""
        return cuda.to_device(np.ascontiguousarray(array))

    @staticmethod
    def empty(shape: int | tuple[int, ...]) -> Any:
        return cuda.device_array(shape, dtype=np.float64)

    def outputs(self, b: Any, shape: int | tuple[int, ...]) -> tuple[Any, Any]:
        """Gradient and Hessian device arrays for batch ``b``.  A data set's batches get the
        same two arrays every round (from the calling thread): XGBoost copies what it
        receives into its own gradient buffer before it builds the tree, LightGBM and the
        public API receive host copies, so nothing reads them after the next call begins."""
        if getattr(b, "static", False):
            labels = self.batch(b).labels
            return workspace(labels, "grad", shape), workspace(labels, "hess", shape)
        return self.empty(shape), self.empty(shape)

    @staticmethod
    def predictions(preds: np.ndarray, finite: bool, keep_fortran: bool) -> np.ndarray:
        """A host's float32 or float64 predictions as they are: the upload widens float32 on
        the device and checks every value for NaN / inf as it stages them (``finite`` and
        ``keep_fortran`` concern the CPU kernels)."""
        if isinstance(preds, np.ndarray) and preds.dtype in (np.float32, np.float64):
            return preds
        return as_f64(preds, "y_pred", finite=False)

    @staticmethod
    def host(array: Any) -> np.ndarray:
        return np.asarray(array.copy_to_host())

    @staticmethod
    def scale_inplace(array: Any, factor: float, floor: float) -> None:
        """array <- max(array * factor, floor) on the device (floor 0: no floor)."""
        scaling.scale_floor_inplace(array.reshape(array.size), factor, floor)

    def for_host(self, grad: Any, hess: Any, host: str) -> tuple[Any, Any]:
        """Device arrays for XGBoost (when it is built with CUDA), host float32 for LightGBM,
        host float64 otherwise."""
        if host == "xgboost" and not self.simulated and _xgboost_has_cuda():
            # the kernels ran on numba's default stream, which the interface reports as None
            # ("no synchronisation needed"): finish them before XGBoost reads the arrays
            cuda.default_stream().synchronize()
            return grad, hess
        if host == "lightgbm":
            return self._float32(grad), self._float32(hess)
        return self.host(grad), self.host(hess)

    @staticmethod
    def _float32(array: Any) -> np.ndarray:
        flat = array.reshape(array.size)  # C-contiguous: a view
        out = cuda.device_array(array.size, dtype=np.float32)
        on_rows(_to_float32, array.size)(flat, out)
        return np.asarray(out.copy_to_host()).reshape(array.shape)
