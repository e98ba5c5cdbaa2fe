"""The ranked probability score of ordered classes; the kernels are :mod:`boostrank._kernels.rps`
and their CUDA twins :mod:`boostrank._cuda.rps`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import ordinal as _ordinal
from .._backend import check_device
from .._config import HESSIAN_FLOOR
from .._groups import resolve_offsets
from .._kernels import rps as _rps
from .._validation import F64, I64, check_choice, check_finite, check_mask, row_weights
from ._base import (
    XGBOOST_SKLEARN,
    Batch,
    Objective,
    check_hessian_factor,
    host_hessian_factor,
)

_RPS_HESSIANS = {"gershgorin": _rps.HESS_GERSHGORIN, "gauss_newton": _rps.HESS_GAUSS_NEWTON,
                 "exact": _rps.HESS_EXACT_CLIPPED}


class RankedProbabilityScore(Objective):
    r"""Ranked probability score of K ordered classes, on (n, K) margins.

    .. math::
        l = w \sum_{k=0}^{K-2} (P_k - [k \ge y])^2, \quad P_k = \sum_{c \le k} \mathrm{softmax}(z)_c

    Labels are integers 0..K-1 (negative labels mark rows to ignore).  ``normalize=True``
    divides by K - 1.  ``reduction="mean"`` averages over the rows passed; ``"none"`` gives
    one value per row.  ``predict_proba`` is ``softmax(margins)``.

    Parameters
    ----------
    normalize : divide by K - 1 (default False).
    hessian : the diagonal Hessian handed to the hosts, from the Gauss-Newton matrix
        H = 2 w J^T J of the loss, J_kc = dP_k/dz_c = p_c ([c <= k] - P_k):

        * "gershgorin" (default): each row's Gershgorin bound h_c = sum_c' |H_cc'|
          = 2 w p_c sum_c' p_c' |S_cc'| (S in :mod:`boostrank._kernels.rps`), computed in O(K)
          per row.  diag(h) - H is positive semi-definite, so the diagonal Newton step
          minimises an upper bound of the Gauss-Newton model;
        * "gauss_newton": the diagonal 2 w sum_k J_kc^2 alone.  H has large positive entries
          between neighbouring classes (they move the same cumulative probabilities), so this
          step overshoots: from the uniform start, a leaf of first- or last-class rows (7
          classes) gets a step 1.9 times as long as XGBoost's own softmax cross-entropy step
          (0.98 times with the bound), and models overfit sooner than with the hosts'
          multi-class softmax;
        * "exact": the exact diagonal (indefinite), clipped at the floor.

        For K = 2 the bound is twice the Gauss-Newton diagonal.  XGBoost's ``multi:softprob``
        Hessian 2 p (1 - p) is the same bound of the softmax cross-entropy Hessian
        diag(p) - p p^T.
    hessian_factor : "auto" (default) or a positive number multiplying the Hessian the host
        receives (``grad_hess`` is not affected).  "auto", with "gershgorin": 1 under XGBoost
        (``xgb.train``, ``XGBClassifier``), whose own multi-class Hessian is the bound, and
        ``LIGHTGBM_MULTIPLE`` (1.1) times K / (2 (K - 1)) under LightGBM (``lgb.train``,
        ``LGBMClassifier``), whose ``multiclass`` Hessian K / (K - 1) p (1 - p) is
        K / (2 (K - 1)) of the bound; the 1.1 (steps 1/1.1 as long as with that convention)
        is the multiple with the best worst case against ``multiclass`` over validation
        splits of four ordinal data sets (docs/rps.md).  With
        "gauss_newton" or "exact": 2 under XGBoost (whose defaults are set for its doubled
        Hessians) and 1 under LightGBM.  Held-out RPS (lower is better), default trees, 100
        rounds, 5 splits each, the Gershgorin Hessian against the host's multi-class softmax:

        ==============  ========================  ==========================
        data            XGBoost: gershgorin /     LightGBM: gershgorin /
                        ``multi:softprob``        ``multiclass``
        ==============  ========================  ==========================
        wine quality    0.2727 / 0.2746           0.2759 / 0.2770
        anes96          0.8719 / 0.9105           0.8941 / 0.9212
        make_ordinal    0.6431 / 0.6539           0.6297 / 0.6319
        ==============  ========================  ==========================

        (``python benchmarks/defaults_study.py rps``, docs/rps.md.)
    device : "cpu" (default), "cuda" or "auto" (the GPU when numba-cuda finds one): where
        the kernels run; the CUDA twins give the same values (docs/gpu.md).

    Examples
    --------
    >>> import numpy as np, boostrank
    >>> margins = np.log([[0.2, 0.5, 0.3]])   # p = (0.2, 0.5, 0.3), P = (0.2, 0.7)
    >>> round(boostrank.rps.loss([2], margins), 6)   # 0.2^2 + 0.7^2
    0.53
    """

    name = "rps"
    #: Under LightGBM "auto" hands over the Gershgorin bound times this multiple of
    #: K / (2 (K - 1)), LightGBM's ``multiclass`` convention (see the class docstring).
    LIGHTGBM_MULTIPLE: ClassVar[float] = 1.1
    unreduced = "row"
    multiclass = True
    kernel_checks_finite = True

    def __init__(self, normalize: bool = False, hessian: str = "gershgorin",
                 hessian_factor: float | str = "auto", device: str = "cpu") -> None:
        self.device = check_device(device)
        self.normalize = bool(normalize)
        self.hessian = check_choice(hessian, "hessian", tuple(_RPS_HESSIANS))
        self.hessian_factor = check_hessian_factor(hessian_factor)

    def host_hessian_factor(self, host: str, n_classes: int) -> float:
        """The factor the Hessian a host receives is multiplied by (``hessian_factor``):
        ``host`` is "xgboost" (``xgb.train``), "xgboost_sklearn", "lightgbm" (``lgb.train``) or
        "sklearn" (LightGBM's sklearn API).

        >>> import boostrank
        >>> [round(boostrank.rps.host_hessian_factor(h, 7), 4) for h in ("xgboost", "lightgbm")]
        [1.0, 0.6417]
        >>> gn = boostrank.RankedProbabilityScore(hessian="gauss_newton")
        >>> [gn.host_hessian_factor(host, 7) for host in ("xgboost", "lightgbm")]
        [2.0, 1.0]
        """
        option = getattr(self, "hessian_factor", "auto")
        if option != "auto" or self.hessian != "gershgorin":
            return host_hessian_factor(option, host)
        if host in ("xgboost", XGBOOST_SKLEARN):
            return 1.0
        return self.LIGHTGBM_MULTIPLE * n_classes / (2.0 * (n_classes - 1))

    def _host_scale(self, b: Batch, grad: Any, hess: Any, host: str, xp: Any) -> None:
        factor = self.host_hessian_factor(host, b.scores.shape[1])
        if factor != 1.0:
            xp.scale_inplace(hess, factor, HESSIAN_FLOOR)

    def _multiclass_batch(self, labels: F64, margins: F64, group: Any, qid: Any, weight: Any,
                          where: Any, offsets: I64 | None) -> Batch:
        if margins.ndim != 2 or margins.shape[1] < 2:
            raise ValueError(
                f"`y_pred` must be margins of shape (n_rows, n_classes) with n_classes >= 2, got "
                f"shape {margins.shape}. With XGBoost set `num_class` (objective placeholder "
                "multi:softprob); with LightGBM set `num_class` in params."
            )
        n, n_classes = margins.shape
        if n == 0:
            raise ValueError("`y_pred` is empty: there are no rows to score.")
        labels = labels.reshape(-1)
        if labels.size != n:
            raise ValueError(f"`y_true` has {labels.size} labels but `y_pred` has {n} rows.")
        mask = check_mask(where, (n,))
        valid = (labels >= 0) if mask is None else (mask & (labels >= 0))
        lab = labels[valid]
        if lab.size and ((lab != np.round(lab)).any() or lab.max() > n_classes - 1):
            bad = lab[(lab != np.round(lab)) | (lab > n_classes - 1)]
            raise ValueError(
                f"`y_true` must hold integer class labels 0..{n_classes - 1} (n_classes = "
                f"{n_classes} from y_pred's shape); found {bad.size} invalid, e.g. {bad[0]!r}. "
                "Map ordered classes to 0..K-1 (e.g. wine quality 3..9 -> y - 3)."
            )
        offsets = offsets if offsets is not None else resolve_offsets(n, group, qid)
        w = row_weights(weight, n, offsets)
        return Batch(margins, labels, np.ones(n) if w is None else w, valid, offsets,
                     margins.shape)

    def _scale(self, b: Batch) -> float:
        return 1.0 / (b.scores.shape[1] - 1) if self.normalize else 1.0

    @staticmethod
    def _fortran(b: Batch) -> bool:
        return bool(b.scores.flags.f_contiguous and not b.scores.flags.c_contiguous)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        # the CPU kernels count NaN / inf margins as they read them; the GPU backend checks
        # them as it uploads them (in C order)
        d = xp.batch(b)
        out = xp.empty(b.n_rows)
        n_bad = xp.run(xp.kernels.rps.rps_loss_rows, d.scores, d.labels, d.weights, d.valid,
                       self._scale(b), out)
        if n_bad:
            check_finite(b.scores, "y_pred")  # raises, saying where
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        """Gradient and Hessian in the margins' layout: Fortran-ordered margins (LightGBM's
        (n, K) view of its buffer) give Fortran-ordered arrays, which LightGBM flattens
        class-major without a transposing copy."""
        d = xp.batch(b)
        if xp.name == "cpu" and self._fortran(b):
            grad = np.empty(b.scores.shape, order="F")
            hess = np.empty(b.scores.shape, order="F")
        else:
            grad, hess = xp.outputs(b, b.scores.shape)
        n_bad = xp.run(xp.kernels.rps.rps_grad_hess, d.scores, d.labels, d.weights, d.valid,
                       self._scale(b), _RPS_HESSIANS[self.hessian], grad, hess)
        if n_bad:
            check_finite(b.scores, "y_pred")  # raises, saying where
        return grad, hess

    @staticmethod
    def predict_proba(margins: Any) -> F64:
        """Class probabilities softmax(margins), rows summing to 1
        (:func:`boostrank.predict_proba`)."""
        return _ordinal.predict_proba(margins)
