"""Kernels cached on disk must not depend on the environment or on configuration.

Numba's cache (``cache=True``) keys a compiled function by its source file, argument types and
target, not by the values of the globals it read when it was compiled: a cached kernel keeps
them.  A module-level value derived from the environment (such as a block size read from an
environment variable) therefore leaks from the process that compiled a kernel into every later
process that loads it.  These tests walk every cached kernel, CPU (``boostrank._kernels``) and
CUDA (``boostrank._cuda``, when numba-cuda is installed), with every function it calls, and
check that each plain value it reads is the same in two processes with different settings of
every environment variable boostrank reads.

Run as a script, this file prints those values as JSON (what the test compares).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: Two settings of every environment variable boostrank reads (None: unset).
SETTINGS: dict[str, tuple[str | None, str]] = {
    "BOOSTRANK_CUDA_THREADS": ("4", "128"),
    "NUMBA_THREADING_LAYER": (None, "omp"),
    "NUMBA_NUM_THREADS": ("1", "2"),
}

PLAIN = (bool, int, float, complex, str, bytes, np.generic)


def plain(value: Any) -> bool:
    """A value a compiled kernel freezes in as a constant."""
    if isinstance(value, tuple | frozenset):
        return all(plain(v) for v in value)
    return isinstance(value, PLAIN)


def code_objects(code: types.CodeType) -> list[types.CodeType]:
    out = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out += code_objects(const)
    return out


def captured(func: Any, seen: set[int], found: dict[str, dict[str, str]]) -> None:
    """Record the plain globals ``func`` reads, and recurse into the compiled functions it
    calls."""
    py = getattr(func, "py_func", func)
    if id(py) in seen or not isinstance(py, types.FunctionType):
        return
    seen.add(id(py))
    values: dict[str, str] = {}
    names = {n for c in code_objects(py.__code__) for n in c.co_names}
    for name in names:
        if name not in py.__globals__:
            continue
        value = py.__globals__[name]
        if isinstance(value, types.ModuleType):  # module.attribute reads
            for attr in names:
                sub = getattr(value, attr, None)
                if plain(sub):
                    values[f"{name}.{attr}"] = repr(sub)
        elif plain(value):
            values[name] = repr(value)
        elif hasattr(value, "py_func"):  # a compiled function it calls
            captured(value, seen, found)
    # closure values are part of Numba's cache key (globals are not): they name the entry
    cells = {name: cell.cell_contents
             for name, cell in zip(py.__code__.co_freevars, py.__closure__ or (), strict=True)}
    for value in cells.values():
        if hasattr(value, "py_func"):
            captured(value, seen, found)
    key = ", ".join(f"{k}={v!r}" for k, v in sorted(cells.items()) if plain(v))
    found[f"{py.__module__}.{py.__qualname__}" + (f"[{key}]" if key else "")] = values


def cached_kernels() -> list[Any]:
    """Every Numba function compiled with ``cache=True`` in boostrank (CPU and, with
    numba-cuda, CUDA): module attributes, and the per-variant kernels that modules keep in
    module-level dicts (made by a factory, a closure each)."""
    packages = ["boostrank._kernels"]
    if importlib.util.find_spec("numba_cuda") is not None:
        packages.append("boostrank._cuda")
    kernels = []
    for package in packages:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            for value in vars(module).values():
                for item in value.values() if isinstance(value, dict) else [value]:
                    cache = getattr(item, "_cache", None)  # Numba's NullCache: no cache=True
                    if cache is not None and "NullCache" not in type(cache).__name__ and \
                            item.py_func.__module__ == module.__name__:
                        kernels.append(item)
    return kernels


def snapshot() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    seen: set[int] = set()
    for kernel in cached_kernels():
        captured(kernel, seen, found)
    return found


def environment_variables_read() -> set[str]:
    """The environment variables boostrank's sources read."""
    pattern = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["']([A-Z0-9_]+)["']"""
                         r"""|["']([A-Z0-9_]+)["']\s+(?:not\s+)?in\s+os\.environ""")
    names = set()
    for path in (ROOT / "boostrank").rglob("*.py"):
        for match in pattern.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def run_snapshot(which: int) -> dict[str, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["NUMBA_ENABLE_CUDASIM"] = "0"  # the compiled kernels, not the simulator's Python
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name, values in SETTINGS.items():
        if values[which] is not None:
            env[name] = values[which]
    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_every_environment_variable_boostrank_reads_is_varied() -> None:
    assert environment_variables_read() <= set(SETTINGS), (
        "boostrank reads an environment variable this test does not vary: add it to SETTINGS")


def test_no_cached_kernel_captures_a_value_from_the_environment() -> None:
    first, second = run_snapshot(0), run_snapshot(1)
    assert first.keys() == second.keys()
    differing = {k: (first[k], second[k]) for k in first if first[k] != second[k]}
    assert not differing, f"cached kernels that capture environment-dependent values: {differing}"
    # the walk sees what it should: a CPU pair kernel variant and the constants it reads
    pair = first["boostrank._kernels.pairwise._make_ordered_kernel.<locals>.kernel"
                 "[sampled=False, soft=False, truncating=False, use_ndcg=False, wide=False]"]
    assert any(name.endswith("HESSIAN_FLOOR") for name in pair)
    if importlib.util.find_spec("numba_cuda") is not None:
        assert "boostrank._cuda.softmax._grad_hess_groups" in first


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(snapshot(), sort_keys=True))
