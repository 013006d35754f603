"""Stage functions of the robustness grid's estimates: rule ``robustness``
(:func:`robustness_job`). With ``robustness.batch: wave`` (the default) one job per wave
estimates the whole grid (:func:`robustness_wave`); with ``scheme``, one job per
weighting scheme (:func:`robustness_scheme`, every segmentation of the scheme); with
``spec``, one job per specification (:func:`robustness_spec`). Whatever the batch, each
specification's estimates go to its own file, byte for byte the same. The table and
specification curve of a wave are :mod:`councilsurvey.pipeline.robustness_summary`'s.
"""

from __future__ import annotations

import logging

import pandas as pd

from councilsurvey.analysis.robustness import (
    prepared,
    scheme_weights,
    segment_of,
    specifications,
)
from councilsurvey.analysis.segments import read_segmented
from councilsurvey.core.errors import InputError
from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame
from councilsurvey.inputs.instrument import load_instrument
from councilsurvey.survey.design import CALIBRATION_WEIGHT, Calibration, SurveyDesign

log = logging.getLogger(__name__)


def robustness_job(
    weighted,
    segments,
    frame,
    questionnaire,
    estimates,
    weighting,
    segments_cfg,
    robustness,
    scheme=None,
    n_councils=None,
    wave="",
    variance=None,
    segmentation=None,
) -> None:
    """Rule ``robustness``: the grid's specifications the job names by its wildcards.

    No ``scheme`` (``robustness.batch: wave``): every specification of the wave,
    ``estimates`` one file per specification in the order of
    :func:`councilsurvey.pipeline.paths.robustness_specifications`. A ``scheme`` and a
    ``segmentation`` (``batch: spec``): that one specification, ``estimates`` one file. A
    ``scheme`` alone (``batch: scheme``): every segmentation of the scheme, ``estimates``
    one file per segmentation, in config order.
    """
    common = dict(n_councils=n_councils, wave=wave, variance=variance)
    if scheme is None:
        robustness_wave(
            weighted, segments, frame, questionnaire, list(estimates),
            weighting, segments_cfg, robustness, **common,
        )  # fmt: skip
    elif segmentation is None:
        robustness_scheme(
            weighted, segments, frame, questionnaire, list(estimates), scheme,
            weighting, segments_cfg, robustness, **common,
        )  # fmt: skip
    else:
        robustness_spec(
            weighted, segments, frame, questionnaire, estimates, scheme, segmentation,
            weighting, segments_cfg, robustness, **common,
        )  # fmt: skip


def robustness_wave(
    weighted,
    segments,
    frame,
    questionnaire,
    estimates,
    weighting,
    segments_cfg,
    robustness,
    n_councils=None,
    wave="",
    variance=None,
) -> None:
    """Rule ``robustness`` with ``robustness.batch: wave`` (the default): every
    specification of the grid of a wave, in one process.

    The responses, the frame and the questionnaire are read once; each segmentation's
    segments are computed once (they do not depend on the weights) and each scheme's
    weights once (they do not depend on the segmentation); then every specification's
    estimates (:func:`~councilsurvey.analysis.robustness.specification`) are written to
    its file of ``estimates``, which lists one file per specification, scheme by scheme
    and within a scheme segmentation by segmentation, in config order (as
    :func:`councilsurvey.pipeline.paths.robustness_specifications`). The estimates are
    those of one job per scheme or per specification, byte for byte: each is the same
    computation on the same inputs, only done in one process.
    """
    schemes = list(robustness["weighting"])
    segmentations = list(robustness["segmentation"])
    if len(estimates) != len(schemes) * len(segmentations):
        raise InputError(
            "config.yaml",
            f"robustness: {len(estimates)} output file(s) for {len(schemes)} weighting "
            f"schemes x {len(segmentations)} segmentations",
        )
    data, fr, benefit_ids = _read_inputs(weighted, segments, frame, questionnaire, n_councils)
    placed = _segments(data, segmentations, robustness, benefit_ids, segments_cfg)
    for i, scheme in enumerate(schemes):
        files = estimates[i * len(segmentations) : (i + 1) * len(segmentations)]
        _estimate_scheme(
            data, fr, scheme, placed, files, weighting, robustness, weighted, wave, variance
        )


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
    """Rule ``robustness`` with ``robustness.batch: spec``: the estimates of one
    specification of a wave.

    ``scheme`` and ``segmentation`` name the specification's weighting scheme and
    segmentation in ``robustness`` (``config.yaml`` ``robustness``); ``weighting`` and
    ``segments_cfg`` are the ``weighting`` and ``segments`` settings. Writes
    :data:`SPEC_COLUMNS` to ``estimates``.
    """
    _known(segmentation, robustness["segmentation"], "segmentation")
    robustness_scheme(
        weighted,
        segments,
        frame,
        questionnaire,
        [estimates],
        scheme,
        weighting,
        segments_cfg,
        robustness,
        n_councils=n_councils,
        wave=wave,
        variance=variance,
        segmentations=[segmentation],
    )


def robustness_scheme(
    weighted,
    segments,
    frame,
    questionnaire,
    estimates,
    scheme,
    weighting,
    segments_cfg,
    robustness,
    n_councils=None,
    wave="",
    variance=None,
    segmentations=None,
) -> None:
    """Rule ``robustness`` with ``robustness.batch: scheme``: the estimates of every
    segmentation under one weighting scheme of a wave.

    The responses are read and the scheme's weights computed once, then each
    segmentation's estimates (:func:`~councilsurvey.analysis.robustness.specification`)
    are written to its file of ``estimates``, in the order of ``segmentations`` (default:
    every segmentation of ``robustness``, in config order). The estimates are those of
    one job per specification (:func:`robustness_spec`) or per wave
    (:func:`robustness_wave`), byte for byte.
    """
    segmentations = list(robustness["segmentation"]) if segmentations is None else segmentations
    _known(scheme, robustness["weighting"], "weighting scheme")
    if len(estimates) != len(segmentations):
        raise InputError(
            "config.yaml",
            f"robustness: {len(estimates)} output file(s) for {len(segmentations)} segmentations",
        )
    data, fr, benefit_ids = _read_inputs(weighted, segments, frame, questionnaire, n_councils)
    placed = _segments(data, segmentations, robustness, benefit_ids, segments_cfg)
    _estimate_scheme(
        data, fr, scheme, placed, estimates, weighting, robustness, weighted, wave, variance
    )


def _read_inputs(weighted, segments, frame, questionnaire, n_councils):
    """The responses (with ``segment_latent`` where ``segments`` is given), the frame
    (None where not given) and the benefit items of the rule."""
    # segments (the latent classes) and the frame are inputs only where used: the frame
    # not for the unweighted scheme, the segments (spec mode) only for a latent segmentation
    if segments:
        data = read_segmented(weighted, segments, "segment_latent")
    else:
        data = pd.read_parquet(weighted)
    fr = None
    if frame:
        fr = load_frame(frame, n_councils, validate=False)  # checked by validate_raw
    return data, fr, load_instrument(questionnaire).benefit_ids


def _segments(data, segmentations, robustness, benefit_ids, segments_cfg) -> dict:
    """Each segmentation's segment of every respondent, by name, in the order given."""
    out = {}
    for segmentation in segmentations:
        _known(segmentation, robustness["segmentation"], "segmentation")
        out[segmentation] = segment_of(
            data,
            robustness["segmentation"][segmentation] or {},
            benefit_ids,
            segments_cfg,
            latent=data.get("segment_latent"),
        )
    return out


def _estimate_scheme(
    data, fr, scheme, segmented, estimates, weighting, robustness, source, wave, variance
) -> None:
    """Compute ``scheme``'s weights once and write the estimates of each segmentation of
    ``segmented`` (name -> segments, in the order of the files ``estimates``)."""
    _known(scheme, robustness["weighting"], "weighting scheme")
    weights, converged, calibration = scheme_weights(
        data, fr, weighting, robustness["weighting"][scheme] or {}, source=source
    )
    lonely_psu = (variance or {}).get("lonely_psu", "fail")
    design = SurveyDesign.of_wave(data, lonely_psu=lonely_psu).assign(scheme_weight=weights)
    design = prepared(scheme_design(design, calibration))  # once for every segmentation
    # every segmentation's estimates from one svy sample of the scheme's design
    tables = specifications(design, segmented, scheme, converged)
    for (segmentation, est), path in zip(tables.items(), estimates, strict=True):
        write_csv(est, path)
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


def _known(name: str, known: dict, what: str) -> None:
    if name not in known:
        raise InputError(
            "config.yaml", f"robustness: no {what} '{name}' (known: {', '.join(known)})"
        )


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
