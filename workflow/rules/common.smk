# Shared helpers of the rules: waves, their raw inputs and the paths of stage outputs.
# Paths come from councilsurvey.pipeline.paths so that rules and hand-run scripts agree.
import sys
from pathlib import Path

from councilsurvey.pipeline import lock as run_lock
from councilsurvey.pipeline import signals as run_signals
from councilsurvey.pipeline import paths
from councilsurvey.pipeline.libfiles import library_files
from councilsurvey.core.statement import data_statement as _statement


WAVES = paths.discover_waves(config)

# one terminal line per finished job, with the progress count (see pipeline/terminal.py)
from councilsurvey.pipeline.terminal import compact_progress

compact_progress()


def library(script, *notebooks):
    """Input: the library files that the rule's script workflow/scripts/<script>.py (and the
    notebooks it runs) import, directly or through other modules, read from their import
    statements; so a change to a module reruns exactly the rules whose code runs it."""
    return library_files(f"workflow/scripts/{script}.py", *notebooks, root=workflow.basedir)


# (no constraint on {wave}: a constraint listing the waves would change every rule's
# pattern, and so each wave's bundled report, whenever a wave is added)
wildcard_constraints:
    wave="[^/]+",
    notebook="|".join(paths.NOTEBOOKS + ["trends"]),


def wave_input(key):
    """Input function: one raw input of a wave (export, codebook, frame, outside; truth,
    which only a synthetic wave's wave.yaml may name: none otherwise)."""

    def fn(wildcards):
        return paths.wave_inputs(config, wildcards.wave).get(key, [])

    return fn


def frame_size(wildcards):
    return paths.frame_of(config, wildcards.wave)["n_councils"]


def is_synthetic(wildcards):
    return bool(wave_info(wildcards.wave).get("synthetic", False))


def data_statement(wildcards):
    """The data statement printed on every figure and caption of a wave (or of trends)."""
    if wildcards.wave == paths.TRENDS:
        return paths.trends_parameters(config, WAVES)["statement"]
    return _statement(is_synthetic(wildcards))


def out(key, wave="{wave}"):
    """Output path of a stage, with the wave wildcard left open by default."""
    return paths.stage_outputs(wave)[key]


def nb_out(name, key, wave="{wave}"):
    """A file an analysis notebook writes (figures as <key>_png / <key>_svg)."""
    return paths.notebook_files(wave, name)[key]


def nb_executed(name, ext="ipynb", wave="{wave}"):
    return paths.executed_notebook(wave, name, ext)


def nb_parameters(name):
    """Params function: the notebook's papermill parameters for a wave."""

    def fn(wildcards):
        return paths.notebook_parameters(config, wildcards.wave, name)

    return fn


def wave_info(wave):
    return paths.wave_info(config, wave)


def wave_field(key):
    """Input/params function: a field of the wave's wave.yaml (a resolved path for files)."""

    def fn(wildcards):
        return wave_info(wildcards.wave).get(key)

    return fn


def published_claims(wildcards):
    """The wave's published figures, or nothing (a wave need not have any)."""
    return wave_info(wildcards.wave).get("published") or []


def robustness_out(key, wave="{wave}"):
    """The robustness grid's table or figure of a wave."""
    return paths.robustness_files(wave)[key]


def robustness_inputs(wildcards):
    """Input function: every specification's estimates of a wave, in config order."""
    return [
        paths.robustness_estimates(wildcards.wave, scheme, segmentation)
        for scheme, segmentation in paths.robustness_specifications(config)
    ]


# the robustness grid's jobs: only the inputs and settings they use


def scheme_params(wildcards):
    """Only the settings a grid job uses: its scheme and the segmentations (so that a new
    baseline or published finding reruns no estimates)."""
    return {
        "weighting": {wildcards.scheme: config["robustness"]["weighting"][wildcards.scheme]},
        "segmentation": config["robustness"]["segmentation"],
    }


def spec_segments(wildcards):
    """The segments file (the latent classes), for a latent segmentation only."""
    spec = config["robustness"]["segmentation"][wildcards.segmentation] or {}
    return out("segments", wildcards.wave) if spec.get("method") == "latent" else []


def scheme_frame(wildcards):
    """The frame, for the schemes that use it (every scheme but no weights)."""
    scheme = config["robustness"]["weighting"][wildcards.scheme] or {}
    return [] if scheme.get("weights") == "none" else wave_input("frame")(wildcards)


# robustness.batch: wave, one job per wave


def grid_segments(wildcards):
    """The segments file (the latent classes), if a segmentation of the grid is latent."""
    segmentations = config["robustness"]["segmentation"].values()
    latent = any((spec or {}).get("method") == "latent" for spec in segmentations)
    return out("segments", wildcards.wave) if latent else []


def grid_frame(wildcards):
    """The frame, if a scheme of the grid uses it (every scheme but no weights does)."""
    schemes = config["robustness"]["weighting"].values()
    used = any((s or {}).get("weights") != "none" for s in schemes)
    return wave_input("frame")(wildcards) if used else []


def grid_params(wildcards):
    """Only the settings the grid's estimates use: its schemes and segmentations (so that
    a new baseline or published finding reruns no estimates)."""
    return {part: config["robustness"][part] for part in ("weighting", "segmentation")}


def bundle_files(wildcards):
    return list(paths.bundle_contents(wildcards.wave, config).values())


def bundle_raw_inputs(wildcards):
    return paths.raw_inputs(config, wildcards.wave)


def print_claims_summary():
    """Print every wave's claims check at the end of a run (the count of each status, one
    line per FAIL; see councilsurvey.analysis.claims.summary_lines) and the path of every
    bundle written or found unchanged."""
    import pandas as pd
    from councilsurvey.analysis.claims import summary_lines

    for wave in WAVES:
        path = Path(paths.claims_path(wave))
        if not path.exists():
            continue
        for line in summary_lines(pd.read_csv(path, keep_default_na=False, na_values=[""]), wave):
            print(line)
    for wave in WAVES + ([paths.TRENDS] if len(WAVES) > 1 else []):
        receipt = Path(paths.current_receipt(config, wave))
        if receipt.exists():
            import json

            got = json.loads(receipt.read_text(encoding="utf-8"))
            print(f"Bundle {got['bundle']} ({got['status']}; zip {got['zip']})")


def all_outputs():
    targets = []
    for wave in WAVES:
        targets += list(paths.stage_outputs(wave).values())
        for name in paths.NOTEBOOKS:
            targets += list(paths.notebook_files(wave, name).values())
            targets += [nb_executed(name, "html", wave)]
        targets += list(paths.robustness_files(wave).values())
        if wave in paths.validation_waves(config):
            targets += list(paths.validation_files(wave).values())
        targets += [paths.claims_path(wave), paths.current_receipt(config, wave)]
        # requested, so that a bundle whose folder was deleted is a missing output (Snakemake
        # checks only the outputs a target or a later job asks for)
        targets += [paths.bundle_manifest(config, wave)]
    if len(WAVES) > 1:
        targets += list(paths.trends_files().values())
        targets += [nb_executed("trends", "html", paths.TRENDS)]
        targets += [paths.current_receipt(config, paths.TRENDS)]
        targets += [paths.bundle_manifest(config, paths.TRENDS)]
    return targets

