"""Soft Spearman correlation and CombinedLoss (weighted MSE plus soft Spearman); the kernels
are :mod:`boostrank._kernels.spearman` and their CUDA twins :mod:`boostrank._cuda.spearman`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

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
        least-squares distance of unit vectors, with the loss's own denominator
        D^2 = A B + 1e-7 and damped (:mod:`boostrank._kernels.spearman`); or
        "pair_magnitude": sum_j sigma'_kj |c_k - c_j| / tau^2, which bounds each row's Newton
        step by tau (trains worse; kept for comparison).
    tie_step : None (default) or a positive number: floor D^2 of the Gauss-Newton diagonal at
        tie_step sqrt(1e-7 B m) (m - 1) / 4, which makes the first step out of all-equal
        scores about tie_step * tau.  Such a step lands far past the loss's own scale and
        trains worse (docs/spearman.md); kept so that models built with it can be rebuilt.
    score_unit : "auto" (default), None or a positive number u: how the hosts read their
        margins (``grad_hess`` and ``loss`` are not affected).  A number: the host receives
        the derivatives of s -> l(u s), u grad(u s) and u^2 hess(u s); None: u = 1.
        "auto": each group g is read in its own unit u_g and its derivatives are multiplied
        by its number of valid rows m_g, i.e. the host receives the derivatives of
        F -> m_g l_g(u_g F), with

        .. math::
            u_g = \frac{4\tau}{m_g} \sqrt{\frac{10^{-7}}{B_g}} \frac{1}{\sqrt{m_g}},
            \quad B_g = \sum_{i \in g} \tilde b_i^2 .

        Why.  Near ties the soft ranks are linear, a = m s~ / (4 tau), and the loss is
        -wbar N / sqrt(A B + 1e-7): while A B << 1e-7 it is the covariance of the scores
        with the labels' soft ranks (linear in the scores, every tree adds up as in a
        regression); once A B >> 1e-7 it is the scale-free correlation, whose Newton steps
        are a fixed share of the current spread, so each new tree rotates the model by the
        learning rate and older trees are forgotten (the model stalled at a worse per-group
        Spearman than regression's, and its held-out Spearman fell with more rounds).  u_g
        puts that crossover at margins of standard deviation 1 in every group: the first
        step of row k is eta times the z-score of its label's soft rank and its Hessian is
        its weight, as in a regression on standardised targets, and XGBoost's absolute
        constants (base score 0.5, lambda 1, min_child_weight 1, float32 margins) mean what
        they mean for ``reg:squarederror``.  The soft ranks of the margins then stay in
        their linear range (tau_g = tau / u_g is ~1e9 margin units): on the hosts the
        objective is the Pearson correlation of the margins with the labels' soft ranks,
        turned from covariance into correlation by the 1e-7.  Measured (docs/spearman.md,
        RESULTS.md): held-out per-era Spearman on generated eras at or above the hosts'
        regression; per-school Spearman on chem97 above it under XGBoost and 0.004 below it
        under LightGBM.  Groups whose labels are all equal have no correlation to learn and
        keep u = 1.  Under LightGBM (``lgb.train`` and its
        sklearn API), whose leaves take the full Newton step (no L2 term by default), the
        Hessian is further multiplied by ``LIGHTGBM_HESSIAN_FACTOR`` = 0.6: with 1, held-out
        Spearman kept rising until ~200 rounds of learning rate 0.1 where regression peaks
        by 50, and 0.6 is the one factor tried that was at or above regression on all five
        kinds of validation data (docs/spearman.md).  With
        ``hessian="pair_magnitude"``, whose steps are bounded by tau in score units, "auto"
        is u = 1.
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
        the kernels run; the GPU evaluates every pair, ``method`` applies to the CPU
        (docs/gpu.md).

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
                 hessian: str = "gauss_newton", tie_step: float | None = None,
                 method: str = "auto", score_unit: float | str | None = "auto",
                 device: str = "cpu") -> None:
        self.device = check_device(device)
        self.regularization_strength = check_positive(regularization_strength,
                                                      "regularization_strength")
        self.hessian = check_choice(hessian, "hessian", tuple(_SPEARMAN_HESSIANS))
        self.tie_step = None if tie_step is None else check_positive(tie_step, "tie_step")
        self.method = check_choice(method, "method", tuple(_SPEARMAN_METHODS))
        if isinstance(score_unit, str):
            check_choice(score_unit, "score_unit", ("auto",))
        elif score_unit is not None:
            score_unit = check_positive(score_unit, "score_unit")
        self.score_unit = score_unit

    #: Standard deviation of the margins at the covariance-to-correlation crossover under
    #: ``score_unit="auto"`` (see the class docstring).
    HOST_SD: ClassVar[float] = 1.0
    #: The Hessian factor under LightGBM (``lgb.train``, its sklearn API) with
    #: ``score_unit="auto"`` (see the class docstring); 1 under XGBoost.
    LIGHTGBM_HESSIAN_FACTOR: ClassVar[float] = 0.6

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        xp = self._backend()
        unit = getattr(self, "score_unit", None)
        if unit != "auto" or self.hessian != "gauss_newton":
            grad, hess = self._grad_hess(b, xp, 1.0 if unit in (None, "auto") else float(unit))
            return xp.for_host(grad, hess, host)
        row_unit, grad_scale, hess_scale = self._host_units(b, self.host_hessian_factor(host))
        grad, hess = self._grad_hess(replace(b, scores=b.scores * row_unit), xp)
        xp.run(xp.kernels.scaling.scale_rows_inplace, grad, hess, xp.put(grad_scale),
               xp.put(hess_scale))
        return xp.for_host(grad, hess, host)

    def host_hessian_factor(self, host: str) -> float:
        """What the Hessian is multiplied by under ``host`` ("xgboost", "xgboost_sklearn",
        "lightgbm" or "sklearn", LightGBM's sklearn API): ``LIGHTGBM_HESSIAN_FACTOR`` under
        LightGBM with ``score_unit="auto"`` and the Gauss-Newton Hessian, else 1.

        >>> import boostrank
        >>> [boostrank.soft_spearman.host_hessian_factor(h) for h in ("xgboost", "lightgbm")]
        [1.0, 0.6]
        >>> boostrank.SoftSpearman(score_unit=None).host_hessian_factor("lightgbm")
        1.0
        """
        scaled = getattr(self, "score_unit", None) == "auto" and self.hessian == "gauss_newton"
        return self.LIGHTGBM_HESSIAN_FACTOR if scaled and host in ("lightgbm", "sklearn") else 1.0

    def _host_units(self, b: Batch, hessian_factor: float = 1.0) -> tuple[F64, F64, F64]:
        """Per row: the group's unit u_g, m_g u_g and c m_g u_g^2 (``score_unit="auto"``, c
        the host's Hessian factor), from the labels' soft ranks; computed once per host data
        set."""
        tau = self.regularization_strength
        key = f"spearman_units:{tau!r}:{self.HOST_SD!r}:{hessian_factor!r}"
        hit = b.derived.get(key)
        if hit is not None:
            return hit
        ranks = np.empty(b.n_rows)
        launch(_sp.spearman_label_ranks, b.labels, b.valid, b.offsets, tau, ranks)
        sizes = np.diff(b.offsets)
        group = np.repeat(np.arange(sizes.size), sizes)
        big_b = np.bincount(group, np.where(b.valid, ranks * ranks, 0.0), sizes.size)
        m = np.bincount(group, b.valid, sizes.size)
        learnable = big_b > 0.0
        safe_b = np.where(learnable, big_b, 1.0)
        safe_m = np.maximum(m, 1.0)
        unit = np.where(learnable, 4.0 * tau * np.sqrt(_sp.CORR_EPS / safe_b)
                        / (self.HOST_SD * safe_m * np.sqrt(safe_m)), 1.0)
        footing = np.where(learnable, safe_m, 1.0)
        out = (unit[group], (footing * unit)[group],
               (hessian_factor * footing * unit * unit)[group])
        b.derived[key] = out
        return out


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
               self.tie_step or 0.0, _SPEARMAN_METHODS[self.method], self._ranks_on(b, xp),
               grad, hess)
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
        u = 1e-3 tau on every host (``score_unit="auto"``; there the soft ranks are linear
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
        Measured on chem97 (RESULTS.md, "CombinedLoss: balance"), mean per-school Spearman,
        XGBoost / LightGBM: 100 rounds, 10 splits, 0.5856 / 0.6031 against 0.5760 / 0.5928
        with None and 0.5854 / 0.6011 for the built-in regression; with early stopping
        (5 folds) 0.6016 / 0.6065 against regression's 0.6007 / 0.6020.
    tie_step : as in :class:`SoftSpearman`, but 1e-3 by default (measured better here than
        None: the MSE term anchors the scale, docs/spearman.md).
    score_unit : "auto" (default): the Spearman term's margins are read in units of
        u = 1e-3 tau (the derivatives of s -> MSE(s) + l^sp(u s)) on every host with
        ``balance="rows"``, under XGBoost only with ``balance=None``; None: u = 1; a positive
        number: that u.
    regularization_strength, hessian, method, device : as in :class:`SoftSpearman`.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.combined_loss.loss([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]), 4)
    -0.3333
    """

    name = "combined_loss"

    def __init__(self, mse_weight: float = 2.0, spearman_weight: float = 1.0,
                 regularization_strength: float = 1e-3,
                 hessian: str = "gauss_newton", tie_step: float | None = 1e-3,
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

    #: The unit of the Spearman term's margins under ``score_unit="auto"``, in units of tau.
    AUTO_UNIT: ClassVar[float] = 1e-3

    def host_score_unit(self, host: str) -> float:
        """The unit u of the Spearman term's margins under ``host`` ("xgboost",
        "xgboost_sklearn", "lightgbm" or "sklearn"): ``score_unit``, with "auto"
        u = 1e-3 tau (the soft ranks are then linear in margins on the labels' scale) on
        every host with ``balance="rows"``, and under XGBoost only with ``balance=None``."""
        unit = self.score_unit
        if unit == "auto":
            rows = getattr(self, "balance", None) == "rows"
            if rows or host in ("xgboost", XGBOOST_SKLEARN):
                return self.AUTO_UNIT * self.regularization_strength
            return 1.0
        return 1.0 if unit is None else float(unit)

    def host_hessian_factor(self, host: str) -> float:
        """1 under every host: CombinedLoss keeps its own conversion (``host_score_unit``).

        >>> import boostrank
        >>> boostrank.combined_loss.host_hessian_factor("lightgbm")
        1.0
        """
        return 1.0

    def _host_grad_hess(self, b: Batch, host: str) -> tuple[Any, Any]:
        xp = self._backend()
        grad, hess = self._grad_hess(b, xp, self.host_score_unit(host),
                                     balanced=getattr(self, "balance", None) == "rows")
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

