"""Stage functions of the robustness grid: rules ``robustness`` (one specification) and
``robustness_summary`` (the table and specification curve of a wave)."""

from __future__ import annotations

import logging

import pandas as pd

from councilsurvey.analysis.claims import load_claims
from councilsurvey.analysis.robustness import (
    baseline,
    holds_summary,
    published_shares,
    scheme_weights,
    segment_of,
    specification,
    summarise,
)
from councilsurvey.analysis.segments import read_segmented
from councilsurvey.core.errors import InputError
from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame
from councilsurvey.inputs.instrument import load_instrument
from councilsurvey.report.robustness import curve_figure
from councilsurvey.survey.design import CALIBRATION_WEIGHT, Calibration, SurveyDesign

log = logging.getLogger(__name__)


def robustness_spec(
    weighted,
    segments,
    frame,
    questionnaire,
    estimates,
    scheme,
    segmentation,
    weighting,
    segments_cfg,
    robustness,
    n_councils=None,
    wave="",
    variance=None,
) -> None:
    """Rule ``robustness``: the estimates of one specification of a wave.

    ``scheme`` and ``segmentation`` name the specification's weighting scheme and
    segmentation in ``robustness`` (``config.yaml`` ``robustness``); ``weighting`` and
    ``segments_cfg`` are the ``weighting`` and ``segments`` settings. Writes
    :data:`SPEC_COLUMNS` to ``estimates``.
    """
    schemes, segmentations = robustness["weighting"], robustness["segmentation"]
    for name, known, what in (
        (scheme, schemes, "weighting scheme"),
        (segmentation, segmentations, "segmentation"),
    ):
        if name not in known:
            raise InputError(
                "config.yaml", f"robustness: no {what} '{name}' (known: {', '.join(known)})"
            )
    data = read_segmented(weighted, segments, "segment_latent")
    fr = load_frame(frame, n_councils) if n_councils else load_frame(frame)
    weights, converged, calibration = scheme_weights(
        data, fr, weighting, schemes[scheme] or {}, source=weighted
    )
    segment = segment_of(
        data,
        segmentations[segmentation] or {},
        load_instrument(questionnaire).benefit_ids,
        segments_cfg,
        latent=data["segment_latent"],
    )
    lonely_psu = (variance or {}).get("lonely_psu", "fail")
    design = SurveyDesign.of_wave(data, lonely_psu=lonely_psu).assign(scheme_weight=weights)
    est = specification(
        scheme_design(design, calibration), segment, scheme, segmentation, converged
    )
    write_csv(est, estimates)
    for row in est.itertuples():
        log.info(
            "wave %s, %s x %s: %s %.4f (95%% CI %.4f-%.4f), n %d of %d",
            wave,
            scheme,
            segmentation,
            row.segment,
            row.share,
            row.lci,
            row.uci,
            row.n,
            row.n_base,
        )
    if not converged:
        log.warning("wave %s: the weights of scheme %s did not converge", wave, scheme)


def robustness_summary(
    estimates,
    published,
    robustness_table,
    fig_robustness_curve_png,
    fig_robustness_curve_svg,
    robustness,
    statement,
    wave="",
    k=5,
    weighting=None,
    segments_cfg=None,
) -> None:
    """Rule ``robustness_summary``: the table and specification curve of a wave, from the
    estimates of every specification (in the order of ``estimates``). The baseline
    follows the pipeline's ``weighting`` and ``segments_cfg`` settings (see
    :func:`councilsurvey.analysis.robustness.baseline`)."""
    est = pd.concat([pd.read_csv(p) for p in estimates], ignore_index=True)
    claims = load_claims(published) if published else []
    pub = published_shares(claims, robustness.get("published", {}))
    spec = baseline({"robustness": robustness, "weighting": weighting, "segments": segments_cfg})
    table = summarise(est, spec, pub)
    write_csv(table, robustness_table)
    curve_figure(
        table, fig_robustness_curve_png, fig_robustness_curve_svg, str(wave), statement, k=k
    )
    for key, value in holds_summary(table).items():
        log.info("wave %s robustness: %s = %s", wave, key, value)


def scheme_design(design: SurveyDesign, calibration: pd.DataFrame | None) -> SurveyDesign:
    """``design`` with the scheme's weights (column ``scheme_weight``) as its weight and,
    for a raked scheme, that raking as its calibration (``calibration``: the scheme's
    ``calibration_*`` columns, see :func:`scheme_weights`); unraked weights are fixed."""
    if calibration is None:
        return design.with_weight("scheme_weight")
    named = {f"scheme_{c}": calibration[c].to_numpy() for c in calibration.columns}
    margins = tuple(n for n in named if n != f"scheme_{CALIBRATION_WEIGHT}")
    return design.assign(**named).with_weight(
        "scheme_weight", Calibration(f"scheme_{CALIBRATION_WEIGHT}", margins)
    )
