"""Where a kernel runs: the CPU (Numba ``@njit``) or the GPU (the numba.cuda twins).

Every objective and metric takes ``device="cpu" | "cuda" | "auto"`` and writes its kernel calls
once, against a backend: ``xp.kernels.<module>.<kernel>(...)`` with arrays from ``xp.batch``
and ``xp.empty``.  The CUDA twins have the same names and argument order as the CPU kernels,
so the same call runs on either.  ``"cuda"`` is checked when the objective is first *used*
(never at import or construction): without numba-cuda or a visible GPU, or with a numpy that
the installed numba-cuda cannot compile kernels under, it raises an error that says what to
install or check.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import threading
import warnings
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from ._config import launch
from ._kernels import hinge, metrics, pairwise, rps, scaling, softmax, spearman, yetirank
from ._validation import as_f64, check_choice

DEVICES = ("cpu", "cuda", "auto")


def check_device(device: str) -> str:
    """Validate a ``device=`` argument (at construction; availability is checked on use)."""
    return str(check_choice(device, "device", DEVICES))


class CPU:
    """The Numba CPU kernels, parallel over groups."""

    name = "cpu"
    kernels = SimpleNamespace(hinge=hinge, pairwise=pairwise, softmax=softmax, spearman=spearman,
                              rps=rps, scaling=scaling, metrics=metrics, yetirank=yetirank)

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
    def put(array: np.ndarray) -> np.ndarray:
        """The kernels' copy of a per-data-set host array (the GPU uploads it once)."""
        return array

    @staticmethod
    def empty(shape: int | tuple[int, ...]) -> np.ndarray:
        return np.empty(shape)

    @staticmethod
    def outputs(b: Any, shape: int | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Fresh gradient and Hessian arrays for batch ``b``."""
        return np.empty(shape), np.empty(shape)

    @staticmethod
    def predictions(preds: np.ndarray, finite: bool, keep_fortran: bool) -> np.ndarray:
        """A host's predictions as the kernels take them: float64, checked for NaN / inf
        when ``finite`` (see ``as_f64``)."""
        return as_f64(preds, "y_pred", finite=finite, keep_fortran=keep_fortran)

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
_WARNED: list[bool] = []  # device="auto" has warned of a broken install
_LOCK = threading.Lock()


#: The newest numba-cuda release known to fail under numpy >= 2.5 (it registers an overload of
#: ``np.row_stack``, which numpy 2.5 removed, when it compiles the first kernel).
NUMBA_CUDA_NEEDS_ROW_STACK = (0, 30, 4)


def _release(version: str) -> tuple[int, ...]:
    """The leading release numbers of a version string ("0.30.4rc1" -> (0, 30, 4))."""
    numbers = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(x) for x in numbers.group(0).split(".")) if numbers else ()


def _numba_cuda_version() -> str:
    try:
        return importlib.metadata.version("numba-cuda")
    except importlib.metadata.PackageNotFoundError:  # a source checkout on the path
        import numba_cuda

        return str(getattr(numba_cuda, "__version__", "unknown"))


def numpy_problem() -> str | None:
    """Why the installed numpy and numba-cuda cannot compile a kernel together, or None."""
    if hasattr(np, "row_stack"):
        return None
    version = _numba_cuda_version()
    release = _release(version)
    if release and release > NUMBA_CUDA_NEEDS_ROW_STACK:
        return None
    return (f"device='cuda': numba-cuda {version} cannot compile kernels with numpy "
            f"{np.__version__}: it registers an overload of np.row_stack, which numpy 2.5 "
            "removed, and its first kernel compile fails with AttributeError. Install numpy "
            "below 2.5 (`pip install 'numpy<2.5'`; `pip install 'boostrank[cuda]'` selects "
            "it) or a numba-cuda release that supports numpy 2.5, or use device='cpu'.")


def cuda_problem() -> str | None:
    """Why ``device="cuda"`` cannot run here, or None when it can."""
    if importlib.util.find_spec("numba_cuda") is None:
        return ("device='cuda' needs numba-cuda, which is not installed: "
                "`pip install 'boostrank[cuda]'` (numba-cuda with the CUDA Python bindings), "
                "or use device='cpu'.")
    problem = numpy_problem()
    if problem is not None:
        return problem
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
                if problem == numpy_problem() and not _WARNED:  # a broken install: say so once
                    _WARNED.append(True)
                    warnings.warn(f"device='auto' runs on the CPU: {problem}", RuntimeWarning,
                                  stacklevel=3)
                return _CPU
            raise RuntimeError(problem)
        module: ModuleType = importlib.import_module("boostrank._cuda.backend")
        _GPU = module.GPU()
        return _GPU
