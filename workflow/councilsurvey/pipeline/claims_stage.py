"""Stage ``claims``: every published figure of a wave against the reproduced one."""

from __future__ import annotations

import logging

from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame

log = logging.getLogger("councilsurvey")


def claims_wave(
    weighted, segments, frame, n_councils, published, claims_table, wave, variance=None
) -> None:
    """The claims check of one wave: see :mod:`councilsurvey.analysis.claims`."""
    from councilsurvey.analysis.claims import check_claims, load_claims
    from councilsurvey.analysis.segments import read_segmented
    from councilsurvey.survey.design import SurveyDesign

    design = SurveyDesign.of_wave(
        read_segmented(weighted, segments, "segment_rule"), lonely_psu=_lonely_psu(variance)
    )
    claims = load_claims(published) if published else []
    result = check_claims(design, claims, load_frame(frame, n_councils))
    write_csv(result, claims_table)
    for row in result.itertuples():
        level = logging.INFO if row.status == "PASS" else logging.WARNING
        log.log(
            level,
            "wave %s claim %s: published %g, reproduced %.4g -> %s",
            wave,
            row.claim_id,
            row.published,
            row.reproduced,
            row.status,
        )


def _lonely_psu(variance: dict | None) -> str:
    """``config.yaml`` ``variance.lonely_psu`` (R's default, fail, when not given)."""
    return (variance or {}).get("lonely_psu", "fail")
