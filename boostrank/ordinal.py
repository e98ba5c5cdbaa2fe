r"""Helpers for ordinal models: class probabilities and expected values from margins.

A model trained with :data:`boostrank.rps` (or any multi-class objective) outputs one margin per
class.  The probabilities are :math:`p_k = \mathrm{softmax}(z)_k`; the expected value of the
class is :math:`E[v] = \sum_k p_k v_k` for class values :math:`v_k` (0..K-1 by default).

Sum expected values, not predicted classes: for several items the expected total is the sum
of the items' expected values (linearity of expectation), while the sum of arg-max classes is
biased towards the modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import F64, as_f64, check_choice

__all__ = ["as_margins", "expected_value", "predict_proba"]

INPUTS = ("auto", "margin", "proba")


def _two_d(pred: Any, name: str) -> F64:
    z = as_f64(pred, name)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(
            f"`{name}` must be (n_rows, n_classes) margins or probabilities with n_classes >= 2, "
            f"got shape {z.shape}."
        )
    return z


def _reads_as_proba(z: F64) -> bool:
    """``input="auto"``: True for probabilities, False for margins, an error when unsure."""
    in_unit = bool((z >= 0).all() and (z <= 1).all())
    sums = z.sum(axis=1)
    if not in_unit or not np.allclose(sums, 1.0, atol=0.05):
        return False
    if not np.allclose(sums, 1.0, atol=1e-5):
        raise ValueError(
            "`y_pred` looks like rounded probabilities (every value in [0, 1], rows summing to "
            f"{sums.min():.4f}..{sums.max():.4f}) but could be margins; pass input='proba' or "
            "input='margin'."
        )
    if z.shape[1] == 2:
        raise ValueError(
            "two-class `y_pred` with rows in [0, 1] summing to 1 is ambiguous: XGBoost's margins "
            "under a custom objective (base_score 0.5, mirrored trees) look exactly like "
            "probabilities. Pass input='margin' or input='proba'."
        )
    return True


def as_margins(pred: Any, input: str = "auto") -> F64:
    """(n, K) margins from margins or probabilities.

    ``input="auto"`` reads rows that are non-negative and sum to 1 as probabilities (what the
    hosts pass to a metric under their built-in multi-class objectives and what
    ``predict_proba`` returns) and anything else as margins; it refuses the cases it cannot
    tell apart: two classes (margins of XGBoost custom objectives start at 0.5 and 0.5) and
    values in [0, 1] whose rows sum to 1 only roughly (rounded probabilities?).  "margin" or
    "proba" forces one reading.  Probabilities become log-probabilities, which softmax maps
    back to the same probabilities.
    """
    check_choice(input, "input", INPUTS)
    z = _two_d(pred, "y_pred")
    if input == "proba" or (input == "auto" and _reads_as_proba(z)):
        if (z < 0).any():
            raise ValueError("`y_pred` has negative probabilities; pass margins with "
                             "input='margin'.")
        return np.log(np.maximum(z, 1e-300))
    return z


def predict_proba(margins: Any, input: str = "margin") -> F64:
    """Class probabilities softmax(margins), each row summing to 1.

    >>> import numpy as np, boostrank
    >>> boostrank.predict_proba(np.log([[1.0, 3.0]])).round(3).tolist()
    [[0.25, 0.75]]
    """
    z = as_margins(margins, input)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def expected_value(margins: Any, class_values: Any = None, *, input: str = "margin") -> F64:
    """Expected class value sum_k p_k v_k per row; ``class_values`` default 0..K-1.

    ``input="auto"`` or ``"proba"`` accepts probabilities (e.g. from ``predict_proba``).

    >>> import numpy as np, boostrank
    >>> p = np.array([[0.2, 0.5, 0.3]])
    >>> boostrank.expected_value(p, class_values=[3, 4, 5], input="proba").round(6).tolist()
    [4.1]
    """
    p = predict_proba(margins, input)
    return np.asarray(p @ class_values_of(class_values, p.shape[1]))


def class_values_of(class_values: Any, n_classes: int) -> F64:
    """The value of each class: ``class_values`` checked, or 0..K-1 when None."""
    if class_values is None:
        return np.arange(n_classes, dtype=np.float64)
    values = as_f64(class_values, "class_values")
    if values.shape != (n_classes,):
        raise ValueError(
            f"`class_values` must have one value per class ({n_classes}), got shape "
            f"{values.shape}."
        )
    return values
