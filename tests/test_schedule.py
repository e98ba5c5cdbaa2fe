"""The cost-balanced group schedule of the pairwise kernels."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import boostrank as br
from boostrank._kernels.pairwise import balanced_schedule


@pytest.mark.parametrize("n_bins", [1, 2, 3, 8, 50])
def test_schedule_covers_each_group_once_and_balances(n_bins: int) -> None:
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 60, 40)
    sizes[[3, 17]] = 2000
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    bin_ptr, order = balanced_schedule(offsets, n_bins)
    assert bin_ptr[0] == 0 and bin_ptr[-1] == sizes.size
    assert sorted(order.tolist()) == list(range(sizes.size))
    cost = 0.5 * sizes * (sizes - 1) + sizes
    loads = [cost[order[bin_ptr[b]:bin_ptr[b + 1]]].sum() for b in range(bin_ptr.size - 1)]
    assert bin_ptr.size - 1 == min(n_bins, sizes.size)
    assert max(loads) <= max(cost.sum() / len(loads), 0) + cost.max()  # LPT bound
    for b in range(bin_ptr.size - 1):  # row order inside a bin
        assert np.all(np.diff(order[bin_ptr[b]:bin_ptr[b + 1]]) > 0)


def test_pairwise_result_independent_of_thread_count() -> None:
    rng = np.random.default_rng(1)
    sizes = np.r_[rng.integers(2, 40, 300), 900, 1, 700]
    n = int(sizes.sum())
    y = rng.integers(0, 5, n).astype(np.float64)
    s = rng.normal(size=n)
    obj = br.PairwiseLogistic(lambda_weight="ndcg")
    old = numba.get_num_threads()
    try:
        results = []
        for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(t)
            results.append(obj.grad_hess(y, s, group=sizes))
    finally:
        numba.set_num_threads(old)
    for g, h in results[1:]:
        assert np.array_equal(g, results[0][0]) and np.array_equal(h, results[0][1])
