"""Soft Spearman correlation and CombinedLoss (weighted MSE plus soft Spearman); the kernels
are :mod:`boostrank._kernels.spearman` and their CUDA twins :mod:`boostrank._cuda.spearman`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .._backend import check_device
from .._config import HESSIAN_FLOOR, launch
from .._kernels import spearman as _sp
from .._validation import F64, check_choice, check_positive
from ._base import _CACHE_LOCK, XGBOOST_SKLEARN, Batch, Objective

_SPEARMAN_HESSIANS = {"gauss_newton": _sp.HESS_GAUSS_NEWTON,
                      "pair_magnitude": _sp.HESS_PAIR_MAGNITUDE}
_SPEARMAN_METHODS = {"auto": _sp.METHOD_AUTO, "exact": _sp.METHOD_EXACT,
                     "windowed": _sp.METHOD_WINDOWED}


class SoftSpearman(Objective):
    r"""Negative soft Spearman correlation per group (centimators ``SpearmanCorrelation``).

    Soft rank :math:`r_i(x) = \sum_j \sigma((x_i - x_j)/\tau)` (j = i included) and

    .. math::
        l_g = -\bar w_g\, \frac{\sum \tilde a \tilde b}
                               {\sqrt{\sum \tilde a^2 \sum \tilde b^2 + 10^{-7}}},
        \quad \tilde a = r(s) - \overline{r(s)},\ \tilde b = r(y) - \overline{r(y)}

    with :math:`\bar w_g` the mean weight of the group's valid rows (XGBoost's per-group weight).
    Without groups the whole data set is one group, as in centimators.  Labels may be any real
    numbers (negative ones are *not* ignored; use ``where=``).  ``reduction="mean"`` averages
    over groups; ``"none"`` gives one value per group.

    Parameters
    ----------
    regularization_strength : tau > 0 (default 1e-3), the soft-rank temperature.
    hessian : "gauss_newton" (default): the Gauss-Newton diagonal of corr written as a
        least-squares distance of unit vectors, damped and floored at ties; or
        "pair_magnitude": sum_j sigma'_kj |c_k - c_j| / tau^2, which bounds each row's Newton
        step by tau.  Formulas and the measurements behind the default:
        :mod:`boostrank._kernels.spearman` and BENCHMARKS.md.
    tie_step : size, in units of tau, of the first step out of all-equal scores (default
        1e-3; Gauss-Newton only).  The plain Gauss-Newton step there is ~1e-9, lost in
        XGBoost's float32 margins.
    score_unit : "auto" (default), None or a positive number u: the host's margins are read
        in units of u, i.e. the host receives the gradient and Hessian of s -> l(u s):
        u grad(u s) and u^2 hess(u s) (``grad_hess`` and ``loss`` are not affected).
        "auto" is u = tie_step * tau (1e-6 by default) under XGBoost (``xgb.train`` and the
        sklearn estimators) and 1 under LightGBM.  Why: the correlation is scale-free near
        ties, so boosting keeps its scores at the scale of the first step out of the
        all-equal start, ~tie_step * tau (~1e-6); XGBoost holds margins in float32 around
        its 0.5 start (resolution 6e-8), where such steps are a few rounding units: the
        scores stop changing after ~10 trees (validation Spearman frozen) and its absolute
        constants (lambda 1, min_child_weight 1) are meaningless next to Hessians of ~1e13.
        In units of tie_step * tau the first step of row k is eta times the z-score of its
        label's soft rank in its group, as for a regression, and the per-row Hessians are
        O(m_g^2 / 4) instead of O(1e13).  LightGBM (float64 from 0, lambda_l2 0) trains the
        same ranking in any unit (measured identical), so "auto" leaves it at 1.
        For :class:`CombinedLoss` only the Spearman term is read in units of u (the MSE term
        stays on the labels' scale); with its default ``balance="rows"``, "auto" is u on
        every host.
        Measured on chem97 (BENCHMARKS.md, RESULTS.md).
    method : how the same loss is evaluated.  "exact": every pair, O(n_g^2) per group.
        "windowed": sort each group, merge exact ties into blocks, and evaluate only pairs
        closer than 37.5 tau (beyond, sigma is 0 or 1 to double precision and sigma' < 6e-17),
        with one exponential per row: O(n_g log n_g + n_g w) time, w the number of distinct
        scores within 37.5 tau of a row, O(n_g) memory; label soft ranks are cached between
        calls with the same labels.  Agrees with "exact" to rtol 1e-9 (measured ~1e-14).
        "auto" (default): "windowed" for groups of more than 16 rows, where it is already
        faster, "exact" below.  Details: :mod:`boostrank._kernels.spearman`; timings
        (400 eras of 5,000 rows: ~5 CPU minutes -> ~0.7 CPU seconds per call): BENCHMARKS.md.
    device : "cpu" (default), "cuda" or "auto" (the GPU when numba-cuda finds one): where
        the kernels run; the GPU evaluates every pair, ``method`` applies to the CPU (README,
        "On the GPU").

    Cost "exact": O(sum_g n_g^2) time; "windowed": see ``method``; O(n) memory.

    Examples
    --------
    >>> import numpy as np, boostrank
    >>> round(boostrank.soft_spearman.loss([1.0, 2.0, 3.0], [0.1, 0.2, 0.3]), 4)
    -1.0
    >>> y = np.linspace(0.0, 1.0, 2000)
    >>> s = np.sin(7.0 * y)
    >>> g_exact, h_exact = boostrank.SoftSpearman(method="exact").grad_hess(y, s)
    >>> g_win, h_win = boostrank.SoftSpearman(method="windowed").grad_hess(y, s)
    >>> bool(np.allclose(g_win, g_exact, rtol=1e-9, atol=1e-9 * abs(g_exact).max()))
    True
    >>> bool(np.allclose(h_win, h_exact, rtol=1e-9))
    True
    """

    name = "soft_spearman"
    unreduced = "group"
    ignores_negative_labels = False
    quadratic = True

    def __init__(self, regularization_strength: float = 1e-3,
                 hessian: str = "gauss_newton", tie_step: float = 1e-3,
                 method: str = "auto", score_unit: float | str | None = "auto",
                 device: str = "cpu") -> None:
        self.device = check_device(device)
        self.regularization_strength = check_positive(regularization_strength,
                                                      "regularization_strength")
        self.hessian = check_choice(hessian, "hessian", tuple(_SPEARMAN_HESSIANS))
        self.tie_step = check_positive(tie_step, "tie_step")
        self.method = check_choice(method, "method", tuple(_SPEARMAN_METHODS))
        if isinstance(score_unit, str):
            check_choice(score_unit, "score_unit", ("auto",))
        elif score_unit is not None:
            score_unit = check_positive(score_unit, "score_unit")
        self.score_unit = score_unit

    def host_score_unit(self, host: str) -> float:
        """The unit u of the margins under ``host`` ("xgboost", "xgboost_sklearn",
        "lightgbm" or "sklearn"): the host receives the derivatives of s -> l(u s)."""
        unit = getattr(self, "score_unit", None)
        if unit == "auto":
            if host in ("xgboost", XGBOOST_SKLEARN):
                return self.tie_step * self.regularization_strength
            return 1.0
        return 1.0 if unit is None else float(unit)

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, self.host_score_unit(host))
        return xp.for_host(grad, hess, host)

    def _quadratic_cost(self) -> bool:
        return self.method == "exact"

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before ``method`` existed evaluated the exact form; before
        # ``score_unit`` existed hosts received the raw derivatives; before ``device``, CPU
        self.__dict__.update({"method": "exact", "score_unit": None, "device": "cpu", **state})

    def _label_ranks(self, b: Batch) -> F64:
        """Centred windowed soft ranks of the labels, reused while labels, mask, groups and tau
        are unchanged (boosting rounds): checking costs one comparison of each array."""
        if self.method == "exact":
            return np.empty(0)
        tau = self.regularization_strength
        with _CACHE_LOCK:
            hit = getattr(self, "_rank_cache", None)
        if (hit is not None and hit[0] == tau and np.array_equal(hit[1], b.offsets)
                and np.array_equal(hit[2], b.valid) and np.array_equal(hit[3], b.labels)):
            return hit[4]
        ranks = np.empty(b.n_rows)
        launch(_sp.spearman_label_ranks, b.labels, b.valid, b.offsets, tau, ranks)
        with _CACHE_LOCK:
            self._rank_cache = (tau, b.offsets.copy(), b.valid.copy(), b.labels.copy(), ranks)
        return ranks

    def _ranks_on(self, b: Batch, xp: Any) -> Any:
        """The labels' soft ranks for backend ``xp``: on the CPU the cached windowed ranks
        (empty for "exact", whose kernel computes its own); on the GPU every pair's, computed
        on the device once per data set (the GPU kernels evaluate every pair)."""
        if xp.name == "cpu":
            return self._label_ranks(b)
        d = xp.batch(b)
        tau = self.regularization_strength

        def compute() -> Any:
            out = xp.empty(b.n_rows)
            xp.kernels.spearman.spearman_label_ranks(d.labels, d.valid, d.offsets, tau, out)
            return out

        return xp.derived((d.labels, d.valid, d.offsets), ("label_ranks", tau), compute)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        d = xp.batch(b)
        out = xp.empty(b.offsets.size - 1)
        xp.run(xp.kernels.spearman.spearman_loss_groups, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.regularization_strength, _SPEARMAN_METHODS[self.method],
               self._ranks_on(b, xp), out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any, unit: float = 1.0) -> tuple[Any, Any]:
        """Gradient and Hessian of s -> l(unit * s) (``grad_hess``: unit 1)."""
        if unit != 1.0:
            b = replace(b, scores=b.scores * unit)
        d = xp.batch(b)
        grad, hess = xp.outputs(b, b.n_rows)
        xp.run(xp.kernels.spearman.spearman_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.regularization_strength, _SPEARMAN_HESSIANS[self.hessian],
               self.tie_step, _SPEARMAN_METHODS[self.method], self._ranks_on(b, xp), grad, hess)
        if unit != 1.0:
            xp.scale_inplace(grad, unit, 0.0)
            xp.scale_inplace(hess, unit * unit, HESSIAN_FLOOR)
        return grad, hess


class CombinedLoss(SoftSpearman):
    r"""Weighted MSE plus soft Spearman per group (centimators ``CombinedLoss``).

    .. math::
        l_g = \alpha\, \frac{1}{n_g}\sum_{i \in g} w_i (s_i - y_i)^2 + \beta\, l^{\rm spearman}_g

    with ``mse_weight`` alpha = 2, ``spearman_weight`` beta = 1 and tau = 1e-3 by default, n_g
    the number of valid rows of group g.  With one group (no ``group``/``qid``) and the default
    ``reduction="mean"`` this equals centimators' ``2 * mean((s - y)^2) - corr``.  The Hessian is
    the exact MSE part plus beta times the Spearman surrogate (``hessian=`` as in
    :class:`SoftSpearman`).

    Parameters
    ----------
    mse_weight, spearman_weight : alpha >= 0 and beta >= 0, not both 0 (defaults 2 and 1).
    balance : "rows" (default) or None: what the hosts receive (``grad_hess`` and ``loss`` are
        not affected).  None: the derivatives of the loss above.  Then, near ties, the
        Spearman term's curvature is ~1/tau^2 times the MSE term's, the Newton steps follow
        the Spearman term alone and the scores never reach the labels' scale: under LightGBM
        the model was *identical* to :class:`SoftSpearman`'s (``mse_weight`` had no effect).
        "rows": the two terms are put on the same footing, as in a regression,

        .. math::
            g_k = \frac{2\alpha w_k (s_k - y_k) + \beta \lambda_g g^{sp}_k}{2\alpha + \beta},
            \quad
            h_k = \frac{2\alpha w_k + \beta \lambda_g h^{sp}_k}{2\alpha + \beta}, \quad
            \lambda_g = \frac{\sum_{i \in g} w_i}{\sum_{i \in g} h^{sp}_i},

        g^sp, h^sp the soft Spearman derivatives with the margins read in units of
        u = tie_step * tau on every host (see ``score_unit``; there the soft ranks are linear
        in the scores and the term is the per-group Pearson correlation of the scores with
        the labels' soft ranks).  lambda_g, a constant per group and round, makes the Spearman
        term's Hessian sum to the group's weight, like the MSE term's: each row counts once
        (groups weigh by their size, as in a regression, not equally as in ``loss``), and the
        Spearman Newton step of a group is in units of its own current spread (the
        correlation is scale-free, so its raw step is not).  A group with no correlation to
        learn (one valid row, all labels equal; its Spearman Hessians all at the floor) gets
        lambda_g = 0: the MSE term alone.  The division by 2 alpha + beta makes the host's
        Hessian sum to the group's weight, so that XGBoost's absolute ``lambda`` and
        ``min_child_weight`` mean what they mean for ``reg:squarederror``: with beta = 0 the
        hosts receive exactly their own squared-error gradient w (s - y) and Hessian w.
        Measured on chem97 (BENCHMARKS.md, RESULTS.md), mean per-school Spearman, XGBoost /
        LightGBM: 100 rounds, 10 splits, 0.5856 / 0.6031 against 0.5760 / 0.5928 with None and
        0.5854 / 0.6011 for the built-in regression; with early stopping (5 folds) 0.6016 /
        0.6065 against regression's 0.6007 / 0.6020.
    regularization_strength, hessian, tie_step, method, score_unit, device : as in
        :class:`SoftSpearman`.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.combined_loss.loss([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]), 4)
    -0.3333
    """

    name = "combined_loss"

    def __init__(self, mse_weight: float = 2.0, spearman_weight: float = 1.0,
                 regularization_strength: float = 1e-3,
                 hessian: str = "gauss_newton", tie_step: float = 1e-3,
                 method: str = "auto", score_unit: float | str | None = "auto",
                 balance: str | None = "rows", device: str = "cpu") -> None:
        super().__init__(regularization_strength, hessian, tie_step, method, score_unit, device)
        if balance is not None:
            check_choice(balance, "balance", ("rows",))
        self.balance = balance
        for value, label in ((mse_weight, "mse_weight"), (spearman_weight, "spearman_weight")):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"`{label}` must be a finite number >= 0, got {value!r}.")
        if mse_weight == 0 and spearman_weight == 0:
            raise ValueError("`mse_weight` and `spearman_weight` are both 0: nothing to learn.")
        self.mse_weight = float(mse_weight)
        self.spearman_weight = float(spearman_weight)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # objects pickled before ``balance`` existed gave the hosts the loss's derivatives
        super().__setstate__({"balance": None, **state})

    def host_score_unit(self, host: str) -> float:
        if getattr(self, "balance", None) == "rows" and self.score_unit == "auto":
            return self.tie_step * self.regularization_strength
        return super().host_score_unit(host)

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        if getattr(self, "balance", None) is None:
            return super()._host_grad_hess(b, host)
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, self.host_score_unit(host), balanced=True)
        return xp.for_host(grad, hess, host)

    def _rows_per_group(self, b: Batch) -> F64:
        counts = np.add.reduceat(b.valid.astype(np.float64), b.offsets[:-1])
        return np.repeat(np.maximum(counts, 1.0), np.diff(b.offsets))

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        sq = np.where(b.valid, b.weights * (b.scores - b.labels) ** 2, 0.0)
        sq /= self._rows_per_group(b)
        mse = np.add.reduceat(sq, b.offsets[:-1])
        return self.mse_weight * mse + self.spearman_weight * super()._loss_parts(b, xp)

    def _grad_hess(self, b: Batch, xp: Any, unit: float = 1.0,
                   balanced: bool = False) -> tuple[Any, Any]:
        """Gradient and Hessian of s -> MSE(s) + Spearman(unit * s); ``balanced``: the mix
        ``balance="rows"`` hands the hosts (see ``add_mse_grad_hess``)."""
        grad, hess = super()._grad_hess(b, xp, unit)
        d = xp.batch(b)
        xp.run(xp.kernels.spearman.add_mse_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, self.mse_weight, self.spearman_weight, balanced, grad, hess)
        return grad, hess

