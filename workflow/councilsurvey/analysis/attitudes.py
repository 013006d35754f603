"""Attitudes to digital technology: segment associations, caution items and a model of
being a digital enthusiast (the headline shares are :mod:`councilsurvey.analysis.headlines`).

Every function takes the wave's :class:`~councilsurvey.survey.design.SurveyDesign` first.
Every weighted estimate and test goes through :mod:`councilsurvey.survey.estimation`
(for the bundled waves: final weight ``weight``, councils ``code`` as clusters, Taylor
linearisation with ``svy``); unweighted counterparts come from
:func:`councilsurvey.survey.estimation.chi2_unweighted`,
:func:`councilsurvey.survey.estimation.logistic_unweighted` and pingouin, on the design's
data.

Every test function returns a tidy test table (:mod:`councilsurvey.analysis.tidy`: the
columns :data:`TEST_COLUMNS`, Holm-adjusted p-values within the families each function's
docstring states).

Respondents in the ``unclassified`` segment (fewer than two benefit items answered) are
left out of every segment comparison: their segment is set to missing, which keeps
them in the survey design (their councils still count as clusters) but out of the
estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pingouin as pg

from councilsurvey.analysis.tidy import TEST_COLUMNS as TEST_COLUMNS  # re-exported
from councilsurvey.analysis.tidy import holm_within, tidy
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.estimation import SEPARATION as SEPARATION  # re-exported

#: columns of :func:`segment_profile_by`
PROFILE_COLUMNS = ["variable", "category", "segment", "n", "weighted", "lci", "uci"]

#: the classified segments compared in the tests, in order
COMPARED_SEGMENTS = ["enthusiast", "middle", "sceptic"]

DEFAULT_PREDICTORS = {
    "party_group": "Conservative",
    "type": "district",
    "role": "Backbench councillor",
    "age_band": "55-64",
    "tenure": "2 to 5 years",
}


# --------------------------------------------------------------------------- helpers


def _segment_compared(data: pd.DataFrame, segment: str) -> pd.Series:
    """The segment as text, missing for unclassified (and missing) respondents."""
    if segment not in data.columns:
        raise KeyError(f"segment column {segment!r} is not in the data")
    seg = data[segment].astype(object).where(data[segment].notna())
    seg = seg.where(seg.isin(COMPARED_SEGMENTS))
    return seg.astype(object)


def _levels(series: pd.Series) -> list[str]:
    """Observed levels of a column as text: categorical order if it has one, else sorted."""
    present = set(series.dropna().astype(str))
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories if str(c) in present]
    return sorted(present)


def _column(frame: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` present in ``frame`` (pingouin 0.7 renamed its columns to
    snake_case, e.g. ``p-unc`` -> ``p_unc``)."""
    for name in names:
        if name in frame.columns:
            return frame[name]
    raise KeyError(f"none of {names} in {list(frame.columns)}")


def _df_pair(df1: float, df2: float) -> str:
    return f"{df1:.2f}, {df2:.2f}"


# --------------------------------------------------------------------------- associations


def segment_association(
    design: SurveyDesign,
    segment: str = "segment",
    variables: Sequence[str] = ("type", "party_group", "role", "age_band", "tenure"),
) -> pd.DataFrame:
    """Association of the segment with respondent characteristics.

    For each variable, in the order given, two rows:

    1. ``Pearson chi-square`` (unweighted; :func:`councilsurvey.survey.estimation.chi2_unweighted`),
       effect size Cramér's V, ``df`` a float;
    2. ``Rao-Scott F`` (design-based, second-order correction;
       :func:`councilsurvey.survey.estimation.rao_scott`), ``df`` the string ``"df1, df2"``.
       Its effect size is Cramér's V computed from the Rao-Scott *first-order* corrected
       chi-square: ``sqrt(chisq / (n * (min(r, c) - 1)))`` with ``n`` the respondents
       answering both and ``r``, ``c`` the observed levels of the two variables.

    Unclassified respondents are excluded (their segment is treated as missing; for the
    weighted test they stay in the design). Only enthusiast, middle and sceptic are
    compared, so the segment has three levels. Sparse categories (Green and UKIP
    members, sui generis councils) are kept: pingouin warns of low expected counts, and
    the chi-square approximation is rough for those cells.

    Families for the Holm adjustment: the unweighted tests (one per variable) form one
    family, the weighted tests another.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with the segment column, and their design.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    variables : sequence of str
        Categorical respondent characteristics, tested in this order.

    Returns
    -------
    DataFrame
        Tidy test table (:data:`TEST_COLUMNS`); ``variables`` reads
        ``"segment x <variable>"``.
    """
    data = design.data
    seg = _segment_compared(data, segment)
    rows = []
    for var in variables:
        if var not in data.columns:
            raise KeyError(f"variable {var!r} is not in the data")
        tmp = design.select([var]).assign(**{segment: seg})
        with warnings.catch_warnings():
            # pingouin also computes the other power-divergence statistics, whose log and
            # power terms divide by zero on empty cells; the Pearson statistic is unaffected
            warnings.simplefilter("ignore", RuntimeWarning)
            chi = est.chi2_unweighted(tmp, segment, var)
        rows.append(
            {
                "test": "Pearson chi-square",
                "variables": f"{segment} x {var}",
                "statistic": chi["chi2"],
                "df": float(chi["dof"]),
                "p": chi["p"],
                "effect_size": chi["cramer_v"],
                "effect_measure": "Cramér's V",
                "n": chi["n"],
                "weighted": False,
            }
        )
        rs = est.rao_scott(tmp, segment, var)
        both = tmp.data[[segment, var]].dropna()
        k = min(both[segment].nunique(), both[var].astype(str).nunique())
        v = math.sqrt(rs["chisq"] / (rs["n"] * (k - 1))) if k > 1 and rs["n"] else np.nan
        rows.append(
            {
                "test": "Rao-Scott F",
                "variables": f"{segment} x {var}",
                "statistic": rs["f"],
                "df": _df_pair(rs["df_num"], rs["df_den"]),
                "p": rs["p"],
                "effect_size": v,
                "effect_measure": "Cramér's V (Rao-Scott first-order chi-square)",
                "n": rs["n"],
                "weighted": True,
            }
        )
    return holm_within(tidy(rows), "weighted")


# --------------------------------------------------------------------------- caution items


def caution_tests(
    design: SurveyDesign, items: Sequence[str], segment: str = "segment"
) -> pd.DataFrame:
    """Do the segments differ on the caution items? Rank tests, unweighted by design.

    Rank tests have no design-based counterpart in the estimation helpers, so these are
    unweighted (``weighted`` is False): they describe the respondents, not the
    population of councillors. Each item is compared among enthusiasts, the middle and
    sceptics (unclassified and Don't know/blank answers excluded, item by item).

    For each item, in the order given:

    * ``Kruskal-Wallis H`` across the three segments (``pingouin.kruskal``, H corrected
      for ties), ``df`` = number of groups - 1. Effect size epsilon-squared
      ``E2 = H / (n - 1)`` (Tomczak & Tomczak 2014; equivalently
      ``H / ((n**2 - 1) / (n + 1))``), with ``n`` the respondents in the test.
    * ``Mann-Whitney U`` for each pair (enthusiast vs middle, enthusiast vs sceptic,
      middle vs sceptic; ``pingouin.mwu``, two-sided, scipy's default method).
      ``statistic`` is U of the first-named group, ``df`` is NaN. Effect size the
      rank-biserial correlation ``r = 2 * U / (n1 * n2) - 1`` (pingouin's RBC): positive
      when the first-named group tends to agree more (higher codes), in [-1, 1].

    Families for the Holm adjustment: the Kruskal-Wallis tests (one per item, 3 for the
    bundled questionnaire) form one family, all the pairwise tests (9) another.

    Parameters
    ----------
    design : SurveyDesign
        Responses with the segment column and the items (Likert codes 1-5); only its
        data is used (the tests are unweighted).
    items : sequence of str
        Items to compare, in this order: the questionnaire's caution items,
        :attr:`councilsurvey.inputs.instrument.Instrument.caution_ids`.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).

    Returns
    -------
    DataFrame
        Tidy test table (:data:`TEST_COLUMNS`); for each item its Kruskal-Wallis row then
        its pairwise rows.
    """
    data = design.data
    seg = _segment_compared(data, segment)
    pairs = [(a, b) for i, a in enumerate(COMPARED_SEGMENTS) for b in COMPARED_SEGMENTS[i + 1 :]]
    rows = []
    for item in items:
        sub = pd.DataFrame({"segment": seg, "y": data[item].astype("Float64")}).dropna()
        sub = sub.astype({"segment": str, "y": float})
        n = len(sub)
        kw = pg.kruskal(sub, dv="y", between="segment")
        h = float(kw["H"].iloc[0])
        rows.append(
            {
                "test": "Kruskal-Wallis H",
                "variables": f"{item}: " + " vs ".join(COMPARED_SEGMENTS),
                "statistic": h,
                "df": float(kw["ddof1"].iloc[0]),
                "p": float(_column(kw, "p_unc", "p-unc").iloc[0]),
                "effect_size": h / (n - 1),
                "effect_measure": "epsilon-squared",
                "n": n,
                "weighted": False,
            }
        )
        for a, b in pairs:
            x = sub.loc[sub["segment"] == a, "y"].to_numpy()
            y = sub.loc[sub["segment"] == b, "y"].to_numpy()
            res = pg.mwu(x, y, alternative="two-sided")
            rows.append(
                {
                    "test": "Mann-Whitney U",
                    "variables": f"{item}: {a} vs {b}",
                    "statistic": float(_column(res, "U_val", "U-val").iloc[0]),
                    "df": np.nan,
                    "p": float(_column(res, "p_val", "p-val").iloc[0]),
                    "effect_size": float(res["RBC"].iloc[0]),
                    "effect_measure": "rank-biserial correlation",
                    "n": len(x) + len(y),
                    "weighted": False,
                }
            )
    return holm_within(tidy(rows), "test")


# --------------------------------------------------------------------------- model


def enthusiast_model(
    design: SurveyDesign,
    segment: str = "segment",
    predictors: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Logistic regression of being a digital enthusiast, unweighted and survey-weighted.

    The outcome is 1 for enthusiasts and 0 for the middle and sceptics; unclassified
    respondents are excluded (outcome missing; they stay in the weighted design). Each
    predictor is dummy-coded against its reference level. Every level observed among the
    modelled respondents is kept, however sparse: ``age_band`` "Prefer not to say"
    (22 respondents in 2017) is a level of its own rather than missing, so that nobody
    is dropped for declining to give an age; sparse levels (Green, UKIP, sui generis
    councils) simply get wide intervals.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with the segment column and the predictors, and their design.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    predictors : mapping, optional
        Predictor column -> reference level; default :data:`DEFAULT_PREDICTORS`
        (Conservative, district, backbench councillor, 55-64, 2 to 5 years).

    Returns
    -------
    DataFrame
        Tidy test table (:data:`TEST_COLUMNS`): first the unweighted model
        (:func:`councilsurvey.survey.estimation.logistic_unweighted`; test
        ``"logistic regression (Wald z)"``, ``df`` NaN), then the weighted one
        (:func:`councilsurvey.survey.estimation.logistic`, councils as clusters; test
        ``"survey logistic regression (Wald t)"``, ``df`` the design degrees of freedom).
        One row per term, intercept first, then predictors in the order given and their
        levels in sorted order; ``variables`` reads ``"enthusiast ~ Intercept"`` or
        ``"enthusiast ~ party_group[Labour]"``. ``effect_size`` is the odds ratio;
        two further columns, ``effect_ci_low`` and ``effect_ci_high``, give its
        confidence limits at the design's level (95% for the wave's design), and
        ``note`` is empty or says why a row is not to be read as an estimate (see
        Notes). Holm family: the non-intercept terms of each model separately, those
        without a finite estimate left out; the intercept's ``p_adjusted`` is NaN.

    Raises
    ------
    KeyError
        A predictor column is missing.
    ValueError
        A reference level is not observed among the modelled respondents, or a predictor
        has fewer than two levels there.

    Notes
    -----
    **Separation.** When every modelled respondent at a level of a predictor has the same
    outcome (all enthusiasts, or none), the likelihood keeps rising as that level's
    coefficient goes to infinity: its maximum-likelihood estimate does not exist (Albert
    and Anderson 1984), and what a fit reports is where its iterations stopped (an odds
    ratio of 10^5 or 10^6 with an interval from 0 to infinity, or no standard error). Such
    a term gets the note ``"separation: no finite estimate"`` in both models (the weights
    do not change which respondents there are), and its statistic, p-value, odds ratio
    and limits are NaN; it takes no part in the Holm family. A reference level with one
    outcome makes every term of its predictor, and the intercept, infinite. The other
    terms are estimated as usual: their estimates are those of the model fitted without
    the separated level's respondents. Separation by a combination of levels, which this
    check cannot see, is still caught where the fit finds no standard error (weighted:
    svy's ``note``) or no finite interval (unweighted). The note does not say which way
    the outcome goes, which for a sparse level (two councils of a type) would disclose
    the answers of a handful of respondents. A weighted fit that did not converge keeps
    its estimates, noted ``"did not converge"``.
    """
    predictors = dict(DEFAULT_PREDICTORS if predictors is None else predictors)
    data = design.data
    seg = _segment_compared(data, segment)
    y = pd.array(np.where(seg.isna(), pd.NA, (seg == "enthusiast").astype(int)), dtype="Int64")
    model = design.select(predictors).assign(enthusiast=y)
    used = model.data.dropna(subset=["enthusiast", *predictors])
    for col, ref in predictors.items():
        levels = set(used[col].astype(str))
        if ref not in levels:
            raise ValueError(
                f"reference level {ref!r} of {col!r} is not observed; levels: {sorted(levels)}"
            )
        if len(levels) < 2:
            raise ValueError(f"predictor {col!r} has a single level ({ref!r})")

    names = {"Intercept": "Intercept", "_intercept_": "Intercept"}
    for col in predictors:
        for lv in set(used[col].astype(str)):
            names[f"{col}[{lv}]"] = f"{col}[{lv}]"
            names[f"{col}_{lv}"] = f"{col}[{lv}]"

    rows = []
    fits = [
        (est.logistic_unweighted(model, "enthusiast", predictors), False),
        (est.logistic(model, "enthusiast", predictors), True),
    ]
    separated = separated_terms(used, "enthusiast", predictors)
    cis, notes = [], []
    for fit, weighted in fits:
        unknown = set(fit["term"]) - set(names)
        if unknown:  # pragma: no cover - guards against a change in term naming
            raise RuntimeError(f"unexpected model terms: {sorted(unknown)}")
        terms = fit["term"].map(names)
        order = sorted(range(len(fit)), key=lambda i: terms.iloc[i] != "Intercept")
        for i in order:
            r = fit.iloc[i]
            note = _term_note(r, terms.iloc[i] in separated)
            # a term without a finite estimate reports none: no statistic, p or limits
            finite = not note.startswith(SEPARATION)
            value = float if finite else (lambda _: np.nan)
            rows.append(
                {
                    "test": "survey logistic regression (Wald t)"
                    if weighted
                    else "logistic regression (Wald z)",
                    "variables": f"enthusiast ~ {terms.iloc[i]}",
                    "statistic": value(r["statistic"]),
                    "df": float(r["df"]) if weighted else np.nan,
                    "p": value(r["p"]),
                    "effect_size": value(r["odds_ratio"]),
                    "effect_measure": "odds ratio",
                    "n": int(r["n"]),
                    "weighted": weighted,
                }
            )
            cis.append((value(r["lci"]), value(r["uci"])))
            notes.append(note)
    out = tidy(rows)
    # the odds ratios' confidence limits and the notes follow the tidy columns
    out["effect_ci_low"] = [lo for lo, _ in cis]
    out["effect_ci_high"] = [hi for _, hi in cis]
    out["note"] = notes
    return holm_within(out, "weighted", among=out["variables"] != "enthusiast ~ Intercept")


def separated_terms(data: pd.DataFrame, y: str, predictors: Mapping[str, str]) -> set[str]:
    """Terms (``"col[level]"``, and ``"Intercept"``) of a main-effects logistic model of
    the 0/1 ``y`` on dummy-coded ``predictors`` whose estimates are infinite because a
    level separates the outcome: every respondent of ``data`` at that level has the same
    ``y``. A non-reference level makes its own term infinite; the reference level makes
    every term of its predictor, and the intercept, infinite.

    ``data`` holds the modelled respondents only (outcome and every predictor present).
    """
    out: set[str] = set()
    for col, ref in predictors.items():
        levels = data[col].astype(str)
        spread = data[y].astype(float).groupby(levels).agg(["min", "max"])
        constant = spread.index[spread["min"] == spread["max"]]
        if ref in constant:
            out |= {f"{col}[{lv}]" for lv in spread.index if lv != ref} | {"Intercept"}
        out |= {f"{col}[{lv}]" for lv in constant if lv != ref}
    return out


def _term_note(fit_row: pd.Series, separated: bool) -> str:
    """The note of one term of a fit: the fit's own (separation it found itself, e.g. by
    a combination of levels; did not converge), with separation found in the data
    (``separated``) first."""
    notes = [n for n in fit_row["note"].split("; ") if n]
    if separated or SEPARATION in notes:
        notes = [SEPARATION] + [n for n in notes if n != SEPARATION]
    return "; ".join(notes)


# --------------------------------------------------------------------------- profile


def segment_profile_by(
    design: SurveyDesign, segment: str = "segment", variable: str = "type"
) -> pd.DataFrame:
    """Weighted share of each segment within each category of ``variable`` (for figures).

    Domain estimation with ``svy`` (``sample.estimation.prop(segment, by=variable)``):
    the full design is kept, so the intervals account for every council, not only those
    with respondents in the category. Unclassified respondents and those missing
    ``variable`` leave the estimate but stay in the design; shares within a category sum
    to one over enthusiast, middle and sceptic.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with the segment column and ``variable``, and their design
        (its level is that of the intervals).
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    variable : str
        Categorical variable whose categories are the domains.

    Returns
    -------
    DataFrame
        variable, category, segment, n, weighted, lci, uci. ``n`` is the base of the
        share: respondents in the category with a classified segment. Intervals are logit
        intervals with the domain's design degrees of freedom; a share of exactly 0 or 1
        has no logit interval (``lci``/``uci`` NaN). Rows follow the categories' own order
        (categorical order, else sorted), then enthusiast, middle, sceptic.
    """
    data = design.data
    seg = _segment_compared(data, segment)
    tmp = design.select([variable]).assign(_segment=seg)
    sample = tmp.sample(["_segment", variable])
    res = sample.estimation.prop(
        "_segment",
        by=variable,
        where=design.where(),
        method=design.variance_method,
        drop_nulls=True,
        alpha=design.alpha,
    )
    res = res.to_polars().to_pandas()
    res = res.rename(columns={variable: "category", "_segment": "segment", "est": "weighted"})
    res["category"] = res["category"].astype(str)
    res["segment"] = res["segment"].astype(str)
    base = tmp.data.dropna(subset=["_segment", variable])[variable].astype(str).value_counts()
    res["n"] = res["category"].map(base).fillna(0).astype(int)
    res.insert(0, "variable", variable)
    cat_rank = {c: i for i, c in enumerate(_levels(data[variable]))}
    seg_rank = {s: i for i, s in enumerate(COMPARED_SEGMENTS)}
    res = res[res["segment"].isin(seg_rank) & res["category"].isin(cat_rank)]
    res = res.assign(_c=res["category"].map(cat_rank), _s=res["segment"].map(seg_rank)).sort_values(
        ["_c", "_s"], kind="stable"
    )
    return res[PROFILE_COLUMNS].reset_index(drop=True)
