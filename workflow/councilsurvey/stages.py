"""The pipeline's stages as plain functions of paths, called by ``workflow/scripts``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .cleaning import clean
from .codebook import load_codebook
from .export import read_surveymonkey
from .frame import load_frame, load_outside_england
from .matching import CouncilMatcher
from .pseudonym import load_key
from .runner import write_csv, write_parquet

log = logging.getLogger("councilsurvey")


def validate_raw(export, codebook, frame, n_councils, outside, report, wave) -> dict:
    """Check that a wave's raw inputs can be read: codebook schema, export headers and
    answers, council frame schema. Writes a JSON report; raises ``InputError`` if not."""
    from .cleaning import recode

    cb = load_codebook(codebook)
    raw = read_surveymonkey(export, cb)
    recode(raw, cb)
    fr = load_frame(frame, n_councils)
    out = load_outside_england(outside)
    result = {
        "wave": str(wave),
        "export": Path(export).name,
        "rows": len(raw.data),
        "variables": [v["id"] for v in cb.variables],
        "warnings": raw.warnings,
        "frame_councils": len(fr),
        "frame_seats": int(fr["seats"].sum()),
        "outside_england_councils": len(out),
    }
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info(
        "validated %s: %d rows, %d variables", export, result["rows"], len(result["variables"])
    )
    return result


def clean_wave(
    export,
    codebook,
    frame,
    n_councils,
    outside,
    key_file,
    wave,
    cleaning,
    responses,
    cleaning_log,
    matches,
    summary,
) -> None:
    """The clean stage for one wave: see :mod:`councilsurvey.cleaning`."""
    cb = load_codebook(codebook)
    raw = read_surveymonkey(export, cb)
    fr = load_frame(frame, n_councils)
    matcher = CouncilMatcher(
        fr,
        load_outside_england(outside),
        threshold=cleaning["fuzzy_threshold"],
        margin=cleaning["ambiguity_margin"],
    )
    result = clean(
        raw,
        cb,
        fr,
        matcher,
        load_key(key_file),
        str(wave),
        min_answered_share=cleaning["min_answered_share"],
        test_markers=cleaning.get("test_markers"),
    )
    write_parquet(result.responses, responses)
    write_csv(result.log, cleaning_log)
    write_csv(result.matches, matches)
    write_csv(result.summary, summary)
    s = dict(zip(result.summary["metric"], result.summary["value"], strict=True))
    log.info(
        "wave %s: %d raw rows -> %d respondents from %d councils (%d excluded, "
        "%d council names repaired)",
        wave,
        s["raw_rows"],
        s["respondents"],
        s["councils"],
        s["excluded_total"],
        s["repaired_council_names"],
    )


def weight_wave(
    responses,
    frame,
    n_councils,
    weighting,
    wave,
    synthetic,
    weighted,
    margins,
    diagnostics,
    trimming,
    margins_figure,
) -> None:
    """The weight stage for one wave: see :mod:`councilsurvey.weighting`."""
    import pandas as pd

    from .figures import data_statement
    from .figures import margins_figure as plot_margins
    from .weighting import weight

    data = pd.read_parquet(responses)
    fr = load_frame(frame, n_councils)
    result = weight(data, fr, weighting, source=responses)
    write_parquet(result.data, weighted)
    write_csv(result.margins, margins)
    write_csv(result.diagnostics, diagnostics)
    Path(trimming).write_text(
        json.dumps(result.trimming or {"trimming": "off"}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    plot_margins(
        result.margins,
        margins_figure,
        f"Wave {wave}: respondents against the council frame, by raked margin",
        data_statement(synthetic),
    )
    d = result.diagnostics.set_index("weight").loc["weight"]
    log.info(
        "wave %s: weights sum to %.0f seats; Kish deff %.3f, effective n %.1f; "
        "%s iterations, converged=%s",
        wave,
        d["sum"],
        d["deff_kish"],
        d["n_effective"],
        d["iterations"],
        d["converged"],
    )


def run_analysis_notebook(notebook, executed, parameters) -> None:
    """Run one analysis notebook with papermill (see :mod:`councilsurvey.notebooks`)."""
    from .notebooks import run_notebook

    run_notebook(notebook, executed, dict(parameters))


def render_notebook(executed, html) -> None:
    """Render an executed notebook to self-contained HTML."""
    from .notebooks import render_html

    render_html(executed, html)
    log.info("rendered %s -> %s", executed, html)
