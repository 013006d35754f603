"""(d, continued) How many raking sweeps R's ``rake()`` made, and whether the project's
raking gives R's weights after the same number of sweeps.

    .venv/bin/python bench/rake_sweeps.py [--rows 1000000] [--run converged]

R's ``rake()`` stops when no cell of the margins' cross-table moves by more than
``epsilon`` from one sweep to the next; it does not say how many sweeps that took. Raking
is deterministic, so the project's raking (svy on the table of raking cells, the weight
stage's code) is stopped after k = 0, 1, 2, ... sweeps and compared with R's weights: the
k with the smallest difference is R's sweep count, and the size of that difference says
whether the two implementations agree step for step. Also: how far each set of weights is
from meeting the margins, and from the project's converged weights.

Reads what ``bench/rake_vs_r.py`` wrote to ``bench/work/rake-<rows>/`` (the respondents,
the margins and R's weights of the run ``--run``); writes
``bench/results/rake_sweeps.json``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from common import WORK, machine, write_results


def cells_of(work):
    """The raking cells of the respondents in ``work/data.csv`` and the margins."""
    from councilsurvey.survey.weighting import _Cells

    data = pd.read_csv(work / "data.csv", dtype={"type": str, "region": str, "party_group": str})
    pop = pd.read_csv(work / "population.csv", dtype={"category": str})
    controls = {
        m: dict(zip(g["category"], g["seats"], strict=True))
        for m, g in pop.groupby("margin", sort=False)
    }
    return data, _Cells(data, controls)


def matching_sweeps(cells, start, target, max_iter: int, step: int = 25) -> tuple[int, float]:
    """The sweep count k whose raked cell totals are closest to ``target`` (largest
    relative difference), found by a coarse scan then a fine one; (k, difference)."""

    def diff(k):
        return float(np.max(np.abs(cells.sweeps(start, 0.0, k) / target - 1)))

    coarse = min((diff(k), k) for k in range(0, max_iter + 1, step))
    lo, hi = max(coarse[1] - step, 0), min(coarse[1] + step, max_iter)
    best = min((diff(k), k) for k in range(lo, hi + 1))
    return best[1], best[0]


def compare(work, run: str, tol: float = 1e-12, max_iter: int = 10000) -> dict:
    data, cells = cells_of(work)
    w0 = data["base_weight"].to_numpy()
    start = cells.totals(w0)
    final = cells.sweeps(start, tol, max_iter)
    project = w0 * (final / start)[cells.cell]
    r = pd.read_csv(work / run / "r_weights.csv")["r_weight"].to_numpy()
    r_totals = cells.totals(r)
    sweeps = cells.iterations(w0, tol, max_iter)
    k, at_k = matching_sweeps(cells, start, r_totals, sweeps)
    return {
        "rows": len(data),
        "cells": len(cells.table),
        "project_sweeps": sweeps,
        "project_max_margin_error": cells.error(project),
        "r_max_margin_error": cells.error(r),
        "r_vs_project_max_rel_diff": float(np.max(np.abs(r / project - 1))),
        "r_sweeps": k,
        "project_after_r_sweeps_vs_r_max_rel_diff": at_k,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--run", default="converged", help="which R run of rake_vs_r.py")
    args = parser.parse_args(argv)
    work = WORK / f"rake-{args.rows}"
    result = compare(work, args.run)
    print(
        f"R stopped after {result['r_sweeps']} sweeps (margin error "
        f"{result['r_max_margin_error']:.2g}); the project's raking after as many sweeps "
        f"differs from R's by {result['project_after_r_sweeps_vs_r_max_rel_diff']:.2g} at "
        f"most; converged ({result['project_sweeps']} sweeps, margin error "
        f"{result['project_max_margin_error']:.2g}) by "
        f"{result['r_vs_project_max_rel_diff']:.2g}"
    )
    write_results(
        "rake_sweeps",
        {
            "benchmark": "rake_sweeps",
            "command": f".venv/bin/python bench/rake_sweeps.py --rows {args.rows} --run {args.run}",
            "run": args.run,
            **result,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
