"""Stage function of rule ``segment``: every respondent's segment, the data product
``data/processed/<wave>/segments.parquet`` that the claims check, the robustness grid and
the attitudes, segmentation and trends notebooks read.

Two segmentations are computed for every respondent:

* the report's rule (:func:`councilsurvey.analysis.segments.classify`): enthusiasts agree
  with all three benefit items, sceptics disagree with at least ``min_disagree`` of them,
  respondents with fewer than ``min_answered`` answered are unclassified, everyone else is
  in the middle;
* a data-driven alternative (:func:`councilsurvey.analysis.latent.select_latent_classes`):
  a seeded latent class model of the whole attitude battery, its classes named by their
  benefit-item means. ``config.yaml`` ``segments: latent_classes`` fixes the number of
  classes (an integer) or has it chosen by BIC (``{select: bic, range: [2, 6]}``); every
  candidate is fitted once, here, and the comparison is written to
  ``results/<wave>/tables/latent_class_selection.csv``, which goes into the wave's bundle.
  The robustness grid and the notebooks read the classes from ``segments.parquet`` and
  never refit the model.

``segment`` is the one that ``config.yaml`` ``segments: method`` chooses; the other stays
beside it so that the notebooks can compare them. Their comparison is written here too,
where the two are computed (and where scikit-learn is loaded already, for the model):
``segment_agreement.csv``, the cross-table with Cohen's kappa
(:func:`councilsurvey.analysis.segmentation.agreement_table`), and ``reliability.csv``,
Cronbach's alpha of the scales behind them
(:func:`councilsurvey.analysis.segmentation.reliability`); the segmentation notebook
shows them.
"""

from __future__ import annotations

import logging

import pandas as pd

from councilsurvey.analysis.latent import LatentSelection, latent_settings, select_latent_classes
from councilsurvey.analysis.segments import classify
from councilsurvey.core.errors import InputError
from councilsurvey.core.writers import write_csv, write_parquet
from councilsurvey.inputs.instrument import Instrument, load_instrument

log = logging.getLogger(__name__)

#: columns of ``segments.parquet``, in order
SEGMENT_COLUMNS = ["respondent_id", "code", "weight", "segment_rule", "segment_latent", "segment"]
#: values of ``config.yaml`` ``segments: method``
METHODS = ("rule", "latent")


def latent_segments(
    data: pd.DataFrame, instrument: Instrument, segments_cfg: dict
) -> LatentSelection:
    """The latent classes of a wave's respondents and the comparison of class numbers.

    Parameters
    ----------
    data : DataFrame
        Weighted responses with the attitude items as Likert codes 1..5.
    instrument : Instrument
        The wave's questionnaire: its attitude items are the model's indicators, its
        benefit items name the classes.
    segments_cfg : dict
        ``config.yaml`` ``segments``: ``latent_classes`` (an integer, or ``{select: bic,
        range: [2, 6]}``; default 3) and ``seed`` (default 2017).

    Returns
    -------
    LatentSelection
        See :func:`councilsurvey.analysis.latent.select_latent_classes`.

    Raises
    ------
    InputError
        Naming ``config.yaml`` if ``latent_classes`` is malformed.
    """
    try:
        candidates, criterion, n_init = latent_settings(segments_cfg.get("latent_classes", 3))
    except ValueError as err:
        raise InputError("config.yaml", f"segments: {err}", column="latent_classes") from None
    return select_latent_classes(
        data,
        instrument.attitude_ids,
        instrument.benefit_ids,
        candidates,
        criterion=criterion,
        seed=segments_cfg.get("seed", 2017),
        n_init=n_init,
    )


def segment_tables(
    data: pd.DataFrame, instrument: Instrument, segments_cfg: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule and latent-class segments of every respondent, and the latent model choice.

    Parameters
    ----------
    data : DataFrame
        Weighted responses (``weighted.parquet``): respondent_id, code, weight and the
        attitude items as Likert codes 1..5 (missing = Don't know or blank).
    instrument : Instrument
        The wave's questionnaire; its benefit items define the rule and name the latent
        classes, its attitude items are the indicators of the latent class model.
    segments_cfg : dict
        ``config.yaml`` ``segments``: agree_codes, disagree_codes, min_disagree,
        min_answered, and optionally method (default ``rule``), latent_classes (default
        3) and seed (default 2017).

    Returns
    -------
    segments : DataFrame
        :data:`SEGMENT_COLUMNS`, one row per respondent in the order of ``data``;
        ``segment_rule`` and ``segment_latent`` are categoricals and ``segment`` is the
        one ``method`` chooses.
    selection : DataFrame
        The latent class models compared, one row per number of classes
        (:data:`councilsurvey.analysis.latent.SELECTION_COLUMNS`).

    Raises
    ------
    InputError
        Naming ``config.yaml`` if ``method`` is neither ``rule`` nor ``latent``, or
        ``latent_classes`` is malformed.
    """
    method = segments_cfg.get("method", "rule")
    if method not in METHODS:
        raise InputError(
            "config.yaml",
            f"segments: method must be 'rule' or 'latent', not {method!r}",
            column="method",
        )
    data = data.copy()
    data["segment_rule"] = classify(
        data,
        instrument.benefit_ids,
        agree_codes=segments_cfg["agree_codes"],
        disagree_codes=segments_cfg["disagree_codes"],
        min_disagree=segments_cfg["min_disagree"],
        min_answered=segments_cfg["min_answered"],
    )
    latent = latent_segments(data, instrument, segments_cfg)
    data["segment_latent"] = latent.classes
    data["segment"] = data["segment_rule"] if method == "rule" else data["segment_latent"]
    return data[SEGMENT_COLUMNS], latent.table


def segment_table(data: pd.DataFrame, instrument: Instrument, segments_cfg: dict) -> pd.DataFrame:
    """The segments of :func:`segment_tables` alone."""
    return segment_tables(data, instrument, segments_cfg)[0]


def segment_wave(
    weighted,
    questionnaire,
    segments_cfg,
    segments,
    wave="",
    latent_selection=None,
    reliability=None,
    agreement=None,
) -> None:
    """Rule ``segment``: write ``segments`` (parquet) from the wave's weighted responses;
    and, where given, the comparison of latent class models to ``latent_selection``, the
    reliability of the scales to ``reliability`` and the agreement of the rule with the
    latent classes to ``agreement`` (CSVs, labelled in the questionnaire's words).

    See :func:`segment_tables` for the two segmentations and the columns.
    """
    data = pd.read_parquet(weighted)
    instrument = load_instrument(questionnaire)
    table, selection = segment_tables(data, instrument, segments_cfg)
    write_parquet(table, segments)
    if latent_selection is not None:
        write_csv(selection, latent_selection)
    if reliability is not None or agreement is not None:
        from councilsurvey.analysis import segmentation
        from councilsurvey.inputs.labels import ReaderLabels

        if agreement is not None:
            rule, latent = table["segment_rule"], table["segment_latent"]
            write_csv(segmentation.agreement_table(rule, latent), agreement)
        if reliability is not None:
            scales, reverse = segmentation.default_scales(instrument)
            rel = segmentation.reliability(data, scales, reverse=reverse)
            write_csv(ReaderLabels.of(instrument).labelled(rel), reliability)
    for row in selection.itertuples():
        log.info(
            "wave %s: %d latent classes: log-likelihood %.2f, %d parameters, BIC %.2f%s",
            wave,
            row.n_classes,
            row.log_likelihood,
            row.n_parameters,
            row.bic,
            " (chosen)" if row.chosen else "",
        )
    counts = table["segment"].value_counts().to_dict()
    log.info(
        "wave %s: %d respondents segmented (method %s): %s",
        wave,
        len(table),
        segments_cfg.get("method", "rule"),
        ", ".join(f"{k} {v}" for k, v in counts.items()),
    )
