"""The pipeline configuration and the paths of every stage's inputs and outputs.

``config.yaml`` is checked against ``workflow/schemas/config.schema.yaml``. The path
functions here are used both by the Snakemake rules (through ``common.smk``) and by the
scripts when run by hand, so the two always agree.
"""

from __future__ import annotations

from pathlib import Path

from .yamlio import load_yaml, validate

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
KEY_FILE = ".secrets/pseudonym.key"


def load_config(path="config.yaml") -> dict:
    """Read and validate ``config.yaml``."""
    cfg = load_yaml(path)
    validate(cfg, SCHEMA, path)
    return cfg


def raw_dir(wave: str) -> str:
    return f"data/raw/{wave}"


def processed_dir(wave: str) -> str:
    return f"data/processed/{wave}"


def results_dir(wave: str) -> str:
    return f"results/{wave}"


def wave_inputs(cfg: dict, wave: str) -> dict:
    """Raw inputs of one wave: export, codebook, frame, list of councils outside England."""
    w = cfg["waves"][str(wave)]
    frame = cfg["frames"][w["frame_year"]]
    return {
        "export": f"{raw_dir(wave)}/{w['export']}",
        "codebook": f"{raw_dir(wave)}/{w['codebook']}",
        "frame": frame["path"],
        "outside": cfg["outside_england"],
    }


def stage_outputs(wave: str) -> dict:
    """Output paths of the validate and clean stages of one wave."""
    return {
        "report": f"{results_dir(wave)}/validation/validation.json",
        "responses": f"{processed_dir(wave)}/responses.parquet",
        "cleaning_log": f"{processed_dir(wave)}/cleaning_log.csv",
        "matches": f"{results_dir(wave)}/cleaning/council_matches.csv",
        "summary": f"{results_dir(wave)}/cleaning/summary.csv",
        "weighted": f"{processed_dir(wave)}/weighted.parquet",
        "margins": f"{results_dir(wave)}/weighting/margins.csv",
        "diagnostics": f"{results_dir(wave)}/weighting/diagnostics.csv",
        "trimming": f"{results_dir(wave)}/weighting/trimming.json",
        "margins_figure": f"{results_dir(wave)}/weighting/margins.png",
    }


def wave_paths(wave: str, stage: str, config_path="config.yaml") -> tuple[dict, str]:
    """Every argument a stage function may take, for running a script by hand, and the
    stage's log file. :func:`councilsurvey.runner.script_main` passes each function the
    ones its signature names."""
    cfg = load_config(config_path)
    w = cfg["waves"][str(wave)]
    args = {
        **wave_inputs(cfg, wave),
        **stage_outputs(wave),
        "wave": str(wave),
        "n_councils": cfg["frames"][w["frame_year"]]["n_councils"],
        "key_file": KEY_FILE,
        "cleaning": cfg["cleaning"],
        "weighting": cfg["weighting"],
        "synthetic": bool(w.get("synthetic", False)),
    }
    return args, f"logs/{wave}/{stage}.log"
