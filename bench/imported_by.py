"""Which processes of a pipeline run import the heavy libraries: a forced rerun of every job
in CHECKOUT, each Python process recording at its exit which of :data:`WATCHED` it had
loaded.

    .venv/bin/python bench/imported_by.py CHECKOUT

CHECKOUT must be a clone that has run the pipeline (``snakemake --forceall`` reruns every
job there, so use a measurement clone, not your working copy). A ``sitecustomize`` module,
put first on ``PYTHONPATH`` for the run, registers an exit hook in every Python the run
starts (scripts and notebook kernels; Snakemake's own process too); each appends one
line to a temporary file. The validation study is left out, as in the fresh-run
benchmarks. Prints the count of processes per entry point and library, and writes
bench/results/imported_by.json. This is a count, not a timing: run it on its own, but its
figures do not depend on the load.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from common import load_average, machine, write_results

#: the libraries counted (a module that is loaded when the library's heavy part is)
WATCHED = {
    "scipy": "scipy._lib._array_api",
    "matplotlib": "matplotlib.artist",
    "pandas": "pandas",
    "polars": "polars",
    "svy": "svy",
    "sklearn": "sklearn.base",
    "statsmodels": "statsmodels",
    "pingouin": "pingouin",
    "pandera": "pandera",
    "papermill": "papermill",
    "nbconvert": "nbconvert",
    "snakemake.api": "snakemake.api",
}

HOOK = """
import atexit, json, os, sys

def _record():
    watched = {watched!r}
    line = {{"argv": sys.argv[:3], "loaded": [k for k, m in watched.items() if m in sys.modules]}}
    with open({log!r}, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\\n")

atexit.register(_record)
"""


def entry_point(argv: list[str]) -> str:
    """A process's name: its script (Snakemake's temporary copy named by rule script), the
    notebook kernel, or Snakemake itself."""
    text = " ".join(argv)
    if "ipykernel_launcher" in text:
        return "notebook kernel"
    script = re.search(r"([A-Za-z_]+)\.py\b", text.rsplit("/", 1)[-1])
    if "snakemake" in text and not script:
        return "snakemake"
    return f"{script.group(1)}.py" if script else text[:40]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    load = load_average()
    with tempfile.TemporaryDirectory() as hook_dir:
        log = Path(hook_dir) / "imports.jsonl"
        (Path(hook_dir) / "sitecustomize.py").write_text(
            HOOK.format(watched=WATCHED, log=str(log)), encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        env["PYTHONPATH"] = os.pathsep.join([hook_dir, str(repo / "workflow")])
        subprocess.run(
            [str(repo / ".venv" / "bin" / "snakemake"), "--cores", "4", "--forceall"]
            + ["--config", "validation={waves: []}"],
            cwd=repo,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    processes = collections.Counter(entry_point(x["argv"]) for x in lines)
    loaded = {lib: collections.Counter() for lib in WATCHED}
    for x in lines:
        for lib in x["loaded"]:
            loaded[lib][entry_point(x["argv"])] += 1
    print(
        f"{len(lines)} Python processes: "
        + ", ".join(f"{k} {n}" for k, n in sorted(processes.items()))
    )
    for lib, where in loaded.items():
        total = sum(where.values())
        detail = ", ".join(f"{k} {n}" for k, n in sorted(where.items()))
        print(f"{lib:14s} {total:3d}  {detail}")
    write_results(
        "imported_by",
        {
            "processes": dict(sorted(processes.items())),
            "libraries": {lib: dict(sorted(w.items())) for lib, w in loaded.items()},
            "repo": str(repo),
            "load_average": load,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
