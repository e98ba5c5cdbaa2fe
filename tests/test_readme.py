"""The README's quick start runs as written: its ```python blocks, in order, in one namespace
(the ``>>>`` examples run as doctests through pytest's doctest collection)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    return [b for b in blocks if not b.lstrip().startswith(">>>")]


def test_readme_has_a_quick_start() -> None:
    assert len(quick_start_blocks()) >= 3


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_readme_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in quick_start_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    printed = [float(x) for x in re.findall(r"^(-?\d+\.\d+)$", capsys.readouterr().out, re.M)]
    # NDCG@10 twice, per-era Spearman, RPS: each a finite value in its range
    assert len(printed) == 4
    ndcg_xgb, ndcg_lgb, spearman, rps = printed
    assert 0.0 < ndcg_xgb <= 1.0 and 0.0 < ndcg_lgb <= 1.0
    assert 0.0 < spearman <= 1.0
    assert 0.0 < rps < 6.0
