"""(d') Raking a million respondents on three margins: the project's ``weighting.rake`` alone.

    .venv/bin/python bench/rake_cells.py --rows 1000000 --repeats 5 [--save W.npy] [--compare W.npy]

The respondents and margins are those of ``rake_vs_r.py`` (``synth.large_responses``,
seeded; the 2017 frame's filled seats on council type, region and party). Times
``weighting.rake`` (collapse to the raking cells, rake them, scale every respondent),
median of ``--repeats``, wall and CPU. ``--save`` writes the weights; ``--compare`` reads
weights saved by another checkout (run this script with ``PYTHONPATH=<other>/workflow``)
and prints the largest relative difference. Writes bench/results/rake_cells.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import ROOT, load_average, machine, median, write_results

from councilsurvey.dev import synth
from councilsurvey.inputs.frame import load_frame
from councilsurvey.pipeline.paths import load_config
from councilsurvey.survey import weighting

FRAME = ROOT / "data" / "reference" / "councils_england_2017.csv"
TARGET_S = 0.25


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--save", help="write the weights (.npy)")
    parser.add_argument("--compare", help="weights (.npy) to compare with")
    args = parser.parse_args(argv)

    cfg = load_config(ROOT / "config.yaml")["weighting"]
    tol, max_iter = float(cfg["tolerance"]), int(cfg["max_iter"])
    frame = load_frame(FRAME, 353)
    responses = synth.large_responses(frame, args.rows, seed=args.seed)
    cats = weighting.margin_categories(
        responses, cfg["margins"], cfg["party_groups"], cfg.get("collapse"), "bench"
    )
    work = cats.assign(
        code=responses["code"].astype(str), base_weight=weighting.base_weights(responses, frame)
    )
    totals = weighting.population_totals(frame, cfg["margins"], cfg.get("collapse"))
    controls = {weighting.MARGIN_COLUMN.get(m, m): totals[m] for m in cfg["margins"]}
    load = load_average()
    walls, cpus = [], []
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        w, converged = weighting.rake(work, "base_weight", controls, tol, max_iter)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    result = {
        "benchmark": "rake_cells",
        "rows": args.rows,
        "converged": bool(converged),
        "wall_s_runs": walls,
        "wall_s_median": median(walls),
        "cpu_s_median": median(cpus),
        "target_s": TARGET_S,
        "load_average_before": load,
        "machine": machine(),
    }
    print(
        f"weighting.rake, {args.rows:,} rows: {median(walls):.3f} s wall "
        f"({', '.join(f'{t:.3f}' for t in walls)}), {median(cpus):.3f} s CPU, "
        f"converged={converged} (load before {load})"
    )
    if args.save:
        np.save(args.save, w)
    if args.compare:
        other = np.load(args.compare)
        diff = float(np.max(np.abs(w / other - 1)))
        result["largest_relative_difference"] = diff
        print(f"largest relative difference from {args.compare}: {diff:.3g}")
    write_results("rake_cells", result)


if __name__ == "__main__":
    main()
