"""The floors under issue 18's run targets: what Snakemake and the DAG's shape cost on this
machine before any analysis is done.

    .venv/bin/python bench/floors.py [CHECKOUT] [--repeats 15] [--floor-runs 3]

Two measurements, each in a temporary folder, with this checkout's ``.venv``:

1. **No-op floor.** Snakemake's no-op on a one-rule Snakefile whose one output exists
   (``snakemake --cores 4``, nothing to do), alternating with the same run with the Slurm
   executor plugin hidden from Snakemake's plugin search (a ``sitecustomize`` that leaves
   ``snakemake_executor_plugin_slurm*`` out of ``pkgutil.iter_modules``; the plugin is in
   the lock for ``make test-slurm``, and Snakemake imports every installed executor plugin
   at start), and with a bare ``python -c pass``. Wall and CPU (user + system) of each run,
   medians of ``--repeats``. With ``--clone DIR`` (a clone that has run the pipeline), the
   project's own no-op (``snakemake --cores 4 --config 'validation={waves: []}'``) is
   measured in the same alternation.
2. **Job floor of the run's shape.** A workflow with the fresh run's jobs (17 script jobs,
   5 notebook jobs, without the validation study) that do nothing but what every job of
   the run must: a script job starts Python through Snakemake's ``script:`` preamble and
   imports pandas; a notebook job runs, with the project's own stage function
   (``councilsurvey.pipeline.notebook_stage.run_analysis_notebook``: papermill, one
   kernel, nbconvert to HTML), a notebook with one parameter (``wave``) and one cell that
   imports pandas. Every job has a
   ``benchmark:`` file, as the pipeline's jobs do; the summed ``cpu_time`` of those files
   is the issue's "summed job CPU" of a run that does no analysis. ``--floor-runs`` fresh
   runs at ``--cores 4``; medians.

Writes bench/results/floors.json. Run it alone on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import (
    PYTHON,
    ROOT,
    SNAKEMAKE,
    load_average,
    machine,
    median,
    rule_benchmarks,
    run_measured,
    write_results,
)

#: the fresh run's jobs without the validation study (bench/job_cpu.py on a fresh clone:
#: 22 jobs, of which segmentation x2, attitudes x2 and trends are notebooks)
SCRIPT_JOBS = 17
NOTEBOOK_JOBS = 5

TRIVIAL = """rule all:
    input:
        "a.txt",


rule a:
    output:
        "a.txt",
    shell:
        "touch {output}"
"""

HIDE_SLURM = """import pkgutil

_iter_modules = pkgutil.iter_modules


def iter_modules(path=None, prefix=""):
    for info in _iter_modules(path, prefix):
        if not info.name.startswith("snakemake_executor_plugin_slurm"):
            yield info


pkgutil.iter_modules = iter_modules
"""

FLOOR = """SCRIPTS = [f"s{{i:02d}}" for i in range({scripts})]
NOTEBOOKS = [f"n{{i}}" for i in range({notebooks})]


rule all:
    input:
        expand("out/{{s}}.txt", s=SCRIPTS),
        expand("out/{{n}}.html", n=NOTEBOOKS),


rule script_job:
    output:
        "out/{{s}}.txt",
    wildcard_constraints:
        s=r"s\\d+",
    benchmark:
        "benchmarks/floor/{{s}}.tsv"
    script:
        "job.py"


rule notebook_job:
    input:
        "floor.ipynb",
    output:
        executed="out/{{n}}.ipynb",
        html="out/{{n}}.html",
    wildcard_constraints:
        n=r"n\\d+",
    benchmark:
        "benchmarks/floor/{{n}}.tsv"
    script:
        "notebook_job.py"
"""

JOB = """import pandas  # noqa: F401

with open(snakemake.output[0], "w") as fh:
    fh.write("ok\\n")
"""

NOTEBOOK_SCRIPT = """from councilsurvey.pipeline.notebook_stage import run_analysis_notebook

out = snakemake.output
run_analysis_notebook(snakemake.input[0], out.executed, {"wave": "2017"}, out.html)
"""


def timed(cmd: list[str], cwd: Path, env: dict) -> dict:
    """Wall and CPU (user + system of the process and its children) of one run."""
    run = run_measured(cmd, cwd=cwd, env=env)
    return {"wall_s": round(run["wall_s"], 3), "cpu_s": round(run["user_s"] + run["sys_s"], 3)}


def summary(runs: list[dict]) -> dict:
    return {
        "wall_s": median(r["wall_s"] for r in runs),
        "cpu_s": median(r["cpu_s"] for r in runs),
        "wall_runs_s": [r["wall_s"] for r in runs],
        "cpu_runs_s": [r["cpu_s"] for r in runs],
    }


def noop_floor(tmp: Path, repeats: int, clone: Path | None, env: dict) -> dict:
    trivial = tmp / "trivial"
    trivial.mkdir()
    (trivial / "Snakefile").write_text(TRIVIAL)
    hide = tmp / "hide_slurm"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_SLURM)
    hidden_env = {**env, "PYTHONPATH": str(hide)}
    cases = {
        "python -c pass": ([str(PYTHON), "-c", "pass"], trivial, env),
        "one-rule Snakefile": ([str(SNAKEMAKE), "--cores", "4"], trivial, env),
        "one-rule Snakefile, Slurm plugin hidden": (
            [str(SNAKEMAKE), "--cores", "4"],
            trivial,
            hidden_env,
        ),
    }
    if clone is not None:
        clone_env = {**env, "PYTHONPATH": str(clone / "workflow")}
        cmd = [str(SNAKEMAKE), "--cores", "4", "--config", "validation={waves: []}"]
        cases["the pipeline (--clone)"] = (cmd, clone, clone_env)
    timed([str(SNAKEMAKE), "--cores", "1"], trivial, env)  # make a.txt
    runs: dict[str, list] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (cmd, cwd, case_env) in cases.items():
            runs[name].append(timed(cmd, cwd, case_env))
    return {name: summary(r) for name, r in runs.items()}


def floor_workflow(folder: Path) -> None:
    import nbformat

    folder.mkdir()
    (folder / "Snakefile").write_text(FLOOR.format(scripts=SCRIPT_JOBS, notebooks=NOTEBOOK_JOBS))
    (folder / "job.py").write_text(JOB)
    (folder / "notebook_job.py").write_text(NOTEBOOK_SCRIPT)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('# Parameters\nwave = "2017"\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import pandas as pd\n\npd.__version__")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, folder / "floor.ipynb")


def benchmark_cpu(folder: Path) -> dict:
    """Summed ``s`` and ``cpu_time`` of the floor workflow's benchmark files (read as
    the pipeline's are, :func:`common.rule_benchmarks`)."""
    jobs = rule_benchmarks(folder)
    cpu = {"script": 0.0, "notebook": 0.0}
    for j in jobs:
        cpu["notebook" if j["job"].startswith("n") else "script"] += j["cpu_time_s"] or 0.0
    return {
        "jobs": len(jobs),
        "job_wall_s": round(sum(j["s"] for j in jobs), 3),
        "job_cpu_s": round(sum(cpu.values()), 3),
        "script_jobs_cpu_s": round(cpu["script"], 3),
        "notebook_jobs_cpu_s": round(cpu["notebook"], 3),
    }


def job_floor(tmp: Path, runs: int, repo: Path, env: dict) -> dict:
    floor_env = {**env, "PYTHONPATH": str(repo / "workflow")}
    results = []
    for i in range(runs):
        folder = tmp / f"floor{i}"
        floor_workflow(folder)
        tree = timed([str(SNAKEMAKE), "--cores", "4"], folder, floor_env)
        results.append(
            {**benchmark_cpu(folder), "tree_wall_s": tree["wall_s"], "tree_cpu_s": tree["cpu_s"]}
        )
        shutil.rmtree(folder)
    return {
        "jobs": results[0]["jobs"],
        "job_cpu_s": median(r["job_cpu_s"] for r in results),
        "script_jobs_cpu_s": median(r["script_jobs_cpu_s"] for r in results),
        "notebook_jobs_cpu_s": median(r["notebook_jobs_cpu_s"] for r in results),
        "tree_cpu_s": median(r["tree_cpu_s"] for r in results),
        "tree_wall_s": median(r["tree_wall_s"] for r in results),
        "runs": results,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--floor-runs", type=int, default=3)
    parser.add_argument("--clone", type=Path, help="a clone that has run the pipeline")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="councilsurvey-floors-") as tmp:
        tmp = Path(tmp)
        noop = noop_floor(tmp, args.repeats, args.clone, env)
        for name, r in noop.items():
            print(
                f"no-op  {name:42s} wall {r['wall_s']:5.2f} s  CPU {r['cpu_s']:5.2f} s"
                f"  (medians of {args.repeats})"
            )
        jobs = job_floor(tmp, args.floor_runs, args.repo.resolve(), env)
        print(
            f"job floor: {jobs['jobs']} jobs, summed job CPU {jobs['job_cpu_s']:.1f} s "
            f"(benchmark files; {SCRIPT_JOBS} script jobs {jobs['script_jobs_cpu_s']:.1f} s, "
            f"{NOTEBOOK_JOBS} notebook jobs {jobs['notebook_jobs_cpu_s']:.1f} s), "
            f"process tree {jobs['tree_cpu_s']:.1f} s CPU, "
            f"{jobs['tree_wall_s']:.1f} s wall (medians of {args.floor_runs})"
        )
    write_results(
        "floors",
        {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_average(),
            "repeats": args.repeats,
            "noop": noop,
            "job_floor": {"script_jobs": SCRIPT_JOBS, "notebook_jobs": NOTEBOOK_JOBS, **jobs},
        },
    )


if __name__ == "__main__":
    main()
