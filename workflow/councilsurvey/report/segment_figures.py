"""Figures of the segmentation notebook: segment shares and attitude profiles by segment.

Each function takes the table it plots (as :mod:`councilsurvey.analysis.segmentation`
returns it), writes a PNG and an SVG deterministically (:func:`figures.save_all`), stamped
with the data statement, and returns the (closed) figure, whose artists a test can
inspect; a notebook shows the PNG as written (:func:`figures.shown`) rather than drawing
the figure again.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import figures

#: segments a profile figure shows, in order (unclassified respondents have no profile)
PROFILE_SEGMENTS = ["enthusiast", "middle", "sceptic"]


def shares_figure(
    shares: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Bar chart of each segment's weighted share with its 95% CI, the unweighted share
    as a dot beside it.

    Parameters
    ----------
    shares : DataFrame
        :func:`councilsurvey.analysis.segmentation.segment_shares`: one row per segment
        with n, unweighted_share, weighted_share, lci, uci. Segments are drawn top to
        bottom in the table's order and labelled with their respondent count.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The segments' names in words.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    with figures.theme():
        fig, ax = plt.subplots(figsize=(7, 3.6))
        plot = shares.set_index("segment")
        y = range(len(plot))
        ax.barh(list(y), plot["weighted_share"], color="#1b9e77", label="weighted (95% CI)")
        ax.errorbar(
            plot["weighted_share"],
            list(y),
            xerr=[plot["weighted_share"] - plot["lci"], plot["uci"] - plot["weighted_share"]],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        ax.scatter(plot["unweighted_share"], list(y), color="#d95f02", zorder=3, label="unweighted")
        ax.set_yticks(
            list(y),
            [
                f"{labels.category('segment', s)} (n={n})"
                for s, n in zip(plot.index, plot["n"], strict=True)
            ],
        )
        ax.invert_yaxis()
        ax.set_xlabel("share of councillors")
        ax.set_title(f"Wave {wave}: segments of the default rule", loc="left")
        ax.legend(loc="lower right")
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        figures.save_all(fig, png, svg)
    return fig


def profiles_figure(
    profiles: pd.DataFrame, png, svg, wave: str, statement: str, labels: ReaderLabels | None = None
):
    """Dot-and-whisker plot of each segment's weighted mean agreement with every attitude
    item (95% CI), segments dodged within each item.

    Parameters
    ----------
    profiles : DataFrame
        :func:`councilsurvey.analysis.segmentation.item_profiles`: segment, item, mean,
        lci, uci. Items are drawn in the table's order; the segments
        :data:`PROFILE_SEGMENTS` in that order.
    png, svg : path
        Files to write.
    wave : str
        Survey wave, named in the title.
    statement : str
        Data statement printed along the bottom.
    labels : ReaderLabels, optional
        The questionnaire's words for the items and the segments.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, closed.
    """
    labels = labels or ReaderLabels()
    plot = profiles.assign(
        item=profiles["item"].map(labels.variable),
        segment=profiles["segment"].map(lambda s: labels.category("segment", s)),
    )
    with figures.theme():
        fig, ax = plt.subplots(figsize=(9.5, 5.2))
        figures.interval_plot(
            ax,
            plot,
            y="item",
            x="mean",
            lo="lci",
            hi="uci",
            hue="segment",
            hue_order=[labels.category("segment", s) for s in PROFILE_SEGMENTS],
        )
        ax.set_xlim(1, 5)
        ax.set_xlabel("weighted mean agreement (1 strongly disagree ... 5 strongly agree), 95% CI")
        # below the axes: inside, the legend would hide estimates
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)
        ax.set_title(f"Wave {wave}: attitude profiles by segment", loc="left")
        figures.stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        figures.save_all(fig, png, svg)
    return fig
