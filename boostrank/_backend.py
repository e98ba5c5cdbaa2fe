"""Where a kernel runs: the CPU (Numba ``@njit``) or the GPU (the numba.cuda twins).

Every objective and metric takes ``device="cpu" | "cuda" | "auto"`` and writes its kernel calls
once, against a backend: ``xp.kernels.<module>.<kernel>(...)`` with arrays from ``xp.batch``
and ``xp.empty``.  The CUDA twins have the same names and argument order as the CPU kernels,
so the same call runs on either.  ``"cuda"`` is checked when the objective is first *used*
(never at import or construction): without numba-cuda or a visible GPU it raises an error
that says what to install or check.
"""

from __future__ import annotations

import importlib.util
import threading
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from ._config import launch
from ._kernels import metrics, pairwise, rps, scaling, softmax, spearman
from ._validation import check_choice

DEVICES = ("cpu", "cuda", "auto")


def check_device(device: str) -> str:
    """Validate a ``device=`` argument (at construction; availability is checked on use)."""
    return str(check_choice(device, "device", DEVICES))


class CPU:
    """The Numba CPU kernels, parallel over groups."""

    name = "cpu"
    kernels = SimpleNamespace(pairwise=pairwise, softmax=softmax, spearman=spearman, rps=rps,
                              scaling=scaling, metrics=metrics)

    @staticmethod
    def run(kernel: Any, *args: Any) -> Any:
        return launch(kernel, *args)

    @staticmethod
    def batch(b: Any) -> Any:
        return b

    @staticmethod
    def upload(array: np.ndarray) -> np.ndarray:
        return array

    @staticmethod
    def empty(shape: int | tuple[int, ...]) -> np.ndarray:
        return np.empty(shape)

    @staticmethod
    def host(array: Any) -> np.ndarray:
        return np.asarray(array)

    @staticmethod
    def scale_inplace(array: np.ndarray, factor: float, floor: float) -> None:
        """array <- max(array * factor, floor) (floor 0: no floor; a gradient)."""
        if array.dtype == np.float64 and (array.flags.c_contiguous or array.flags.f_contiguous):
            launch(scaling.scale_floor_inplace, array.ravel(order="K"), factor, floor)
            return
        array *= factor
        if floor:
            np.maximum(array, floor, out=array)

    @staticmethod
    def for_host(grad: Any, hess: Any, host: str) -> tuple[Any, Any]:
        return grad, hess


_CPU = CPU()
_GPU: Any = None
_PROBLEM: list[str | None] = []  # cuda_problem(), once per process
_LOCK = threading.Lock()


def cuda_problem() -> str | None:
    """Why ``device="cuda"`` cannot run here, or None when it can."""
    if importlib.util.find_spec("numba_cuda") is None:
        return ("device='cuda' needs numba-cuda, which is not installed: "
                "`pip install 'boostrank[cuda]'` (numba-cuda with the CUDA Python bindings), "
                "or use device='cpu'.")
    try:
        from numba import cuda

        available = bool(cuda.is_available())
    except Exception as exc:  # a broken driver / toolkit install
        return (f"device='cuda': numba-cuda failed to initialise CUDA ({type(exc).__name__}: "
                f"{exc}). Check the NVIDIA driver (`nvidia-smi`) and the CUDA bindings, or use "
                "device='cpu'.")
    if not available:
        return ("device='cuda' but numba-cuda finds no usable GPU: check the NVIDIA driver "
                "(`nvidia-smi`) and CUDA_VISIBLE_DEVICES (`python -c \"from numba import cuda; "
                "cuda.detect()\"` lists what it sees), or use device='cpu' / device='auto'.")
    return None


def backend(device: str) -> Any:
    """The backend that runs ``device``'s kernels (CPU or GPU); raises when "cuda" cannot run."""
    global _GPU
    if device == "cpu":
        return _CPU
    with _LOCK:
        if _GPU is not None:
            return _GPU
        if not _PROBLEM:
            _PROBLEM.append(cuda_problem())
        problem = _PROBLEM[0]
        if problem is not None:
            if device == "auto":
                return _CPU
            raise RuntimeError(problem)
        module: ModuleType = importlib.import_module("boostrank._cuda.backend")
        _GPU = module.GPU()
        return _GPU
