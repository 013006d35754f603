"""Robustness grid: do the segment shares survive other reasonable analytic choices?

Each *specification* is one weighting scheme crossed with one segmentation, both
defined in ``config.yaml`` (``robustness``):

* weighting schemes: no weights; council coverage only (the base weight, filled seats
  per respondent of each council); raking on a subset of the margins; raking on every
  margin (the pipeline's weights); raking with weights trimmed at a multiple of the
  median and re-raked;
* segmentations: the report's rule (:func:`councilsurvey.analysis.segments.classify`) at its
  published thresholds and at other thresholds (how many benefit items must be agreed or
  disagreed with, which answer codes count), and the latent classes of the segment stage
  (:func:`councilsurvey.analysis.latent.select_latent_classes`), read from
  ``segments.parquet`` (``segment_latent``) and never refitted here.

For every specification :func:`specification` estimates the share of enthusiasts and of
sceptics with design-based 95% confidence intervals (on the wave's
:class:`~councilsurvey.survey.design.SurveyDesign` with the scheme's weights: councils as
clusters, through
:func:`councilsurvey.survey.estimation.share`; the unweighted scheme keeps the clusters with
weights of one). :func:`summarise` gathers the grid into one table and marks, for each
specification, whether the published findings hold: whether the interval covers the
published share, and whether enthusiasts clearly outnumber sceptics (their intervals do
not overlap, a conservative reading). :func:`curve_figure` draws the specification curve
(Simonsohn, Simmons and Nelson, 2020): estimates sorted by size above a grid that shows
which choices made each one.

The workflow's rule ``robustness`` runs
:func:`councilsurvey.pipeline.robustness.robustness_wave` once per wave (or, with
``robustness.batch: scheme``, ``robustness_scheme`` once per weighting scheme; with
``spec``, ``robustness_spec`` once per specification); ``robustness_summary`` gathers
them (:mod:`councilsurvey.pipeline.robustness_summary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from councilsurvey.core.errors import InputError

if TYPE_CHECKING:  # svy and polars load only when a specification is estimated
    from councilsurvey.survey.design import SurveyDesign

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
#: what a weighting scheme may say (besides a description and a label)
SCHEME_KEYS = {"weights", "margins", "trim", "description", "label"}
#: what a segmentation may say
SEGMENTATION_KEYS = {
    "method",
    "agree_codes",
    "disagree_codes",
    "min_agree",
    "min_disagree",
    "min_answered",
    "description",
    "label",
}


# --------------------------------------------------------------------------------------
# specifications


def scheme_is_pipelines(scheme: dict | None, weighting: dict) -> bool:
    """Whether a robustness weighting scheme gives the pipeline's own weights: raked on
    the same margins (``config.yaml`` ``weighting.margins``) with the same trimming."""
    scheme = scheme or {}
    if "margins" not in scheme:
        return False
    return set(scheme["margins"]) == set(weighting.get("margins", [])) and scheme.get(
        "trim"
    ) == weighting.get("trim")


def baseline(cfg: dict) -> tuple[str, str]:
    """The specification the pipeline's own tables use.

    ``robustness.baseline`` names it. With ``weighting`` in ``cfg`` the baseline follows
    the pipeline's effective weighting: when the named scheme does not give the
    pipeline's weights (e.g. ``weighting.trim: 5`` with ``raked_all``) the first scheme
    that does is used instead; with ``segments`` in ``cfg`` and ``segments.method:
    latent`` the latent-class segmentation is. Where no scheme matches, the named one
    stays (:func:`scheme_is_pipelines` tells the README to say so).
    """
    rob = cfg["robustness"]
    scheme, segmentation = str(rob["baseline"]["weighting"]), str(rob["baseline"]["segmentation"])
    weighting = cfg.get("weighting")
    if weighting and not scheme_is_pipelines(rob["weighting"].get(scheme), weighting):
        scheme = next(
            (n for n, s in rob["weighting"].items() if scheme_is_pipelines(s, weighting)), scheme
        )
    if (cfg.get("segments") or {}).get("method") == "latent":
        segmentation = next(
            (n for n, s in rob["segmentation"].items() if (s or {}).get("method") == "latent"),
            segmentation,
        )
    return scheme, segmentation


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
    (ndarray, bool, DataFrame or None)
        The weights, in the order of ``data``; whether raking (and trimming)
        converged; and for raked weights the record of their final raking
        (``calibration_weight`` and ``calibration_<margin>``, see
        :func:`councilsurvey.survey.weighting.weight`), so that their standard errors
        account for it (None for unraked weights, which are taken as fixed).
    """
    from councilsurvey.survey import weighting

    unknown = set(scheme) - SCHEME_KEYS
    if unknown:
        raise InputError(source, f"unknown key(s) {sorted(unknown)} of a weighting scheme")
    kind = scheme.get("weights", "raked")
    if kind == "none":
        return np.ones(len(data)), True, None
    if kind == "coverage":
        return weighting.base_weights(data, frame).to_numpy(dtype=float), True, None
    if kind != "raked":
        raise InputError(source, f"weights '{kind}' is not one of none, coverage, raked")
    cfg = dict(weighting_cfg)
    cfg["margins"] = list(scheme.get("margins", weighting_cfg["margins"]))
    cfg["trim"] = scheme.get("trim")
    result = weighting.weight(data.drop(columns=calibration_columns(data)), frame, cfg, source)
    converged = bool(result.diagnostics["converged"].all())
    calibration = result.data[calibration_columns(result.data)]
    return (
        result.data["weight"].to_numpy(dtype=float),
        converged,
        calibration if len(calibration.columns) else None,
    )


def calibration_columns(data: pd.DataFrame) -> list[str]:
    """The columns of ``data`` that record a raking (``calibration_weight`` and
    ``calibration_<margin>``)."""
    from councilsurvey.survey.design import CALIBRATION_PREFIX

    return [c for c in data.columns if c.startswith(CALIBRATION_PREFIX)]


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
    from councilsurvey.analysis.segments import classify

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
    design: SurveyDesign,
    segment: pd.Series,
    weighting: str,
    segmentation: str,
    converged: bool = True,
) -> pd.DataFrame:
    """Enthusiast and sceptic shares with confidence intervals under one specification.

    The base is every respondent the segmentation places (``unclassified`` included, as
    in the published counts); shares and intervals are design-based (logit intervals at
    the design's level, 95% in the pipeline; councils as clusters;
    :func:`councilsurvey.survey.estimation.share`).

    Parameters
    ----------
    design : SurveyDesign
        The responses with the weighting scheme's weights as the design's weight column
        (e.g. ``SurveyDesign.of_wave(data).assign(w=weights).with_weight("w")``; the
        unweighted scheme keeps the clusters with weights of one).
    segment : Series
        The segmentation's segment of every respondent, in the order of ``design.data``
        (missing: not placed).
    weighting, segmentation : str
        Names of the weighting scheme and segmentation, copied to the table.
    converged : bool
        Whether the scheme's weights converged, copied to the table.

    Returns
    -------
    DataFrame
        Columns :data:`SPEC_COLUMNS`, a row per segment of :data:`SEGMENTS`.
    """
    return specifications(design, {segmentation: segment}, weighting, converged)[segmentation]


def specifications(
    design: SurveyDesign,
    segments: dict[str, pd.Series],
    weighting: str,
    converged: bool = True,
) -> dict[str, pd.DataFrame]:
    """:func:`specification` of every segmentation of ``segments`` under one weighting
    scheme, from one svy sample.

    Each segmentation's segments are a column ``_segment_<i>`` of one sample of the
    design, built once for the scheme; each table is :func:`specification`'s for that
    segmentation alone, number for number (svy reads only the columns an estimate uses).

    Parameters
    ----------
    design : SurveyDesign
        As :func:`specification`.
    segments : dict
        Segmentation name -> its segment of every respondent (as ``segment`` of
        :func:`specification`), in the order the tables are wanted.
    weighting : str
        Name of the weighting scheme.
    converged : bool
        Whether the scheme's weights converged.

    Returns
    -------
    dict
        Segmentation name -> its table (columns :data:`SPEC_COLUMNS`).
    """
    from councilsurvey.analysis.sampled import sampled
    from councilsurvey.survey.estimation import estimate_record, proportions
    from councilsurvey.survey.weighting import kish_deff

    design = prepared(design)
    data = design.data
    weights = data[design.weight].to_numpy(dtype=float)
    segs = {
        f"_segment_{i}": pd.Series(segment.to_numpy(), index=data.index)
        for i, segment in enumerate(segments.values())
    }
    # one sample of the design with every segmentation's segments (unplaced respondents
    # missing) as a column; each segmentation's shares come from one proportions() call:
    # each category's share and interval are those of its own indicator
    # (estimation.share)
    columns = {k: seg.astype(object).where(seg.notna(), None) for k, seg in segs.items()}
    design = sampled(design.select([]).assign(**columns), columns)
    out = {}
    for segmentation, column in zip(segments, columns, strict=True):
        seg = segs[column]
        placed = seg.notna()
        shares = proportions(design, column).set_index("category")
        n_base = int(placed.sum())
        rows = []
        for name in SEGMENTS:
            est = estimate_record(
                n_base, shares.loc[name] if name in shares.index else None, design.level
            )
            rows.append(
                {
                    "weighting": weighting,
                    "segmentation": segmentation,
                    "segment": name,
                    "n": int((seg == name).sum()),
                    "n_base": n_base,
                    "unweighted_share": est["unweighted"],
                    "share": est["weighted"],
                    "se": est["se"],
                    "lci": est["lci"],
                    "uci": est["uci"],
                    "deff_kish": kish_deff(weights[placed.to_numpy()]),
                    "weights_converged": bool(converged),
                }
            )
        out[segmentation] = pd.DataFrame(rows, columns=SPEC_COLUMNS)
    return out


def prepared(design: SurveyDesign) -> SurveyDesign:
    """``design`` as :func:`specification` estimates on it: its data indexed 0..n-1 and
    its PSU ids as text, whatever their type in the data. A design already so is
    returned as it is, so that a scheme's design is prepared once for all its
    segmentations."""
    data = design.data
    ready = isinstance(data.index, pd.RangeIndex) and data.index.start == 0
    ready = ready and data.index.step == 1
    if design.psu is not None:
        psu = data[design.psu]
        text = isinstance(psu.dtype, pd.StringDtype) or psu.dtype == object
        ready = ready and text and all(isinstance(v, str) for v in psu)
    if ready:
        return design
    data = data.reset_index(drop=True)
    if design.psu is not None:
        data = data.assign(**{design.psu: data[design.psu].astype(str).to_numpy()})
    return design.with_data(data)


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
