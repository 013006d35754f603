"""Summed job time and CPU of a pipeline run, per rule, from Snakemake's benchmark files.

    .venv/bin/python bench/job_cpu.py [CHECKOUT] [--without validation]

Reads ``<CHECKOUT>/benchmarks/`` (default: this checkout) as the last run left it and
prints, per rule, the number of jobs, their summed wall time, summed CPU time (user +
system, Snakemake's ``cpu_time``) and largest peak RSS, then the totals. Rules named with
``--without`` are left out of the totals (the issue's targets leave out the validation
study). Nothing is run and nothing is written: for figures of a fresh run, run the
pipeline in a clean copy first (``bench/pipeline_fresh.py`` does, and reports the same).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import rule_benchmarks, rule_of


def per_rule(jobs: list[dict]) -> dict[str, dict]:
    """Jobs, summed seconds and CPU seconds, and peak RSS of every rule."""
    rules: dict[str, dict] = {}
    for j in jobs:
        r = rules.setdefault(rule_of(j["job"]), {"jobs": 0, "s": 0.0, "cpu_s": 0.0, "rss": 0.0})
        r["jobs"] += 1
        r["s"] += j["s"]
        r["cpu_s"] += j["cpu_time_s"] or 0.0
        r["rss"] = max(r["rss"], j["max_rss_mib"] or 0.0)
    return dict(sorted(rules.items()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=Path(__file__).parents[1])
    parser.add_argument("--without", nargs="*", default=[], help="rules left out of the totals")
    args = parser.parse_args(argv)
    rules = per_rule(rule_benchmarks(args.repo))
    print(f"{'rule':20s} {'jobs':>5s} {'wall s':>8s} {'cpu s':>8s} {'peak MiB':>9s}")
    total = {"jobs": 0, "s": 0.0, "cpu_s": 0.0}
    for rule, r in rules.items():
        left_out = rule in args.without
        mark = " (left out)" if left_out else ""
        print(f"{rule:20s} {r['jobs']:5d} {r['s']:8.1f} {r['cpu_s']:8.1f} {r['rss']:9.0f}{mark}")
        if not left_out:
            for key in total:
                total[key] += r[key]
    print(f"{'all':20s} {total['jobs']:5d} {total['s']:8.1f} {total['cpu_s']:8.1f}")


if __name__ == "__main__":
    main()
