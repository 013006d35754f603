"""Stages ``validate_raw`` and ``clean``: a wave's raw export, codebook and council frame
are checked, then recoded, matched to councils and pseudonymised (one row per respondent)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from councilsurvey.cleaning.clean import clean
from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.cleaning.pseudonym import load_key
from councilsurvey.core.writers import write_csv, write_parquet, write_text
from councilsurvey.inputs.codebook import load_codebook
from councilsurvey.inputs.damage import check_damage
from councilsurvey.inputs.export import read_export
from councilsurvey.inputs.frame import load_frame, load_outside_england

log = logging.getLogger("councilsurvey")


def validate_raw(
    export, codebook, frame, n_councils, outside, report, wave, export_format=None, encoding=None
) -> dict:
    """Check that a wave's raw inputs can be read: codebook schema, export headers and
    answers, council frame schema. Writes a JSON report; raises ``InputError`` if not."""
    from councilsurvey.cleaning.clean import recode

    cb = load_codebook(codebook)
    raw = read_export(export, cb, format=export_format, encoding=encoding)
    check_damage(raw, cb)  # spreadsheet damage and dates, here rather than at clean
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
    write_text(json.dumps(result, indent=2) + "\n", report)
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
    match_accuracy=None,
    export_format=None,
    encoding=None,
    successors_as_of=None,
    successors=None,
    truth=None,
) -> None:
    """The clean stage for one wave: see :mod:`councilsurvey.cleaning.clean`. Names of councils
    abolished on or before ``successors_as_of`` (the wave's fieldwork start, or the day
    before its ``end_before`` date: :func:`councilsurvey.inputs.fieldwork.successors_as_of`)
    are matched to their successors. A synthetic wave's ``truth`` file adds council-matching
    accuracy to the summary and fills ``match_accuracy`` (a wave without one gets the
    table's header only: :mod:`councilsurvey.cleaning.truth`)."""
    import pandas as pd

    cb = load_codebook(codebook)
    raw = read_export(export, cb, format=export_format, encoding=encoding)
    fr = load_frame(frame, n_councils)
    succ = pd.read_csv(successors, dtype=str) if successors else None
    if succ is not None and successors_as_of is not None:
        log.info(
            "wave %s: names of councils abolished on or before %s are matched to successors",
            wave,
            successors_as_of,
        )
    matcher = CouncilMatcher(
        fr,
        load_outside_england(outside),
        threshold=cleaning["fuzzy_threshold"],
        margin=cleaning["ambiguity_margin"],
        successors=succ,
        as_of=successors_as_of,
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
        officer_markers=cleaning.get("officer_markers"),
        min_duration_minutes=cleaning.get("min_duration_minutes", 2.0),
        truth=truth or None,
    )
    write_parquet(result.responses, responses)
    write_csv(result.log, cleaning_log)
    write_csv(result.matches, matches)
    write_csv(result.summary, summary)
    if match_accuracy:
        write_csv(result.accuracy, match_accuracy)
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
