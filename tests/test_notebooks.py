"""Running, normalising and rendering notebooks (papermill, nbconvert)."""

import base64
import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from councilsurvey.core.errors import InputError
from councilsurvey.pipeline.paths import (
    NOTEBOOKS,
    load_config,
    notebook_parameters,
    trends_parameters,
)
from councilsurvey.report.notebooks import (
    check_parameters,
    declared_parameters,
    has_outputs,
    normalise,
    remote_references,
    render_html,
    run_notebook,
)

from .conftest import ROOT


def tiny_notebook(path):
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    }
    params = new_code_cell("x = 1\nlabel = 'a'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell("# Tiny\n$a^2$"),
        params,
        new_code_cell("import pandas as pd\nprint(label * x)\npd.DataFrame({'v': [x]})"),
    ]
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("name", [*NOTEBOOKS, "trends"])
def test_notebooks_in_git_hold_no_outputs(name):
    assert not has_outputs(ROOT / "notebooks" / f"{name}.ipynb")


@pytest.mark.parametrize("name", [*NOTEBOOKS, "trends"])
def test_notebooks_in_git_have_unique_cell_ids(name):
    """A duplicate cell id is replaced by a random one when the notebook runs, and the
    executed notebook is then different at every run (not byte-reproducible)."""
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    ids = [c.get("id") for c in cells]
    assert None not in ids and len(set(ids)) == len(ids), ids


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pipeline_passes_only_declared_parameters(name):
    cfg = load_config(ROOT / "config.yaml")
    params = notebook_parameters(cfg, "2017", name)
    if name == "attitudes":  # and the trends notebook's, checked here once
        trends = trends_parameters(cfg, ["2017", "2019"])
        assert set(trends) == set(declared_parameters(ROOT / "notebooks" / "trends.ipynb"))
    declared = declared_parameters(ROOT / "notebooks" / f"{name}.ipynb")
    assert set(params) == set(declared)


def test_unknown_parameter_is_refused_by_name(tmp_path):
    nb = tiny_notebook(tmp_path / "t.ipynb")
    check_parameters(nb, {"x": 2})
    with pytest.raises(InputError, match="parameter 'lable' is not declared") as err:
        check_parameters(nb, {"x": 2, "lable": "b"})
    assert "t.ipynb" in str(err.value)


def test_run_is_normalised_and_byte_identical(tmp_path):
    nb = tiny_notebook(tmp_path / "t.ipynb")
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    run_notebook(nb, a, {"x": 3, "label": "z"}, cwd=tmp_path)
    run_notebook(nb, b, {"x": 3, "label": "z"}, cwd=tmp_path)
    assert a.read_bytes() == b.read_bytes()
    out = nbformat.read(a, as_version=4)
    assert "papermill" not in out.metadata
    injected = [c for c in out.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and injected[0]["id"] == "injected-parameters"
    assert all("execution" not in c.metadata for c in out.cells)
    assert "zzz" in a.read_text()


def test_figures_are_shown_inline_whatever_the_caller_s_mplbackend(tmp_path, monkeypatch):
    """A caller's MPLBACKEND=Agg (scripts and CI set it) would keep the kernel from
    showing figures, and the executed notebook would lose its images under the same
    bundle fingerprint: the kernel runs without it, and the caller keeps it."""
    nb = tiny_notebook(tmp_path / "t.ipynb")
    book = nbformat.read(nb, as_version=4)
    book.cells.append(
        new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, x])")
    )
    nbformat.write(book, nb)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run_notebook(nb, tmp_path / "a.ipynb", {"x": 2}, cwd=tmp_path)
    out = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    shown = [o for o in out.cells[-1]["outputs"] if "image/png" in o.get("data", {})]
    assert len(shown) == 1
    assert os.environ["MPLBACKEND"] == "Agg"


def test_a_notebook_shows_the_figure_file_it_wrote_and_draws_it_once(tmp_path):
    """``figures.shown`` shows the PNG file as written, read back, not a second drawing
    of the figure: the executed notebook carries the file's bytes, once, the same bytes
    at every run."""
    nb = tiny_notebook(tmp_path / "t.ipynb")
    book = nbformat.read(nb, as_version=4)
    book.cells.append(
        new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "from councilsurvey.report import figures\n"
            "fig, ax = plt.subplots()\n"
            "ax.plot([0, x])\n"
            "figures.save_all(fig, 'f.png', 'f.svg')\n"
            "figures.shown('f.png')"
        )
    )
    nbformat.write(book, nb)
    for run in ("a", "b"):
        run_notebook(nb, tmp_path / f"{run}.ipynb", {"x": 2}, cwd=tmp_path)
    assert (tmp_path / "a.ipynb").read_bytes() == (tmp_path / "b.ipynb").read_bytes()
    out = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    images = [o["data"]["image/png"] for o in out.cells[-1]["outputs"] if "data" in o]
    # the figure was closed when saved: the inline backend does not show it again
    assert [base64.b64decode(i) for i in images] == [(tmp_path / "f.png").read_bytes()]


@pytest.mark.parametrize("name", [*NOTEBOOKS, "trends"])
def test_notebooks_show_every_figure_they_write(name):
    """Every figure file a notebook is given (a ``fig_*`` parameter) is shown, by
    ``figures.shown``, in the cell that writes it; no cell leaves a figure to IPython's
    inline display, which would draw it again."""
    path = ROOT / "notebooks" / f"{name}.ipynb"
    figures = [p for p in declared_parameters(path) if p.startswith("fig_")]
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    drawing = [c for c in cells if "_figure(" in c]
    assert figures and drawing
    assert [c for c in drawing if "figures.shown(" not in c] == []
    for fig in figures:
        assert any(fig in c for c in drawing), fig


def test_failing_cell_names_notebook(tmp_path):
    nb = tiny_notebook(tmp_path / "t.ipynb")
    with pytest.raises(InputError, match="t.ipynb.*failed: TypeError"):
        run_notebook(nb, tmp_path / "a.ipynb", {"x": None}, cwd=tmp_path)
    # papermill does not save the notebook cell by cell, but still saves it on an error:
    # the partly executed notebook is kept, with the failing cell's traceback
    failed = nbformat.read(tmp_path / "a.failed.ipynb", as_version=4)
    errors = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["TypeError"]
    assert not (tmp_path / "a.ipynb").exists()


def test_normalise_strips_run_metadata():
    nb = new_notebook()
    cell = new_code_cell("1")
    cell.metadata.update(
        papermill={"duration": 1.2},
        execution={"iopub.status.busy": "t"},
        tags=["injected-parameters"],
    )
    cell["id"] = "0a1b2c3d-random"
    nb.cells = [cell]
    nb.metadata["papermill"] = {"start_time": "2026-01-01"}
    out = normalise(nb)
    assert "papermill" not in out.metadata
    assert out.cells[0]["id"] == "injected-parameters"
    assert set(out.cells[0].metadata) == {"tags"}


def test_html_is_self_contained(tmp_path):
    nb = tiny_notebook(tmp_path / "t.ipynb")
    run_notebook(nb, tmp_path / "a.ipynb", {"x": 2}, cwd=tmp_path)
    render_html(tmp_path / "a.ipynb", tmp_path / "a.html")
    html = (tmp_path / "a.html").read_text()
    assert "aa" in html
    assert remote_references(html) == []
    assert "cdnjs" not in html and "cdn.jsdelivr" not in html
    (tmp_path / "again").mkdir()
    render_html(tmp_path / "a.ipynb", tmp_path / "again" / "a.html")
    assert (tmp_path / "again" / "a.html").read_bytes() == (tmp_path / "a.html").read_bytes()


def test_normalise_merges_streams_and_drops_install_paths():
    nb = new_notebook()
    cell = new_code_cell("1")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="/home/u/.venv/lib/python3.11/site-packages/p/x.py:1: W\n"
        ),
        nbformat.v4.new_output("stream", name="stderr", text="  warn()\n"),
        nbformat.v4.new_output("stream", name="stdout", text="ok\n"),
    ]
    nb.cells = [cell]
    out = normalise(nb).cells[0].outputs
    assert [o["name"] for o in out] == ["stderr", "stdout"]
    assert out[0]["text"] == "site-packages/p/x.py:1: W\n  warn()\n"


def test_normalise_drops_the_checkout_path_from_library_warnings():
    """A warning raised in the library names its file; two checkouts give the same bytes."""

    def warned(checkout):
        nb = new_notebook()
        cell = new_code_cell("1")
        text = f"{checkout}/workflow/councilsurvey/survey/estimation.py:173: SvyUserWarning: x\n"
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=text)]
        nb.cells = [cell]
        return normalise(nb).cells[0].outputs[0]["text"]

    assert warned("/work/main") == "councilsurvey/survey/estimation.py:173: SvyUserWarning: x\n"
    assert warned("/tmp/pytest-of-root/full0") == warned("/home/me/src/councilsurvey")
