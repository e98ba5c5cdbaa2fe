"""Scalar device-free maths shared by the kernels (numerically stable forms)."""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.extending import intrinsic

from .._config import EXACT_SERIAL, SERIAL


@nb.njit(**SERIAL)
def sigmoid(u: float) -> float:
    """1 / (1 + exp(-u)) without overflow for any finite u."""
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


@nb.njit(**SERIAL)
def sigmoid_both(u: float) -> tuple[float, float]:
    """(sigma(u), sigma(-u)) from one exponential, both to full relative precision."""
    e = math.exp(-abs(u))
    inv = 1.0 / (1.0 + e)
    if u >= 0.0:
        return inv, e * inv
    return e * inv, inv


@nb.njit(**SERIAL)
def softplus_neg(u: float) -> float:
    """log(1 + exp(-u)) without overflow: max(-u, 0) + log1p(exp(-|u|))."""
    return max(-u, 0.0) + math.log1p(math.exp(-abs(u)))


@nb.njit(**EXACT_SERIAL)
def midpoint(a: float, b: float) -> float:
    """(a + b) / 2 without overflow near the float64 maximum: each half first.  Compiled
    without ``reassoc``, which would refactor it into 0.5 * (a + b) (fast-math flags are per
    instruction, so they survive inlining into the fast-math kernels)."""
    return 0.5 * a + 0.5 * b


@nb.njit(**SERIAL)
def ndcg_discount(rank: int, k: int) -> float:
    """1 / log2(1 + rank) for 1-based ``rank``; 0 beyond the cut-off ``k`` (k <= 0: none)."""
    if k > 0 and rank > k:
        return 0.0
    return 1.0 / math.log2(1.0 + rank)


@nb.njit(**SERIAL)
def ndcg_gain(label: float) -> float:
    """Exponential gain 2^y - 1."""
    return 2.0**label - 1.0


# --------------------------------------------------------------------------- vectorisable exp
def _f64_bits_typer(typingctx: Any, x: Any) -> Any:
    """The IEEE-754 bit pattern of a float64 as an int64 (a bit cast; no conversion)."""
    if x != types.float64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _bits_f64_typer(typingctx: Any, i: Any) -> Any:
    """The float64 whose IEEE-754 bit pattern is the int64 ``i`` (a bit cast)."""
    if i != types.int64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


f64_bits: Any = intrinsic(_f64_bits_typer)
_bits_f64: Any = intrinsic(_bits_f64_typer)


_LOG2E = 1.4426950408889634
#: 1.5 * 2^52: adding it rounds x*log2e to an integer k held in the low bits of the sum.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = int(np.array(_SHIFT).view(np.int64))
#: ln 2 = _LN2_HI + _LN2_LO (fdlibm): _LN2_HI has 32 significant bits, so k * _LN2_HI is exact
#: for |k| < 2^21.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
#: exp underflows to 0 below -745.13 and overflows above 709.78; clamping to these bounds keeps
#: k within [-1076, 1024], where 2^k is built exactly as two normal factors.
_EXP_LO = -746.0
_EXP_HI = 710.0


@nb.njit(**EXACT_SERIAL)
def exp_inplace(x: np.ndarray) -> None:
    """x <- exp(x) elementwise on a contiguous 1-D float64 array, in a loop LLVM vectorises
    (libm ``exp`` is a scalar call: no SVML with Numba's LLVM here).

    x = k ln 2 + r with k = round(x log2 e) and |r| <= ln2 / 2 (two-constant Cody-Waite
    reduction), exp(r) by its degree-13 Taylor polynomial (truncation < 5e-18 relative), and
    2^k from exponent bits as two normal factors 2^(k >> 1) 2^(k - (k >> 1)), so results in the
    subnormal range get one rounding and +-inf / overflow / underflow come out as ``np.exp``
    gives them (NaN stays NaN).  Within ~1 ulp of ``np.exp`` (tests/test_vexp.py).
    """
    for i in range(x.size):
        v = x[i]
        v = _EXP_LO if v < _EXP_LO else v
        v = _EXP_HI if v > _EXP_HI else v
        t = v * _LOG2E + _SHIFT
        kf = t - _SHIFT
        k = f64_bits(t) - _SHIFT_BITS
        r = (v - kf * _LN2_HI) - kf * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = 1.0 + (r + r * r * p)
        k1 = k >> 1
        x[i] = p * _bits_f64((k1 + 1023) << 52) * _bits_f64((k - k1 + 1023) << 52)
