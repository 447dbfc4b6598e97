"""The layout holds (DESIGN.md section 4): each module imports only downward, the facade is imported only by
the package's entry points, the simulator imports nothing from the client side, and functions stay short.

Imports are read from the source (ast): run-time imports at module level and inside functions; imports under
``if TYPE_CHECKING:`` are type hints only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "multimodel"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _target(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The multimodel modules one import statement loads (the deepest module each imported name is)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names]
    found = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("multimodel") and name != module:
            found.append(name)
    return found


def _imports(module: str) -> dict[str, bool]:
    """Each multimodel module this one imports at run time → whether only lazily (inside a function)."""
    path = MODULES[module]
    out: dict[str, bool] = {}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            lazy = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _target(child, module, path.name == "__init__.py"):
                    out[target] = out.get(target, True) and lazy
            visit(child, lazy)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return out


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def test_the_graph_was_read():
    assert len(MODULES) > 50
    assert GRAPH["multimodel.client"]["multimodel.request"] is False  # a module-level import
    assert GRAPH["multimodel.client"]["multimodel.evaluation"] is True  # a lazy one
    assert "multimodel.client" not in GRAPH["multimodel.probe.runner"]  # under TYPE_CHECKING only
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_even_through_lazy_imports():
    assert _cycles({module: set(targets) for module, targets in GRAPH.items()}) == []


def test_only_the_entry_points_import_the_facade():
    """Nothing imports multimodel.client: ``multimodel/__init__.py`` loads it by name on first use of
    ``mm.Client``, and the CLI goes through ``mm.Client`` too."""
    importers = sorted(m for m, targets in GRAPH.items() if "multimodel.client" in targets)
    assert importers == []


@pytest.mark.parametrize("bottom", ["multimodel.errors", "multimodel.options", "multimodel.transport"])
def test_the_bottom_layer_imports_nothing_of_the_package(bottom):
    assert GRAPH[bottom] == {}


def test_the_simulator_imports_nothing_from_the_client_side():
    outside = {(m, t) for m, targets in GRAPH.items() if m.startswith("multimodel.sim")
               for t in targets if not t.startswith("multimodel.sim")}
    assert outside == set()


@pytest.mark.parametrize(("lower", "upper"), [
    ("multimodel.request", "multimodel.exchange"), ("multimodel.exchange", "multimodel.runner"),
    ("multimodel.runner", "multimodel.evaluation"), ("multimodel.routing", "multimodel.comparison"),
    ("multimodel.results", "multimodel.store"), ("multimodel.providers.base", "multimodel.request"),
])
def test_a_lower_layer_does_not_import_an_upper_one(lower, upper):
    assert upper not in GRAPH[lower] and lower in _reachable(upper)


def _reachable(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_functions_stay_short_and_the_facade_small():
    """No function over 80 lines (def to last line); client.py at most 450 lines."""
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 80:
                long.append(f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []
    assert len(MODULES["multimodel.client"].read_text(encoding="utf-8").splitlines()) <= 450
