"""The library files a pipeline step runs, read from its import statements.

A rule lists as inputs the ``councilsurvey`` files its script (and, for a notebook rule,
its notebook) imports, directly or through other modules, so that editing a module reruns
exactly the rules whose code runs it: editing ``analysis/`` does not rerun cleaning, and
the test-data generator ``dev/synth.py``, which no stage imports, is no rule's input.

The imports are read from the source (the abstract syntax tree), never executed, so the
list is found at Snakefile parse time without importing pandas or matplotlib. Every
import statement counts, at module level or inside a function (the stages import their
heavy modules lazily, inside the function that needs them), and importing
``councilsurvey.a.b`` counts the package files ``councilsurvey/__init__.py`` and
``councilsurvey/a/__init__.py`` that Python runs first. A data file a module reads (a
schema in ``workflow/schemas/``, a template next to the module) counts when the module
names it in quotes, as in ``Path(__file__).with_name("bundle_readme.md")``.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

PACKAGE = "councilsurvey"


def _package_dir(root: Path) -> Path:
    return root / "workflow" / PACKAGE


@cache
def module_file(name: str, root: Path) -> Path | None:
    """The file of module ``name`` (``councilsurvey.x.y``) under ``root``, or None when it
    is no module of the library (a class or function imported from one, say)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = _package_dir(root).joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(_package_dir(root).parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _code_of(path: Path) -> list[str]:
    """The Python source of a file: a module or script as it is, a notebook's code cells
    (IPython ``%magic`` and ``!shell`` lines left out)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return [text]
    cells = []
    for cell in json.loads(text)["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = source.splitlines()
        cells.append("\n".join(ln for ln in lines if not ln.lstrip().startswith(("%", "!"))))
    return cells


def _statements(nodes):
    """Every statement of a syntax tree, however deep (in functions, branches, ``try``)."""
    for node in nodes:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


@cache
def imported_modules(path: Path, root: Path) -> frozenset[str]:
    """Every library module the file ``path`` imports: ``import councilsurvey.x``,
    ``from councilsurvey.x import y`` (``x.y`` when ``y`` is a module, else ``x``) and
    relative imports, at any depth of the file."""
    inside = path.is_relative_to(_package_dir(root))
    here = _module_name(path, root).split(".") if inside else []
    found = set()
    for code in _code_of(path):
        for node in _statements(ast.parse(code, filename=str(path)).body):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here if path.name == "__init__.py" else here[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if target.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if module_file(sub, root) else target)
    return frozenset(found)


#: a quoted file name such as "bundle_readme.md" or 'codebook.schema.yaml'
_QUOTED_NAME = re.compile(r"""["']([\w.-]+\.[A-Za-z]+)["']""")


@cache
def _data_files(path: Path, root: Path) -> frozenset[Path]:
    """Files next to the module, or in ``workflow/schemas/``, that it names in quotes."""
    folders = (path.parent, root / "workflow" / "schemas")
    names = set(_QUOTED_NAME.findall(path.read_text(encoding="utf-8")))
    return frozenset(folder / n for n in names for folder in folders if (folder / n).is_file())


def _with_packages(module: str) -> set[str]:
    """A module and the packages Python imports before it."""
    parts = module.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}


@cache
def _library_files(sources: tuple[str, ...], root: Path) -> tuple[str, ...]:
    seen: set[str] = set()
    todo = set()
    for source in sources:
        todo |= imported_modules(root / source, root)
    files: set[Path] = set()
    while todo:
        module = todo.pop()
        for name in _with_packages(module) - seen:
            seen.add(name)
            path = module_file(name, root)
            if path is None:
                raise ValueError(f"{name}: imported by the pipeline but not in the library")
            files |= {path} | _data_files(path, root)
            todo |= imported_modules(path, root) - seen
    return tuple(sorted(p.relative_to(root).as_posix() for p in files))


def library_files(*sources: str, root=".") -> list[str]:
    """The library files (paths relative to ``root``, sorted) that the scripts or
    notebooks ``sources`` (paths relative to ``root``) import, directly or transitively,
    with the data files those modules name.

    Parameters
    ----------
    *sources
        ``workflow/scripts/<stage>.py``, ``notebooks/<name>.ipynb`` or a library module.
    root
        The repository: the folder holding ``workflow/councilsurvey``.

    Raises
    ------
    ValueError
        If a source imports a ``councilsurvey`` module that does not exist.
    """
    return list(_library_files(tuple(sources), Path(root).resolve()))
