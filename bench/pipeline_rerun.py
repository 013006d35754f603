"""(b) Reruns: how long ``snakemake --cores 4`` takes when there is nothing to do, and
which jobs touching or editing one notebook reruns.

    .venv/bin/python bench/pipeline_rerun.py [--repo CHECKOUT] [--repeats 5]

In a fresh copy of ``--repo`` (bench/work/rerun/, every bundled wave) the pipeline is run
once (not timed), then again ``--repeats`` times with nothing to do (timed: building the
DAG and checking every file). The descendants of the notebook's jobs are listed by a dry
run with ``--forcerun attitudes`` (the rule's jobs and everything downstream of them).
Then ``notebooks/attitudes.ipynb`` is touched (its modification time only): Snakemake 9
compares the content of such a file with what it recorded, so nothing reruns. Then the
notebook is edited into other bytes with the same content (its JSON indented by 2 instead
of 1), and a dry run lists the jobs Snakemake would rerun: they must be exactly those
descendants. The real rerun is then timed and its bundle receipts read: a bundle is
immutable, and a rerun that reproduces it byte for byte leaves it standing (one that
changed it would fail by design). Writes bench/results/pipeline_rerun.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import nbformat
from common import (
    WORK,
    copy_repo,
    git_commit,
    load_average,
    machine,
    median,
    pipeline_parser,
    snakemake,
    snapshot_env,
    write_results,
)

TOUCHED = "notebooks/attitudes.ipynb"
TOUCHED_RULE = "attitudes"


def dry_run_jobs(text: str) -> list[dict]:
    """The jobs of a Snakemake dry run: rule, wildcards and reason of each."""
    jobs: list[dict] = []
    current = None
    for line in text.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            current = {"rule": m.group(1), "wildcards": "", "reason": ""}
            jobs.append(current)
        elif current is not None and line.strip().startswith(("wildcards:", "reason:")):
            key, value = line.strip().split(":", 1)
            current[key] = value.strip()
    return sorted(jobs, key=lambda j: (j["rule"], j["wildcards"]))


def main(argv=None) -> None:
    args = pipeline_parser(__doc__, repeats=5).parse_args(argv)
    repo = args.repo.resolve()
    work = copy_repo(repo, WORK / "rerun")
    env = snapshot_env(work)

    first, _ = snakemake(work, cores=args.cores, env=env)
    first_jobs = len(list((work / "benchmarks").rglob("*.tsv")))
    print(f"first run: {first:.1f} s, {first_jobs} jobs")
    noop = []
    loads = []
    for _ in range(args.repeats):
        loads.append(load_average())
        wall, proc = snakemake(work, cores=args.cores, env=env)
        if "Nothing to be done" not in proc.stdout + proc.stderr:
            raise RuntimeError("the rerun was not a no-op:\n" + (proc.stdout + proc.stderr)[-3000:])
        noop.append(wall)
    print(f"no-op reruns: {', '.join(f'{t:.2f}' for t in noop)} s")

    _, forced = snakemake(work, "--dry-run", "--forcerun", TOUCHED_RULE, cores=args.cores, env=env)
    descendants = dry_run_jobs(forced.stdout + forced.stderr)
    # 1. touched: a newer modification time, the same bytes
    now = time.time()
    os.utime(work / TOUCHED, (now, now))
    _, dry = snakemake(work, "--dry-run", cores=args.cores, env=env)
    touched_jobs = dry_run_jobs(dry.stdout + dry.stderr)
    print(f"touching {TOUCHED} (modification time only) reruns {len(touched_jobs)} jobs")
    # 2. edited: the same notebook in other bytes (JSON indented by 2, not 1), so that the
    # rerun reproduces every output and the published bundles stand
    path = work / TOUCHED
    before = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2))
    assert nbformat.reads(path.read_text(encoding="utf-8"), as_version=4) == before
    _, dry = snakemake(work, "--dry-run", cores=args.cores, env=env)
    jobs = dry_run_jobs(dry.stdout + dry.stderr)
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j["rule"]] = counts.get(j["rule"], 0) + 1
    key = [(j["rule"], j["wildcards"]) for j in jobs]
    only_descendants = key == [(j["rule"], j["wildcards"]) for j in descendants]
    print(f"editing {TOUCHED} reruns {len(jobs)} jobs: {counts}")
    print(
        f"the {len(descendants)} jobs of {TOUCHED_RULE} and their descendants; "
        f"the same jobs: {only_descendants}"
    )
    load = load_average()
    rerun, proc = snakemake(work, cores=args.cores, env=env)
    receipts = {}
    for path in sorted((work / "results").glob("*/bundle-*.json")):
        receipts[path.parent.name] = json.loads(path.read_text())["status"]
    print(f"rerun after editing: {rerun:.1f} s; bundles {receipts}")
    _, after = snakemake(work, "--dry-run", cores=args.cores, env=env)
    result = {
        "benchmark": "pipeline_rerun",
        "command": ".venv/bin/python bench/pipeline_rerun.py",
        "repo_commit": git_commit(repo),
        "first_run_s": first,
        "noop_runs_s": noop,
        "noop_median_s": median(noop),
        "noop_load_averages": loads,
        "touched": TOUCHED,
        "touched_rerun_jobs": touched_jobs,
        "rerun_jobs": jobs,
        "rerun_job_counts": dict(sorted(counts.items())),
        "descendant_jobs": len(descendants),
        "reruns_only_descendants": only_descendants,
        "jobs_in_pipeline": first_jobs,
        "rerun_s": rerun,
        "rerun_load_average_before": load,
        "bundle_status_after_rerun": receipts,
        "nothing_left_after_rerun": "Nothing to be done" in after.stdout + after.stderr,
        "machine": machine(),
    }
    write_results("pipeline_rerun", result)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
