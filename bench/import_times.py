"""What each job pays to import its code: the seconds to import the stage module of every
``workflow/scripts/*.py``, and which heavy packages that loads.

    .venv/bin/python bench/import_times.py [CHECKOUT] [--repeats 3]

For each script, a fresh Python imports the ``councilsurvey`` modules the script imports
(what a job does before its stage function runs; the script itself is not run), best of
``--repeats``. ``python -X importtime`` on the same statement gives the breakdown. Writes
bench/results/import_times.json.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from pathlib import Path

from common import PYTHON, ROOT, load_average, machine, write_results

HEAVY = [
    "svy", "polars", "pandera", "scipy", "statsmodels", "seaborn", "matplotlib", "stepmix",
    "sklearn", "pyarrow", "pandas", "papermill", "nbconvert", "jsonschema", "rocrate",
    "jinja2", "snakemake",
]  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(args.repo / "workflow")}
    load = load_average()
    rows = {}
    for script in sorted((args.repo / "workflow" / "scripts").glob("*.py")):
        modules = re.findall(r"^from (councilsurvey\S*) import", script.read_text(), re.M)
        code = (
            "import sys, time; t = time.perf_counter(); "
            + "; ".join(f"import {m}" for m in modules)
            + f"; print(time.perf_counter() - t, *[h for h in {HEAVY!r} if h in sys.modules])"
        )
        best, heavy = None, []
        for _ in range(args.repeats):
            out = subprocess.run(
                [str(PYTHON), "-c", code], env=env, cwd=args.repo, capture_output=True, text=True
            ).stdout.split()
            seconds, heavy = float(out[0]), out[1:]
            best = seconds if best is None else min(best, seconds)
        rows[script.stem] = {"import_s": best, "heavy": heavy}
        print(f"{script.stem:20s} {best:6.2f} s  {' '.join(heavy)}")
    write_results(
        "import_times", {"scripts": rows, "load_average_before": load, "machine": machine()}
    )


if __name__ == "__main__":
    main()
