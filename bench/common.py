"""Helpers shared by the benchmark scripts (not part of the library, not run by pytest).

Every script prints its figures and writes them as JSON (sorted keys) to
``bench/results/<name>.json``. Pipeline benchmarks run Snakemake in clean copies of a
checkout (by default this one; ``--repo`` names another, e.g. an older commit cloned
elsewhere), made as the tests make them (``councilsurvey.pipeline.verify.copy_repository``), with
``PYTHONPATH`` pointing at the copy's ``workflow/`` so that its own library is imported
rather than the editable install.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
WORK = BENCH / "work"
PYTHON = Path(sys.executable)
SNAKEMAKE = PYTHON.with_name("snakemake")
DEFAULT_REPO = ROOT


def pipeline_parser(doc: str, **extra) -> argparse.ArgumentParser:
    """The options every pipeline benchmark takes: ``--repo`` (the checkout to copy),
    ``--cores`` and ``--keep`` (keep the work copies); ``extra``: option name -> default
    of further integer options (e.g. repeats=3)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--cores", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the work copies")
    for name, default in extra.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser


def median(values) -> float:
    return float(statistics.median(values))


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict:
    """CPU, cores, memory, OS, Python and the versions the benchmarks depend on."""
    from importlib import metadata

    cpu = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    os_name = ""
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    versions = {}
    for name in ("snakemake", "pandas", "numpy", "polars", "pyarrow", "svy", "rapidfuzz"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "load_average_1_5_15": load_average(),
    }


def write_results(name: str, data: dict) -> Path:
    """Write ``bench/results/<name>.json`` (sorted keys) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def run_measured(cmd: list[str], cwd=None, env=None, quiet=True) -> dict:
    """Run ``cmd``; its wall time (s), peak RSS (MiB, of that process, from ``wait4``),
    user and system CPU time, and exit code. Raises if the command fails."""
    start = time.perf_counter()
    out = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{stderr.decode()[-3000:]}")
    return {
        "wall_s": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
    }


def snapshot_env(repo: Path) -> dict:
    """Environment for a run in ``repo`` (or a copy of it): its own library first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(repo) / "workflow")
    # no MPLBACKEND: a run measured here runs as a user's does (the notebooks' kernels
    # draw their figures inline; the scripts' figures need no display either way)
    return env


def copy_repo(src: Path, dest: Path, waves=None, clones: dict | None = None) -> Path:
    """A clean copy of ``src`` (a checkout) for a pipeline run, as the tests make one.

    ``waves``: keep only these folders of data/raw (None: all). ``clones``: new wave id ->
    existing wave folder to copy it from (e.g. {"w01": "2017", ...}).
    """
    from councilsurvey.pipeline.verify import copy_repository

    if dest.exists():
        shutil.rmtree(dest)
    copy_repository(src, dest)
    raw = dest / "data" / "raw"
    for wave, source in (clones or {}).items():
        shutil.copytree(Path(src) / "data" / "raw" / source, raw / wave)
    if waves is not None:
        for folder in raw.iterdir():
            if folder.is_dir() and folder.name not in waves:
                shutil.rmtree(folder)
    return dest


def snakemake(workdir: Path, *args, cores: int = 4, env=None, check=True):
    """Run Snakemake in ``workdir``; (wall seconds, CompletedProcess)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(SNAKEMAKE), "--cores", str(cores), *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - start
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"snakemake {' '.join(args)} failed in {workdir}:\n{proc.stderr[-4000:]}"
        )
    return wall, proc


def git_commit(repo: Path) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    return proc.stdout.strip() or None


def rule_benchmarks(workdir: Path) -> list[dict]:
    """Every benchmark file Snakemake wrote (``benchmarks/<wave>/<rule>.tsv``, and
    ``benchmarks/<wave>/robustness/<scheme>/<segmentation>.tsv`` for the grid): wave, job
    (the path below the wave, without .tsv), seconds, max RSS, CPU seconds."""
    import csv

    rows = []
    root = Path(workdir) / "benchmarks"
    for path in sorted(root.glob("*/**/*.tsv")):
        with open(path, newline="") as fh:
            rec = next(csv.DictReader(fh, delimiter="\t"))
        rel = path.relative_to(root).with_suffix("")
        rows.append(
            {
                "wave": rel.parts[0],
                "job": "/".join(rel.parts[1:]),
                "s": float(rec["s"]),
                "max_rss_mib": _num(rec.get("max_rss")),
                "cpu_time_s": _num(rec.get("cpu_time")),
            }
        )
    return rows


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def rule_of(job: str) -> str:
    """The rule of a job (render_<notebook> -> render, robustness/<scheme>/<seg> ->
    robustness, bundle-<fingerprint> -> bundle)."""
    import re

    if job.startswith("render_"):
        return "render"
    return re.sub(r"-[0-9a-f]{10}$", "", job.split("/", 1)[0])


def empty_notebook_floor(repeats: int = 5, env=None) -> dict:
    """Wall time of papermill executing an empty notebook (one kernel start and stop)."""
    import tempfile

    import nbformat

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("pass")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        src = Path(tmp) / "empty.ipynb"
        nbformat.write(nb, src)
        code = (
            "import papermill as pm, sys; "
            f"pm.execute_notebook({str(src)!r}, {str(Path(tmp) / 'out.ipynb')!r}, "
            "kernel_name='python3', progress_bar=False)"
        )
        for _ in range(repeats):
            times.append(run_measured([str(PYTHON), "-c", code], env=env)["wall_s"])
    return {"runs_s": times, "median_s": median(times)}


def first_argument(estimator, data):
    """What ``estimator`` takes first: the wave's design (a library whose estimators take a
    :class:`~councilsurvey.survey.design.SurveyDesign`) or, from an older library whose
    estimators take the frame with ``weight=``/``psu=``, the frame itself."""
    import inspect

    if next(iter(inspect.signature(estimator).parameters)) == "design":
        from councilsurvey.survey.design import SurveyDesign

        return SurveyDesign.of_wave(data)
    return data
