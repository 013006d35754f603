"""CPU seconds of the segment stage's latent-class fits, with stepmix's own EM steps and
with the lean ones (``councilsurvey.analysis.latent._lean_em_steps``), and a check that
both give the same selection table bit for bit.

    .venv/bin/python bench/latent_fits.py [WEIGHTED_PARQUET] [--wave 2017] [--repeats 2]

The data are a wave's ``data/processed/<wave>/weighted.parquet`` (run the pipeline up to
``weight`` first); the candidates, criterion, seed and random starts are ``config.yaml``'s
``segments``. The two variants alternate, so that the load of other processes falls on
both; the figure is each variant's least CPU time (user + system of this process, from
``getrusage``: the fits are single-threaded). Writes bench/results/latent_fits.json.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys

from common import ROOT, load_average, machine, write_results


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weighted", nargs="?", default=None)
    parser.add_argument("--wave", default="2017")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "workflow"))

    import pandas as pd
    from stepmix import StepMix  # noqa: F401  (imported before the clock starts)

    from councilsurvey.analysis import latent
    from councilsurvey.inputs.instrument import load_instrument
    from councilsurvey.pipeline.paths import wave_paths

    paths, _ = wave_paths(args.wave, "segment")
    data = pd.read_parquet(args.weighted or ROOT / paths["weighted"])
    instrument = load_instrument(ROOT / paths["questionnaire"])
    candidates, criterion, n_init = latent.latent_settings(
        paths["segments_cfg"].get("latent_classes", 3)
    )
    seed = paths["segments_cfg"].get("seed", 2017)
    lean = latent._lean_em_steps
    load = load_average()
    seconds: dict[str, list[float]] = {"stepmix": [], "lean": []}
    tables = {}
    try:
        for _ in range(args.repeats):
            for variant in seconds:
                latent._lean_em_steps = lean if variant == "lean" else contextlib.nullcontext
                start = cpu_seconds()
                selection = latent.select_latent_classes(
                    data,
                    instrument.attitude_ids,
                    instrument.benefit_ids,
                    candidates,
                    criterion=criterion,
                    seed=seed,
                    n_init=n_init,
                )
                seconds[variant].append(cpu_seconds() - start)
                tables[variant] = selection.table
                print(f"{variant:8s} {seconds[variant][-1]:6.2f} s CPU", flush=True)
    finally:
        latent._lean_em_steps = lean
    identical = tables["stepmix"].equals(tables["lean"])
    print(f"selection tables identical: {identical}")
    write_results(
        "latent_fits",
        {
            "wave": args.wave,
            "candidates": candidates,
            "cpu_s": {k: min(v) for k, v in seconds.items()},
            "cpu_s_all": seconds,
            "tables_identical": identical,
            "load_average_before": load,
            "machine": machine(),
        },
    )
    if not identical:
        sys.exit("the lean EM steps changed the selection table")


if __name__ == "__main__":
    main()
