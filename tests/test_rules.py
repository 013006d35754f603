"""The rules' inputs: each rule depends on the library files its code imports (so an edit
reruns what it changes and nothing else), and parsing the Snakefile changes no file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from councilsurvey.pipeline.libfiles import library_files

from .conftest import ROOT
from .test_layers import GRAPH, MODULES, imports_of

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


#: the default profile is quiet about each job (`quiet: [rules, host]`); a dry run whose
#: jobs a test reads asks for them
LIST_JOBS = ("--quiet", "host")


def snakemake(workdir: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), "--cores", "1", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )


def dry_run_jobs(text: str) -> dict[str, dict[str, list[str]]]:
    """Each job of a dry run, by rule and wildcards ("bundle wave=2017"): its inputs and
    outputs."""
    found: list[dict[str, list[str]]] = []
    for line in text.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):$", line):
            found.append({"rule": [m.group(1)], "input": [], "output": [], "wildcards": []})
        elif found and (m := re.match(r"^    (input|output|wildcards): (.*)$", line)):
            found[-1][m.group(1)] = m.group(2).split(", ")
    return {" ".join(job["rule"] + job["wildcards"]): job for job in found}


def bundle_job(jobs, wave: str) -> str:
    """The key of a wave's bundle job ("bundle wave=2017, fingerprint=...")."""
    (key,) = [k for k in jobs if k.startswith("bundle ") and f"wave={wave}" in k]
    return key


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Every job of a complete run of a fresh copy (two waves, so trends too), as
    Snakemake plans it: a dry run."""
    from councilsurvey.pipeline.verify import copy_repository

    work = copy_repository(
        ROOT, tmp_path_factory.mktemp("rules"), waves=("2017", "2019"), git=False
    )
    proc = snakemake(work, "--dry-run", *LIST_JOBS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work, dry_run_jobs(proc.stdout)


def rule_code(rule: str) -> tuple[str, list[str]]:
    """The script a rule runs and the notebooks it executes, read from the rule files."""
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        m = re.search(rf"^rule {rule}:\n(.*?)(?=^\S|\Z)", text, flags=re.M | re.S)
        if m:
            body = m.group(1)
            script = re.search(r'script:\s*"\.\./scripts/(\w+\.py)"', body).group(1)
            return f"workflow/scripts/{script}", re.findall(r'"(notebooks/\w+\.ipynb)"', body)
    raise AssertionError(f"rule {rule} not found")


def imported_closure(path: Path) -> set[str]:
    """The library modules a script or notebook imports, directly or transitively, by the
    layer test's own reading of the imports (a notebook through nbformat)."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        sources = [
            "\n".join(ln for ln in c.source.splitlines() if not ln.startswith(("%", "!")))
            for c in nb.cells
            if c.cell_type == "code"
        ]
    else:
        sources = [path.read_text(encoding="utf-8")]
    probe = ROOT / "workflow" / "scripts" / "probe.py"  # read as source only
    todo = set().union(*(imports_of(probe, s) for s in sources))
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        seen.add(module)
        todo |= GRAPH[module] - seen
    return seen


def test_every_rule_depends_on_every_module_its_code_imports(planned):
    work, jobs = planned
    checked = set()
    for job in jobs.values():
        rule = job["rule"][0]
        if rule == "all" or rule in checked:
            continue
        checked.add(rule)
        script, notebooks = rule_code(rule)
        declared = set(job["input"])
        wanted = set()
        for source in [script, *notebooks]:
            wanted |= imported_closure(ROOT / source)
        files = {str(MODULES[m].relative_to(ROOT)) for m in wanted}
        assert files, rule
        assert files <= declared, f"{rule} misses {sorted(files - declared)}"
        # and its own stage module, which the script names
        assert any(f.startswith("workflow/councilsurvey/pipeline/") for f in files), rule
    assert {"clean", "weight", "segmentation", "attitudes", "bundle", "trends"} <= checked


def test_no_rule_depends_on_dev(planned):
    _, jobs = planned
    dev = [
        (name, f)
        for name, job in jobs.items()
        for f in job["input"]
        if "councilsurvey/dev/" in f or f.startswith("dev/")
    ]
    assert not dev, dev


def test_cleaning_does_not_depend_on_analysis_and_analysis_does(planned):
    _, jobs = planned
    for rule in ("validate_raw", "clean", "weight"):
        inputs = jobs[f"{rule} wave=2017"]["input"]
        assert not [f for f in inputs if "/analysis/" in f or "/report/notebooks" in f], rule
    assert "workflow/councilsurvey/analysis/attitudes.py" in jobs["attitudes wave=2017"]["input"]
    assert "workflow/councilsurvey/cleaning/clean.py" in jobs["clean wave=2017"]["input"]
    # a template the bundle reads counts as its code
    assert (
        "workflow/councilsurvey/publish/bundle_readme.md" in jobs[bundle_job(jobs, "2017")]["input"]
    )


def test_library_files_follow_lazy_relative_and_notebook_imports(tmp_path):
    pkg = tmp_path / "workflow" / "councilsurvey"
    for rel, text in {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/a.py": "from .b import x\n",
        "core/b.py": 'x = 1\nTEMPLATE = "b.md"\n',
        "core/b.md": "template\n",
        "core/unused.py": "",
        "report/__init__.py": "",
        "report/c.py": "def f():\n    try:\n        from councilsurvey.core import a\n"
        "    except ImportError:\n        pass\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport councilsurvey.report.c"),
        nbformat.v4.new_markdown_cell("import councilsurvey.core.unused"),
    ]
    nbformat.write(nb, tmp_path / "n.ipynb")
    got = library_files("n.ipynb", root=tmp_path)
    assert got == [
        f"workflow/councilsurvey/{f}"
        for f in [
            "__init__.py",
            "core/__init__.py",
            "core/a.py",
            "core/b.md",
            "core/b.py",
            "report/__init__.py",
            "report/c.py",
        ]
    ]
    (tmp_path / "s.py").write_text("import councilsurvey.core.missing\n")
    with pytest.raises(ValueError, match="councilsurvey.core.missing"):
        library_files("s.py", root=tmp_path)


def test_manifest_name_matches_the_bundle_module():
    from councilsurvey.pipeline.paths import BUNDLE_MANIFEST
    from councilsurvey.publish.bundle import MANIFEST

    assert BUNDLE_MANIFEST == MANIFEST


def test_parsing_changes_nothing_and_a_deleted_bundle_is_rebuilt(planned):
    """With every output in place (created empty, then dated in order with --touch), a dry
    run and a lint leave every file as it was; deleting a bundle's folder makes that
    bundle's job, and only it, due."""
    work, jobs = planned
    for job in jobs.values():
        for out in job["output"]:
            path = work / out.removesuffix(" (update)")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    touched = snakemake(work, "--touch")
    assert touched.returncode == 0, touched.stderr[-3000:]
    before = sorted(p for p in (work / "results").rglob("*"))
    dry, lint = snakemake(work, "--dry-run"), snakemake(work, "--lint")
    assert dry.returncode == lint.returncode == 0, dry.stderr[-3000:] + lint.stderr[-3000:]
    assert sorted(p for p in (work / "results").rglob("*")) == before
    assert "Nothing to be done" in dry.stdout

    folder = next(p for p in (work / "results/bundles").iterdir() if "-2017-" in p.name)
    shutil.rmtree(folder)
    proc = snakemake(work, "--dry-run", *LIST_JOBS)
    due = dry_run_jobs(proc.stdout)
    assert sorted(due) == ["all", bundle_job(jobs, "2017")], proc.stdout[-3000:]
    assert list((work / "results/2017").glob("bundle-*.json"))  # a dry run deletes nothing


@pytest.mark.parametrize("batch", ["wave", "scheme", "spec"])
def test_robustness_grid_jobs_follow_the_batch(planned, batch):
    """robustness.batch wave (the default: the plain dry run) plans one grid job per wave
    with every specification's file; scheme one per weighting scheme; spec one per
    specification. Every batch plans the same files, and one summary per wave."""
    from councilsurvey.pipeline.paths import load_config, robustness_specifications

    work, jobs = planned
    if batch != "wave":
        proc = snakemake(
            work,
            "--dry-run",
            "--forceall",
            *LIST_JOBS,
            "--config",
            f"robustness={{batch: {batch}}}",
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        jobs = dry_run_jobs(proc.stdout)
    specs = robustness_specifications(load_config(work / "config.yaml"))
    per_wave = {"wave": 1, "scheme": len({s for s, _ in specs}), "spec": len(specs)}[batch]
    for wave in ("2017", "2019"):
        grid = [
            j
            for j in jobs.values()
            if j["rule"] == ["robustness"] and f"wave={wave}" in j["wildcards"]
        ]
        assert len(grid) == per_wave
        files = sorted(f for j in grid for f in j["output"])
        assert files == sorted(f"results/{wave}/robustness/{a}/{b}.csv" for a, b in specs)
        summaries = [k for k in jobs if k.startswith("robustness_summary ") and f"wave={wave}" in k]
        assert len(summaries) == 1
