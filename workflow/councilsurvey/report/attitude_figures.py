"""Figures of the attitudes notebook: headline estimates, the segments by group, the
caution statements by segment and the odds ratios of being an enthusiast.

Each figure function takes the table it plots (as :mod:`councilsurvey.analysis.attitudes`
returns it, or :func:`answer_distribution` for the caution statements), writes a PNG and
an SVG deterministically (:func:`figures.save_all`), stamped with the data statement, and
returns the (closed) figure, whose artists a test can inspect; a notebook shows the PNG as
written (:func:`figures.shown`) rather than drawing the figure again.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import figures

#: the caution statements of the attitude battery
CAUTION_ITEMS = ["att_too_complex", "att_cyber", "att_exclusion"]
#: segments compared on the caution statements, top to bottom
CAUTION_SEGMENTS = ["enthusiast", "middle", "sceptic"]
#: segments shown in the composition figure
COMPOSITION_SEGMENTS = ["enthusiast", "sceptic"]
#: Likert codes, and their colours from strongly disagree (red) to strongly agree (blue)
CODES = [1, 2, 3, 4, 5]
CODE_COLOURS = ["#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac"]


def headlines_figure(
    heads: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Weighted share (95% CI) of every headline indicator, the unweighted share as a
    cross.

    Parameters
    ----------
    heads : DataFrame
        :func:`councilsurvey.analysis.headlines.headlines`: indicator, category,
        weighted, lci, uci, unweighted; one row each, drawn top to bottom.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words: each row reads "<question>: <answer counted>".

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    plot = heads.assign(
        label=[
            labels.headline(r.indicator, r.category, getattr(r, "basis", ""))
            for r in heads.itertuples()
        ]
    )
    with figures.theme():
        # the longest labels (a tick-all question's option after its short label) need
        # the width of a line of text, so they are not wrapped: a reader finds them whole
        longest = max((len(label) for label in plot["label"]), default=0)
        fig, ax = plt.subplots(figsize=(max(8.0, 6.0 + 0.075 * longest), 0.9 + 0.32 * len(plot)))
        figures.interval_plot(ax, plot, y="label", x="weighted", lo="lci", hi="uci")
        ax.scatter(
            plot["unweighted"],
            range(len(plot)),
            marker="x",
            color="#d95f02",
            zorder=3,
            label="unweighted",
        )
        ax.set_xlim(0, 1)
        ax.set_xlabel("share (weighted, 95% CI; x = unweighted)")
        ax.set_title(f"Wave {wave}: headline estimates", loc="left")
        ax.legend(loc="lower right", fontsize=8)
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        figures.save_all(fig, png, svg)
    return fig


def composition_figure(
    comp: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Weighted share (95% CI) of enthusiasts and of sceptics within each group of each
    background variable, one panel per variable.

    Parameters
    ----------
    comp : DataFrame
        :func:`councilsurvey.analysis.attitudes.segment_profile_by` for several
        variables, concatenated: variable, category, segment, weighted, lci, uci.
        Panels follow the variables' order in the table; only
        :data:`COMPOSITION_SEGMENTS` are drawn.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words for the panels' titles, the groups and the segments.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    variables = list(dict.fromkeys(comp["variable"]))
    show = comp[comp["segment"].isin(COMPOSITION_SEGMENTS)].copy()
    show["category"] = [
        labels.category(v, c) for v, c in zip(show["variable"], show["category"], strict=True)
    ]
    show["segment"] = show["segment"].map(lambda s: labels.category("segment", s))
    shown = [labels.category("segment", s) for s in COMPOSITION_SEGMENTS]
    with figures.theme():
        fig, axes = plt.subplots(len(variables), 1, figsize=(8, 13), squeeze=False)
        for ax, var in zip(axes[:, 0], variables, strict=True):
            figures.interval_plot(
                ax,
                show[show["variable"] == var],
                y="category",
                x="weighted",
                lo="lci",
                hi="uci",
                hue="segment",
                hue_order=shown,
            )
            ax.set_xlim(0, 1)
            ax.set_title(f"by {labels.variable(var).lower()}", loc="left", fontsize=10)
            ax.set_xlabel("weighted share within the group (95% CI)")
        fig.suptitle(f"Wave {wave}: enthusiasts and sceptics by group", x=0.01, ha="left")
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.02, 1, 0.98))
        figures.save_all(fig, png, svg)
    return fig


def answer_distribution(
    data: pd.DataFrame,
    segment: str = "segment",
    items=CAUTION_ITEMS,
    segments=CAUTION_SEGMENTS,
) -> pd.DataFrame:
    """Unweighted distribution of the answers (codes 1..5) to each item within each
    segment.

    Parameters
    ----------
    data : DataFrame
        Responses with ``items`` as Likert codes (missing = Don't know or blank) and a
        ``segment`` column.
    segment : str
        Segment column.
    items : list of str
        Items to tabulate.
    segments : list of str
        Segments to compare, in order; respondents in any other segment are left out.

    Returns
    -------
    DataFrame
        Columns item, segment and one per code 1..5: the share of the segment's
        respondents who answered the item with that code (rows sum to 1; a code nobody
        chose is 0). Rows by item (as given), then segment (as given).
    """
    parts = []
    for item in items:
        sub = data[data[segment].isin(segments)].dropna(subset=[item])
        dist = pd.crosstab(sub[segment].astype(str), sub[item].astype(int), normalize="index")
        dist = dist.reindex(index=list(segments), columns=CODES, fill_value=0.0)
        dist.columns.name = None
        parts.append(dist.rename_axis("segment").reset_index().assign(item=item))
    out = pd.concat(parts, ignore_index=True)
    return out[["item", "segment", *CODES]]


def caution_figure(
    dist: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Stacked bars of the answers to each caution statement, one panel per statement,
    one bar per segment.

    Parameters
    ----------
    dist : DataFrame
        :func:`answer_distribution`: item, segment and the shares of codes 1..5.
        Panels follow the items' order in the table, bars the segments' order.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words for the statements (panel titles) and the segments.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    items = list(dict.fromkeys(dist["item"]))
    with figures.theme():
        fig, axes = plt.subplots(1, len(items), figsize=(11, 3.4), sharey=True, squeeze=False)
        axes = axes[0]
        for ax, item in zip(axes, items, strict=True):
            shares = dist[dist["item"] == item].set_index("segment")[CODES]
            shares.index = [labels.category("segment", s) for s in shares.index]
            left = np.zeros(len(shares))
            for code, colour in zip(CODES, CODE_COLOURS, strict=True):
                ax.barh(
                    shares.index,
                    shares[code],
                    left=left,
                    color=colour,
                    edgecolor="grey",
                    label=str(code),
                )
                left += shares[code].to_numpy()
            ax.set_title(textwrap.fill(labels.variable(item), 32), fontsize=9)
            ax.set_xlim(0, 1)
            ax.invert_yaxis()
        axes[-1].legend(
            title="1 = strongly disagree\n5 = strongly agree",
            fontsize=7,
            title_fontsize=7,
            bbox_to_anchor=(1.02, 1),
            loc="upper left",
        )
        fig.suptitle(
            f"Wave {wave}: caution statements by segment (unweighted shares)", x=0.01, ha="left"
        )
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
        figures.save_all(fig, png, svg)
    return fig


#: the note below the odds figure that names the terms it leaves out
NOT_DRAWN = (
    "Not drawn, as every respondent in the group is an enthusiast or none is "
    "(no finite odds ratio: separation)"
)


def odds_figure(
    model: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Odds ratios (95% CI, log scale) of being an enthusiast, unweighted and
    survey-weighted model side by side; intercepts are left out, and so are terms
    without a finite estimate (separation: their odds ratio is NaN), which a note below
    the plot names instead of drawing where a fit's iterations stopped.

    Parameters
    ----------
    model : DataFrame
        :func:`councilsurvey.analysis.attitudes.enthusiast_model`: variables,
        effect_size, effect_ci_low, effect_ci_high and weighted (bool).
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words: each term reads "<question>: <answer>".

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    terms = model[~model["variables"].str.contains("ntercept")].copy()
    terms["label"] = terms["variables"].map(labels.term)
    terms["model"] = np.where(terms["weighted"], "survey-weighted", "unweighted")
    finite = np.isfinite(terms["effect_size"].to_numpy(dtype=float))
    left_out = []  # "<term>", or "<term> (<model>)" where the other model has an estimate
    for label, rows in terms[~finite].groupby("label", sort=False):
        drawn = terms.loc[finite & (terms["label"] == label).to_numpy(), "model"]
        left_out.append(label if drawn.empty else f"{label} ({', '.join(rows['model'])})")
    terms = terms[finite]
    with figures.theme():
        fig, ax = plt.subplots(figsize=(8, 0.9 + 0.3 * terms["label"].nunique()))
        figures.interval_plot(
            ax,
            terms,
            y="label",
            x="effect_size",
            lo="effect_ci_low",
            hi="effect_ci_high",
            hue="model",
            hue_order=["unweighted", "survey-weighted"],
        )
        ax.set_xscale("log")
        figures.plain_log_axis(ax.xaxis)
        ax.axvline(1, color="grey", linewidth=0.8)
        ax.set_xlabel("odds ratio of being an enthusiast (95% CI, log scale)")
        ax.set_title(f"Wave {wave}: who is an enthusiast?", loc="left")
        figures.stamp(fig, statement)
        bottom = 0.03
        if left_out:  # above the statement, left-aligned, wrapped to the figure's width
            lines = textwrap.wrap(f"{NOT_DRAWN}: " + "; ".join(left_out), 110)
            bottom += 0.15 * (len(lines) + 0.5) / fig.get_figheight()
            fig.text(0.01, 0.03, "\n".join(lines), fontsize=8, ha="left", va="bottom")
        fig.tight_layout(rect=(0, bottom, 1, 1))
        figures.save_all(fig, png, svg)
    return fig
