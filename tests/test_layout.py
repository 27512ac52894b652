"""The house rules of README "Layout": imports run one way, no cycles, short modules.

Imports are read from the source with :mod:`ast`, not by importing anything:
every ``import`` and ``from … import`` counts, at module level or inside a
function, except under ``if TYPE_CHECKING:`` (annotations only, never run).

An edge goes from a module to each project module it names: ``import a.b``
names ``a.b``; ``from a.b import c`` names ``a.b`` (its ``__init__`` runs and
hands ``c`` over) and also ``a.b.c`` when that is a module. A package
``__init__`` that imports its submodules (``bot.handlers``' dispatch table)
has an edge to each, like any module: so a handler that writes
``from bot.handlers import similar`` closes a cycle through the package, and
``from bot.handlers.similar import …`` does not. These are the rules of
``shared/tools/import_cycles.py``.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("siang", "bot", "admin", "workers", "pb", "nlp", "linesim")
MAX_LINES = 450
#: Modules allowed past MAX_LINES because they are data (texts, tables), not code:
#: module → why. Empty today; add an entry only for a module that holds data alone.
DATA_MODULES: dict[str, str] = {}
#: Leaf modules anyone may import: module → the third-party packages it may import (besides
#: the standard library). They import no project module, so an edge into one cannot close a
#: cycle; the package graph leaves those edges out (``admin`` enqueues through
#: ``workers.queues``; ``bot.metrics`` is counted into by the webhook and the workers).
LEAF_MODULES: dict[str, set[str]] = {
    "workers.queues": {"redis", "rq"},
    "bot.metrics": {"prometheus_client"},
}


@cache
def modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import / ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _imports(node)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imported_names() -> dict[str, frozenset[str]]:
    """Module → every dotted name it imports (project modules and third-party alike)."""
    names = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = set()
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            else:
                base = _absolute(module, path, node)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names
                             if f"{base}.{alias.name}" in modules())
        names[module] = frozenset(found)
    return names


def _project_module(name: str) -> str | None:
    """The project module a dotted name lives in (``pb.rounds.Round`` → ``pb.rounds``)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def edges() -> dict[str, frozenset[str]]:
    """Module → the project modules it imports."""
    graph = {}
    for module, names in imported_names().items():
        targets = {_project_module(n) for n in names}
        graph[module] = frozenset(t for t in targets if t and t != module)
    return graph


def _strongly_connected(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one node, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(components)


def _shortest_cycle(graph: dict[str, frozenset[str]], component: list[str],
                    start: str | None = None) -> list[str]:
    """One shortest cycle through ``start`` (default the first node): ``[a, b, …, a]``."""
    start, members = start or component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for other in sorted(graph.get(node, ())):
                if other == start:
                    return paths[node] + [start]
                if other in members and other not in paths:
                    paths[other] = paths[node] + [other]
                    following.append(other)
        frontier = following
    return component


def _describe(graph: dict[str, frozenset[str]], components: list[list[str]]) -> str:
    lines = []
    for component in components:
        lines.append(f"{len(component)} modules in a cycle: {', '.join(component)}")
        seen = set()
        for start in component:       # a shortest cycle through each member
            cycle = _shortest_cycle(graph, component, start)
            key = frozenset(cycle)
            if key not in seen:
                seen.add(key)
                lines.append("    " + " -> ".join(cycle))
    return "\n".join(lines)


def _top(module: str) -> str:
    return module.split(".")[0]


def _package_graph() -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], list[str]]]:
    """Top-level package → packages it imports, and the module edges behind each."""
    graph: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, targets in edges().items():
        for target in sorted(targets):
            if _top(module) != _top(target) and target not in LEAF_MODULES:
                graph[_top(module)].add(_top(target))
                why[_top(module), _top(target)].append(f"{module} -> {target}")
    return {k: frozenset(v) for k, v in graph.items()}, why


def _module_cycles(inside) -> list[list[str]]:
    """Module cycles whose every member satisfies ``inside``."""
    return [c for c in _strongly_connected(edges()) if all(inside(m) for m in c)]


def _within(prefix: str):
    return lambda module: module == prefix or module.startswith(prefix + ".")


def test_type_checking_imports_are_ignored_and_function_imports_counted():
    tree = ast.parse("import a\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
                     "def f():\n    from d import e\n")
    assert [ast.unparse(n) for n in _imports(tree)] == ["import a", "import c", "from d import e"]


def test_modules_are_found():
    found = modules()
    assert {"siang.app", "bot.webhook", "bot.handlers", "pb.rounds", "workers.queues"} <= set(found)


def test_no_import_cycle_between_top_level_packages():
    graph, why = _package_graph()
    components = _strongly_connected(graph)
    report = []
    for component in components:
        cycle = _shortest_cycle(graph, component)
        report.append("package cycle: " + " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            report += [f"    {edge}" for edge in why[a, b][:5]]
    assert not components, "\n" + "\n".join(report)


def test_no_import_cycle_inside_bot_handlers():
    cycles = _module_cycles(_within("bot.handlers"))
    assert not cycles, "\n" + _describe(edges(), cycles)


def test_no_import_cycle_inside_pb():
    cycles = _module_cycles(_within("pb"))
    assert not cycles, "\n" + _describe(edges(), cycles)


def test_no_other_module_import_cycle():
    """Cycles anywhere else: inside another package, or across packages."""
    handlers, pb = _within("bot.handlers"), _within("pb")
    cycles = [c for c in _strongly_connected(edges())
              if not all(handlers(m) for m in c) and not all(pb(m) for m in c)]
    assert not cycles, "\n" + _describe(edges(), cycles)


# (importer prefix, forbidden prefixes, allowed exceptions)
DIRECTION_RULES = [
    ("pb", ("bot", "admin", "workers", "siang"), ()),
    ("nlp", ("bot", "admin", "workers", "siang"), ()),
    ("bot", ("siang",), ()),
    ("admin", ("siang", "bot.handlers", "workers"), ("workers.queues", "bot.metrics")),
    ("workers", ("siang",), ()),
]


@pytest.mark.parametrize("importer, forbidden, allowed", DIRECTION_RULES,
                         ids=[rule[0] for rule in DIRECTION_RULES])
def test_imports_run_one_way(importer, forbidden, allowed):
    wrong = []
    for module, targets in sorted(edges().items()):
        if not _within(importer)(module):
            continue
        for target in sorted(targets):
            if any(_within(f)(target) for f in forbidden) and not any(
                    _within(a)(target) for a in allowed):
                wrong.append(f"{module} -> {target}")
    assert not wrong, f"\n{importer} must not import {', '.join(forbidden)}:\n  " + "\n  ".join(
        wrong)


@pytest.mark.parametrize("leaf", sorted(LEAF_MODULES))
def test_leaf_modules_import_no_project_module(leaf):
    """workers.queues (redis, rq) and bot.metrics (prometheus_client) import only the
    standard library and their own third-party packages: anyone may import them."""
    allowed = set(sys.stdlib_module_names) | {"__future__"} | LEAF_MODULES[leaf]
    others = sorted(n for n in imported_names()[leaf] if _top(n) not in allowed)
    assert not others, f"{leaf} imports {others}"


def test_no_module_is_longer_than_450_lines_except_data():
    long = {}
    for module, path in modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and module not in DATA_MODULES:
            long[module] = lines
    assert not long, "\nover %d lines (split along a seam, or list as data):\n  %s" % (
        MAX_LINES, "\n  ".join(f"{m}: {n}" for m, n in sorted(long.items(), key=lambda x: -x[1])))
