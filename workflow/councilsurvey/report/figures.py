"""Figures: matplotlib plots in seaborn's white-grid theme, written deterministically, each
stamped with its data statement."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.ticker import Formatter, LogLocator

from councilsurvey.core.statement import SYNTHETIC, data_statement  # noqa: F401  (re-exported)
from councilsurvey.core.writers import atomic_write

matplotlib.rcParams["svg.hashsalt"] = "councilsurvey"  # fixed ids: byte-identical SVG


#: zlib level of the PNGs: 3 (zlib's fast strategy) rather than Pillow's 6 (lazy matching)
#: compresses a run's 25 figures in 0.54 s of CPU instead of 0.93 s, for 2% more bytes
#: (2,370,437 against 2,323,424; from 7% smaller to 14% larger, figure by figure; levels 4
#: and 5 save next to nothing). The pixels are the same at any level.
PNG_COMPRESSION = {"compress_level": 3}


def save(fig, path, close: bool = True) -> None:
    """Save a figure deterministically and atomically: PNG (no software tag, zlib level
    :data:`PNG_COMPRESSION`) or SVG (no date, fixed hash salt), by the suffix of ``path``.

    An SVG keeps its text as text (``svg.fonttype: none``): a reader's viewer sets it in
    the named font, a search finds it, and matplotlib does not trace every glyph as a
    path (which made the SVG several times larger and its writing as slow as the PNG's).
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    extra = {"pil_kwargs": PNG_COMPRESSION} if fmt == "png" else {}
    try:
        with atomic_write(path) as tmp, plt.rc_context({"svg.fonttype": "none"}):
            fig.savefig(tmp, format=fmt, dpi=120, metadata=metadata, **extra)
    finally:
        if close:
            plt.close(fig)


def save_all(fig, png, svg, close: bool = True) -> None:
    """Save ``fig`` as both PNG and SVG (see :func:`save`); close it unless the caller
    still draws on it."""
    save(fig, png, close=False)
    save(fig, svg, close=close)


def shown(*pngs) -> None:
    """Show in a notebook the PNG files a figure function has just written.

    The notebook shows the very file the bundle holds, read back, instead of drawing the
    figure a second time (IPython's inline display of a returned figure lays it out and
    renders it again, as long as writing the file took); the executed notebook then
    carries the file's bytes, the same at every run.
    """
    from IPython.display import Image, display

    for png in pngs:
        display(Image(filename=str(png)))


def stamp(fig, statement: str) -> None:
    """Print the data statement along the bottom of a figure."""
    fig.text(0.01, 0.005, statement, fontsize=7.5, style="italic", ha="left", va="bottom")


#: seaborn's ``set_theme(style="whitegrid", font_scale=0.9)``, the project's theme, as the
#: matplotlib settings it makes (all but ``image.cmap``, seaborn's own colour map, which no
#: figure uses): a stage that draws a figure need not import seaborn (and scipy.stats
#: with it, seconds of a stage's start) to set it. tests/test_figures.py checks it
#: against seaborn's.
THEME = {
    "axes.axisbelow": True,
    "axes.edgecolor": ".8",
    "axes.grid": True,
    "axes.labelcolor": ".15",
    "axes.labelsize": 10.8,
    "axes.linewidth": 1.25,
    "axes.prop_cycle": cycler(
        color=[  # seaborn's "deep" palette
            (0.2980392156862745, 0.4470588235294118, 0.6901960784313725),
            (0.8666666666666667, 0.5176470588235295, 0.3215686274509804),
            (0.3333333333333333, 0.6588235294117647, 0.40784313725490196),
            (0.7686274509803922, 0.3058823529411765, 0.3215686274509804),
            (0.5058823529411764, 0.4470588235294118, 0.7019607843137254),
            (0.5764705882352941, 0.47058823529411764, 0.3764705882352941),
            (0.8549019607843137, 0.5450980392156862, 0.7647058823529411),
            (0.5490196078431373, 0.5490196078431373, 0.5490196078431373),
            (0.8, 0.7254901960784313, 0.4549019607843137),
            (0.39215686274509803, 0.7098039215686275, 0.803921568627451),
        ]
    ),
    "axes.titlesize": 10.8,
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    "font.size": 10.8,
    "grid.color": ".8",
    "grid.linewidth": 1.0,
    "legend.fontsize": 9.9,
    "legend.title_fontsize": 10.8,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "text.color": ".15",
    "xtick.bottom": False,
    "xtick.color": ".15",
    "xtick.labelsize": 9.9,
    "xtick.major.size": 6.0,
    "xtick.major.width": 1.25,
    "xtick.minor.size": 4.0,
    "xtick.minor.width": 1.0,
    "ytick.color": ".15",
    "ytick.labelsize": 9.9,
    "ytick.left": False,
    "ytick.major.size": 6.0,
    "ytick.major.width": 1.25,
    "ytick.minor.size": 4.0,
    "ytick.minor.width": 1.0,
}


#: Settings the theme adds to seaborn's that change no pixel of the project's figures but
#: spare matplotlib work at every draw. ``axes.titley`` ``None`` (matplotlib's default)
#: places each Axes title anew at every draw: it lays out every tick label of both axes of
#: every titled Axes (once for tight_layout, once for the PNG, once for the SVG) only to
#: find whether tick labels on top, an x label on top or a y offset text (``1e6``) reach
#: above the Axes and would push the title up. No figure here has any of these (x tick
#: labels are at the bottom; shares and odds ratios need no offset), so the title always
#: stays at 1.0, the top of the Axes: fixing it there writes the same bytes (checked by
#: tests/test_figures.py) for about a tenth less figure CPU. A figure that puts ticks on
#: top must pass ``y`` to its ``set_title``.
LAYOUT = {"axes.titley": 1.0}


@contextmanager
def theme():
    """Draw the figures made inside the block in the project's theme (:data:`THEME`):
    seaborn's white grid with fonts at 0.9 of seaborn's notebook size, titles at a fixed
    height (:data:`LAYOUT`).

    matplotlib's settings are restored when the block ends, so that a figure function
    leaves no global state behind (the theme is set on top of whatever the caller had,
    exactly as a notebook's ``sns.set_theme`` call did).
    """
    with plt.rc_context({**THEME, **LAYOUT}):
        yield


def _desaturate(colour, prop: float) -> tuple:
    """``colour`` with its saturation (HLS) multiplied by ``prop``: how seaborn's bar
    plots tone down a palette (``saturation=0.75``)."""
    import colorsys

    hue, lightness, saturation = colorsys.rgb_to_hls(*matplotlib.colors.to_rgb(colour))
    return colorsys.hls_to_rgb(hue, lightness, saturation * prop)


def margins_figure(margins: pd.DataFrame, path, title: str, statement: str) -> None:
    """Unweighted, base-weighted, weighted and population shares on every raked margin,
    margins and categories in words (:class:`~councilsurvey.inputs.labels.ReaderLabels`)."""
    from councilsurvey.inputs.labels import ReaderLabels

    words = ReaderLabels()
    column = {"party": "party_group"}  # the margin's column (weighting.MARGIN_COLUMN)
    margins = margins.assign(
        category=[
            words.category(column.get(m, m), c)
            for m, c in zip(margins["margin"], margins["category"], strict=True)
        ]
    )
    long = margins.melt(
        id_vars=["margin", "category"],
        value_vars=[
            "population_share",
            "unweighted_share",
            "base_weighted_share",
            "weighted_share",
        ],
        var_name="series",
        value_name="share",
    )
    long["series"] = long["series"].map(
        {
            "population_share": "Population (filled seats)",
            "unweighted_share": "Unweighted",
            "base_weighted_share": "Coverage base weight",
            "weighted_share": "Raked weight",
        }
    )
    series = list(dict.fromkeys(long["series"]))
    colours = [_desaturate(c, 0.75) for c in ["#444444", "#d95f02", "#7570b3", "#1b9e77"]]
    height = 0.8 / len(series)  # one group of bars per category, 0.8 of the row
    order = list(dict.fromkeys(margins["margin"]))
    heights = [margins["margin"].eq(m).sum() for m in order]
    with theme():
        fig, axes = plt.subplots(
            len(order),
            1,
            figsize=(8, 1.2 + 0.42 * sum(heights)),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for ax, margin in zip(axes[:, 0], order, strict=True):
            sub = long[long["margin"] == margin]
            cats = list(dict.fromkeys(sub["category"]))
            for k, (name, colour) in enumerate(zip(series, colours, strict=True)):
                bars = sub[sub["series"] == name]
                ax.barh(
                    [cats.index(c) - 0.4 + k * height for c in bars["category"]],
                    bars["share"],
                    height=height,
                    align="edge",
                    color=colour,
                    label=name,
                )
            ax.set_yticks(range(len(cats)), cats)
            ax.set_ylim(len(cats) - 0.5, -0.5)
            ax.yaxis.grid(False)
            ax.set_title(
                f"Margin: {words.variable(column.get(margin, margin))}", loc="left", fontsize=10
            )
            ax.set_xlabel("share")
            if ax is axes[0, 0]:
                ax.legend(loc="lower right", fontsize=8, frameon=True)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
        stamp(fig, statement)
        fig.tight_layout(rect=(0, 0.02, 1, 0.98))
        save(fig, path)


PALETTE = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e"]


def interval_plot(
    ax,
    data: pd.DataFrame,
    y: str,
    x: str,
    lo: str,
    hi: str,
    hue: str | None = None,
    hue_order=None,
    dodge: float = 0.22,
) -> None:
    """Horizontal dot-and-whisker plot of estimates with precomputed intervals.

    One row per category of ``y`` (in order of appearance), one dodged point per ``hue``.
    """
    cats = list(dict.fromkeys(data[y]))
    groups = [None] if hue is None else (hue_order or list(dict.fromkeys(data[hue])))
    offsets = (
        [0.0] if hue is None else [(i - (len(groups) - 1) / 2) * dodge for i in range(len(groups))]
    )
    for g, off, color in zip(groups, offsets, PALETTE * 3, strict=False):
        sub = data if g is None else data[data[hue] == g]
        pos = [cats.index(c) + off for c in sub[y]]
        ax.errorbar(
            sub[x],
            pos,
            xerr=[sub[x] - sub[lo], sub[hi] - sub[x]],
            fmt="o",
            color=color,
            ecolor=color,
            capsize=2,
            markersize=4,
            label=None if g is None else str(g),
        )
    ax.set_yticks(range(len(cats)), [str(c) for c in cats])
    ax.set_ylim(len(cats) - 0.5, -0.5)
    if hue is not None:
        ax.legend(fontsize=8, loc="best")


class _PlainNumbers(Formatter):
    """Tick labels of a log axis as plain numbers (0.01, 0.5, 2, 10,000), not matplotlib's
    10^x; on the minor ticks only where the axis spans at most two powers of ten."""

    def __init__(self, minor: bool = False):
        self.minor = minor

    def __call__(self, x, pos=None) -> str:
        if self.minor:
            low, high = sorted(self.axis.get_view_interval())
            if low <= 0 or high / low > 100:
                return ""
        # six significant digits (0.9, not 0.9000000000000001), written out in full, with
        # thousands separated (10,000)
        value = float(f"{x:.6g}")
        if value >= 1000 and value == int(value):
            return f"{int(value):,}"
        return np.format_float_positional(value, trim="-")


def plain_log_axis(axis) -> None:
    """A log axis a reader reads as it is: plain numbers at the powers of ten
    (matplotlib's own choice of them) and, on a short axis, at 2 and 5 times them too.
    matplotlib's default labels are powers of ten set with mathtext, which also parses
    and lays them out again at every draw."""
    axis.set_major_formatter(_PlainNumbers())
    axis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    axis.set_minor_formatter(_PlainNumbers(minor=True))
