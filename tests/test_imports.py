"""The package's modules import each other one way: no cycle, even through imports inside
functions (which would only hide one until the function runs)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "boostrank"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, except those under ``if TYPE_CHECKING:`` (never run)."""
    nodes: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)
    return nodes


def import_graph(root: Path) -> dict[str, set[str]]:
    """Package module -> the package modules it imports anywhere (module level or inside a
    function).  ``from P import name`` counts as an import of the submodule ``P.name`` when
    there is one, else of ``P``."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in files else base)
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_package_modules_import_each_other_without_a_cycle():
    graph = import_graph(PACKAGE)
    assert "boostrank.objectives.pairwise" in graph["boostrank.objectives"]
    assert "boostrank.objectives" in graph["boostrank.metrics"]  # the one direction
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_objectives_do_not_import_metrics_or_evaluation():
    graph = import_graph(PACKAGE)
    for name, imported in graph.items():
        if name.startswith("boostrank.objectives"):
            assert not imported & {"boostrank.metrics", "boostrank.evaluation"}, name


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import a\n")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..c import C\n"
        "def f():\n    from .. import a\n    return a\n")
    (package / "c.py").write_text("from .sub.b import f\n")
    graph = import_graph(package)
    assert graph["pkg.sub.b"] == {"pkg.a"}  # the TYPE_CHECKING import is not run
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.a"]
