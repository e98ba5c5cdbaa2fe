"""Compiler options for every Numba kernel, in one place.

``fastmath`` is a set of LLVM flags rather than ``True``: ``nnan`` and ``ninf`` are left out
because masks, sentinels and the +-inf produced by saturated exponentials must survive
(the same choice stumpy made), and because the RPS kernels count NaN / inf margins as their
input check (``abs(z) < inf``, which ``ninf``/``nnan`` would fold to true).  ``cache=True``
writes compiled kernels next to the sources (or to ``NUMBA_CACHE_DIR``) so the first call
after import stays fast.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.core import event

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: Options for kernels that loop over groups in parallel (``prange``).
PARALLEL: dict[str, Any] = {"parallel": True, "fastmath": FASTMATH, "cache": True, "nogil": True}
#: Options for small helpers called from the parallel kernels.
SERIAL: dict[str, Any] = {"fastmath": FASTMATH, "cache": True, "nogil": True}

#: Smallest Hessian returned to a host library.  Every Hessian is clipped from below so it is
#: strictly positive; the floor is far below any curvature that carries information.
HESSIAN_FLOOR = 1e-6

# Threading layer.  Numba's OpenMP layer leaves its threads spinning after each kernel, on the
# same cores as XGBoost's / LightGBM's own OpenMP pools: 100 rounds of XGBClassifier with
# ``rps`` on 4,800 rows took 1.85 s with it against 0.89 s with ``workqueue`` (built-in
# multi:softprob: 1.0 s), 2 cores.  boostrank therefore picks ``workqueue`` unless the user
# chose a layer with NUMBA_THREADING_LAYER.  ``workqueue`` must not be entered by two threads
# at once, so every kernel launch goes through ``launch``, which holds a process-wide lock.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]

_KERNEL_LOCK = threading.Lock()


def launch(kernel: Callable[..., Any], *args: Any) -> Any:
    """Run a compiled kernel under the process-wide kernel lock (thread safety)."""
    with _KERNEL_LOCK:
        return kernel(*args)

#: Options for the vectorisable exponential (:func:`boostrank._kernels._math.exp_inplace`):
#: ``reassoc`` would fold its range reduction ((x*log2e + 1.5*2^52) - 1.5*2^52 and the
#: two-constant Cody-Waite ln 2) away, so it gets only ``contract`` (fused multiply-adds, which
#: only make the reduction more exact) and ``nsz``.  LLVM's fast-math flags are per
#: instruction, so the function keeps them when inlined into a reassociating kernel.
EXACT_SERIAL: dict[str, Any] = {"fastmath": {"nsz", "contract"}, "cache": True, "nogil": True}


# Compile notice.  A cold first call compiles for seconds (``benchmarks/first_call.py``), as
# a chain of compiles (one per kernel the call launches).  A Numba event listener follows the
# compiles of boostrank functions (not the loads from the on-disk cache, which trigger no
# event) and, once such a chain has run for COMPILE_NOTICE_AFTER seconds with a compile still
# going, issues one CompileWarning, so that a first boosting round does not look like a hang.
class CompileWarning(UserWarning):
    """boostrank is compiling Numba kernels (the first use of an objective or option on a
    machine, or after the cache was cleared).  Silence it with
    ``warnings.filterwarnings("ignore", category=boostrank.CompileWarning)``."""


#: Seconds of compiling before a CompileWarning says so.
COMPILE_NOTICE_AFTER = 1.0
#: Compiles that start within this many seconds of the previous one's end continue its chain
#: (one call launches several kernels): one warning per chain.
_CHAIN_GAP = 0.5
_PACKAGE = __name__.split(".")[0]


class _CompileNotice(event.Listener):
    """Follows the outermost ``numba:compile`` events of boostrank functions.  Numba compiles
    under one global lock, so these events nest and do not interleave; the lock here only
    orders the timer thread against them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.timer: threading.Timer | None = None
        self.chain_start = 0.0
        self.last_end = -np.inf
        self.warned = False

    def on_start(self, ev: Any) -> None:
        self.depth += 1
        module = getattr(ev.data["dispatcher"].py_func, "__module__", "") or ""
        if self.depth > 1 or not (module == _PACKAGE or module.startswith(_PACKAGE + ".")):
            return
        now = time.monotonic()
        with self.lock:
            if now - self.last_end > _CHAIN_GAP:  # a new chain
                self.chain_start = now
                self.warned = False
            if not self.warned:
                delay = max(0.0, self.chain_start + COMPILE_NOTICE_AFTER - now)
                self.timer = threading.Timer(delay, self.warn, (module,))
                self.timer.daemon = True
                self.timer.start()

    def on_end(self, ev: Any) -> None:
        self.depth -= 1
        if self.depth > 0:
            return
        with self.lock:
            self.last_end = time.monotonic()
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    def warn(self, module: str) -> None:
        with self.lock:
            if self.warned or self.timer is None:  # the compile ended meanwhile
                return
            self.warned = True
        kind = module.rsplit(".", 1)[-1].strip("_")
        warnings.warn_explicit(
            f"boostrank is compiling its {kind} kernels with Numba for this machine (first use "
            "of these options): this takes a few seconds once; later calls, and later runs, "
            "load them from Numba's on-disk cache. Silence with warnings.filterwarnings("
            "'ignore', category=boostrank.CompileWarning).",
            CompileWarning,
            _PACKAGE,  # shown as the warning's origin (no source line: it comes from a timer)
            0,
        )


event.register("numba:compile", _CompileNotice())
