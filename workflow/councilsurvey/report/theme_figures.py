"""Figures of the attitudes notebook, one per theme: who champions digital, where it has had
most impact and the biggest challenges.

Each theme is a tick-all-that-apply (or choose-up-to-three) question; its figure draws, for
every option, the weighted share of councillors who ticked it (a bar, with its 95%
confidence interval), the unweighted share of respondents (a point), and the value the
report published for that option where ``published.yaml`` has one (a diamond; see
:func:`councilsurvey.analysis.headlines.published_marks`). The shares of one question are
of those who answered it (ticked at least one option) and need not add up to 1.

A wave whose questionnaire did not ask a theme's question still gets the theme's files: a
figure that says so (:func:`not_asked_figure`), so that a wave's outputs are the same
whatever its questionnaire and a run never breaks on a missing question.

Each function writes a PNG and an SVG deterministically (:func:`figures.save_all`),
stamped with the data statement, and returns the (closed) figure, whose artists a test can
inspect; a notebook shows the PNG as written (:func:`figures.shown`) rather than drawing
the figure again.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import figures

#: the themes: notebook output key -> question id, in the notebook's order
THEMES = {
    "fig_champions": "digital_champion",
    "fig_impact_areas": "impact_areas",
    "fig_challenges": "top_challenges",
}
#: a theme's words when the wave's questionnaire does not have its question
THEME_WORDS = {
    "digital_champion": "Digital champions",
    "impact_areas": "Where digital has had most impact",
    "top_challenges": "Top three challenges",
}
BAR_COLOUR = "#7570b3"
UNWEIGHTED_COLOUR = "#d95f02"
PUBLISHED_COLOUR = "#1b9e77"
#: markers of the published values, one per outlet
PUBLISHED_MARKERS = ["D", "s", "^", "v"]


def theme_rows(heads: pd.DataFrame, question: str) -> pd.DataFrame:
    """The rows of ``heads`` (:func:`councilsurvey.analysis.headlines.headlines`) that are
    the options of ``question``, in their order; derived rows (a union of options, such as
    ``leader_or_chief_executive``) are left out: they are no option of the question."""
    from councilsurvey.analysis.headlines import DERIVED_CATEGORIES

    derived = set(DERIVED_CATEGORIES.get(question, {}))
    rows = heads[(heads["indicator"] == question) & ~heads["category"].isin(derived)]
    return rows.reset_index(drop=True)


def theme_figure(
    heads: pd.DataFrame,
    question: str,
    png,
    svg,
    wave: str,
    statement: str,
    labels: ReaderLabels | None = None,
    published: Mapping[str, Mapping] | None = None,
):
    """Weighted share (95% CI) of each option of a multi-select question as horizontal
    bars, the unweighted share as a point, and the published value beside its bar.

    Parameters
    ----------
    heads : DataFrame
        :func:`councilsurvey.analysis.headlines.headlines`: indicator, category, n,
        weighted, lci, uci, unweighted. The options of ``question`` are drawn top to
        bottom in their order (:func:`theme_rows`); without any, the figure says that the
        wave did not ask the question (:func:`not_asked_figure`).
    question : str
        The question's id.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words: the question's short label is the title, its full text
        the subtitle, the options' texts the axis.
    published : mapping, optional
        Option text -> ``{"value", "outlet"}``
        (:func:`councilsurvey.analysis.headlines.published_marks`); each is drawn as a
        marker of its outlet, with the legend entry "Published (<outlet>)".

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    rows = theme_rows(heads, question)
    if rows.empty:
        return not_asked_figure(question, png, svg, wave, statement, labels)
    published = dict(published or {})
    names = [labels.category(question, c) for c in rows["category"]]
    ypos = list(range(len(rows)))
    base = int(rows["n"].max())
    with figures.theme():
        fig, ax = plt.subplots(figsize=(8, 1.9 + 0.42 * len(rows)))
        ax.barh(
            ypos,
            rows["weighted"],
            height=0.6,
            color=BAR_COLOUR,
            alpha=0.75,
            label="Weighted share (councillors)",
        )
        ax.errorbar(
            rows["weighted"],
            ypos,
            xerr=[rows["weighted"] - rows["lci"], rows["uci"] - rows["weighted"]],
            fmt="none",
            ecolor="#333333",
            capsize=3,
            linewidth=1,
            label="95% confidence interval",
        )
        ax.scatter(
            rows["unweighted"],
            ypos,
            marker="o",
            s=28,
            color=UNWEIGHTED_COLOUR,
            edgecolor="white",
            zorder=3,
            label="Unweighted share (respondents)",
        )
        outlets = list(dict.fromkeys(m["outlet"] for m in published.values()))
        for k, outlet in enumerate(outlets):
            at = [
                (i, published[c]["value"])
                for i, c in enumerate(rows["category"])
                if c in published and published[c]["outlet"] == outlet
            ]
            if not at:
                continue
            ax.scatter(
                [v for _, v in at],
                [i + 0.36 for i, _ in at],  # just below its bar
                marker=PUBLISHED_MARKERS[k % len(PUBLISHED_MARKERS)],
                s=34,
                color=PUBLISHED_COLOUR,
                edgecolor="black",
                linewidth=0.5,
                zorder=4,
                label=f"Published ({outlet})",
            )
        ax.set_yticks(ypos, [textwrap.fill(n, 34) for n in names])
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ticked = "basis" not in rows or rows["basis"].str.contains("ticked").all()
        what = "ticked the option" if ticked else "chose the answer"  # single choice: 2017
        ax.set_xlabel(f"share who {what}, of those answering (n = {base})")
        _titles(fig, ax, question, wave, labels)
        handles, names = ax.get_legend_handles_labels()
        order = sorted(range(len(names)), key=lambda i: _legend_rank(names[i]))
        ax.legend(
            [handles[i] for i in order],
            [names[i] for i in order],
            loc="upper center",
            bbox_to_anchor=(0.4, -0.2),
            ncol=2,
            fontsize=7.5,
            frameon=False,
        )
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        figures.save_all(fig, png, svg)
    return fig


def not_asked_figure(
    question: str, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """A figure saying that the wave's questionnaire did not ask ``question`` (the theme's
    files exist for every wave, so a wave without the question runs unchanged)."""
    labels = labels or ReaderLabels()
    with figures.theme():
        fig, ax = plt.subplots(figsize=(8, 2.4))
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"This question was not asked in wave {wave}.",
            ha="center",
            va="center",
            fontsize=11,
            transform=ax.transAxes,
        )
        _titles(fig, ax, question, wave, labels)
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        figures.save_all(fig, png, svg)
    return fig


def _legend_rank(name: str) -> int:
    """Bars first, then their interval, the unweighted point and the published values."""
    for k, start in enumerate(("Weighted", "95%", "Unweighted")):
        if name.startswith(start):
            return k
    return 3


def _titles(fig, ax, question: str, wave: str, labels: ReaderLabels) -> None:
    """The question's short label (the theme's words when the wave's questionnaire does
    not have it) as title, its full text below."""
    known = question in labels.short
    short = labels.variable(question) if known else THEME_WORDS.get(question, question)
    subtitle = question in labels.questions and labels.question(question) != short
    title = textwrap.fill(f"Wave {wave}: {short}", 62)
    words = textwrap.fill(f"\u201c{labels.question(question)}\u201d", 100) if subtitle else ""
    # the title sits above the subtitle: 8-point lines of about 11 points each
    pad = 8 + 11 * (words.count("\n") + 1) if subtitle else 6
    ax.set_title(title, loc="left", fontsize=11, pad=pad)
    if subtitle:
        ax.annotate(
            words,
            xy=(0, 1),
            xycoords="axes fraction",
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=8,
            style="italic",
            va="bottom",
        )
