"""Attitudes to digital technology: headline figures, segment associations, caution items
and a model of being a digital enthusiast.

Every weighted estimate and test goes through :mod:`councilsurvey.survey.estimation` (final
weight ``weight``, councils ``code`` as clusters, Taylor linearisation with ``svy``);
unweighted counterparts come from :func:`councilsurvey.survey.estimation.chi2_unweighted`,
:func:`councilsurvey.survey.estimation.logistic_unweighted` and pingouin.

Tidy test tables
----------------
Every test function returns a DataFrame with exactly the columns of
:data:`TEST_COLUMNS`, in this order:

``test``
    Name of the test (e.g. ``"Pearson chi-square"``, ``"Rao-Scott F"``).
``variables``
    What was tested: ``"segment x party_group"`` for an association,
    ``"att_cyber: enthusiast vs sceptic"`` for a pairwise comparison,
    ``"enthusiast ~ party_group[Labour]"`` for a regression term.
``statistic``
    The test statistic (chi-square, F, H, U, z or t).
``df``
    Degrees of freedom. A float when the test has one (``NaN`` when its reference
    distribution has none, e.g. a Wald z or Mann-Whitney U); a string ``"df1, df2"``
    (each rounded to two decimals) for an F test with two (Rao-Scott). A column holding
    both kinds has object dtype.
``p``
    Unadjusted p-value.
``p_adjusted``
    Holm-adjusted p-value within the family stated in each function's docstring
    (``NaN`` for rows outside every family, e.g. regression intercepts).
``effect_size``, ``effect_measure``
    The effect size and what it is (Cramér's V, epsilon-squared, rank-biserial
    correlation, odds ratio).
``n``
    Respondents in the test.
``weighted``
    True for design-based (survey-weighted) tests, False for unweighted ones.

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

from councilsurvey.survey import estimation as est

#: columns of every tidy test table, in order
TEST_COLUMNS = [
    "test",
    "variables",
    "statistic",
    "df",
    "p",
    "p_adjusted",
    "effect_size",
    "effect_measure",
    "n",
    "weighted",
]

#: columns of :func:`headlines`
HEADLINE_COLUMNS = [
    "indicator",
    "category",
    "basis",
    "n",
    "unweighted",
    "weighted",
    "se",
    "lci",
    "uci",
]

#: columns of :func:`segment_profile_by`
PROFILE_COLUMNS = ["variable", "category", "segment", "n", "weighted", "lci", "uci"]

#: the classified segments compared in the tests, in order
COMPARED_SEGMENTS = ["enthusiast", "middle", "sceptic"]

#: digital_champion options counted as "leader or chief executive"
LEADER_OR_CHIEF_EXECUTIVE = ("The leader of the council", "The chief executive")

DEFAULT_PREDICTORS = {
    "party_group": "Conservative",
    "type": "district",
    "role": "Backbench councillor",
    "age_band": "55-64",
    "tenure": "2 to 5 years",
}


# --------------------------------------------------------------------------- helpers


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values (pingouin.multicomp); ``NaN`` entries stay ``NaN`` and are
    left out of the family."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        _, adj = pg.multicomp(p[ok], method="holm")
        out[ok] = adj
    return out


def _tidy(rows: list[dict]) -> pd.DataFrame:
    """A tidy test table with :data:`TEST_COLUMNS` (empty rows give an empty table)."""
    out = pd.DataFrame(rows, columns=TEST_COLUMNS)
    for col in ["statistic", "p", "p_adjusted", "effect_size"]:
        out[col] = out[col].astype(float)
    out["n"] = out["n"].astype(int)
    out["weighted"] = out["weighted"].astype(bool)
    if all(isinstance(v, (float, int, np.floating, np.integer)) for v in out["df"]):
        out["df"] = out["df"].astype(float)
    else:
        out["df"] = out["df"].astype(object)
    return out.reset_index(drop=True)


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


# --------------------------------------------------------------------------- headlines


def headlines(
    data: pd.DataFrame, weight: str = "weight", psu: str = "code", level: float = 0.95
) -> pd.DataFrame:
    """Headline shares of the report, unweighted and design-based.

    Parameters
    ----------
    data : DataFrame
        Weighted responses (``att_wellbeing``, ``has_digital_strategy``,
        ``digital_champion``, ``exclusion_major_issue``, weight and cluster columns).
    weight, psu : str
        Weight column and cluster (PSU) column.
    level : float
        Confidence level of the (logit) intervals.

    Returns
    -------
    DataFrame
        indicator, category, basis, n, unweighted, weighted, se, lci, uci. Rows, in order:

        * ``wellbeing_positive`` / ``Agree or Strongly agree``: codes 4-5 on
          ``att_wellbeing`` among those answering (Don't know and blank excluded).
        * ``digital_strategy`` / ``Yes``: among those answering Yes or No (Don't know
          excluded), the basis of ``published.yaml``.
        * ``digital_champion``: one row per option (questionnaire order) among those
          answering the question; here *Don't know counts as an answer* (it is an option
          of its own), only blanks are excluded. Then ``leader_or_chief_executive``: the
          leader of the council or the chief executive, on the same basis.
        * ``exclusion_major_issue`` / ``Yes``: among those answering Yes or No.

        ``n`` is the base (respondents answering), ``unweighted`` the share of that
        base, ``weighted`` the design-based share with its ``se`` and interval.
    """
    rows = []

    def add(indicator, category, basis, res):
        rows.append(
            {
                "indicator": indicator,
                "category": category,
                "basis": basis,
                "n": int(res["n"]),
                "unweighted": float(res["unweighted"]),
                "weighted": float(res["share"]),
                "se": float(res["se"]),
                "lci": float(res["lci"]),
                "uci": float(res["uci"]),
            }
        )

    wellbeing = data["att_wellbeing"].astype("Int64")
    add(
        "wellbeing_positive",
        "Agree or Strongly agree",
        "respondents answering att_wellbeing (Don't know/blank excluded); Agree or "
        "Strongly agree (codes 4-5)",
        est.share(data, wellbeing >= 4, weight, psu, level),
    )

    def yes_among_yes_no(col):
        answer = data[col].astype(object)
        flag = pd.Series(pd.NA, index=data.index, dtype="boolean")
        known = answer.isin(["Yes", "No"])
        flag[known] = answer[known] == "Yes"
        return flag

    add(
        "digital_strategy",
        "Yes",
        "respondents answering has_digital_strategy Yes or No (Don't know/blank excluded); Yes",
        est.share(data, yes_among_yes_no("has_digital_strategy"), weight, psu, level),
    )

    champ = est.proportions(data, "digital_champion", weight, psu, level).set_index("category")
    basis = (
        "respondents answering digital_champion (Don't know counts as an answer; blank excluded)"
    )
    answered = int(data["digital_champion"].notna().sum())
    for option in _levels(data["digital_champion"]):
        r = champ.loc[option]
        add(
            "digital_champion",
            option,
            basis,
            {
                "n": answered,
                "unweighted": r["unweighted_share"],
                "share": r["share"],
                "se": r["se"],
                "lci": r["lci"],
                "uci": r["uci"],
            },
        )
    champion = data["digital_champion"].astype(object)
    flag = champion.isin(LEADER_OR_CHIEF_EXECUTIVE).astype("boolean")
    flag[champion.isna()] = pd.NA
    add(
        "digital_champion",
        "leader_or_chief_executive",
        basis + "; the leader of the council or the chief executive",
        est.share(data, flag, weight, psu, level),
    )

    add(
        "exclusion_major_issue",
        "Yes",
        "respondents answering exclusion_major_issue Yes or No (Don't know/blank excluded); Yes",
        est.share(data, yes_among_yes_no("exclusion_major_issue"), weight, psu, level),
    )
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


# --------------------------------------------------------------------------- associations


def segment_association(
    data: pd.DataFrame,
    segment: str = "segment",
    variables: Sequence[str] = ("type", "party_group", "role", "age_band", "tenure"),
    weight: str = "weight",
    psu: str = "code",
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
    data : DataFrame
        Weighted responses with the segment column.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    variables : sequence of str
        Categorical respondent characteristics, tested in this order.
    weight, psu : str
        Weight column and cluster (PSU) column of the design.

    Returns
    -------
    DataFrame
        Tidy test table (:data:`TEST_COLUMNS`); ``variables`` reads
        ``"segment x <variable>"``.
    """
    seg = _segment_compared(data, segment)
    rows = []
    for var in variables:
        if var not in data.columns:
            raise KeyError(f"variable {var!r} is not in the data")
        tmp = data[[psu, weight, var]].copy()
        tmp[segment] = seg
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
        rs = est.rao_scott(tmp, segment, var, weight, psu)
        both = tmp[[segment, var]].dropna()
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
    out = _tidy(rows)
    for flag in (False, True):
        mask = out["weighted"] == flag
        out.loc[mask, "p_adjusted"] = holm(out.loc[mask, "p"])
    return out


# --------------------------------------------------------------------------- caution items


def caution_tests(
    data: pd.DataFrame,
    segment: str = "segment",
    items: Sequence[str] = ("att_too_complex", "att_cyber", "att_exclusion"),
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

    Families for the Holm adjustment: the Kruskal-Wallis tests (one per item, 3 by
    default) form one family, all the pairwise tests (9 by default) another.

    Parameters
    ----------
    data : DataFrame
        Responses with the segment column and the items (Likert codes 1-5).
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    items : sequence of str
        Items to compare, in this order.

    Returns
    -------
    DataFrame
        Tidy test table (:data:`TEST_COLUMNS`); for each item its Kruskal-Wallis row then
        its pairwise rows.
    """
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
    out = _tidy(rows)
    for name in ("Kruskal-Wallis H", "Mann-Whitney U"):
        mask = out["test"] == name
        out.loc[mask, "p_adjusted"] = holm(out.loc[mask, "p"])
    return out


# --------------------------------------------------------------------------- model


def enthusiast_model(
    data: pd.DataFrame,
    segment: str = "segment",
    predictors: Mapping[str, str] | None = None,
    weight: str = "weight",
    psu: str = "code",
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
    data : DataFrame
        Weighted responses with the segment column and the predictors.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    predictors : mapping, optional
        Predictor column -> reference level; default :data:`DEFAULT_PREDICTORS`
        (Conservative, district, backbench councillor, 55-64, 2 to 5 years).
    weight, psu : str
        Weight column and cluster (PSU) column of the design.

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
        two further columns, ``effect_ci_low`` and ``effect_ci_high``, give its 95%
        confidence limits.
        Holm family: the non-intercept terms of each model separately; the intercept's
        ``p_adjusted`` is NaN.

    Raises
    ------
    KeyError
        A predictor column is missing.
    ValueError
        A reference level is not observed among the modelled respondents, or a predictor
        has fewer than two levels there.
    """
    predictors = dict(DEFAULT_PREDICTORS if predictors is None else predictors)
    seg = _segment_compared(data, segment)
    y = pd.array(np.where(seg.isna(), pd.NA, (seg == "enthusiast").astype(int)), dtype="Int64")
    df = data[[psu, weight, *predictors]].copy()
    df["enthusiast"] = y
    used = df.dropna(subset=["enthusiast", *predictors])
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
        (est.logistic_unweighted(df, "enthusiast", predictors), False),
        (est.logistic(df, "enthusiast", predictors, weight, psu), True),
    ]
    cis = []
    for fit, weighted in fits:
        unknown = set(fit["term"]) - set(names)
        if unknown:  # pragma: no cover - guards against a change in term naming
            raise RuntimeError(f"unexpected model terms: {sorted(unknown)}")
        terms = fit["term"].map(names)
        order = sorted(range(len(fit)), key=lambda i: terms.iloc[i] != "Intercept")
        for i in order:
            r = fit.iloc[i]
            rows.append(
                {
                    "test": "survey logistic regression (Wald t)"
                    if weighted
                    else "logistic regression (Wald z)",
                    "variables": f"enthusiast ~ {terms.iloc[i]}",
                    "statistic": float(r["statistic"]),
                    "df": float(r["df"]) if weighted else np.nan,
                    "p": float(r["p"]),
                    "effect_size": float(r["odds_ratio"]),
                    "effect_measure": "odds ratio",
                    "n": int(r["n"]),
                    "weighted": weighted,
                }
            )
            cis.append((float(r["lci"]), float(r["uci"])))
    out = _tidy(rows)
    # the odds ratios' 95% confidence limits follow the tidy columns
    out["effect_ci_low"] = [lo for lo, _ in cis]
    out["effect_ci_high"] = [hi for _, hi in cis]
    for flag in (False, True):
        mask = (out["weighted"] == flag) & (out["variables"] != "enthusiast ~ Intercept")
        out.loc[mask, "p_adjusted"] = holm(out.loc[mask, "p"])
    return out


# --------------------------------------------------------------------------- profile


def segment_profile_by(
    data: pd.DataFrame,
    segment: str = "segment",
    variable: str = "type",
    weight: str = "weight",
    psu: str = "code",
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted share of each segment within each category of ``variable`` (for figures).

    Domain estimation with ``svy`` (``sample.estimation.prop(segment, by=variable)``):
    the full design is kept, so the intervals account for every council, not only those
    with respondents in the category. Unclassified respondents and those missing
    ``variable`` leave the estimate but stay in the design; shares within a category sum
    to one over enthusiast, middle and sceptic.

    Parameters
    ----------
    data : DataFrame
        Weighted responses with the segment column and ``variable``.
    segment : str
        Segment column (from :func:`councilsurvey.analysis.segments.classify`).
    variable : str
        Categorical variable whose categories are the domains.
    weight, psu : str
        Weight column and cluster (PSU) column of the design.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        variable, category, segment, n, weighted, lci, uci. ``n`` is the base of the
        share: respondents in the category with a classified segment. Intervals are logit
        intervals with the domain's design degrees of freedom; a share of exactly 0 or 1
        has no logit interval (``lci``/``uci`` NaN). Rows follow the categories' own order
        (categorical order, else sorted), then enthusiast, middle, sceptic.
    """
    seg = _segment_compared(data, segment)
    tmp = data[[psu, weight, variable]].copy()
    tmp["_segment"] = seg
    sample = est.survey_sample(tmp, ["_segment", variable], weight, psu)
    res = (
        sample.estimation.prop("_segment", by=variable, drop_nulls=True, alpha=1 - level)
        .to_polars()
        .to_pandas()
    )
    res = res.rename(columns={variable: "category", "_segment": "segment", "est": "weighted"})
    res["category"] = res["category"].astype(str)
    res["segment"] = res["segment"].astype(str)
    base = tmp.dropna(subset=["_segment", variable])[variable].astype(str).value_counts()
    res["n"] = res["category"].map(base).fillna(0).astype(int)
    res.insert(0, "variable", variable)
    cat_rank = {c: i for i, c in enumerate(_levels(data[variable]))}
    seg_rank = {s: i for i, s in enumerate(COMPARED_SEGMENTS)}
    res = res[res["segment"].isin(seg_rank) & res["category"].isin(cat_rank)]
    res = res.assign(_c=res["category"].map(cat_rank), _s=res["segment"].map(seg_rank)).sort_values(
        ["_c", "_s"], kind="stable"
    )
    return res[PROFILE_COLUMNS].reset_index(drop=True)
