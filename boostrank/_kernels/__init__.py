"""Compiled kernels over flat arrays and group offsets.

Kernels never see a host-library object.  Each takes contiguous float64 scores and labels,
float64 row weights (all ones when unweighted), a boolean ``valid`` mask and int64 ``offsets``,
loops over groups in parallel (each group writes only its own slice of the output) and
accumulates in float64.
"""
