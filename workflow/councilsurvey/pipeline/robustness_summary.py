"""Stage function of rule ``robustness_summary``: the robustness grid of a wave gathered
into its table and specification curve (apart from the grid's estimates, so that the
grid's jobs neither import nor depend on the figure code)."""

from __future__ import annotations

import logging

import pandas as pd

from councilsurvey.analysis.claims import load_claims
from councilsurvey.analysis.robustness import baseline, holds_summary, published_shares, summarise
from councilsurvey.core.writers import write_csv
from councilsurvey.report.robustness import curve_figure

log = logging.getLogger(__name__)


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
    labels = {
        name: str(item.get("label") or name)
        for part in ("weighting", "segmentation")
        for name, item in robustness[part].items()
    }
    words = [
        f"{labels.get(w, w)}; {labels.get(s, s)}"
        for w, s in zip(table["weighting"], table["segmentation"], strict=True)
    ]
    write_csv(table.assign(label=words)[["label", *table.columns]], robustness_table)
    curve_figure(
        table,
        fig_robustness_curve_png,
        fig_robustness_curve_svg,
        str(wave),
        statement,
        k=k,
        labels=labels,
    )
    for key, value in holds_summary(table).items():
        log.info("wave %s robustness: %s = %s", wave, key, value)
