"""Stage function of rule ``segment``: every respondent's segment, the data product
``data/processed/<wave>/segments.parquet`` that the claims check, the robustness grid and
the attitudes, segmentation and trends notebooks read.

Two segmentations are computed for every respondent:

* the report's rule (:func:`councilsurvey.analysis.segments.classify`): enthusiasts agree
  with all three benefit items, sceptics disagree with at least ``min_disagree`` of them,
  respondents with fewer than ``min_answered`` answered are unclassified, everyone else is
  in the middle;
* a data-driven alternative (:func:`councilsurvey.analysis.segmentation.latent_classes`):
  a seeded latent class model of the whole attitude battery, its classes named by their
  benefit-item means.

``segment`` is the one that ``config.yaml`` ``segments: method`` chooses; the other stays
beside it so that the notebooks can compare them.
"""

from __future__ import annotations

import logging

import pandas as pd

from councilsurvey.analysis.segmentation import latent_classes
from councilsurvey.analysis.segments import classify
from councilsurvey.core.errors import InputError
from councilsurvey.core.writers import write_parquet
from councilsurvey.inputs.instrument import Instrument, load_instrument

log = logging.getLogger(__name__)

#: columns of ``segments.parquet``, in order
SEGMENT_COLUMNS = ["respondent_id", "code", "weight", "segment_rule", "segment_latent", "segment"]
#: values of ``config.yaml`` ``segments: method``
METHODS = ("rule", "latent")


def segment_table(data: pd.DataFrame, instrument: Instrument, segments_cfg: dict) -> pd.DataFrame:
    """Rule and latent-class segments of every respondent.

    Parameters
    ----------
    data : DataFrame
        Weighted responses (``weighted.parquet``): respondent_id, code, weight and the
        attitude items as Likert codes 1..5 (missing = Don't know or blank).
    instrument : Instrument
        The wave's questionnaire; its benefit items define the rule, its attitude items
        are the indicators of the latent class model.
    segments_cfg : dict
        ``config.yaml`` ``segments``: agree_codes, disagree_codes, min_disagree,
        min_answered, and optionally method (default ``rule``), latent_classes (default
        3) and seed (default 2017).

    Returns
    -------
    DataFrame
        :data:`SEGMENT_COLUMNS`, one row per respondent in the order of ``data``;
        ``segment_rule`` and ``segment_latent`` are categoricals and ``segment`` is the
        one ``method`` chooses.

    Raises
    ------
    InputError
        Naming ``config.yaml`` if ``method`` is neither ``rule`` nor ``latent``.
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
    data["segment_latent"] = latent_classes(
        data,
        instrument.attitude_ids,
        n_classes=segments_cfg.get("latent_classes", 3),
        seed=segments_cfg.get("seed", 2017),
    )
    data["segment"] = data["segment_rule"] if method == "rule" else data["segment_latent"]
    return data[SEGMENT_COLUMNS]


def segment_wave(weighted, questionnaire, segments_cfg, segments, wave="") -> None:
    """Rule ``segment``: write ``segments`` (parquet) from the wave's weighted responses.

    See :func:`segment_table` for the two segmentations and the columns.
    """
    table = segment_table(pd.read_parquet(weighted), load_instrument(questionnaire), segments_cfg)
    write_parquet(table, segments)
    counts = table["segment"].value_counts().to_dict()
    log.info(
        "wave %s: %d respondents segmented (method %s): %s",
        wave,
        len(table),
        segments_cfg.get("method", "rule"),
        ", ".join(f"{k} {v}" for k, v in counts.items()),
    )
