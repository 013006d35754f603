"""CPU the notebooks' figure functions cost: each executed notebook of a run, its code cells
run again in a plain Python, the seconds spent inside the figure functions summed.

    .venv/bin/python bench/figure_cpu.py [CHECKOUT] [--repeats 3] [--library DIR]

Needs a pipeline run in CHECKOUT (default: this checkout): it reads the notebooks papermill
executed there (``results/<wave>/notebooks/*.ipynb``, whose injected parameters name the
run's data) and the library of ``--library`` (default: CHECKOUT's ``workflow``), so that
two versions of the figure code can be timed on the same run, one after the other. The
notebook's cells run with matplotlib's Agg backend and ``figures.shown`` a no-op; figures
and tables are written to a temporary folder, never over the run's (a table the notebook
reads, which another stage wrote, is copied there first). A notebook's figure
CPU is the process time spent inside every ``*_figure`` function of the report modules
(drawing, layout, writing PNG and SVG; not the analysis that makes their tables), best of
``--repeats`` fresh processes. Writes bench/results/figure_cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import PYTHON, ROOT, load_average, machine, write_results

#: the report modules whose ``*_figure`` functions the notebooks call
MODULES = ["attitude_figures", "theme_figures", "trend_figures", "segment_figures"]


def worker(notebook: str, out: str) -> None:
    """Run ``notebook``'s code cells with its injected parameters, outputs under ``out``;
    print the figure functions' summed process time (s) as the last line."""
    import functools
    import importlib
    import time

    import matplotlib

    matplotlib.use("Agg")
    from councilsurvey.report import figures

    figures.shown = lambda *pngs: None  # the notebook shows the file; nothing to show here
    spent = [0.0]

    def timed(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - start

        return wrapper

    for name in MODULES:
        module = importlib.import_module(f"councilsurvey.report.{name}")
        for attr, value in list(vars(module).items()):
            if attr.endswith("_figure") and getattr(value, "__module__", "") == module.__name__:
                setattr(module, attr, timed(value))
    namespace: dict = {}
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or "parameters" in tags:
            continue  # the defaults; papermill's injected cell follows
        exec("".join(cell["source"]), namespace)
        if "injected-parameters" in tags:  # write figures and tables elsewhere
            for key, value in list(namespace.items()):
                if isinstance(value, str) and (key.startswith("fig_") or key.endswith("_table")):
                    namespace[key] = os.path.join(out, os.path.basename(value))
                    if key.endswith("_table") and os.path.isfile(value):
                        # a table another stage wrote, which the notebook reads
                        # (segmentation's agreement and reliability): a copy, read there
                        shutil.copyfile(value, namespace[key])
    print(f"{spent[0]:.4f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--library", type=Path, help="workflow folder to import")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return
    library = (args.library or args.repo / "workflow").resolve()
    env = {**os.environ, "PYTHONPATH": str(library), "MPLBACKEND": "Agg"}
    load = load_average()
    notebooks = sorted(
        p for p in (args.repo / "results").glob("*/notebooks/*.ipynb") if "bundles" not in p.parts
    )
    if not notebooks:
        sys.exit(f"no executed notebooks under {args.repo / 'results'}: run the pipeline first")
    rows = {}
    for nb in notebooks:
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as out:
                done = subprocess.run(
                    [PYTHON, __file__, "--worker", str(nb), out],
                    cwd=args.repo,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
            runs.append(float(done.stdout.split()[-1]))
        key = str(nb.relative_to(args.repo / "results"))
        rows[key] = {"figure_cpu_s": min(runs), "runs_s": runs}
        print(f"{key:40s} {min(runs):6.2f} s  (runs: {', '.join(f'{r:.2f}' for r in runs)})")
    total = sum(r["figure_cpu_s"] for r in rows.values())
    print(f"{'all':40s} {total:6.2f} s")
    write_results(
        "figure_cpu",
        {
            "library": str(library),
            "notebooks": rows,
            "total_s": total,
            "repeats": args.repeats,
            "load_average": load,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
