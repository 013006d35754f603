"""(a) A fresh ``snakemake --cores 4`` on the bundled waves, broken down per rule from
Snakemake's benchmark files, against the floor of one papermill kernel start per notebook.

    .venv/bin/python bench/pipeline_fresh.py [--repo CHECKOUT] [--repeats 3] [--no-validation]

Each repeat runs the whole pipeline in a fresh copy of ``--repo`` (bench/work/fresh-<i>/:
what tests/test_pipeline.py copies, every wave of data/raw) and reads
``benchmarks/<wave>/<job>.tsv`` (wall seconds, peak RSS, CPU seconds of each job). The
floor is what papermill needs to run a notebook with nothing in it: measured here as a
process that imports papermill and executes an empty notebook (``process``), and inside
that process around ``execute_notebook`` alone (``kernel``: starting and stopping the
kernel), times the number of notebook jobs. ``--no-validation`` leaves the known-truth
validation study out of the run (``--config 'validation={waves: []}'``), as the issue's
targets do. Prints and records the summed job CPU time (Snakemake's ``cpu_time``). Writes
bench/results/pipeline_fresh.json (pipeline_fresh_no_validation.json with the flag).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from common import (
    PYTHON,
    WORK,
    copy_repo,
    git_commit,
    load_average,
    machine,
    median,
    pipeline_parser,
    rule_benchmarks,
    rule_of,
    snakemake,
    snapshot_env,
    write_results,
)

NOTEBOOK_RULES = ("segmentation", "attitudes", "trends")


def papermill_floor(repeats: int, env) -> dict:
    """Wall time of executing an empty notebook with papermill: the whole process, and
    ``execute_notebook`` alone (printed by the process)."""
    import json
    import subprocess

    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("pass")]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        src = Path(tmp) / "empty.ipynb"
        nbformat.write(nb, src)
        code = (
            "import json, time, papermill as pm\n"
            "t = time.perf_counter()\n"
            f"pm.execute_notebook({str(src)!r}, {str(Path(tmp) / 'out.ipynb')!r}, "
            "kernel_name='python3', progress_bar=False)\n"
            "print(json.dumps({'kernel_s': time.perf_counter() - t}))\n"
        )
        process, kernel = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            out = subprocess.run(
                [str(PYTHON), "-c", code], env=env, capture_output=True, text=True, check=True
            )
            process.append(time.perf_counter() - start)
            kernel.append(json.loads(out.stdout.strip().splitlines()[-1])["kernel_s"])
    return {
        "process_runs_s": process,
        "process_median_s": median(process),
        "kernel_runs_s": kernel,
        "kernel_median_s": median(kernel),
    }


def main(argv=None) -> None:
    parser = pipeline_parser(__doc__, repeats=3)
    parser.add_argument(
        "--no-validation", action="store_true", help="leave out the validation study"
    )
    args = parser.parse_args(argv)
    extra = ["--config", "validation={waves: []}"] if args.no_validation else []
    repo = args.repo.resolve()
    env = snapshot_env(repo)

    runs = []
    for i in range(args.repeats):
        work = copy_repo(repo, WORK / f"fresh-{i}")
        load = load_average()
        wall, _ = snakemake(work, *extra, cores=args.cores, env=snapshot_env(work))
        jobs = rule_benchmarks(work)
        runs.append({"wall_s": wall, "load_average_before": load, "jobs": jobs})
        print(f"run {i + 1}: {wall:.1f} s, {len(jobs)} jobs (load before {load})")
        if not (args.keep and i == args.repeats - 1):
            shutil.rmtree(work)

    # per rule: each run's total over the rule's jobs, then the median over runs
    rules: dict[str, dict] = {}
    for run in runs:
        totals: dict[str, dict] = {}
        for j in run["jobs"]:
            t = totals.setdefault(
                rule_of(j["job"]), {"jobs": 0, "s": 0.0, "cpu_s": 0.0, "rss": 0.0}
            )
            t["jobs"] += 1
            t["s"] += j["s"]
            t["cpu_s"] += j["cpu_time_s"] or 0.0
            t["rss"] = max(t["rss"], j["max_rss_mib"] or 0.0)
        for rule, t in totals.items():
            r = rules.setdefault(
                rule, {"jobs": t["jobs"], "s_runs": [], "cpu_s_runs": [], "rss": []}
            )
            r["s_runs"].append(t["s"])
            r["cpu_s_runs"].append(t["cpu_s"])
            r["rss"].append(t["rss"])
    per_rule = {
        rule: {
            "jobs": r["jobs"],
            "s_median": median(r["s_runs"]),
            "cpu_s_median": median(r["cpu_s_runs"]),
            "max_rss_mib": max(r["rss"]),
        }
        for rule, r in sorted(rules.items())
    }
    notebook_jobs = sum(r["jobs"] for rule, r in per_rule.items() if rule in NOTEBOOK_RULES)
    notebook_s = sum(r["s_median"] for rule, r in per_rule.items() if rule in NOTEBOOK_RULES)
    floor = papermill_floor(5, env)
    wall = median([r["wall_s"] for r in runs])
    result = {
        "benchmark": "pipeline_fresh",
        "command": "snakemake --cores 4 (fresh copy of the repository, bundled waves)",
        "repo_commit": git_commit(repo),
        "waves": sorted({j["wave"] for j in runs[0]["jobs"]} - {"trends"}),
        "wall_s_runs": [r["wall_s"] for r in runs],
        "wall_s_median": wall,
        "jobs": len(runs[0]["jobs"]),
        "sum_job_s_median": median([sum(j["s"] for j in r["jobs"]) for r in runs]),
        "sum_job_cpu_s_median": median(
            [sum(j["cpu_time_s"] or 0.0 for j in r["jobs"]) for r in runs]
        ),
        "validation": not args.no_validation,
        "per_rule": per_rule,
        "notebook_jobs": notebook_jobs,
        "notebook_jobs_s_median": notebook_s,
        "papermill_empty_notebook": floor,
        "floor_s": {
            "kernel": floor["kernel_median_s"] * notebook_jobs,
            "process": floor["process_median_s"] * notebook_jobs,
        },
        "load_averages": [r["load_average_before"] for r in runs],
        "machine": machine(),
    }
    print(
        f"median {wall:.1f} s wall; {notebook_jobs} notebook jobs took {notebook_s:.1f} s "
        f"(summed); summed job CPU {result['sum_job_cpu_s_median']:.1f} s; "
        f"floor {result['floor_s']['kernel']:.1f} s (kernel starts) / "
        f"{result['floor_s']['process']:.1f} s (whole papermill processes)"
    )
    for rule, r in per_rule.items():
        print(
            f"  {rule:14s} {r['jobs']:3d} jobs {r['s_median']:7.1f} s  "
            f"cpu {r['cpu_s_median']:7.1f} s  peak {r['max_rss_mib']:6.0f} MiB"
        )
    write_results("pipeline_fresh" + ("_no_validation" if args.no_validation else ""), result)


if __name__ == "__main__":
    main()
