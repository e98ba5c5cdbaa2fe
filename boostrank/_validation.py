"""Input checks shared by every public entry point.

Every error names the argument, says what was expected and what was found, and how to fix it.
Only ``ValueError`` and ``TypeError`` leave this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B1 = NDArray[np.bool_]


def to_numpy(x: Any, name: str) -> NDArray[Any]:
    """Convert NumPy, pandas, lists or anything with ``__array__`` to a NumPy array."""
    if x is None:
        raise TypeError(f"`{name}` is required, got None.")
    if hasattr(x, "to_numpy"):  # pandas Series / DataFrame
        x = x.to_numpy()
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"`{name}` must be array-like, got {type(x).__name__}: {exc}") from exc
    if arr.dtype == object:
        raise TypeError(
            f"`{name}` must hold numbers, got an object array (mixed types or None values?)."
        )
    return arr


def as_f64(x: Any, name: str, *, finite: bool = True, keep_fortran: bool = False) -> F64:
    """A contiguous float64 copy-or-view of ``x``, checked for NaN and infinities when
    ``finite`` (the default).

    C-ordered, except that with ``keep_fortran`` a Fortran-ordered 2-D ``x`` stays Fortran
    (LightGBM hands multi-class scores as an (n, K) Fortran view of its buffer: a C copy
    would cost a transposing pass per round)."""
    arr = to_numpy(x, name)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"`{name}` must be numeric, got dtype {arr.dtype}.")
    fortran = (keep_fortran and arr.ndim == 2 and arr.flags.f_contiguous
               and not arr.flags.c_contiguous)
    out = np.asarray(arr, dtype=np.float64, order="F" if fortran else "C")  # keeps 0-d 0-d
    if finite:
        check_finite(out, name)
    return out


def check_finite(arr: NDArray[Any], name: str) -> None:
    """Raise if ``arr`` holds NaN or infinities, saying how many and where the first is."""
    if not np.isfinite(arr).all():
        flat = arr.ravel()
        bad = np.flatnonzero(~np.isfinite(flat))
        raise ValueError(
            f"`{name}` has {bad.size} NaN or infinite value(s) (first at flat index {bad[0]}: "
            f"{flat[bad[0]]}). Remove or impute them before training; for predictions "
            "this usually means the model diverged (lower the learning rate or add "
            "regularisation)."
        )


def check_length(arr: NDArray[Any], n: int, name: str, what: str = "rows") -> None:
    if arr.shape[0] != n:
        raise ValueError(
            f"`{name}` has length {arr.shape[0]} but the data has {n} {what}; pass one value "
            f"per {what[:-1]}."
        )


def row_weights(weight: Any, n: int, offsets: I64) -> F64 | None:
    """Per-row weights from per-row or per-group ``weight`` (None stays None).

    XGBoost stores one weight per group when groups are set; LightGBM one per row.  Both are
    accepted; per-group weights are repeated over the group's rows.
    """
    if weight is None:
        return None
    w = as_f64(weight, "weight")
    if w.ndim != 1:
        raise ValueError(f"`weight` must be 1-D, got shape {w.shape}.")
    if w.size == 0:
        return None
    n_groups = offsets.size - 1
    if w.size == n:
        out = w
    elif w.size == n_groups:
        out = np.repeat(w, np.diff(offsets))
    else:
        raise ValueError(
            f"`weight` has {w.size} values but there are {n} rows and {n_groups} groups; pass "
            "one weight per row or one per group."
        )
    if (out < 0).any():
        raise ValueError(
            f"`weight` has {(out < 0).sum()} negative value(s) (min {out.min()}); weights must "
            "be >= 0 (use 0 to drop a row)."
        )
    return out


def check_mask(where: Any, shape: tuple[int, ...]) -> B1 | None:
    if where is None:
        return None
    m = to_numpy(where, "where")
    if m.dtype != np.bool_:
        if not np.isin(m, (0, 1)).all():
            raise TypeError(f"`where` must be a boolean mask, got dtype {m.dtype}.")
        m = m.astype(bool)
    if m.shape != shape:
        raise ValueError(f"`where` has shape {m.shape}, expected {shape} (the shape of y_pred).")
    return np.ascontiguousarray(m)


def check_positive(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    return v


_INT64_MAX = int(np.iinfo(np.int64).max)


def check_integer(value: Any, name: str, minimum: int = 1, *, optional: bool = False) -> Any:
    """``value`` as an ``int`` in [``minimum``, 2^63 - 1] (integral floats such as 10.0 too:
    the kernels take 64-bit integers); None passes when ``optional``.  Anything else (a bool,
    NaN, infinity, a string, 2.5, out of range) raises a ValueError that names the argument.

    >>> check_integer(10.0, "k"), check_integer(None, "k", optional=True)
    (10, None)
    >>> check_integer(True, "k")
    Traceback (most recent call last):
    ...
    ValueError: `k` must be a positive integer, got True.
    """
    if value is None and optional:
        return None
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not isinstance(value, (bool, np.bool_, str)):
        try:
            as_int = int(value)
        except (TypeError, ValueError, OverflowError):
            pass
        else:
            if as_int == value and minimum <= as_int <= _INT64_MAX:
                return as_int
            if as_int > _INT64_MAX:
                what += " below 2^63"
    raise ValueError(f"`{name}` must be {what}{' or None' if optional else ''}, got {value!r}.")


def check_choice(value: Any, name: str, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, got {value!r}.")
    return value
