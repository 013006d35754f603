"""Robustness grid: do the segment shares survive other reasonable analytic choices?

Each *specification* is one weighting scheme crossed with one segmentation, both
defined in ``config.yaml`` (``robustness``):

* weighting schemes: no weights; council coverage only (the base weight, filled seats
  per respondent of each council); raking on a subset of the margins; raking on every
  margin (the pipeline's weights); raking with weights trimmed at a multiple of the
  median and re-raked;
* segmentations: the report's rule (:func:`councilsurvey.segments.classify`) at its
  published thresholds and at other thresholds (how many benefit items must be agreed or
  disagreed with, which answer codes count), and the latent classes of the segmentation
  stage (:func:`councilsurvey.segmentation.latent_classes`).

For every specification :func:`specification` estimates the share of enthusiasts and of
sceptics with design-based 95% confidence intervals (councils as clusters, through
:func:`councilsurvey.estimation.share`; the unweighted scheme keeps the clusters with
weights of one). :func:`summarise` gathers the grid into one table and marks, for each
specification, whether the published findings hold: whether the interval covers the
published share, and whether enthusiasts clearly outnumber sceptics (their intervals do
not overlap, a conservative reading). :func:`curve_figure` draws the specification curve
(Simonsohn, Simmons and Nelson, 2020): estimates sorted by size above a grid that shows
which choices made each one.

The rule job of the workflow (``robustness``) runs :func:`robustness_spec` once per
specification; ``robustness_summary`` runs :func:`robustness_summary` on all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .runner import write_csv

#: segments whose shares the grid estimates
SEGMENTS = ["enthusiast", "sceptic"]
#: columns of one specification's estimates (:func:`specification`)
SPEC_COLUMNS = [
    "weighting",
    "segmentation",
    "segment",
    "n",
    "n_base",
    "unweighted_share",
    "share",
    "se",
    "lci",
    "uci",
    "deff_kish",
    "weights_converged",
]
#: columns of the gathered table (:func:`summarise`)
SUMMARY_COLUMNS = [
    *SPEC_COLUMNS[:2],
    "baseline",
    *SPEC_COLUMNS[2:],
    "published",
    "covers_published",
    "enthusiasts_outnumber_sceptics",
    "rank",
]
#: what a weighting scheme may say (besides a description)
SCHEME_KEYS = {"weights", "margins", "trim", "description"}
#: what a segmentation may say
SEGMENTATION_KEYS = {
    "method",
    "agree_codes",
    "disagree_codes",
    "min_agree",
    "min_disagree",
    "min_answered",
    "description",
}


# --------------------------------------------------------------------------------------
# specifications


def baseline(cfg: dict) -> tuple[str, str]:
    """The specification the pipeline's own tables use."""
    base = cfg["robustness"]["baseline"]
    return str(base["weighting"]), str(base["segmentation"])


def scheme_weights(
    data: pd.DataFrame, frame: pd.DataFrame, weighting_cfg: dict, scheme: dict, source="weights"
) -> tuple[np.ndarray, bool]:
    """The weights of one weighting scheme.

    Parameters
    ----------
    data : DataFrame
        Weighted responses (``code``, ``type``, ``region``, ``party``, ...).
    frame : DataFrame
        The wave's council frame.
    weighting_cfg : dict
        ``config.yaml`` ``weighting`` (party groups, collapse, tolerance, iterations).
    scheme : dict
        ``{weights: none}`` (every respondent 1), ``{weights: coverage}`` (base weights:
        filled seats / respondents of the council), or raking: ``margins`` (a list of
        type, region, party; default the configured margins) and ``trim`` (a multiple of
        the median, or absent).

    Returns
    -------
    (ndarray, bool)
        The weights, in the order of ``data``, and whether raking (and trimming)
        converged.
    """
    from . import weighting

    unknown = set(scheme) - SCHEME_KEYS
    if unknown:
        raise InputError(source, f"unknown key(s) {sorted(unknown)} of a weighting scheme")
    kind = scheme.get("weights", "raked")
    if kind == "none":
        return np.ones(len(data)), True
    if kind == "coverage":
        return weighting.base_weights(data, frame).to_numpy(dtype=float), True
    if kind != "raked":
        raise InputError(source, f"weights '{kind}' is not one of none, coverage, raked")
    cfg = dict(weighting_cfg)
    cfg["margins"] = list(scheme.get("margins", weighting_cfg["margins"]))
    cfg["trim"] = scheme.get("trim")
    result = weighting.weight(data, frame, cfg, source=source)
    converged = bool(result.diagnostics["converged"].all())
    return result.data["weight"].to_numpy(dtype=float), converged


def segment_of(
    data: pd.DataFrame,
    spec: dict,
    benefit_items: list[str],
    defaults: dict,
    latent: pd.Series | None = None,
) -> pd.Series:
    """The segment of every respondent under one segmentation.

    Parameters
    ----------
    data : DataFrame
        Responses with the benefit items.
    spec : dict
        ``{method: latent}`` for the latent classes, or the rule's settings that differ
        from ``defaults``: ``agree_codes``, ``disagree_codes``, ``min_agree`` (benefit
        items agreed with to be an enthusiast; default all of them), ``min_disagree``,
        ``min_answered``.
    benefit_items : list of str
        The items of the rule.
    defaults : dict
        ``config.yaml`` ``segments`` (the published rule).
    latent : Series, optional
        Latent classes of the respondents (needed for ``method: latent``).

    Returns
    -------
    Series
        Segment names, missing for a respondent the segmentation leaves out (a latent
        class model places only respondents who answered an item).
    """
    from .segments import classify

    unknown = set(spec) - SEGMENTATION_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} of a segmentation")
    if spec.get("method", "rule") == "latent":
        if latent is None:
            raise ValueError("the latent segmentation needs the latent classes")
        return latent.astype(object).where(latent.notna(), None).rename("segment")
    if spec.get("method", "rule") != "rule":
        raise ValueError(f"segmentation method '{spec['method']}' is not rule or latent")
    settings = {**defaults, **spec}
    seg = classify(
        data,
        benefit_items,
        agree_codes=settings["agree_codes"],
        disagree_codes=settings["disagree_codes"],
        min_disagree=int(settings["min_disagree"]),
        min_answered=int(settings["min_answered"]),
        min_agree=settings.get("min_agree"),
    )
    return seg.astype(object)


def specification(
    data: pd.DataFrame,
    weights: np.ndarray,
    segment: pd.Series,
    weighting: str,
    segmentation: str,
    converged: bool = True,
    psu: str = "code",
) -> pd.DataFrame:
    """Enthusiast and sceptic shares with 95% CIs under one specification.

    The base is every respondent the segmentation places (``unclassified`` included, as
    in the published counts); shares and intervals are design-based (logit intervals,
    councils as clusters, :func:`councilsurvey.estimation.share`).

    Returns
    -------
    DataFrame
        Columns :data:`SPEC_COLUMNS`, a row per segment of :data:`SEGMENTS`.
    """
    from .estimation import share
    from .weighting import kish_deff

    df = pd.DataFrame({psu: data[psu].astype(str).to_numpy(), "_w": np.asarray(weights)})
    seg = pd.Series(segment.to_numpy(), index=df.index)
    placed = seg.notna()
    rows = []
    for name in SEGMENTS:
        indicator = (seg == name).where(placed, None)
        est = share(df, indicator, weight="_w", psu=psu)
        rows.append(
            {
                "weighting": weighting,
                "segmentation": segmentation,
                "segment": name,
                "n": int((seg == name).sum()),
                "n_base": int(placed.sum()),
                "unweighted_share": est["unweighted"],
                "share": est["share"],
                "se": est["se"],
                "lci": est["lci"],
                "uci": est["uci"],
                "deff_kish": kish_deff(df["_w"].to_numpy()[placed.to_numpy()]),
                "weights_converged": bool(converged),
            }
        )
    return pd.DataFrame(rows, columns=SPEC_COLUMNS)


# --------------------------------------------------------------------------------------
# the grid


def published_shares(claims: list[dict], findings: dict) -> dict[str, float]:
    """Published share of each segment, from the wave's published claims.

    ``findings`` maps a segment to ``{count: <claim id>, base: <claim id>}``
    (``config.yaml`` ``robustness.published``); a segment whose claims the wave does not
    publish is left out.
    """
    values = {c["id"]: float(c["value"]) for c in claims}
    out = {}
    for segment, ids in findings.items():
        if ids["count"] in values and ids["base"] in values and values[ids["base"]] > 0:
            out[segment] = values[ids["count"]] / values[ids["base"]]
    return out


def summarise(
    estimates: pd.DataFrame, baseline_spec: tuple[str, str], published: dict[str, float]
) -> pd.DataFrame:
    """Gather the grid: mark the baseline and where the published findings hold.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`specification` for every specification.
    baseline_spec : (str, str)
        The pipeline's own (weighting, segmentation).
    published : dict
        Published share per segment (may be empty: the wave publishes none).

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS`, in the order of ``estimates``. ``published`` and
        ``covers_published`` (the 95% CI includes the published share) are missing
        where nothing was published; ``enthusiasts_outnumber_sceptics`` is true when the
        enthusiasts' lower limit is above the sceptics' upper limit; ``rank`` orders the
        specifications of a segment by estimate (1 = smallest).
    """
    out = estimates.copy()
    out.insert(
        2,
        "baseline",
        (out["weighting"] == baseline_spec[0]) & (out["segmentation"] == baseline_spec[1]),
    )
    out["published"] = out["segment"].map(published).astype(float)
    covers = (out["lci"] <= out["published"]) & (out["published"] <= out["uci"])
    out["covers_published"] = covers.astype(object).where(out["published"].notna(), None)
    wide = out.pivot_table(
        index=["weighting", "segmentation"], columns="segment", values=["lci", "uci"]
    )
    clear = wide[("lci", "enthusiast")] > wide[("uci", "sceptic")]
    keys = list(zip(out["weighting"], out["segmentation"], strict=True))
    out["enthusiasts_outnumber_sceptics"] = [bool(clear.loc[k]) for k in keys]
    out["rank"] = (
        out.groupby("segment")["share"].rank(method="first").astype(int)
        if len(out)
        else pd.Series(dtype=int)
    )
    return out[SUMMARY_COLUMNS].reset_index(drop=True)


def holds_summary(table: pd.DataFrame) -> dict:
    """How many specifications support each published finding (for logs and READMEs)."""
    specs = table.drop_duplicates(["weighting", "segmentation"])
    out = {"specifications": int(len(specs))}
    for segment in SEGMENTS:
        rows = table[table["segment"] == segment]
        if rows["published"].notna().any():
            out[f"{segment}_covers_published"] = int(rows["covers_published"].sum())
    out["enthusiasts_outnumber_sceptics"] = int(specs["enthusiasts_outnumber_sceptics"].sum())
    return out


def readme_section(table: pd.DataFrame) -> str:
    """Markdown for a bundle README: where the published findings hold across the grid.

    ``table`` is the bundled (disclosure-controlled) table; suppressed estimates show as
    "suppressed".
    """
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
        mark = " (pipeline)" if str(spec.baseline) == "True" else ""
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
) -> None:
    """Specification curve: both segments' shares (95% CI) by specification, sorted by the
    enthusiast share, above a grid marking each specification's choices and, below them,
    where the published findings hold (filled: holds; open: does not).

    Published shares are drawn as dashed lines; the baseline specification is filled in
    black. Estimates resting on fewer than ``k`` respondents are not drawn (disclosure
    control, as in the bundled table).
    """
    import matplotlib.pyplot as plt

    from .figures import save_all, stamp

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

    names = weightings + segmentations + [c[0] for c in checks]
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


# --------------------------------------------------------------------------------------
# stage functions (rules `robustness` and `robustness_summary`)


def robustness_spec(
    weighted,
    segments,
    frame,
    questionnaire,
    estimates,
    scheme,
    segmentation,
    weighting,
    segments_cfg,
    robustness,
    n_councils=None,
    wave="",
) -> None:
    """Rule ``robustness``: the estimates of one specification of a wave.

    ``scheme`` and ``segmentation`` name the specification's weighting scheme and
    segmentation in ``robustness`` (``config.yaml`` ``robustness``); ``weighting`` and
    ``segments_cfg`` are the ``weighting`` and ``segments`` settings. Writes
    :data:`SPEC_COLUMNS` to ``estimates``.
    """
    import logging

    from .frame import load_frame
    from .instrument import load_instrument

    log = logging.getLogger(__name__)
    schemes, segmentations = robustness["weighting"], robustness["segmentation"]
    for name, known, what in (
        (scheme, schemes, "weighting scheme"),
        (segmentation, segmentations, "segmentation"),
    ):
        if name not in known:
            raise InputError(
                "config.yaml", f"robustness: no {what} '{name}' (known: {', '.join(known)})"
            )
    data = pd.read_parquet(weighted)
    seg = pd.read_parquet(segments)[["respondent_id", "segment_latent"]]
    data = data.merge(seg, on="respondent_id", how="left", validate="one_to_one")
    fr = load_frame(frame, n_councils) if n_councils else load_frame(frame)
    weights, converged = scheme_weights(data, fr, weighting, schemes[scheme] or {}, source=weighted)
    segment = segment_of(
        data,
        segmentations[segmentation] or {},
        load_instrument(questionnaire).benefit_ids,
        segments_cfg,
        latent=data["segment_latent"],
    )
    est = specification(data, weights, segment, scheme, segmentation, converged)
    write_csv(est, estimates)
    for row in est.itertuples():
        log.info(
            "wave %s, %s x %s: %s %.4f (95%% CI %.4f-%.4f), n %d of %d",
            wave,
            scheme,
            segmentation,
            row.segment,
            row.share,
            row.lci,
            row.uci,
            row.n,
            row.n_base,
        )
    if not converged:
        log.warning("wave %s: the weights of scheme %s did not converge", wave, scheme)


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
) -> None:
    """Rule ``robustness_summary``: the table and specification curve of a wave, from the
    estimates of every specification (in the order of ``estimates``)."""
    import logging

    from .claims import load_claims

    log = logging.getLogger(__name__)
    est = pd.concat([pd.read_csv(p) for p in estimates], ignore_index=True)
    claims = load_claims(published) if published else []
    pub = published_shares(claims, robustness.get("published", {}))
    table = summarise(est, baseline({"robustness": robustness}), pub)
    write_csv(table, robustness_table)
    curve_figure(
        table, fig_robustness_curve_png, fig_robustness_curve_svg, str(wave), statement, k=k
    )
    for key, value in holds_summary(table).items():
        log.info("wave %s robustness: %s = %s", wave, key, value)
