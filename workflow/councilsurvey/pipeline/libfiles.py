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
import os
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


#: where the import statements read from each file are kept between runs, under the
#: repository (Snakemake's own folder, which git ignores)
CACHE = Path(".snakemake") / "councilsurvey-imports.json"
#: (root, file) -> [size, mtime_ns, raw imports], as read from and written to :data:`CACHE`
_STORED: dict[Path, dict] = {}
_CHANGED: set[Path] = set()


def _stored(root: Path) -> dict:
    if root not in _STORED:
        try:
            got = json.loads((root / CACHE).read_text(encoding="utf-8"))
            _STORED[root] = got if isinstance(got, dict) else {}
        except (OSError, ValueError):
            _STORED[root] = {}
    return _STORED[root]


def _save(root: Path) -> None:
    """Write :data:`CACHE` if this process read a file it did not hold (atomically; a
    folder that cannot be written is left alone: the cache only saves time)."""
    if root not in _CHANGED:
        return
    _CHANGED.discard(root)
    path = root / CACHE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(_STORED[root], sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _parse_imports(path: Path, root: Path) -> list[list]:
    """The file's import statements of the library, as ``[module, names]``: ``names``
    empty for ``import councilsurvey.x``, the imported names for ``from councilsurvey.x
    import y, z`` (relative imports made absolute)."""
    inside = path.is_relative_to(_package_dir(root))
    here = _module_name(path, root).split(".") if inside else []
    found = []
    for code in _code_of(path):
        for node in _statements(ast.parse(code, filename=str(path)).body):
            if isinstance(node, ast.Import):
                found += [[a.name, []] for a in node.names if a.name.split(".")[0] == PACKAGE]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here if path.name == "__init__.py" else here[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if target.split(".")[0] == PACKAGE:
                    found.append([target, [a.name for a in node.names]])
    return found


def _raw_imports(path: Path, root: Path) -> list[list]:
    """:func:`_parse_imports`, kept in :data:`CACHE` under the file's size and
    modification time (in nanoseconds): parsing the library's syntax trees is most of
    what listing the rules' library files costs, and a no-op run of the pipeline lists
    them again. An edited file gets a new modification time and is parsed again."""
    st = path.stat()
    stored = _stored(root)
    rel = path.relative_to(root).as_posix()
    entry = stored.get(rel)
    if isinstance(entry, list) and entry[:2] == [st.st_size, st.st_mtime_ns]:
        return entry[2]
    found = _parse_imports(path, root)
    stored[rel] = [st.st_size, st.st_mtime_ns, found]
    _CHANGED.add(root)
    return found


@cache
def imported_modules(path: Path, root: Path) -> frozenset[str]:
    """Every library module the file ``path`` imports: ``import councilsurvey.x``,
    ``from councilsurvey.x import y`` (``x.y`` when ``y`` is a module, else ``x``) and
    relative imports, at any depth of the file.

    Whether ``x.y`` is a module is decided here, from the files under ``root`` now, not
    kept with the statements (a module added later is found)."""
    found = set()
    for target, names in _raw_imports(path, root):
        if not names:
            found.add(target)
        for name in names:
            sub = f"{target}.{name}"
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
    _save(root)
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
