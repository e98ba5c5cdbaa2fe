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
from collections.abc import Callable
from typing import Any

import numba

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
