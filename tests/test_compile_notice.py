"""The CompileWarning that tells a user a first call is compiling, not hanging."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Two calls of an objective in a fresh process; prints how many CompileWarnings each gave.
#: A first pairwise call compiles several kernels one after the other (label order, schedule,
#: pair loops): one chain, one warning.
PROGRAM = r"""
import sys, warnings
import numpy as np
import boostrank as br
br._config.COMPILE_NOTICE_AFTER = 0.01  # any real compile takes longer
obj = {"pairwise": br.pairwise_logistic, "softmax": br.softmax_ranking}[sys.argv[2]]
if sys.argv[1] == "silenced":
    warnings.filterwarnings("ignore", category=br.CompileWarning)
with warnings.catch_warnings(record=True) as seen:
    if sys.argv[1] != "silenced":
        warnings.simplefilter("always")
    y = np.array([0.0, 1.0, 2.0, 1.0])
    obj.grad_hess(y, np.zeros(4), group=[2, 2])
    first = sum(issubclass(w.category, br.CompileWarning) for w in seen)
    obj.grad_hess(y, np.ones(4), group=[2, 2])
    second = sum(issubclass(w.category, br.CompileWarning) for w in seen) - first
print(first, second)
"""


def _run(mode: str, objective: str, cache: str) -> tuple[list[int], str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode, objective], env=env,
                         check=True, capture_output=True, text=True)
    return [int(v) for v in out.stdout.split()], out.stderr


@pytest.fixture(scope="module")
def cache():
    with tempfile.TemporaryDirectory() as d:
        yield d


def test_cold_compile_warns_once_and_warm_calls_do_not(cache):
    (first, second), _ = _run("loud", "pairwise", cache)  # empty cache: compiles
    assert first == 1  # one warning for the whole first call, not one per kernel
    assert second == 0  # compiled: the next call in the process is silent
    (first, second), _ = _run("loud", "pairwise", cache)  # a new process on the cache it left
    assert (first, second) == (0, 0)


def test_compile_warning_can_be_silenced():
    with tempfile.TemporaryDirectory() as cold:
        counts, stderr = _run("silenced", "softmax", cold)
    assert counts == [0, 0]
    assert "CompileWarning" not in stderr
