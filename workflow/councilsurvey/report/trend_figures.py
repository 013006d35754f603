"""Figures of the trends notebook: headline and segment shares in every wave.

Each function takes :func:`councilsurvey.analysis.trends.wave_estimates`' table, writes a
PNG and an SVG deterministically (:func:`figures.save_all`), stamped with the data
statement, and returns the (closed) figure so that a notebook can show it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import figures

#: indicators that are not headline shares (segments have their own figure; the digital
#: champion question has too many categories for a headline)
NOT_HEADLINES = ("segment", "digital_champion")


def wave_figure(
    table: pd.DataFrame,
    png,
    svg,
    waves,
    title: str,
    statement: str,
    labels: ReaderLabels | None = None,
):
    """Weighted share (95% CI) of every indicator and category, one dodged point per wave.

    Parameters
    ----------
    table : DataFrame
        Rows of :func:`councilsurvey.analysis.trends.wave_estimates`: wave, indicator,
        category, weighted, lci, uci. Rows are drawn top to bottom in the order their
        ``indicator: category`` label first appears.
    png, svg : path
        Files to write.
    waves : list of str
        The waves, in the order their points are dodged (and coloured).
    title : str
        Title of the figure.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words: each row reads "<question>: <answer counted>".

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    words = labels or ReaderLabels()
    labels = table.assign(
        label=[
            words.category("segment", r.category)
            if r.indicator == "segment"
            else words.headline(r.indicator, r.category, getattr(r, "basis", ""))
            for r in table.itertuples()
        ]
    )
    n = labels["label"].nunique()
    with figures.theme():
        fig, ax = plt.subplots(figsize=(8, 1.0 + 0.45 * n))
        figures.interval_plot(
            ax, labels, y="label", x="weighted", lo="lci", hi="uci", hue="wave", hue_order=waves
        )
        ax.set_xlim(0, 1)
        ax.set_xlabel("weighted share (95% CI)")
        ax.set_title(title, loc="left")
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        figures.save_all(fig, png, svg)
    return fig


def headlines_figure(
    estimates: pd.DataFrame, png, svg, waves, statement: str, labels: ReaderLabels | None = None
):
    """:func:`wave_figure` of the headline indicators (every indicator but those in
    :data:`NOT_HEADLINES`), titled "Headline estimates by wave"."""
    heads = estimates[~estimates["indicator"].isin(NOT_HEADLINES)]
    title = "Headline estimates by wave"
    return wave_figure(heads, png, svg, list(waves), title, statement, labels)


def segments_figure(
    estimates: pd.DataFrame, png, svg, waves, statement: str, labels: ReaderLabels | None = None
):
    """:func:`wave_figure` of the segment shares, titled "Segments by wave"."""
    segs = estimates[estimates["indicator"] == "segment"]
    return wave_figure(segs, png, svg, list(waves), "Segments by wave", statement, labels)
