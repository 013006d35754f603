"""Stage ``claims``: every published figure of a wave against the reproduced one."""

from __future__ import annotations

import logging

from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame

log = logging.getLogger("councilsurvey")


def claims_wave(weighted, segments, frame, n_councils, published, claims_table, wave) -> None:
    """The claims check of one wave: see :mod:`councilsurvey.analysis.claims`."""
    import pandas as pd

    from councilsurvey.analysis.claims import check_claims, load_claims

    data = pd.read_parquet(weighted)
    seg = pd.read_parquet(segments)[["respondent_id", "segment_rule"]]
    data = data.merge(seg, on="respondent_id", how="left", validate="one_to_one")
    claims = load_claims(published) if published else []
    result = check_claims(claims, data, load_frame(frame, n_councils))
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
