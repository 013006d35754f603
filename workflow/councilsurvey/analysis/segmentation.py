"""Segments: their weighted sizes, the reliability of the scales behind them, a
data-driven alternative (latent classes) and how far the two agree.

The default segments come from the report's rule (:func:`councilsurvey.analysis.segments.classify`):
enthusiasts agree with all three benefit items, sceptics disagree with at least two. This
module estimates how large the segments are in the population of councillors
(:func:`segment_shares`) and what each segment thinks (:func:`item_profiles`), both
design-based through :mod:`councilsurvey.survey.estimation` (they take the wave's
:class:`~councilsurvey.survey.design.SurveyDesign`: final weight, councils as clusters);
checks that the items hang together as scales (:func:`reliability`, Cronbach's alpha);
and cross-tabulates the rule's segments against the latent classes
(:mod:`councilsurvey.analysis.latent`, stepmix) with Cohen's kappa (:func:`agreement`).

Every function is a pure function of its arguments and returns rows and columns in a
fixed order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from councilsurvey.analysis.segments import SEGMENTS
from councilsurvey.inputs.instrument import Instrument
from councilsurvey.survey import estimation
from councilsurvey.survey.design import SurveyDesign

#: columns of :func:`segment_shares`
SHARE_COLUMNS = ["segment", "n", "unweighted_share", "weighted_share", "se", "lci", "uci", "df"]
#: columns of :func:`reliability`
RELIABILITY_COLUMNS = ["scale", "items", "n", "alpha", "ci_low", "ci_high"]
#: columns of :func:`item_profiles`
PROFILE_COLUMNS = ["segment", "item", "n", "mean", "se", "lci", "uci"]
#: columns of the cross-table returned by :func:`agreement`
AGREEMENT_COLUMNS = ["rule_segment", "latent_class", "n"]
#: highest point of the Likert scale; reversing maps x to (LIKERT_MAX + 1) - x
LIKERT_MAX = 5


def _categories(values: pd.Series, default: Sequence[str] | None = None) -> list[str]:
    """The categories of ``values`` in a stable order.

    A categorical keeps its declared order; otherwise ``default`` (if given) comes first,
    then any other observed values in sorted order.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories]
    seen = sorted({str(v) for v in values.dropna()})
    first = [str(c) for c in (default or [])]
    return first + [c for c in seen if c not in first]


def segment_shares(design: SurveyDesign, segment: str = "segment") -> pd.DataFrame:
    """Unweighted and weighted share of respondents in each segment.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with a segment column, and their design (its level is that
        of the logit intervals).
    segment : str
        Segment column, e.g. the output of :func:`councilsurvey.analysis.segments.classify`
        (categories enthusiast, middle, sceptic, unclassified). All respondents with a
        segment are the base, so ``unclassified`` is a segment like the others.
        Respondents whose segment is missing leave the base (the design is kept).

    Returns
    -------
    DataFrame
        One row per segment category, in the column's category order (for a plain
        column: enthusiast, middle, sceptic, unclassified, then any other values
        sorted), with columns segment, n, unweighted_share, weighted_share, se, lci,
        uci, df. A category nobody is in has n 0, shares 0 and missing se, lci, uci
        and df.

    See Also
    --------
    councilsurvey.survey.estimation.proportions : the design-based estimator used.
    """
    cats = _categories(design.data[segment], SEGMENTS)
    res = estimation.proportions(design, segment)
    res = res.rename(columns={"category": "segment", "share": "weighted_share"})
    res = res.set_index("segment").reindex(cats)
    res.index.name = "segment"
    res = res.reset_index()
    res["n"] = res["n"].fillna(0).astype(int)
    res[["unweighted_share", "weighted_share"]] = res[
        ["unweighted_share", "weighted_share"]
    ].fillna(0.0)
    return res[SHARE_COLUMNS]


def default_scales(instrument: Instrument) -> tuple[dict[str, list[str]], list[str]]:
    """The scales the report's segments rest on, and the items to reverse.

    Parameters
    ----------
    instrument : Instrument
        The parsed questionnaire.

    Returns
    -------
    scales : dict
        ``{"benefit items": [the benefit items], "attitude battery": [every attitude
        item]}``, items in questionnaire order.
    reverse : list of str
        Attitude items whose ``direction`` is ``negative`` (agreeing is the sceptical
        answer), in questionnaire order
        (:attr:`councilsurvey.inputs.instrument.Instrument.caution_ids`).
    """
    scales = {
        "benefit items": instrument.benefit_ids,
        "attitude battery": instrument.attitude_ids,
    }
    return scales, instrument.caution_ids


def reliability(
    data: pd.DataFrame,
    scales: dict[str, list[str]],
    reverse: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Cronbach's alpha of each scale, with its confidence interval (pingouin).

    Parameters
    ----------
    data : DataFrame
        Responses with the items as Likert codes 1..5 (missing = Don't know or blank).
    scales : dict
        Scale name -> its items (at least two each).
    reverse : sequence of str
        Negatively worded items; where one is in a scale it is reversed (``6 - x``)
        before alpha is computed. Items not in a scale are ignored.
    level : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per scale in the order of ``scales``: scale, items (comma-joined, as
        given), n (complete cases: listwise deletion), alpha, ci_low, ci_high.

    Notes
    -----
    Alpha is ``k / (k - 1) * (1 - sum of item variances / variance of the total)`` on
    the respondents who answered every item of the scale. The interval is Feldt's F
    interval from :func:`pingouin.cronbach_alpha`, which pingouin rounds to three
    decimals. Complete cases are selected here, before pingouin is called, because
    pingouin's ``nan_policy="listwise"`` takes the interval's degrees of freedom from
    the number of rows *before* dropping incomplete ones. The interval is analytic, so
    there is nothing random to seed.
    """
    import pingouin as pg  # here: it imports seaborn, scipy.stats and statsmodels

    rev = set(reverse)
    rows = []
    for name, items in scales.items():
        items = list(items)
        if len(items) < 2:
            raise ValueError(f"scale {name!r} needs at least two items, got {items}")
        block = data[items].astype("Float64").astype(float)
        for item in items:
            if item in rev:
                block[item] = (LIKERT_MAX + 1) - block[item]
        complete = block.dropna(axis=0, how="any")
        if len(complete) < 2:
            raise ValueError(f"scale {name!r} has {len(complete)} complete case(s)")
        alpha, ci = pg.cronbach_alpha(complete, nan_policy="listwise", ci=level)
        rows.append(
            {
                "scale": name,
                "items": ",".join(items),
                "n": len(complete),
                "alpha": float(alpha),
                "ci_low": float(ci[0]),
                "ci_high": float(ci[1]),
            }
        )
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def agreement(rule: pd.Series, latent: pd.Series) -> tuple[pd.DataFrame, dict]:
    """How far the rule's segments and the latent classes agree.

    Parameters
    ----------
    rule : Series
        Rule segments (:func:`councilsurvey.analysis.segments.classify`), including
        ``unclassified``.
    latent : Series
        Latent classes (:func:`councilsurvey.analysis.latent.select_latent_classes`),
        indexed like ``rule``; missing for respondents the model could not classify.

    Returns
    -------
    table : DataFrame
        The cross-table in long form, columns rule_segment, latent_class, n: one row
        per pair of a rule segment (in its category order) and a latent class (in its
        category order), zero counts included. Respondents without a latent class are
        not counted.
    stats : dict
        ``cohen_kappa`` (:func:`sklearn.metrics.cohen_kappa_score`), ``percent_agreement``
        (0-100) and ``n``, all over the respondents classified by both: rule segment not
        ``unclassified`` (nor missing) and latent class not missing. Kappa is missing
        (NaN) when fewer than two such respondents exist or it is undefined.
    """
    if not rule.index.equals(latent.index):
        raise ValueError("rule and latent must have the same index")
    rule_cats = _categories(rule, SEGMENTS)
    latent_cats = _categories(latent, [s for s in SEGMENTS if s != "unclassified"])
    r = rule.astype(object).where(rule.notna(), None)
    lat = latent.astype(object).where(latent.notna(), None)

    both = lat.notna() & r.notna()
    pairs = pd.DataFrame(
        {"rule_segment": r[both].astype(str), "latent_class": lat[both].astype(str)}
    )
    counts = pairs.value_counts()
    grid = pd.MultiIndex.from_product(
        [rule_cats, latent_cats], names=["rule_segment", "latent_class"]
    )
    table = counts.reindex(grid, fill_value=0).rename("n").reset_index()
    table["n"] = table["n"].astype(int)

    classified = pairs[pairs["rule_segment"] != "unclassified"]
    n = len(classified)
    if n == 0:
        return table[AGREEMENT_COLUMNS], {
            "cohen_kappa": float("nan"),
            "percent_agreement": float("nan"),
            "n": 0,
        }
    labels = [c for c in rule_cats if c != "unclassified"]
    labels += [c for c in latent_cats if c not in labels]
    y1 = classified["rule_segment"].to_numpy()
    y2 = classified["latent_class"].to_numpy()
    from sklearn.metrics import cohen_kappa_score  # here: the module's only use of sklearn

    kappa = float(cohen_kappa_score(y1, y2, labels=labels)) if n >= 2 else float("nan")
    return table[AGREEMENT_COLUMNS], {
        "cohen_kappa": kappa,
        "percent_agreement": float(100.0 * np.mean(y1 == y2)),
        "n": int(n),
    }


def agreement_table(rule: pd.Series, latent: pd.Series) -> pd.DataFrame:
    """:func:`agreement`'s cross-table with its statistics as columns: the table
    ``segment_agreement.csv`` (rule_segment, latent_class, n, cohen_kappa,
    percent_agreement, n_compared; the statistics repeated on every row)."""
    crosstab, stats = agreement(rule, latent)
    return crosstab.assign(
        cohen_kappa=stats["cohen_kappa"],
        percent_agreement=stats["percent_agreement"],
        n_compared=stats["n"],
    )


def _domain_means(design: SurveyDesign, by: str, items: list[str]) -> pd.DataFrame:
    """svy means of each item by ``by`` (missing item or domain left out, design kept)."""
    sample = design.sample([by, *items])
    parts = []
    for item in items:
        res = sample.estimation.mean(
            item,
            by=by,
            where=design.where(),
            method=design.variance_method,
            drop_nulls=True,
            alpha=design.alpha,
        )
        part = res.to_polars().to_pandas().rename(columns={by: "segment", "est": "mean"})
        part["segment"] = part["segment"].astype(str)
        part.insert(1, "item", item)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def item_profiles(design: SurveyDesign, segment: str | pd.Series, items: list[str]) -> pd.DataFrame:
    """Weighted mean of each Likert item in each segment.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with ``items`` as codes 1..5 (missing = Don't know or blank),
        and their design (its level is that of the t intervals with the design degrees
        of freedom).
    segment : str or Series
        Segment column of ``design.data``, or a Series indexed like it (e.g. from
        :func:`councilsurvey.analysis.latent.select_latent_classes`).
    items : list of str
        Items to profile.

    Returns
    -------
    DataFrame
        Columns segment, item, n (respondents in the segment answering the item), mean,
        se, lci, uci; rows by segment (in its category order) then item (as given).
        Missing answers and respondents without a segment leave the estimate but stay
        in the design (domain estimation with councils as clusters). Segments with
        nobody answering an item have no row for it.
    """
    data = design.data
    if isinstance(segment, str):
        seg = data[segment]
    else:
        if not segment.index.equals(data.index):
            raise ValueError("segment must be indexed like data")
        seg = segment
    cats = _categories(seg, SEGMENTS)
    by = "__segment__"
    labels = seg.astype(object).where(seg.notna(), None).map(str, na_action="ignore")
    res = _domain_means(design.select(items).assign(**{by: labels}), by, list(items))

    res["n"] = res["n"].astype(int)
    order = {c: k for k, c in enumerate(cats)}
    res["_s"] = res["segment"].map(order)
    res["_i"] = res["item"].map({item: k for k, item in enumerate(items)})
    res = res.sort_values(["_s", "_i"], kind="stable").reset_index(drop=True)
    return res[PROFILE_COLUMNS]
