"""Running, normalising and rendering the analysis notebooks.

Notebooks are narrative, calls into this library and figures; they hold no outputs in
git. The pipeline runs them with papermill (explicit ``python3`` kernel, explicit
parameters), refuses parameters the notebook does not declare (papermill only warns),
normalises the executed notebook so that reruns are byte-identical, and renders it to
self-contained HTML with nbconvert.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import nbformat

from councilsurvey.core.errors import InputError
from councilsurvey.core.writers import atomic_path, atomic_write, with_path

log = logging.getLogger(__name__)

KERNEL = "python3"
INJECTED_ID = "injected-parameters"


def declared_parameters(notebook) -> dict:
    """The parameters declared in a notebook's ``parameters`` cell (papermill's view)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


def check_parameters(notebook, parameters: dict) -> None:
    """Raise :class:`InputError` if a passed parameter is not declared in the notebook.

    papermill only warns about unknown parameters, and a typo then silently leaves the
    default in force.
    """
    declared = declared_parameters(notebook)
    if not declared:
        raise InputError(notebook, "has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InputError(
            notebook,
            f"parameter {unknown[0]!r} is not declared in the notebook's "
            f"parameters cell (declared: {', '.join(sorted(declared))})",
        )


_SITE_PACKAGES = re.compile(r"(?:/[^/\s\"']+)+/site-packages/")
#: the library's own folder, wherever the checkout is (a warning raised in the library
#: names its file; the bundle must not depend on the path of the checkout)
_LIBRARY = re.compile(r"(?:/[^/\s\"']+)+/councilsurvey/")


def _merge_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name (how a kernel splits its stderr
    into messages depends on timing) and drop the machine's site-packages path and the
    checkout's path from them (warnings name the file that raised them)."""
    merged: list = []
    for out in outputs:
        if out.get("output_type") == "stream":
            text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            text = _SITE_PACKAGES.sub("site-packages/", text)
            text = _LIBRARY.sub("councilsurvey/", text)
            if (
                merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == out["name"]
            ):
                merged[-1]["text"] += text
                continue
            out["text"] = text
        merged.append(out)
    return merged


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what changes between runs and machines: papermill timestamps and durations,
    execution metadata, the random id of the injected-parameters cell, how stream output
    was split into messages, and the paths of the Python installation and of the checkout
    in warnings."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        if cell.get("outputs"):
            cell["outputs"] = _merge_streams(cell["outputs"])
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID
        elif "id" in cell and not re.fullmatch(r"[a-z0-9-]{1,64}", cell["id"] or ""):
            cell["id"] = f"cell-{i}"
    return nb


def write_notebook(nb: nbformat.NotebookNode, path) -> None:
    with atomic_write(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        nbformat.write(nb, fh)


def _kernel_os_error(exc, default_path) -> OSError | None:
    """The ``OSError`` a notebook cell raised (a full disk while saving a figure), rebuilt
    from papermill's report of it; None if the cell failed otherwise."""
    import builtins

    kind = getattr(builtins, exc.ename, None)
    if not (isinstance(kind, type) and issubclass(kind, OSError)):
        return None
    m = re.match(r"\[Errno (\d+)\] ([^:]*)(?:: '(.*)')?", str(exc.evalue))
    if not m:
        return None
    return OSError(int(m.group(1)), m.group(2), m.group(3) or str(default_path))


def run_notebook(notebook, executed, parameters: dict, cwd=".") -> None:
    """Execute ``notebook`` with ``parameters`` into ``executed`` (normalised).

    Raises
    ------
    InputError
        If a parameter is not declared, or a cell fails (the message names the notebook
        and the error; the partly executed notebook is kept beside ``executed`` with the
        suffix ``.failed.ipynb`` for inspection).
    """
    import papermill as pm

    check_parameters(notebook, parameters)
    executed = Path(executed)
    executed.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(executed)
    # the kernel shows figures inline whatever the caller's MPLBACKEND: with the variable
    # set (MPLBACKEND=Agg, as scripts and CI often set it) ipykernel keeps that backend,
    # and the executed notebook and its HTML lose their figures while the bundle's
    # fingerprint, which names the environment's packages but not its variables, stays
    backend = os.environ.pop("MPLBACKEND", None)
    try:
        pm.execute_notebook(
            str(notebook),
            str(tmp),
            parameters=parameters,
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            # papermill would otherwise write (and validate) the whole notebook to disk
            # as each cell starts and ends; only the finished notebook is read
            request_save_on_cell_execute=False,
            cwd=str(cwd),
            # the kernel's own notices ("running over TCP without encryption", a
            # "KeyboardInterrupt caught" at shutdown) stay off the terminal; a failing
            # cell is still reported, by papermill
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        fault = _kernel_os_error(exc, executed)
        if fault is not None:  # the machine's fault, not the notebook's: nothing to keep
            tmp.unlink(missing_ok=True)
            raise fault from None
        failed = executed.with_suffix(".failed.ipynb")
        tmp.replace(failed)
        raise InputError(
            notebook,
            f"cell {exc.exec_count} failed: {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {failed})",
        ) from None
    except OSError as exc:  # papermill writing the notebook (a full disk)
        tmp.unlink(missing_ok=True)
        raise with_path(exc, executed) from None
    except BaseException:  # interrupted: no temporary left behind
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
    nb = nbformat.read(tmp, as_version=4)
    tmp.unlink()
    write_notebook(normalise(nb), executed)
    log.info("executed %s -> %s", notebook, executed)


def render_html(executed, html) -> None:
    """Render an executed notebook to self-contained HTML (images embedded, no script or
    style loaded from the network)."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    exporter.jquery_url = ""
    exporter.mermaid_js_url = ""
    exporter.mermaid_layout_elk_js_url = ""
    exporter.exclude_input_prompt = False
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": Path(html).stem}})
    body = _strip_remote(body)
    with atomic_write(html) as tmp:
        tmp.write_text(body, encoding="utf-8")


def _strip_remote(html: str) -> str:
    """Drop any ``<script src=...>`` or stylesheet link that points at the network."""
    html = re.sub(r'<script[^>]+src="(?:https?:)?//[^"]*"[^>]*>\s*</script>', "", html)
    html = re.sub(r'<link[^>]+href="(?:https?:)?//[^"]*"[^>]*>', "", html)
    html = re.sub(r'<script[^>]+src=""[^>]*>\s*</script>', "", html)
    return html


def remote_references(html: str) -> list[str]:
    """URLs an HTML page would load from the network (scripts, styles, images)."""
    pattern = r'<(?:script|link|img)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"'
    return re.findall(pattern, html)


def has_outputs(path) -> bool:
    """True if a notebook file holds any output or execution count."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return any(
        c.get("outputs") or c.get("execution_count")
        for c in nb["cells"]
        if c.get("cell_type") == "code"
    )
