"""Figures of the trends notebook: headline and segment shares in every wave, and the
themes (tick-all-that-apply questions: digital champions, impact areas, challenges) with a
panel each, which the headline figure leaves out.

Each function takes :func:`councilsurvey.analysis.trends.wave_estimates`' table, writes a
PNG and an SVG deterministically (:func:`figures.save_all`), stamped with the data
statement, and returns the (closed) figure, whose artists a test can inspect; a notebook
shows the PNG as written (:func:`figures.shown`) rather than drawing the figure again.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import figures
from councilsurvey.report.theme_figures import THEME_WORDS, THEMES, theme_rows

#: the themes: tick-all-that-apply questions with a panel each in :func:`themes_figure`
THEME_QUESTIONS = tuple(THEMES.values())
#: indicators that are not headline shares: segments and the themes have figures of their
#: own (a theme has too many options for a row each among the headlines)
NOT_HEADLINES = ("segment", *THEME_QUESTIONS)


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


def themes_figure(
    estimates: pd.DataFrame,
    png,
    svg,
    waves,
    statement: str,
    labels: ReaderLabels | None = None,
    questions=THEME_QUESTIONS,
    instrument=None,
):
    """One panel per theme asked in at least two waves: the weighted share (95% CI) of
    each of its options, one dodged point per wave.

    Parameters
    ----------
    estimates : DataFrame
        :func:`councilsurvey.analysis.trends.wave_estimates`: wave, indicator, category,
        weighted, lci, uci. A theme's options are its question's rows (derived rows such
        as ``leader_or_chief_executive`` left out, :func:`theme_rows`), top to bottom in
        the order they first appear.
    png, svg : path
        Files to write.
    waves : list of str
        The waves, in the order their points are dodged (and coloured).
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words: each panel is titled with its question's short label,
        its rows are the options' texts.
    questions : sequence of str
        The theme questions, in panel order (:data:`THEME_QUESTIONS`).
    instrument : Instrument, optional
        The questionnaire whose option order the rows follow (the estimates are sorted
        by category as text); options it does not list follow, in the table's order.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed. A theme asked in fewer than two waves (a question the earlier
        questionnaire did not have, or had in another form) has no panel, since it has no
        trend; with no panel at all, the figure says so.
    """
    words = labels or ReaderLabels()
    waves = [str(w) for w in waves]
    table = estimates.assign(wave=estimates["wave"].astype(str))
    panels = []
    for question in questions:
        rows = theme_rows(table, question)
        rows = _in_questionnaire_order(rows, question, instrument)
        if rows["wave"].nunique() >= 2:
            rows = rows.assign(label=[words.category(question, c) for c in rows["category"]])
            panels.append((question, rows))
    with figures.theme():
        if not panels:
            fig, ax = plt.subplots(figsize=(8, 2.4))
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                "No theme question (digital champions, impact areas, challenges)\n"
                f"was asked alike in two of the waves {', '.join(waves)}.",
                ha="center",
                va="center",
                fontsize=10,
                transform=ax.transAxes,
            )
            ax.set_title("Themes by wave", loc="left")
            figures.stamp(fig, statement)
            fig.tight_layout(rect=(0, 0.06, 1, 1))
            figures.save_all(fig, png, svg)
            return fig
        heights = [rows["label"].nunique() for _, rows in panels]
        fig, axes = plt.subplots(
            len(panels),
            1,
            figsize=(8, 1.2 + 0.42 * sum(heights) + 0.6 * len(panels)),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for ax, (question, rows) in zip(axes[:, 0], panels, strict=True):
            figures.interval_plot(
                ax, rows, y="label", x="weighted", lo="lci", hi="uci", hue="wave", hue_order=waves
            )
            ax.set_xlim(0, 1)
            ax.set_xlabel("")
            known = question in words.short
            title = words.variable(question) if known else THEME_WORDS.get(question, question)
            ax.set_title(title, loc="left", fontsize=10)
            if ax is not axes[0, 0]:
                ax.get_legend().remove()
            else:
                ax.legend(fontsize=8, loc="lower right", title="wave", title_fontsize=8)
        axes[-1, 0].set_xlabel("weighted share of those answering (95% CI)")
        fig.suptitle("Themes by wave", x=0.01, ha="left", fontsize=11)
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.03, 1, 0.98))
        figures.save_all(fig, png, svg)
    return fig


def _in_questionnaire_order(rows: pd.DataFrame, question: str, instrument) -> pd.DataFrame:
    """``rows`` sorted by the question's options in the questionnaire (stable; categories
    it does not list last), or as they are without an instrument or the question."""
    if instrument is None:
        return rows
    try:
        options = [str(o) for o in instrument.item(question).get("options") or []]
    except KeyError:
        return rows
    rank = {o: k for k, o in enumerate(options)}
    key = rows["category"].map(lambda c: rank.get(str(c), len(rank)))
    return rows.assign(_rank=key).sort_values("_rank", kind="stable").drop(columns="_rank")
