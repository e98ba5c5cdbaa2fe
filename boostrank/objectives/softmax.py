"""The listwise softmax cross-entropy; the kernels are :mod:`boostrank._kernels.softmax` and
their CUDA twins :mod:`boostrank._cuda.softmax`."""

from __future__ import annotations

from typing import Any

from .._backend import check_device
from .._validation import F64, check_choice
from ._base import GROUP_SCALES, Batch, _Ranking, check_hessian_factor


class SoftmaxRanking(_Ranking):
    r"""Listwise softmax cross-entropy (rax ``softmax_loss``, braintools ``ranking_softmax_loss``).

    .. math::
        l_g = -\sum_i w_i y_i \log \mathrm{softmax}(s)_i

    softmax over the group's valid rows, labels not normalised; a group whose weighted labels
    sum to 0 contributes 0.  ``reduction="mean"`` averages over groups with a valid row;
    ``"none"`` gives one value per group.  Gradient A p_k - w_k y_k (A = sum w y); exact
    Hessian diagonal A p_k (1 - p_k) (convex).  Cost O(n).  ``group_scale``,
    ``hessian_factor`` (2 under XGBoost: its LambdaMART's convention) and ``device`` as in
    :class:`PairwiseSoftZeroOne`.

    Examples
    --------
    >>> import boostrank
    >>> round(boostrank.softmax_ranking.loss([1.0, 0.0, 0.0], [2.0, 1.0, 3.0]), 6)
    1.407606
    """

    name = "softmax_ranking"
    unreduced = "group"

    def __init__(self, group_scale: str | None = "auto",
                 hessian_factor: float | str = "auto", device: str = "cpu") -> None:
        self.device = check_device(device)
        self.group_scale = check_choice(group_scale, "group_scale", GROUP_SCALES)
        self.hessian_factor = check_hessian_factor(hessian_factor)

    def _loss_parts(self, b: Batch, xp: Any) -> F64:
        d = xp.batch(b)
        out = xp.empty(b.offsets.size - 1)
        xp.run(xp.kernels.softmax.softmax_loss_groups, d.scores, d.labels, d.weights, d.valid,
               d.offsets, out)
        return xp.host(out)

    def _grad_hess(self, b: Batch, xp: Any) -> tuple[Any, Any]:
        d = xp.batch(b)
        grad, hess = xp.outputs(b, b.n_rows)
        xp.run(xp.kernels.softmax.softmax_grad_hess, d.scores, d.labels, d.weights, d.valid,
               d.offsets, grad, hess)
        return grad, hess
