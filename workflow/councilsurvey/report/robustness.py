"""The robustness grid for readers: the bundle README's section and the specification
curve (see :mod:`councilsurvey.analysis.robustness` for the estimates)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from councilsurvey.analysis.robustness import SEGMENTS


def readme_section(
    table: pd.DataFrame, robustness: dict | None = None, weighting: dict | None = None
) -> str:
    """Markdown for a bundle README: where the published findings hold across the grid.

    ``table`` is the bundled (disclosure-controlled) table; suppressed estimates show as
    "suppressed". Given the ``robustness`` and effective ``weighting`` settings, the
    baseline row is called the pipeline's only when its scheme gives the pipeline's
    weights; otherwise the section says that it does not.
    """
    from councilsurvey.analysis.robustness import scheme_is_pipelines

    base = table.loc[table["baseline"].astype(str) == "True", "weighting"]
    own = True
    if robustness is not None and weighting is not None and len(base):
        own = scheme_is_pipelines(robustness["weighting"].get(base.iloc[0]), weighting)
    specs = table.drop_duplicates(["weighting", "segmentation"])
    n = len(specs)
    lines = [
        "## Robustness",
        "",
        f"The shares of enthusiasts and sceptics were estimated under {n} specifications: "
        f"{table['weighting'].nunique()} weighting schemes x "
        f"{table['segmentation'].nunique()} segmentations (`tables/robustness.csv`, "
        "`figures/robustness_curve.png`; the schemes and segmentations are described in "
        "`provenance/config.yaml`, `robustness`).",
        "",
    ]
    if not own:
        lines += [
            f"No scheme of the grid gives the pipeline's own weights (margins "
            f"{', '.join(weighting.get('margins', []))}, trim {weighting.get('trim')}): the "
            f"row marked (baseline), `{base.iloc[0]}`, is `robustness.baseline`, not the "
            "weighting of the other tables.",
            "",
        ]
    for segment in SEGMENTS:
        rows = table[table["segment"] == segment]
        share = pd.to_numeric(rows["share"], errors="coerce")
        text = f"- {segment.capitalize()}s: {share.min():.1%} to {share.max():.1%}"
        if rows["published"].notna().any():
            covers = rows["covers_published"].astype(str).eq("True").sum()
            text += (
                f"; the published share ({rows['published'].dropna().iloc[0]:.1%}) is "
                f"inside the 95% CI in {covers} of {n} specifications"
            )
        lines.append(text + ".")
    clear = specs["enthusiasts_outnumber_sceptics"].astype(str).eq("True").sum()
    lines += [
        f"- Enthusiasts clearly outnumber sceptics (their 95% CIs do not overlap) in {clear} "
        f"of {n} specifications.",
        "",
        "| weighting | segmentation | enthusiasts (95% CI) | sceptics (95% CI) |",
        "| --- | --- | --- | --- |",
    ]

    def cell(row) -> str:
        if pd.isna(pd.to_numeric(row["share"], errors="coerce")):
            return f"suppressed (n {row['n']})"
        return f"{float(row['share']):.1%} ({float(row['lci']):.1%}-{float(row['uci']):.1%})"

    for spec in specs.itertuples():
        rows = table[
            (table["weighting"] == spec.weighting) & (table["segmentation"] == spec.segmentation)
        ].set_index("segment")
        mark = ""
        if str(spec.baseline) == "True":
            mark = " (pipeline)" if own else " (baseline)"
        lines.append(
            f"| {spec.weighting}{mark} | {spec.segmentation} | "
            f"{cell(rows.loc['enthusiast'])} | {cell(rows.loc['sceptic'])} |"
        )
    return "\n".join(lines) + "\n"


def curve_figure(
    table: pd.DataFrame,
    png,
    svg,
    wave: str,
    statement: str,
    k: int = 5,
    labels: dict[str, str] | None = None,
) -> None:
    """Specification curve: both segments' shares (95% CI) by specification, sorted by the
    enthusiast share, above a grid marking each specification's choices and, below them,
    where the published findings hold (filled: holds; open: does not).

    Published shares are drawn as dashed lines; the baseline specification is filled in
    black. Estimates resting on fewer than ``k`` respondents are not drawn (disclosure
    control, as in the bundled table). ``labels`` names the weighting schemes and
    segmentations in words (their ``label`` in ``config.yaml``; the id without one).
    """
    import matplotlib.pyplot as plt

    # the figure stack is loaded here only: the bundle job reads readme_section alone
    from councilsurvey.report.figures import save_all, stamp

    weightings = list(dict.fromkeys(table["weighting"]))
    segmentations = list(dict.fromkeys(table["segmentation"]))
    ent = table[table["segment"] == "enthusiast"].sort_values(
        ["share", "weighting", "segmentation"], kind="stable"
    )
    order = list(zip(ent["weighting"], ent["segmentation"], strict=True))
    x_of = {spec: i for i, spec in enumerate(order)}
    colours = {"enthusiast": "#1b7837", "sceptic": "#b2182b"}

    # rows of the grid that say where the published findings hold: filled = holds
    checks = [
        (f"CI covers published {seg}s", seg, "covers_published")
        for seg in SEGMENTS
        if table.loc[table["segment"] == seg, "published"].notna().any()
    ] + [("enthusiasts > sceptics", "enthusiast", "enthusiasts_outnumber_sceptics")]
    n_rows = len(weightings) + len(segmentations) + len(checks)
    fig, (ax, grid) = plt.subplots(
        2,
        1,
        figsize=(max(7.5, 0.3 * len(order) + 3), 5.5 + 0.22 * n_rows),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 0.22 * n_rows + 0.4]},
    )
    for segment, offset in (("enthusiast", -0.12), ("sceptic", 0.12)):
        rows = table[table["segment"] == segment]
        rows = rows[rows["n"] >= k]
        specs = zip(rows["weighting"], rows["segmentation"], strict=True)
        xs = np.array([x_of[spec] for spec in specs], dtype=float) + offset
        ax.errorbar(
            xs,
            rows["share"],
            yerr=[rows["share"] - rows["lci"], rows["uci"] - rows["share"]],
            fmt="o",
            ms=4,
            color=colours[segment],
            ecolor=colours[segment],
            elinewidth=1,
            label=f"{segment}s (95% CI)",
        )
        base = rows[rows["baseline"]]
        if len(base):
            specs = zip(base["weighting"], base["segmentation"], strict=True)
            bx = [x_of[spec] + offset for spec in specs]
            ax.plot(bx, base["share"], "o", ms=7, mfc="black", mec=colours[segment], zorder=5)
        pub = rows["published"].dropna()
        if len(pub):
            ax.axhline(
                pub.iloc[0],
                ls="--",
                lw=1,
                color=colours[segment],
                label=f"published {segment} share ({pub.iloc[0]:.1%})",
            )
    ax.set_ylabel("share of councillors")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    ax.set_title(
        f"Wave {wave}: enthusiast and sceptic shares under {len(order)} specifications "
        "(black: the pipeline's own)",
        fontsize=10,
    )
    ax.grid(axis="y", lw=0.3)

    words = labels or {}
    names = [words.get(n, n) for n in weightings + segmentations] + [c[0] for c in checks]
    first_check = len(weightings) + len(segmentations)
    holds = table.set_index(["weighting", "segmentation", "segment"])
    for row, (_, seg, column) in enumerate(checks, start=first_check):
        for x, (w, s) in enumerate(order):
            ok = str(holds.loc[(w, s, seg), column]) == "True"
            colour = colours[seg] if column == "covers_published" else "black"
            grid.plot(x, row, "o", ms=5, mec=colour, mfc=colour if ok else "white")
    for x, (w, s) in enumerate(order):
        grid.plot(
            [x, x],
            [weightings.index(w), len(weightings) + segmentations.index(s)],
            "o",
            ms=4,
            color="black",
        )
    grid.set_yticks(range(n_rows))
    grid.set_yticklabels(names, fontsize=7.5)
    grid.set_ylim(n_rows - 0.5, -0.5)
    grid.axhline(len(weightings) - 0.5, color="grey", lw=0.5)
    grid.axhline(first_check - 0.5, color="grey", lw=0.5)
    grid.set_xticks(range(len(order)))
    grid.set_xticklabels([str(i + 1) for i in range(len(order))], fontsize=6)
    grid.set_xlabel("specification, by enthusiast share")
    grid.tick_params(axis="y", length=0)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.subplots_adjust(left=max(fig.subplotpars.left, 1.9 / fig.get_figwidth()))
    stamp(fig, statement)
    save_all(fig, png, svg)
