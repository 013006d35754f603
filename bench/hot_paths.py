"""Before and after: the library calls of the hot paths, timed with an older checkout's
library and with this one's, on the same synthetic wave.

    git clone . /tmp/bench-snap && git -C /tmp/bench-snap checkout 1bb7a65   # the commit before
    .venv/bin/python bench/hot_paths.py --before /tmp/bench-snap/workflow [--rows 100000]

Each library is imported in its own process (``PYTHONPATH``), which reads
``bench/work/large-<rows>/export.csv`` (written by ``bench/large_wave.py``, or here if
missing) and times, one after the other: ``export.read_export``, ``cleaning.recode``,
``cleaning.clean`` (of the export read before), ``weighting.weight`` (of the cleaned
responses) and ``segmentation.segment_shares`` (of the weighted responses, rule segments);
wall and CPU seconds each, the median of ``--repeats``. Writes
bench/results/hot_paths_<rows>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from common import PYTHON, ROOT, WORK, first_argument, load_average, machine, median, write_results

CALLS = ["read_export", "recode", "clean", "weight", "segment_shares"]


def child(export: Path, repeats: int) -> None:
    """Run in the measured process: time the calls with the library on sys.path."""
    import time

    import councilsurvey
    from councilsurvey.analysis.segmentation import segment_shares
    from councilsurvey.analysis.segments import classify
    from councilsurvey.cleaning.clean import clean, recode
    from councilsurvey.cleaning.matching import CouncilMatcher
    from councilsurvey.inputs.codebook import load_codebook
    from councilsurvey.inputs.export import read_export
    from councilsurvey.inputs.frame import load_frame, load_outside_england
    from councilsurvey.pipeline.paths import load_config
    from councilsurvey.survey.weighting import weight

    cfg = load_config(Path(councilsurvey.__file__).parents[2] / "config.yaml")
    wave = ROOT / "data" / "raw" / "2017"
    codebook = load_codebook(wave / "codebook.yaml")
    frame = load_frame(ROOT / "data" / "reference" / "councils_england_2017.csv", 353)
    outside = load_outside_england(
        ROOT / "data" / "reference" / "councils_outside_england_2017.csv"
    )
    benefit = ["att_big_data", "att_automation", "att_tech_services"]
    times: dict[str, list] = {c: [] for c in CALLS}

    def timed(name, fn, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        return out

    for _ in range(repeats):
        matcher = CouncilMatcher(  # a new one each time: it remembers names it matched
            frame,
            outside,
            threshold=cfg["cleaning"]["fuzzy_threshold"],
            margin=cfg["cleaning"]["ambiguity_margin"],
        )
        raw = timed("read_export", read_export, export, codebook, format="surveymonkey")
        timed("recode", recode, raw, codebook)
        result = timed(
            "clean",
            clean,
            raw,
            codebook,
            frame,
            matcher,
            b"bench",
            "large",
            min_answered_share=cfg["cleaning"]["min_answered_share"],
            test_markers=cfg["cleaning"].get("test_markers"),
        )
        weighted = timed("weight", weight, result.responses, frame, cfg["weighting"])
        data = weighted.data
        data["segment"] = classify(data, benefit)
        timed("segment_shares", segment_shares, first_argument(segment_shares, data), "segment")
        del raw, result, weighted, data
    print(json.dumps({"library": councilsurvey.__file__, "times": times}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="workflow/ of the old checkout")
    parser.add_argument("--after", type=Path, default=ROOT / "workflow")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.repeats)
        return
    export = WORK / f"large-{args.rows}" / "export.csv"
    if not export.exists():
        subprocess.run(
            [
                str(PYTHON),
                str(ROOT / "bench" / "large_wave.py"),
                "--stage",
                "generate",
                "--work",
                str(export.parent),
                "--rows",
                str(args.rows),
            ],
            check=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "workflow")),
        )
    out = {}
    load = load_average()
    for label, lib in (("before", args.before), ("after", args.after)):
        proc = subprocess.run(
            [
                str(PYTHON),
                __file__,
                "--before",
                str(args.before),
                "--child",
                str(export),
                "--repeats",
                str(args.repeats),
            ],
            env=dict(os.environ, PYTHONPATH=str(lib.resolve()), MPLBACKEND="Agg"),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            sys.exit(proc.stderr[-3000:])
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        out[label] = {
            call: {
                "wall_s": median([w for w, _ in got["times"][call]]),
                "cpu_s": median([c for _, c in got["times"][call]]),
            }
            for call in CALLS
        }
        out[label]["library"] = got["library"]
    print(f"{'call':16s} {'before s':>10s} {'after s':>10s} {'speed-up':>9s}  (CPU seconds)")
    ratios = {}
    for call in CALLS:
        b, a = out["before"][call]["cpu_s"], out["after"][call]["cpu_s"]
        ratios[call] = b / a if a else None
        print(f"{call:16s} {b:10.2f} {a:10.2f} {ratios[call]:8.0f}x")
    write_results(
        f"hot_paths_{args.rows}",
        {
            "benchmark": "hot_paths",
            "command": f".venv/bin/python bench/hot_paths.py --before {args.before} "
            f"--rows {args.rows} --repeats {args.repeats}",
            "rows": args.rows,
            "before": out["before"],
            "after": out["after"],
            "cpu_speedup": ratios,
            "load_average_before": load,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
