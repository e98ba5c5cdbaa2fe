r"""The pairwise squared hinge, a margin-based rank-order loss; the kernels are
:mod:`boostrank._kernels.hinge` and their CUDA twins :mod:`boostrank._cuda.hinge`."""

from __future__ import annotations

from typing import Any, ClassVar

from .._backend import check_device
from .._kernels import hinge as _hinge
from .._validation import B1, F64, check_choice, check_positive
from ._base import GROUP_SCALES, Batch, _Ranking, check_hessian_factor
from .pairwise import check_gain_labels, check_lambda_weight

_HESSIANS = {"exact": _hinge.HESS_EXACT, "upper_bound": _hinge.HESS_UPPER_BOUND}


class PairwiseSquaredHinge(_Ranking):
    r"""Pairwise squared hinge loss: every pair with y_i > y_j should be ordered with a margin.

    .. math::
        l_g = \sum_i w_i \sum_j [y_i > y_j]\, \lambda_{ij} \max(0,\, m - (s_i - s_j))^2

    the squared form of keras-rs ``PairwiseHingeLoss`` and rax ``pairwise_hinge_loss`` (whose
    plain hinge has a piecewise-constant gradient and no curvature to hand a host).  Convex in
    the scores, with a continuous gradient: per pair, d = s_i - s_j, c = w_i lambda_ij,

    .. math::
        \partial l / \partial s_i = -2 c \max(0, m - d) = -\partial l / \partial s_j .

    A pair is *active* while d < m; a pair ordered by at least the margin contributes nothing.
    ``reduction="mean"`` divides the sum by the number of rows passed; ``"none"`` gives per row
    i the sum over the pairs where i has the higher label.  Rows with a negative label, or
    ``where=False``, form no pairs.  Cost O(n_g^2) per group.

    Parameters
    ----------
    margin : m > 0 (default 1), in the units of the scores.
    lambda_weight : None or "ndcg": multiply each pair by |Delta NDCG_ij| of swapping i and j in
        the current ranking, held fixed when differentiating, as :class:`PairwiseSoftZeroOne`.
    k : NDCG cut-off of the lambda weights (None: whole list).
    hessian : the Hessian diagonal, per pair and added to both of its rows (then each row's sum
        floored at 1e-6, ``boostrank._config.HESSIAN_FLOOR``):

        * "exact" (default): 2 c for the active pairs only, the exact diagonal (at d = m it
          takes the inactive side's 0).  A row whose pairs are all satisfied gets the floor,
          and also a zero gradient.
        * "upper_bound": 2 c for every pair, active or not: the curvature of the quadratic
          that bounds each pair's loss from above, positive for every row that has a pair
          (with c > 0).

        The default was chosen on the validation splits of MQ2008 and OHSUMED under both hosts,
        where the two were level within fold noise (docs/yetirank.md, "Pairwise squared
        hinge", which also shows that this loss ranks below the other pairwise losses there).

    group_scale, hessian_factor, device : as :class:`PairwiseSoftZeroOne` (the LambdaMART
        per-group normalisation under ``xgb.train``; the Hessian doubled under XGBoost).

    Examples
    --------
    >>> import boostrank
    >>> # one pair, d = 0.6 - 0.8 = -0.2: loss (1 + 0.2)^2, gradient -+2 (1.2)
    >>> round(boostrank.pairwise_squared_hinge.loss([1.0, 0.0], [0.6, 0.8], reduction="sum"), 6)
    1.44
    >>> g, h = boostrank.pairwise_squared_hinge.grad_hess([1.0, 0.0], [0.6, 0.8])
    >>> g.round(6).tolist(), h.tolist()
    ([-2.4, 2.4], [2.0, 2.0])
    >>> boostrank.pairwise_squared_hinge.loss([1.0, 0.0], [2.0, 0.5], reduction="sum")
    0.0
    """

    name = "pairwise_squared_hinge"
    unreduced = "row"
    quadratic = True
    _hessians: ClassVar[dict[str, int]] = _HESSIANS

    def __init__(
        self,
        margin: float = 1.0,
        lambda_weight: str | None = None,
        k: int | None = None,
        hessian: str = "exact",
        group_scale: str | None = "auto",
        hessian_factor: float | str = "auto",
        device: str = "cpu",
    ) -> None:
        self.device = check_device(device)
        self.group_scale = check_choice(group_scale, "group_scale", GROUP_SCALES)
        self.hessian_factor = check_hessian_factor(hessian_factor)
        self.margin = check_positive(margin, "margin")
        self.lambda_weight, self.k = check_lambda_weight(lambda_weight, k)
        self.hessian = check_choice(hessian, "hessian", tuple(_HESSIANS))

    def _check_labels(self, labels: F64, valid: B1) -> None:
        if self.lambda_weight == "ndcg":
            check_gain_labels(labels, valid)

    def _args(self, b: Batch, xp: Any) -> tuple[Any, ...]:
        d = xp.batch(b)
        return (d.scores, d.labels, d.weights, d.valid, d.offsets, self.margin,
                self.lambda_weight == "ndcg", self.k or 0)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        out = xp.empty(b.n_rows)
        xp.run(xp.kernels.hinge.hinge_loss_rows, *self._args(b, xp), out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        grad, hess = xp.outputs(b, b.n_rows)
        xp.run(xp.kernels.hinge.hinge_grad_hess, *self._args(b, xp), self._hessians[self.hessian],
               grad, hess)
        return grad, hess
