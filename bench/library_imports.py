"""What SciPy's and matplotlib's imports cost with and without the package's light imports
(``councilsurvey.core.light_imports``): CPU seconds of each import in a fresh Python,
the package imported first or not, alternating, median of ``--repeats`` each.

    .venv/bin/python bench/library_imports.py [CHECKOUT] [--repeats 9]

The CPU of ``import councilsurvey`` itself is counted in the "package first" figure. Writes
bench/results/library_imports.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from common import PYTHON, ROOT, load_average, machine, median, write_results

IMPORTS = {
    "scipy.stats + scipy.optimize": "import scipy.stats, scipy.optimize",
    "matplotlib.pyplot": "import matplotlib.pyplot",
}


def cpu_of(statement: str, package_first: bool, env: dict) -> float:
    """CPU seconds (process time) of ``statement`` in a fresh Python."""
    first = "import councilsurvey; " if package_first else ""
    code = (
        f"import time; t = time.process_time(); {first}{statement}; print(time.process_time() - t)"
    )
    done = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(args.repo / "workflow"), "MPLBACKEND": "Agg"}
    load = load_average()
    rows = {}
    for name, statement in IMPORTS.items():
        plain, light = [], []
        for _ in range(args.repeats):
            plain.append(cpu_of(statement, False, env))
            light.append(cpu_of(statement, True, env))
        rows[name] = {
            "alone_s": median(plain),
            "package_first_s": median(light),
            "saved_s": median(plain) - median(light),
            "alone_runs_s": plain,
            "package_first_runs_s": light,
        }
        print(
            f"{name:30s} alone {median(plain):5.2f} s   package first {median(light):5.2f} s"
            f"   saved {median(plain) - median(light):5.2f} s  (medians of {args.repeats})"
        )
    write_results(
        "library_imports",
        {"imports": rows, "repeats": args.repeats, "load_average": load, "machine": machine()},
    )


if __name__ == "__main__":
    main()
