"""Stage ``claims``: every published figure of a wave against the reproduced one."""

from __future__ import annotations

import logging

from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame

log = logging.getLogger("councilsurvey")


def claims_wave(
    weighted,
    segments,
    frame,
    n_councils,
    published,
    claims_table,
    wave,
    codebook=None,
    questionnaire=None,
    variance=None,
) -> None:
    """The claims check of one wave: see :mod:`councilsurvey.analysis.claims`.

    ``codebook`` reads the questions' answers (answer texts -> codes, options -> columns);
    ``questionnaire`` gives the ``label`` column its words. A claim that is not a PASS is
    logged as a warning; none stops the run.
    """
    from councilsurvey.analysis.claims import Published, check_claims, load_published
    from councilsurvey.analysis.segments import read_segmented
    from councilsurvey.inputs.codebook import load_codebook
    from councilsurvey.inputs.instrument import load_instrument
    from councilsurvey.survey.design import SurveyDesign

    design = SurveyDesign.of_wave(
        read_segmented(weighted, segments, "segment_rule"), lonely_psu=_lonely_psu(variance)
    )
    claims = load_published(published) if published else Published({}, [])
    result = check_claims(
        design,
        claims,
        load_frame(frame, n_councils, validate=False),  # checked by validate_raw
        load_codebook(codebook) if codebook else None,
        load_instrument(questionnaire) if questionnaire else None,
    )
    write_csv(result, claims_table)
    for row in result.itertuples():
        level = logging.INFO if row.status == "PASS" else logging.WARNING
        log.log(
            level,
            "wave %s claim %s: published %g, reproduced %.4g -> %s%s",
            wave,
            row.claim_id,
            row.published,
            row.reproduced,
            row.status,
            f" ({row.note})" if row.note else "",
        )


def _lonely_psu(variance: dict | None) -> str:
    """``config.yaml`` ``variance.lonely_psu`` (R's default, fail, when not given)."""
    return (variance or {}).get("lonely_psu", "fail")
