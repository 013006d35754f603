"""Design-based estimates, and their unweighted counterparts.

Every estimator takes a :class:`~councilsurvey.survey.design.SurveyDesign` as its first
argument, as R's ``survey`` functions take a ``svydesign`` object: the data together with
its final weight, primary sampling units and confidence level, so that no estimator has
``weight=``, ``psu=`` or ``level=`` arguments of its own. The bundled waves' design
(:meth:`SurveyDesign.of_wave`) is the final weight ``weight`` with council ``code`` as the
primary sampling unit (respondents in a council share its answers to council-level
questions and its selection into the survey), treated as sampled with replacement,
weights taken as fixed. Variance is by Taylor linearisation (``svy``), cross-checked
against R's ``survey`` package in ``tests/test_against_r.py``.

Unweighted counterparts come from pingouin: :func:`chi2_unweighted` and
:func:`logistic_unweighted`; they take the design too, for a uniform call, and use only
its data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import svy

from councilsurvey.survey.design import SurveyDesign


def proportions(design: SurveyDesign, var: str) -> pd.DataFrame:
    """Weighted shares of each category of ``var`` among those answering.

    Each share is a ratio of weighted totals (respondents in the category over
    respondents answering); its standard error is the Taylor-linearised one with the
    design's PSUs, and its interval the logit interval at the design's level with the
    design degrees of freedom (PSUs with a respondent answering, less the strata).

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with their design.
    var : str
        Categorical (or coded) variable; missing values are left out of the base
        (with the design kept, not by dropping rows: a domain estimate).

    Returns
    -------
    DataFrame
        variable, category, n, unweighted_share, share, se, lci, uci, df; rows sorted
        by category (as text).
    """
    sample = design.sample([var])
    res = sample.estimation.prop(var, drop_nulls=True, alpha=design.alpha)
    res = res.to_polars().to_pandas()
    answered = design.data[var].dropna()
    counts = answered.astype(str).value_counts()
    res = res.rename(columns={var: "category", "est": "share"})
    res["category"] = res["category"].astype(str)
    res.insert(0, "variable", var)
    res["n"] = res["category"].map(counts).fillna(0).astype(int)
    res["unweighted_share"] = res["n"] / len(answered)
    cols = ["variable", "category", "n", "unweighted_share", "share", "se", "lci", "uci", "df"]
    return res[cols].sort_values("category", kind="stable").reset_index(drop=True)


#: the fields of an estimate record (:func:`estimate_record`), in order: the base, the
#: unweighted share, the design-based share, its standard error and interval
ESTIMATE_FIELDS = ["n", "unweighted", "weighted", "se", "lci", "uci"]


def estimate_record(n: int, row: pd.Series | None) -> dict:
    """One share as a record: :data:`ESTIMATE_FIELDS` and the design degrees of freedom.

    The record every table of shares is built from (headlines, wave estimates, claims,
    robustness), so that a share is named and typed the same everywhere.

    Parameters
    ----------
    n : int
        The base: respondents answering.
    row : Series or None
        The category's row of :func:`proportions` (``unweighted_share``, ``share``,
        ``se``, ``lci``, ``uci``, ``df``), or None when no respondent is in the
        category: its share is exactly 0, with standard error and limits 0 and no
        degrees of freedom.

    Returns
    -------
    dict
        n (int), unweighted, weighted, se, lci, uci, df (floats; df NaN for an empty
        category).
    """
    if row is None:
        return {
            "n": int(n),
            "unweighted": 0.0,
            "weighted": 0.0,
            "se": 0.0,
            "lci": 0.0,
            "uci": 0.0,
            "df": np.nan,
        }
    return {
        "n": int(n),
        "unweighted": float(row["unweighted_share"]),
        "weighted": float(row["share"]),
        "se": float(row["se"]),
        "lci": float(row["lci"]),
        "uci": float(row["uci"]),
        "df": float(row["df"]),
    }


def share(design: SurveyDesign, indicator: pd.Series) -> dict:
    """Weighted share of respondents for whom ``indicator`` is True (missing excluded).

    The share of the category "yes" of the indicator, estimated by :func:`proportions`
    over the whole design (respondents with a missing indicator stay in the design).

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with their design.
    indicator : Series
        Boolean, indexed like ``design.data``; missing values leave the base.

    Returns
    -------
    dict
        The :func:`estimate_record`: n (respondents with an indicator), unweighted,
        weighted, se, lci, uci, df. When nobody is True: weighted, se and the limits 0,
        df missing.
    """
    flag = indicator.map({True: "yes", False: "no"}, na_action="ignore").astype(object)
    res = proportions(design.select([]).assign(_flag=flag), "_flag").set_index("category")
    n = int(flag.notna().sum())
    return estimate_record(n, res.loc["yes"] if "yes" in res.index else None)


def rao_scott(design: SurveyDesign, row: str, col: str) -> dict:
    """Rao-Scott tests of independence of two categorical variables.

    The Pearson chi-square of the weighted table is corrected for the design: divided by
    the mean of the generalised design effects (first order), or, in addition, referred
    to an F distribution whose degrees of freedom reflect their spread (second order,
    Satterthwaite). Respondents missing either variable leave the table but stay in the
    design.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with their design.
    row, col : str
        The two categorical variables.

    Returns
    -------
    dict
        ``f``, ``df_num``, ``df_den``, ``p`` (second-order, R's ``svychisq(statistic="F")``),
        ``chisq``, ``chisq_df``, ``chisq_p`` (first-order, R's ``statistic="Chisq"``) and
        ``n`` (respondents answering both).
    """
    sample = design.sample([row, col])
    table = sample.categorical.tabulate(row, col, drop_nulls=True)
    stats = table.stats
    n = int(design.data[[row, col]].notna().all(axis=1).sum())
    return {
        "f": float(stats.f.value),
        "df_num": float(stats.f.df_num),
        "df_den": float(stats.f.df_den),
        "p": float(stats.f.p_value),
        "chisq": float(stats.chisq.value),
        "chisq_df": float(stats.chisq.df),
        "chisq_p": float(stats.chisq.p_value),
        "n": n,
    }


def logistic(design: SurveyDesign, y: str, categorical: dict[str, str]) -> pd.DataFrame:
    """Survey-weighted logistic regression of a 0/1 ``y`` on categorical predictors.

    Coefficients maximise the weighted (pseudo-)likelihood; their standard errors are
    the linearisation (sandwich) ones with the design's PSUs, and tests and intervals use
    Student's t with the design degrees of freedom, at the design's level.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with their design.
    y : str
        0/1 outcome column.
    categorical : dict
        Predictor column -> reference level.

    Returns
    -------
    DataFrame
        term, estimate (log-odds), se, odds_ratio, lci, uci (of the odds ratio),
        statistic, p, df, n (respondents with the outcome and every predictor)
    """
    cols = [y, *categorical]
    sub = design.data.dropna(subset=cols)
    sample = design.sample(cols)
    x = [svy.Cat(c, ref=ref) for c, ref in categorical.items()]
    model = sample.glm.fit(y=y, x=x, family="binomial", alpha=design.alpha)
    res = model.to_polars().to_pandas()
    out = pd.DataFrame(
        {
            "term": res["term"],
            "estimate": res["estimate"],
            "se": res["std_err"],
            "odds_ratio": np.exp(res["estimate"]),
            "lci": np.exp(res["conf_low"]),
            "uci": np.exp(res["conf_high"]),
            "statistic": res["statistic"],
            "p": res["p_value"],
            "df": res["df"],
        }
    )
    out["n"] = len(sub)
    return out


def chi2_unweighted(design: SurveyDesign, row: str, col: str) -> dict:
    """Pearson chi-square test of independence and Cramér's V (pingouin), of the
    respondents answering both variables; the design's weights and PSUs are not used."""
    import pingouin as pg  # imported here: it pulls in matplotlib, which design-based
    # estimation does not need (a job of the robustness grid starts faster without it)

    sub = design.data[[row, col]].dropna().astype(str)
    _, _, stats = pg.chi2_independence(sub, x=row, y=col)
    pearson = stats.set_index("test").loc["pearson"]
    return {
        "chi2": float(pearson["chi2"]),
        "dof": float(pearson["dof"]),
        "p": float(pearson.filter(like="pval").iloc[0]),
        "cramer_v": float(pearson["cramer"]),
        "n": len(sub),
    }


def logistic_unweighted(design: SurveyDesign, y: str, categorical: dict[str, str]) -> pd.DataFrame:
    """Unweighted logistic regression with dummy-coded predictors (pingouin), by maximum
    likelihood on the respondents with the outcome and every predictor; the design's
    weights and PSUs are not used, its level is that of the (Wald, normal) intervals.
    Columns as :func:`logistic` (statistic Wald z, no ``df``)."""
    import pingouin as pg

    sub = design.data.dropna(subset=[y, *categorical])
    parts = []
    for col, ref in categorical.items():
        levels = [lv for lv in sorted(sub[col].astype(str).unique()) if lv != ref]
        for lv in levels:
            parts.append((sub[col].astype(str) == lv).astype(float).rename(f"{col}[{lv}]"))
    X = pd.concat(parts, axis=1)
    res = pg.logistic_regression(X, sub[y].astype(float), remove_na=True, alpha=design.alpha)
    res = res.rename(columns=str.lower)
    out = pd.DataFrame({"term": res["names"], "estimate": res["coef"], "se": res["se"]})
    out["odds_ratio"] = np.exp(out["estimate"])
    # the limits' columns are named after their percentiles: ci2.5 and ci97.5 at 95%
    ci = [c for c in res.columns if c.startswith("ci")]
    out["lci"] = np.exp(res[ci[0]]) if len(ci) == 2 else np.nan
    out["uci"] = np.exp(res[ci[1]]) if len(ci) == 2 else np.nan
    out["statistic"] = res["z"]
    out["p"] = res.filter(like="pval").iloc[:, 0]
    out["n"] = len(sub)
    return out
