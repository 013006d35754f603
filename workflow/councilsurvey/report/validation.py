"""The known-truth validation study for readers: its figure and the bundle README's
section (see :mod:`councilsurvey.analysis.validation` for the study)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from councilsurvey.analysis.simulation import ESTIMANDS
from councilsurvey.report.figures import save_all, stamp

#: scheme id -> its name for readers
SCHEME_LABELS = {
    "unweighted": "Unweighted",
    "coverage": "Council coverage only",
    "raked_type_region": "Raked on type and region",
    "raked_all": "Raked on type, region and party",
    "trimmed_3x": "Raked on all three, trimmed at 3x",
    "trimmed_5x": "Raked on all three, trimmed at 5x",
}
#: scenario id -> its name for readers
SCENARIO_LABELS = {
    "ignorable": "Ignorable non-response (type, region, party)",
    "nonignorable": "Non-ignorable non-response (enthusiasts answer more)",
}


def _label(mapping: dict, key: str) -> str:
    return mapping.get(key, key.replace("_", " ").capitalize())


def figure(table: pd.DataFrame, png, svg, wave: str, statement: str, level: float = 0.95):
    """Coverage of the 95% intervals per scheme, with the Monte Carlo band around 95%
    (``level +- 1.96 sqrt(level (1 - level) / k)``, where an honest interval's coverage
    falls 95% of the time), and bias per scheme with +-1.96 Monte Carlo SEs; one column per
    scenario, one marker per estimand."""
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(table["scenario"]))
    schemes = list(dict.fromkeys(table["scheme"]))
    estimands = list(dict.fromkeys(table["estimand"]))
    markers = dict(zip(estimands, ["o", "s", "^", "D", "v", "P"], strict=False))
    fig, axes = plt.subplots(
        2, len(scenarios), figsize=(5.2 * len(scenarios), 7.2), sharey="row", squeeze=False
    )
    y = np.arange(len(schemes))
    offsets = np.linspace(-0.27, 0.27, len(estimands))
    k = int(table["k"].iloc[0])
    band = 1.96 * np.sqrt(level * (1 - level) / k)
    for col, scenario in enumerate(scenarios):
        rows = table[table["scenario"] == scenario].set_index(["scheme", "estimand"])
        cov_ax, bias_ax = axes[0, col], axes[1, col]
        cov_ax.axvspan(level - band, level + band, color="0.85", lw=0)
        cov_ax.axvline(level, color="0.3", lw=0.8)
        bias_ax.axvline(0, color="0.3", lw=0.8)
        for off, estimand in zip(offsets, estimands, strict=True):
            r = rows.xs(estimand, level="estimand").reindex(schemes)
            label = ESTIMANDS.get(estimand, estimand)
            cov_ax.errorbar(
                r["coverage"],
                y + off,
                xerr=1.96 * r["mc_se_coverage"],
                fmt=markers[estimand],
                ms=4,
                lw=0.8,
                capsize=0,
                label=label,
            )
            bias_ax.errorbar(
                r["bias"],
                y + off,
                xerr=1.96 * r["mc_se_bias"],
                fmt=markers[estimand],
                ms=4,
                lw=0.8,
                capsize=0,
                label=label,
            )
        cov_ax.set_title(_label(SCENARIO_LABELS, scenario), fontsize=9)
        cov_ax.set_xlabel(f"coverage of the {level:.0%} intervals (grey: Monte Carlo band)")
        bias_ax.set_xlabel("bias (mean estimate - population truth)")
        cov_ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        bias_ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:+.0f} pt"))
        for ax in (cov_ax, bias_ax):
            ax.set_yticks(y)
            ax.set_yticklabels([_label(SCHEME_LABELS, s) for s in schemes], fontsize=8)
            ax.set_ylim(len(schemes) - 0.5, -0.5)
            ax.grid(axis="x", lw=0.3)
    axes[0, 0].legend(fontsize=7.5, loc="lower left")
    fig.suptitle(
        f"Wave {wave} frame: known-truth simulation, {k} samples per scenario", fontsize=10
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    stamp(fig, statement + " Simulated samples from a synthetic population on the real frame.")
    save_all(fig, png, svg)


def readme_section(table: pd.DataFrame) -> str:
    """Markdown for a bundle README: what the validation study shows."""
    k = int(table["k"].iloc[0])
    lines = [
        "## Validation: does the weighting recover a known truth?",
        "",
        f"A synthetic population of councillors, one per filled seat of the wave's council "
        f"frame, answered the attitude items through a latent-attitude model (party, council "
        f"type and age effects), so every estimand's population truth is known. {k} samples "
        "per scenario were drawn through a non-response model calibrated to look like the "
        f"real wave (about {table['mean_respondents'].mean():.0f} respondents from "
        f"{table['mean_councils'].mean():.0f} councils, Labour and London over-represented), "
        "and each was weighted by the robustness schemes, segmented by the report's rule and "
        "estimated with design-based 95% intervals (councils as clusters, standard errors "
        "through the raking), as the pipeline does (`tables/validation.csv`, "
        "`figures/validation.png`). Coverage is the share of intervals that contain the truth; "
        "its Monte Carlo SE is about "
        f"{np.sqrt(0.95 * 0.05 / k):.1%} at k = {k}.",
        "",
        "| scenario | scheme | estimand | truth | bias | coverage |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for r in table.itertuples():
        if r.scheme not in ("unweighted", "raked_all"):
            continue
        lines.append(
            f"| {r.scenario} | {_label(SCHEME_LABELS, r.scheme)} | "
            f"{ESTIMANDS.get(r.estimand, r.estimand)} | {r.truth:.1%} | "
            f"{r.bias * 100:+.1f} pt | {r.coverage:.1%} |"
        )
    lines.append("")
    for scenario in dict.fromkeys(table["scenario"]):
        rows = table[(table["scenario"] == scenario) & (table["scheme"] == "raked_all")]
        un = table[(table["scenario"] == scenario) & (table["scheme"] == "unweighted")]
        if rows.empty:
            continue
        worst = rows.loc[rows["bias"].abs().idxmax()]
        text = (
            f"- {_label(SCENARIO_LABELS, scenario)}: with the pipeline's weights (raked on "
            f"type, region and party) the largest bias is {worst['bias'] * 100:+.1f} points "
            f"({ESTIMANDS.get(worst['estimand'], worst['estimand'])}; "
            f"{abs(worst['bias']) / worst['mc_se_bias']:.1f} Monte Carlo SEs) and coverage runs "
            f"from {rows['coverage'].min():.1%} to {rows['coverage'].max():.1%}"
        )
        if not un.empty:
            text += f"; unweighted, the largest bias is {un['bias'].abs().max() * 100:.1f} points"
        lines.append(text + ".")
    lines += [
        "",
        "Under ignorable non-response the raked weights remove the bias and the intervals "
        "are honest. When enthusiasts answer more often (non-ignorable), no weighting to the "
        "frame's margins removes the bias that remains, and the intervals, centred on a "
        "biased estimate, cover the truth far less often than 95%: the published shares "
        "carry that risk, which only better response, not weighting, can reduce.",
        "",
    ]
    return "\n".join(lines) + "\n"
