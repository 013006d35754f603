"""Stage function of the known-truth validation study: rule ``validation``."""

from __future__ import annotations

import logging
from functools import partial

from councilsurvey.analysis.segments import classify
from councilsurvey.analysis.simulation import ESTIMANDS, population
from councilsurvey.analysis.validation import study
from councilsurvey.core.writers import write_csv
from councilsurvey.inputs.frame import load_frame
from councilsurvey.inputs.instrument import load_instrument
from councilsurvey.report.validation import SCENARIO_LABELS, SCHEME_LABELS, _label, figure

log = logging.getLogger(__name__)


def validation(
    frame,
    questionnaire,
    validation_table,
    fig_validation_png,
    fig_validation_svg,
    validation_cfg,
    weighting,
    segments_cfg,
    robustness,
    statement,
    n_councils=None,
    wave="",
) -> None:
    """Rule ``validation``: the known-truth simulation study on a wave's frame.

    Builds the synthetic population on ``frame`` with the questionnaire's benefit items
    and the configured segment rule, runs :func:`councilsurvey.analysis.validation.study`
    (``config.yaml`` ``validation``, the schemes of ``robustness.weighting``, the
    ``weighting`` settings) and writes the table and figure.
    """
    fr = load_frame(frame, n_councils) if n_councils else load_frame(frame)
    rule = partial(
        classify,
        agree_codes=segments_cfg["agree_codes"],
        disagree_codes=segments_cfg["disagree_codes"],
        min_disagree=int(segments_cfg["min_disagree"]),
        min_answered=int(segments_cfg["min_answered"]),
    )
    benefit = load_instrument(questionnaire).benefit_ids
    pop = population(fr, validation_cfg["population"], benefit, rule)
    log.info(
        "wave %s validation: population of %d councillors; truth %s",
        wave,
        len(pop.data),
        ", ".join(f"{k} {v:.4f}" for k, v in pop.truth.items()),
    )
    table = study(pop, fr, validation_cfg, robustness["weighting"], weighting)
    words = [
        f"{ESTIMANDS.get(e, e)}; {_label(SCHEME_LABELS, s)}; {_label(SCENARIO_LABELS, c)}"
        for e, s, c in zip(table["estimand"], table["scheme"], table["scenario"], strict=True)
    ]
    write_csv(table.assign(label=words)[["label", *table.columns]], validation_table)
    figure(table, fig_validation_png, fig_validation_svg, str(wave), statement)
    for r in table[table["scheme"] == "raked_all"].itertuples():
        log.info(
            "wave %s validation, %s, %s: bias %+.4f, coverage %.3f",
            wave,
            r.scenario,
            r.estimand,
            r.bias,
            r.coverage,
        )
