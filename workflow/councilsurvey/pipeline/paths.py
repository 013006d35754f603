"""The pipeline configuration and the paths of every stage's inputs and outputs.

``config.yaml`` is checked against ``workflow/schemas/config.schema.yaml``. The path
functions here are used both by the Snakemake rules (through ``common.smk``) and by the
scripts when run by hand, so the two always agree.
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path

from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml, stat_key, validate
from councilsurvey.inputs.fieldwork import check_fieldwork, successors_as_of

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
KEY_FILE = ".secrets/pseudonym.key"


WAVE_SCHEMA = ROOT / "workflow" / "schemas" / "wave.schema.yaml"
RAW_ROOT = "data/raw"


def load_config(path="config.yaml") -> dict:
    """Read and validate ``config.yaml``."""
    cfg = load_yaml(path)
    validate(cfg, SCHEMA, path)
    return cfg


def check_config(cfg: dict, source="config.yaml") -> None:
    """Validate a parsed configuration (the Snakefile's ``config``).

    Raises
    ------
    InputError
        One line naming ``source``, the section and key, and what is wrong.
    """
    validate(cfg, SCHEMA, source)


def discover_waves(cfg: dict, root=RAW_ROOT) -> list[str]:
    """Every folder ``<root>/<wave>/`` holding a ``wave.yaml``, sorted; restricted to
    ``config.yaml``'s ``waves`` list when one is given. Each is validated (see
    :func:`wave_info`)."""
    found = sorted(p.parent.name for p in Path(root).glob("*/wave.yaml"))
    wanted = cfg.get("waves")
    if wanted:
        missing = [str(w) for w in wanted if str(w) not in found]
        if missing:
            raise InputError(
                Path(root) / missing[0] / "wave.yaml",
                "config.yaml lists this wave but its wave.yaml is missing",
            )
        found = [w for w in found if w in {str(x) for x in wanted}]
    for wave in found:
        wave_info(cfg, wave, root)
    return found


def wave_info(cfg: dict, wave: str, root=RAW_ROOT) -> dict:
    """A wave's ``wave.yaml``, validated, with file paths resolved from the repository root.

    Raises
    ------
    InputError
        Naming ``wave.yaml`` for a schema violation, fieldwork dates that are not dates or
        out of order (:func:`councilsurvey.inputs.fieldwork.check_fieldwork`), a file that
        does not exist, or a frame year that ``config.yaml`` has no frame for.
    """
    folder = Path(root) / str(wave)
    path = folder / "wave.yaml"
    if not path.is_file():
        load_yaml(path)  # raises, naming the file
    info = copy.deepcopy(_checked_wave_yaml(stat_key(path)))
    for key in ("export", "codebook", "questionnaire", "published", "truth"):
        if key in info:
            resolved = os.path.normpath(folder / info[key])
            if not Path(resolved).is_file():
                raise InputError(
                    path,
                    f"{key} file {info[key]!r} does not exist (looked for {resolved})",
                    column=key,
                )
            info[key] = Path(resolved).as_posix()
    year = info["frame_year"]
    if year not in cfg["frames"] and str(year) not in {str(k) for k in cfg["frames"]}:
        raise InputError(
            path,
            f"frame year {year} has no council frame in config.yaml "
            f"(frames: {', '.join(str(k) for k in sorted(cfg['frames']))})",
            column="frame_year",
        )
    return info


@lru_cache(maxsize=256)
def _checked_wave_yaml(key: tuple[str, str, int, int]) -> dict:
    """A ``wave.yaml`` read and checked against its schema and for its fieldwork dates,
    once per process and version of the file (the rules' input functions ask for a
    wave's information some two hundred times while Snakemake builds its DAG)."""
    path = Path(key[0])
    info = load_yaml(path)
    validate(info, WAVE_SCHEMA, path)
    check_fieldwork(info["fieldwork"], path)
    return dict(info)


def frame_of(cfg: dict, wave: str) -> dict:
    """The council frame entry (path, n_councils) of a wave's frame year."""
    year = wave_info(cfg, wave)["frame_year"]
    frames = {int(k): v for k, v in cfg["frames"].items()}
    return frames[int(year)]


def raw_dir(wave: str) -> str:
    return f"data/raw/{wave}"


def processed_dir(wave: str) -> str:
    return f"data/processed/{wave}"


def results_dir(wave: str) -> str:
    return f"results/{wave}"


def wave_inputs(cfg: dict, wave: str) -> dict:
    """Raw inputs of one wave: export, codebook, frame, list of councils outside England,
    and for a synthetic wave that has one, the generator's truth file."""
    w = wave_info(cfg, wave)
    inputs = {
        "export": w["export"],
        "codebook": w["codebook"],
        "frame": frame_of(cfg, wave)["path"],
        "outside": cfg["outside_england"],
    }
    if w.get("truth"):
        inputs["truth"] = w["truth"]
    return inputs


def stage_outputs(wave: str) -> dict:
    """Output paths of the validate, clean, weight and segment stages of one wave."""
    return {
        "report": f"{results_dir(wave)}/validation/validation.json",
        "responses": f"{processed_dir(wave)}/responses.parquet",
        "cleaning_log": f"{processed_dir(wave)}/cleaning_log.csv",
        "matches": f"{results_dir(wave)}/cleaning/council_matches.csv",
        "summary": f"{results_dir(wave)}/cleaning/summary.csv",
        "match_accuracy": f"{results_dir(wave)}/cleaning/council_matching_accuracy.csv",
        "weighted": f"{processed_dir(wave)}/weighted.parquet",
        "margins": f"{results_dir(wave)}/weighting/margins.csv",
        "diagnostics": f"{results_dir(wave)}/weighting/diagnostics.csv",
        "trimming": f"{results_dir(wave)}/weighting/trimming.json",
        "collapses": f"{results_dir(wave)}/weighting/collapses.csv",
        "margins_figure": f"{results_dir(wave)}/weighting/margins.png",
        "segments": f"{processed_dir(wave)}/segments.parquet",
        "latent_selection": f"{results_dir(wave)}/tables/latent_class_selection.csv",
        "reliability": f"{results_dir(wave)}/tables/reliability.csv",
        "agreement": f"{results_dir(wave)}/tables/segment_agreement.csv",
    }


#: files each analysis notebook writes, by parameter name; ``fig_*`` are path stems that
#: get ``.png`` and ``.svg`` (notebooks write tables and figures only: data products such
#: as ``segments.parquet`` come from library rules)
NOTEBOOK_OUTPUTS = {
    "segmentation": {
        "segments_table": "{results}/tables/segments.csv",
        "profiles_table": "{results}/tables/segment_profiles.csv",
        "fig_segment_shares": "{results}/figures/segment_shares",
        "fig_segment_profiles": "{results}/figures/segment_profiles",
    },
    "attitudes": {
        "headlines_table": "{results}/tables/headlines.csv",
        "association_table": "{results}/tables/tests_association.csv",
        "caution_table": "{results}/tables/tests_caution.csv",
        "model_table": "{results}/tables/tests_enthusiast_model.csv",
        "composition_table": "{results}/tables/segment_composition.csv",
        "fig_headlines": "{results}/figures/headlines",
        "fig_segment_composition": "{results}/figures/segment_composition",
        "fig_caution_items": "{results}/figures/caution_items",
        "fig_enthusiast_odds": "{results}/figures/enthusiast_odds",
        # one figure per theme (report.theme_figures.THEMES), drawn for every wave: a wave
        # whose questionnaire did not ask the question gets a figure saying so
        "fig_champions": "{results}/figures/theme_champions",
        "fig_impact_areas": "{results}/figures/theme_impact_areas",
        "fig_challenges": "{results}/figures/theme_challenges",
    },
}
NOTEBOOKS = list(NOTEBOOK_OUTPUTS)


def notebook_outputs(wave: str, name: str) -> dict:
    """Output paths of an analysis notebook (figure entries are stems)."""
    fill = {"processed": processed_dir(wave), "results": results_dir(wave)}
    return {k: v.format(**fill) for k, v in NOTEBOOK_OUTPUTS[name].items()}


def notebook_files(wave: str, name: str) -> dict:
    """Every file a notebook writes, figures as ``<key>_png`` and ``<key>_svg``."""
    files = {}
    for key, path in notebook_outputs(wave, name).items():
        if key.startswith("fig_"):
            files[f"{key}_png"] = f"{path}.png"
            files[f"{key}_svg"] = f"{path}.svg"
        else:
            files[key] = path
    return files


def executed_notebook(wave: str, name: str, ext: str = "ipynb") -> str:
    return f"{results_dir(wave)}/notebooks/{name}.{ext}"


def notebook_parameters(cfg: dict, wave: str, name: str) -> dict:
    """The parameters a notebook is run with (papermill), from ``config.yaml``."""
    from councilsurvey.core.statement import data_statement

    w = wave_info(cfg, wave)
    params = {
        "wave": str(wave),
        "statement": data_statement(bool(w.get("synthetic", False))),
        "weighted": stage_outputs(wave)["weighted"],
        "segments": stage_outputs(wave)["segments"],
        **notebook_outputs(wave, name),
    }
    if name in ("attitudes", "segmentation"):
        params["questionnaire"] = w["questionnaire"]
        params["lonely_psu"] = cfg["variance"]["lonely_psu"]
    if name == "attitudes":
        # the published values marked in the theme figures ("" for a wave without any)
        params["published"] = w.get("published") or ""
    if name == "segmentation":
        seg = cfg["segments"]
        params.update(
            agree_codes=list(seg["agree_codes"]),
            disagree_codes=list(seg["disagree_codes"]),
            min_disagree=seg["min_disagree"],
            min_answered=seg["min_answered"],
            method=seg.get("method", "rule"),
            seed=seg.get("seed", 2017),
            latent_selection=stage_outputs(wave)["latent_selection"],
            reliability_table=stage_outputs(wave)["reliability"],
            agreement_table=stage_outputs(wave)["agreement"],
        )
    return params


def robustness_estimates(wave: str, scheme: str, segmentation: str) -> str:
    """Estimates of one specification of the robustness grid."""
    return f"{results_dir(wave)}/robustness/{scheme}/{segmentation}.csv"


def robustness_specifications(cfg: dict) -> list[tuple[str, str]]:
    """Every (weighting scheme, segmentation) of the robustness grid, in config order."""
    rob = cfg["robustness"]
    return [(w, s) for w in rob["weighting"] for s in rob["segmentation"]]


def robustness_files(wave: str) -> dict:
    """The robustness grid's table and specification-curve figure (PNG and SVG)."""
    fig = f"{results_dir(wave)}/figures/robustness_curve"
    return {
        "robustness_table": f"{results_dir(wave)}/tables/robustness.csv",
        "fig_robustness_curve_png": f"{fig}.png",
        "fig_robustness_curve_svg": f"{fig}.svg",
    }


def validation_files(wave: str) -> dict:
    """The known-truth validation study's table and figure (PNG and SVG)."""
    fig = f"{results_dir(wave)}/figures/validation"
    return {
        "validation_table": f"{results_dir(wave)}/tables/validation.csv",
        "fig_validation_png": f"{fig}.png",
        "fig_validation_svg": f"{fig}.svg",
    }


def validation_waves(cfg: dict | None) -> list[str]:
    """The waves whose frame the validation study runs on (``config.yaml``
    ``validation.waves``; none without a ``validation`` section)."""
    if not cfg or not cfg.get("validation"):
        return []
    return [str(w) for w in cfg["validation"].get("waves", [])]


TRENDS = "trends"
TRENDS_OUTPUTS = {
    "estimates_table": "results/trends/tables/trend_estimates.csv",
    "changes_table": "results/trends/tables/trend_changes.csv",
    "fig_trend_headlines": "results/trends/figures/trend_headlines",
    "fig_trend_segments": "results/trends/figures/trend_segments",
    "fig_trend_themes": "results/trends/figures/trend_themes",
}


def trends_files() -> dict:
    """Every file the trends notebook writes (figures as ``<key>_png`` / ``<key>_svg``)."""
    files = {}
    for key, path in TRENDS_OUTPUTS.items():
        if key.startswith("fig_"):
            files[f"{key}_png"], files[f"{key}_svg"] = f"{path}.png", f"{path}.svg"
        else:
            files[key] = path
    return files


def trends_parameters(cfg: dict, waves: list[str]) -> dict:
    """Parameters of the trends notebook (its labels are the newest wave's questionnaire's
    words)."""
    from councilsurvey.core.statement import data_statement

    synthetic = any(wave_info(cfg, w).get("synthetic", False) for w in waves)
    return {
        "waves": list(waves),
        "questionnaire": wave_info(cfg, waves[-1])["questionnaire"],
        "weighted": [stage_outputs(w)["weighted"] for w in waves],
        "segments": [stage_outputs(w)["segments"] for w in waves],
        "statement": data_statement(synthetic),
        "lonely_psu": cfg["variance"]["lonely_psu"],
        **TRENDS_OUTPUTS,
    }


def wave_statements(cfg: dict, waves: list[str]) -> dict[str, str]:
    """Wave -> the data statement true for it (the trends bundle's README)."""
    from councilsurvey.core.statement import wave_statement

    out = {}
    for w in waves:
        info = wave_info(cfg, w)
        out[str(w)] = wave_statement(
            bool(info.get("synthetic", False)), bool(info.get("published"))
        )
    return out


def instrument_files(cfg: dict, wave: str, folder: str = "instrument") -> dict[str, str]:
    """Bundle path -> a wave's questionnaire and codebook, so that a bundle's reader can
    decode every variable."""
    info = wave_info(cfg, wave)
    return {f"{folder}/{key}.yaml": info[key] for key in ("questionnaire", "codebook")}


def trends_contents(cfg: dict | None = None, waves: list[str] = ()) -> dict[str, str]:
    """Bundle path -> output of the trends notebook, and every wave's questionnaire and
    codebook (``instrument/<wave>/``) when ``cfg`` is given."""
    contents = {p.split("results/trends/", 1)[1]: p for p in trends_files().values()}
    for ext in ("ipynb", "html"):
        contents[f"notebooks/trends.{ext}"] = executed_notebook(TRENDS, "trends", ext)
    for w in waves if cfg is not None else ():
        contents.update(instrument_files(cfg, w, f"instrument/{w}"))
    return dict(sorted(contents.items()))


def claims_path(wave: str) -> str:
    return f"{results_dir(wave)}/claims.csv"


def bundle_name(study: str, wave: str, version: str) -> str:
    """The folder name of a published bundle (a new version is a new folder)."""
    return f"{study}-{wave}-v{version}"


def bundle_raw_inputs(cfg: dict, wave: str) -> list[str]:
    """The raw inputs a bundle is made from: its wave's, or every wave's for the trends
    bundle."""
    if str(wave) == TRENDS:
        return sorted({f for w in discover_waves(cfg) for f in raw_inputs(cfg, w)})
    return raw_inputs(cfg, wave)


_FINGERPRINTS: dict[tuple[str, str], str] = {}
#: a fingerprint in a path (``councilsurvey.core.fingerprint.LENGTH`` hex digits)
FINGERPRINT_PATTERN = "[0-9a-f]{10}"


def bundle_fingerprint(cfg: dict, wave: str) -> str:
    """The fingerprint of what a bundle is made from
    (:func:`councilsurvey.core.fingerprint.fingerprint`), computed once per run."""
    import json

    from councilsurvey.core.fingerprint import fingerprint

    key = (str(wave), json.dumps(cfg, sort_keys=True, default=str))
    if key not in _FINGERPRINTS:
        _FINGERPRINTS[key] = fingerprint(
            cfg, str(wave), bundle_raw_inputs(cfg, wave), trends=TRENDS
        )
    return _FINGERPRINTS[key]


def bundle_version(cfg: dict, wave: str, fingerprint: str | None = None) -> str:
    """A bundle's version: ``bundle.version`` (the release) and the bundle's own
    fingerprint, e.g. ``0.7.0-3fa9c2d1e0``. Each bundle has its own: the same inputs give
    the same version, a changed input a new one, for that bundle only."""
    fp = fingerprint or bundle_fingerprint(cfg, wave)
    return f"{cfg['bundle']['version']}-{fp}"


def bundle_dir(cfg: dict, wave: str) -> str:
    return f"results/bundles/{bundle_name(cfg['study'], str(wave), bundle_version(cfg, wave))}"


def bundle_manifest_pattern(cfg: dict, wave: str = "{wave}") -> str:
    """The bundle rules' output: the manifest of ``<study>-<wave>-v<version>-<fingerprint>``
    with ``{fingerprint}`` a wildcard (checked by :func:`current_fingerprint`)."""
    name = bundle_name(cfg["study"], wave, f"{cfg['bundle']['version']}-{{fingerprint}}")
    return f"results/bundles/{name}/{BUNDLE_MANIFEST}"


def current_fingerprint(cfg: dict, wave: str, fingerprint: str) -> list:
    """No inputs (an input function's check): raises when a bundle is asked for under a
    fingerprint that is not its inputs' current one.

    Raises
    ------
    InputError
        Naming the folder asked for and the current one.
    """
    now = bundle_fingerprint(cfg, wave)
    if fingerprint != now:
        raise InputError(
            bundle_dir(cfg, wave).replace(now, fingerprint),
            f"is not what the current inputs, configuration and code make (their bundle is "
            f"{bundle_dir(cfg, wave)}); run `snakemake` without naming a bundle folder",
        )
    return []


#: the checksum list of a bundle, written last: its presence marks a complete bundle (the
#: name is ``councilsurvey.publish.bundle.MANIFEST``, not imported here: the Snakefile reads
#: this module and publish imports pandas)
BUNDLE_MANIFEST = "MANIFEST.sha256"


def bundle_manifest(cfg: dict, wave: str) -> str:
    """The manifest of a wave's published bundle, which the bundle rule declares as an
    output so that a bundle whose folder was deleted is built again."""
    return f"{bundle_dir(cfg, wave)}/{BUNDLE_MANIFEST}"


def bundle_receipt(wave: str, fingerprint: str) -> str:
    """The bundle job's receipt (bundle path, manifest checksum, claims summary), one per
    fingerprint, as bundles are."""
    return f"{results_dir(wave)}/bundle-{fingerprint}.json"


def current_receipt(cfg: dict, wave: str) -> str:
    """The receipt of the bundle the current inputs make."""
    return bundle_receipt(wave, bundle_fingerprint(cfg, wave))


def bundle_log(wave: str, fingerprint: str) -> str:
    return f"logs/{wave}/bundle-{fingerprint}.log"


def bundle_contents(wave: str, cfg: dict | None = None) -> dict[str, str]:
    """Bundle path -> pipeline output, for every table, figure and notebook of a wave (with
    the validation study's when ``cfg`` runs it for the wave)."""
    outs = stage_outputs(wave)
    contents = {
        "tables/cleaning_summary.csv": outs["summary"],
        "tables/weighting_margins.csv": outs["margins"],
        "tables/weighting_diagnostics.csv": outs["diagnostics"],
        "tables/weighting_collapses.csv": outs["collapses"],
        "figures/weighting_margins.png": outs["margins_figure"],
        "tables/latent_class_selection.csv": outs["latent_selection"],
        "tables/reliability.csv": outs["reliability"],
        "tables/segment_agreement.csv": outs["agreement"],
        "claims.csv": claims_path(wave),
    }
    if cfg is not None:
        contents.update(instrument_files(cfg, wave))
    for path in robustness_files(wave).values():
        contents[path.split(f"{results_dir(wave)}/", 1)[1]] = path
    if str(wave) in validation_waves(cfg):
        for path in validation_files(wave).values():
            contents[path.split(f"{results_dir(wave)}/", 1)[1]] = path
    for name in NOTEBOOKS:
        for path in notebook_files(wave, name).values():
            if path.startswith(f"{results_dir(wave)}/"):
                contents[path.split(f"{results_dir(wave)}/", 1)[1]] = path
        for ext in ("ipynb", "html"):
            contents[f"notebooks/{name}.{ext}"] = executed_notebook(wave, name, ext)
    return dict(sorted(contents.items()))


def raw_inputs(cfg: dict, wave: str) -> list[str]:
    """Every raw and reference input of a wave (their checksums go into provenance)."""
    w = wave_info(cfg, wave)
    files = list(wave_inputs(cfg, wave).values())
    files += [w["questionnaire"], f"{raw_dir(wave)}/wave.yaml"]
    if w.get("published"):
        files.append(w["published"])
    return sorted(set(files))


def wave_paths(wave: str, stage: str, config_path="config.yaml") -> tuple[dict, str]:
    """Every argument a stage function may take, for running a script by hand, and the
    stage's log file. :func:`councilsurvey.pipeline.runner.script_main` passes each function the
    ones its signature names."""
    cfg = load_config(config_path)
    w = wave_info(cfg, wave)
    args = {
        **wave_inputs(cfg, wave),
        **stage_outputs(wave),
        "wave": str(wave),
        "n_councils": frame_of(cfg, wave)["n_councils"],
        "export_format": w.get("format"),
        "encoding": w.get("encoding"),
        "successors_as_of": successors_as_of(w["fieldwork"]),
        "successors": cfg.get("successors"),
        "key_file": KEY_FILE,
        "cleaning": cfg["cleaning"],
        "weighting": cfg["weighting"],
        "variance": cfg["variance"],
        "synthetic": bool(w.get("synthetic", False)),
    }
    if stage == "segment":
        args.update(questionnaire=w["questionnaire"], segments_cfg=cfg["segments"])
    if stage in NOTEBOOKS:
        args.update(
            notebook=f"notebooks/{stage}.ipynb",
            executed=executed_notebook(wave, stage),
            html=executed_notebook(wave, stage, "html"),
            parameters=notebook_parameters(cfg, wave, stage),
        )
    if stage == "claims":
        args.update(
            published=w.get("published"),
            questionnaire=w["questionnaire"],
            claims_table=claims_path(wave),
        )
    if stage in ("robustness", "robustness_summary"):
        from councilsurvey.core.statement import data_statement

        scheme, segmentation = baseline = (
            cfg["robustness"]["baseline"]["weighting"],
            cfg["robustness"]["baseline"]["segmentation"],
        )
        args.update(
            questionnaire=w["questionnaire"],
            segments_cfg=cfg["segments"],
            robustness=cfg["robustness"],
            published=w.get("published"),
            statement=data_statement(bool(w.get("synthetic", False))),
            k=cfg.get("disclosure", {}).get("k", 5),
            **robustness_files(wave),
        )
        if stage == "robustness":  # by hand: the baseline specification
            args.update(
                scheme=scheme,
                segmentation=segmentation,
                estimates=robustness_estimates(wave, *baseline),
            )
        else:
            args["estimates"] = [
                robustness_estimates(wave, *spec) for spec in robustness_specifications(cfg)
            ]
    if stage == "validation":
        from councilsurvey.core.statement import data_statement

        args.update(
            questionnaire=w["questionnaire"],
            segments_cfg=cfg["segments"],
            robustness=cfg["robustness"],
            validation_cfg=cfg["validation"],
            statement=data_statement(bool(w.get("synthetic", False))),
            **validation_files(wave),
        )
    if stage == "bundle":
        args.update(
            study=cfg["study"],
            version=bundle_version(cfg, wave),
            date=cfg["bundle"]["date"],
            contents=bundle_contents(wave, cfg),
            raw_inputs=raw_inputs(cfg, wave),
            config=config_path,
            lock="requirements.lock",
            snakefile="Snakefile",
            report_targets=list(bundle_contents(wave, cfg).values()),
            bundles="results/bundles",
            receipt=current_receipt(cfg, wave),
            k=cfg.get("disclosure", {}).get("k", 5),
            questionnaire=w["questionnaire"],
        )
    return args, f"logs/{wave}/{stage.replace(':', '_')}.log"
