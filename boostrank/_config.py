"""Compiler options for every Numba kernel, in one place.

``fastmath`` is a set of LLVM flags rather than ``True``: ``nnan`` and ``ninf`` are left out
because masks, sentinels and the +-inf produced by saturated exponentials must survive
(the same choice stumpy made).  ``cache=True`` writes compiled kernels next to the sources
(or to ``NUMBA_CACHE_DIR``) so the first call after import stays fast.
"""

from __future__ import annotations

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: Options for kernels that loop over groups in parallel (``prange``).
PARALLEL = {"parallel": True, "fastmath": FASTMATH, "cache": True, "nogil": True}
#: Options for small helpers called from the parallel kernels.
SERIAL = {"fastmath": FASTMATH, "cache": True, "nogil": True}

#: Smallest Hessian returned to a host library.  Every Hessian is clipped from below so it is
#: strictly positive; the floor is far below any curvature that carries information.
HESSIAN_FLOOR = 1e-6
