"""The library's layers: each subpackage imports only from the layers below it, and no
module imports another in a cycle. The order is the architecture of README.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "councilsurvey"

#: bottom to top; a module may import its own layer and the layers before it
LAYERS = [
    "core",
    "inputs",
    "cleaning",
    "survey",
    "analysis",
    "report",
    "publish",
    "pipeline",
    "dev",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> set[str]:
    """Every ``councilsurvey`` module ``path`` imports, at top level or inside functions,
    resolved to module names (``from councilsurvey.x import y`` counts as ``x.y`` when
    ``y`` is a module)."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    here = module_name(path).split(".")
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("councilsurvey")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("councilsurvey"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found - {module_name(path)}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_is_in_a_layer_with_a_docstring():
    # councilsurvey.__main__ (python -m councilsurvey) only starts the top layer's command
    entry = {"councilsurvey", "councilsurvey.__main__"}
    stray = [m for m in MODULES if m not in entry and layer_of(m) is None]
    assert not stray, f"modules outside the layers: {stray}"
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"


def test_no_upward_import():
    upward = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if layer_of(module) is not None
        and layer_of(target) is not None
        and layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of nodes (first repeated last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize(
    "graph, has_cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, True),
    ],
)
def test_cycle_finder(graph, has_cycle):
    assert (find_cycle(graph) is not None) == has_cycle


def test_import_parser_sees_function_level_and_relative_imports():
    source = (
        "def f():\n    from councilsurvey.report import figures\n"
        "from ..core.errors import InputError\n"
    )
    probe = PACKAGE / "analysis" / "probe.py"  # read as source only, never written
    assert imports_of(probe, source) == {
        "councilsurvey.report.figures",
        "councilsurvey.core.errors",
    }


def test_main_module_only_starts_the_command():
    assert GRAPH["councilsurvey.__main__"] == {"councilsurvey.pipeline.cli"}


def test_no_module_is_too_long():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 600}
    assert not long, f"modules over 600 lines: {long}"
