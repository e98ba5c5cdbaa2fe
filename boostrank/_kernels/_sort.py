"""A stable argsort shared by the kernels, compiled once.

Numba's ``np.argsort`` / ``np.sort`` compile a generic quicksort or mergesort (several seconds
of compile time for each key and index type that appears); every kernel that sorts calls this
one function instead.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .._config import SERIAL
from ._math import f64_bits


@nb.njit(**SERIAL)
def radix_argsort(v: np.ndarray) -> np.ndarray:
    """A stable argsort of float64 ``v`` (no NaN): LSD radix sort, 8 bits a pass, on the IEEE
    bits mapped to order-preserving unsigned keys; passes whose byte is constant are skipped.
    About 5x faster than Numba's ``np.argsort`` on 5,000 rows.  -0.0 and 0.0 are equal (kept
    in input order), as for ``np.argsort(v, kind="stable")``.

    >>> radix_argsort(np.array([2.0, -1.0, 0.0, -0.0, 2.0])).tolist()
    [1, 2, 3, 0, 4]
    """
    m = v.size
    keys = np.empty(m, dtype=np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        k = np.uint64(f64_bits(v[i]))
        k = np.uint64(0) if k == sign else k  # -0.0 as 0.0
        keys[i] = ~k if k & sign else k | sign
        order[i] = i
    tmp = np.empty(m, dtype=np.int64)
    count = np.empty(257, dtype=np.int64)
    byte = np.uint64(255)
    for shift in range(0, 64, 8):
        sh = np.uint64(shift)
        count[:] = 0
        for i in range(m):
            count[((keys[i] >> sh) & byte) + 1] += 1
        if m == 0 or count[((keys[0] >> sh) & byte) + 1] == m:
            continue
        for d in range(256):
            count[d + 1] += count[d]
        for i in range(m):
            o = order[i]
            d = (keys[o] >> sh) & byte
            tmp[count[d]] = o
            count[d] += 1
        order, tmp = tmp, order
    return order
