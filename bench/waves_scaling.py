"""(e) Many waves: fresh ``snakemake --cores 4`` with 1, 2, 5, 10 and 20 copies of the 2017
wave, and a least-squares line of wall time against the number of waves.

    .venv/bin/python bench/waves_scaling.py [--repo CHECKOUT] [--waves 1 2 5 10 20]

Each run is in a fresh copy of ``--repo`` (bench/work/waves-<n>/) whose data/raw holds only
``w01`` ... ``w<n>``, each a copy of data/raw/2017 (waves are found by their wave.yaml).
With two or more waves the ``trends`` notebook and its bundle run too. ``--grid baseline``
keeps only the baseline specification of the robustness grid in the copy's config.yaml
(1 job per wave instead of 30), to measure the rest of the pipeline in less time; the grid's
own cost per wave is in bench/results/pipeline_fresh.json. Writes
bench/results/waves_scaling.json.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from common import (
    WORK,
    copy_repo,
    git_commit,
    load_average,
    machine,
    pipeline_parser,
    rule_benchmarks,
    rule_of,
    snakemake,
    snapshot_env,
    write_results,
)


def fit(x, y) -> dict:
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    pred = slope * x + intercept
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return {
        "slope_s_per_wave": float(slope),
        "intercept_s": float(intercept),
        "r_squared": 1 - ss_res / ss_tot if ss_tot else 1.0,
        "residuals_s": [float(r) for r in y - pred],
    }


def baseline_grid_only(work: Path) -> None:
    """Keep only the baseline weighting scheme and segmentation of the robustness grid in
    the copy's config.yaml."""
    import yaml

    path = work / "config.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    grid = cfg["robustness"]
    base = grid["baseline"]
    grid["weighting"] = {base["weighting"]: grid["weighting"][base["weighting"]]}
    grid["segmentation"] = {base["segmentation"]: grid["segmentation"][base["segmentation"]]}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")


def main(argv=None) -> None:
    parser = pipeline_parser(__doc__)
    parser.add_argument("--waves", type=int, nargs="+", default=[1, 2, 5, 10, 20])
    parser.add_argument("--grid", choices=["full", "baseline"], default="full")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    runs = []
    for n in args.waves:
        work = WORK / f"waves-{n}"
        clones = {f"w{i:02d}": "2017" for i in range(1, n + 1)}
        copy_repo(repo, work, waves=list(clones), clones=clones)
        if args.grid == "baseline":
            baseline_grid_only(work)
        load = load_average()
        wall, _ = snakemake(work, cores=args.cores, env=snapshot_env(work))
        jobs = rule_benchmarks(work)
        per_rule: dict[str, float] = {}
        for j in jobs:
            per_rule[rule_of(j["job"])] = per_rule.get(rule_of(j["job"]), 0.0) + j["s"]
        run = {
            "waves": n,
            "wall_s": wall,
            "jobs": len(jobs),
            "sum_job_s": sum(j["s"] for j in jobs),
            "sum_job_cpu_s": sum(j["cpu_time_s"] or 0.0 for j in jobs),
            "load_average_after": load_average(),
            "sum_job_s_by_rule": dict(sorted(per_rule.items())),
            "load_average_before": load,
        }
        runs.append(run)
        print(
            f"{n:3d} waves: {wall:7.1f} s wall, {len(jobs)} jobs, "
            f"{run['sum_job_s']:.1f} s summed over jobs (load before {load})"
        )
        if not args.keep:
            shutil.rmtree(work)
    result = {
        "benchmark": "waves_scaling",
        "command": "snakemake --cores 4 (fresh copy per wave count)",
        "grid": args.grid,
        "waves_run": args.waves,
        "repo_commit": git_commit(repo),
        "machine": machine(),
        "runs": runs,
    }
    if len(runs) >= 2:
        result["fit_wall"] = fit([r["waves"] for r in runs], [r["wall_s"] for r in runs])
        multi = [r for r in runs if r["waves"] >= 2]
        if len(multi) >= 2:
            result["fit_wall_2plus"] = fit(
                [r["waves"] for r in multi], [r["wall_s"] for r in multi]
            )
        result["fit_job_cpu"] = fit([r["waves"] for r in runs], [r["sum_job_cpu_s"] for r in runs])
        f = result["fit_wall"]
        print(
            f"wall = {f['intercept_s']:.1f} s + {f['slope_s_per_wave']:.1f} s/wave x waves, "
            f"R^2 = {f['r_squared']:.4f}"
        )
    write_results("waves_scaling", result)


if __name__ == "__main__":
    main()
