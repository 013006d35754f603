"""Figures: seaborn plots written deterministically, each stamped with its data statement."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .runner import atomic_path  # noqa: E402

SYNTHETIC = (
    "Synthetic reconstruction: generated to agree with the published figures; "
    "not real councillors' answers."
)


def data_statement(synthetic: bool) -> str:
    """The line printed under every figure of a wave."""
    return SYNTHETIC if synthetic else "Survey responses; see the bundle README for sources."


def save(fig, path) -> None:
    """Save a figure as PNG with fixed metadata (byte-identical on rerun), atomically."""
    tmp = atomic_path(path)
    fig.savefig(tmp, format="png", dpi=120, metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)


def margins_figure(margins: pd.DataFrame, path, title: str, statement: str) -> None:
    """Unweighted, base-weighted, weighted and population shares on every raked margin."""
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
    sns.set_theme(style="whitegrid", font_scale=0.9)
    order = list(dict.fromkeys(margins["margin"]))
    heights = [margins["margin"].eq(m).sum() for m in order]
    fig, axes = plt.subplots(
        len(order),
        1,
        figsize=(8, 1.2 + 0.42 * sum(heights)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, margin in zip(axes[:, 0], order, strict=True):
        sub = long[long["margin"] == margin]
        sns.barplot(
            data=sub,
            y="category",
            x="share",
            hue="series",
            ax=ax,
            orient="h",
            palette=["#444444", "#d95f02", "#7570b3", "#1b9e77"],
        )
        ax.set_title(f"Margin: {margin}", loc="left", fontsize=10)
        ax.set_xlabel("share")
        ax.set_ylabel("")
        if ax is not axes[0, 0]:
            ax.get_legend().remove()
        else:
            ax.legend(loc="lower right", fontsize=8, frameon=True)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.text(0.01, 0.005, statement, fontsize=7.5, style="italic", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.02, 1, 0.98))
    save(fig, path)
