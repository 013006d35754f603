"""Design-based estimates with councils as clusters, and their unweighted counterparts.

Every later notebook estimates through these helpers. The design is the final weight
``weight`` with council ``code`` as the primary sampling unit (respondents in a council
share its answers to council-level questions and its selection into the survey), treated
as sampled with replacement, weights taken as fixed. Variance is by Taylor linearisation
(``svy``), cross-checked against R's ``survey`` package in ``tests/test_against_r.py``.

Unweighted counterparts come from pingouin: :func:`chi2_unweighted` and
:func:`logistic_unweighted`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import svy

from councilsurvey.survey.design import polars_frame


def survey_sample(
    df: pd.DataFrame, columns: list[str], weight: str = "weight", psu: str = "code"
) -> svy.Sample:
    """An svy sample of ``columns`` with ``weight`` and council clusters."""
    cols = list(dict.fromkeys([psu, weight, *columns]))
    return svy.Sample(polars_frame(df, cols), svy.Design(psu=psu, wgt=weight))


def proportions(
    df: pd.DataFrame, var: str, weight: str = "weight", psu: str = "code", level: float = 0.95
) -> pd.DataFrame:
    """Weighted shares of each category of ``var`` among those answering.

    Parameters
    ----------
    df : DataFrame
        Weighted responses.
    var : str
        Categorical (or coded) variable; missing values are left out of the base
        (with the design kept, not by dropping rows).
    weight, psu : str
        Weight column and cluster (PSU) column.
    level : float
        Confidence level of the intervals (logit intervals, design degrees of freedom).

    Returns
    -------
    DataFrame
        variable, category, n, unweighted_share, share, se, lci, uci, df
    """
    sample = survey_sample(df, [var], weight, psu)
    res = sample.estimation.prop(var, drop_nulls=True, alpha=1 - level).to_polars().to_pandas()
    answered = df[var].dropna()
    counts = answered.astype(str).value_counts()
    res = res.rename(columns={var: "category", "est": "share"})
    res["category"] = res["category"].astype(str)
    res.insert(0, "variable", var)
    res["n"] = res["category"].map(counts).fillna(0).astype(int)
    res["unweighted_share"] = res["n"] / len(answered)
    cols = ["variable", "category", "n", "unweighted_share", "share", "se", "lci", "uci", "df"]
    return res[cols].sort_values("category", kind="stable").reset_index(drop=True)


def share(
    df: pd.DataFrame,
    indicator: pd.Series,
    weight: str = "weight",
    psu: str = "code",
    level: float = 0.95,
) -> dict:
    """Weighted share of respondents for whom ``indicator`` is True (missing excluded).

    Returns a dict with n, unweighted, share, se, lci, uci, df.
    """
    flag = indicator.map({True: "yes", False: "no"}, na_action="ignore").astype(object)
    tmp = df[[psu, weight]].copy()
    tmp["_flag"] = flag
    res = proportions(tmp, "_flag", weight, psu, level).set_index("category")
    n = int(flag.notna().sum())
    row = res.loc["yes"] if "yes" in res.index else None
    if row is None:
        return {
            "n": n,
            "unweighted": 0.0,
            "share": 0.0,
            "se": 0.0,
            "lci": 0.0,
            "uci": 0.0,
            "df": np.nan,
        }
    return {
        "n": n,
        "unweighted": float(row["unweighted_share"]),
        "share": float(row["share"]),
        "se": float(row["se"]),
        "lci": float(row["lci"]),
        "uci": float(row["uci"]),
        "df": float(row["df"]),
    }


def rao_scott(
    df: pd.DataFrame, row: str, col: str, weight: str = "weight", psu: str = "code"
) -> dict:
    """Rao-Scott tests of independence of two categorical variables.

    Returns
    -------
    dict
        ``f``, ``df_num``, ``df_den``, ``p`` (second-order, R's ``svychisq(statistic="F")``),
        ``chisq``, ``chisq_df``, ``chisq_p`` (first-order, R's ``statistic="Chisq"``) and
        ``n`` (respondents answering both).
    """
    sample = survey_sample(df, [row, col], weight, psu)
    table = sample.categorical.tabulate(row, col, drop_nulls=True)
    stats = table.stats
    n = int(df[[row, col]].notna().all(axis=1).sum())
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


def logistic(
    df: pd.DataFrame,
    y: str,
    categorical: dict[str, str],
    weight: str = "weight",
    psu: str = "code",
    level: float = 0.95,
) -> pd.DataFrame:
    """Survey-weighted logistic regression of a 0/1 ``y`` on categorical predictors.

    Parameters
    ----------
    y : str
        0/1 outcome column.
    categorical : dict
        Predictor column -> reference level.

    Returns
    -------
    DataFrame
        term, estimate (log-odds), se, odds_ratio, lci, uci (of the odds ratio),
        statistic, p, df, n
    """
    cols = [y, *categorical]
    sub = df.dropna(subset=cols)
    sample = survey_sample(df, cols, weight, psu)
    x = [svy.Cat(c, ref=ref) for c, ref in categorical.items()]
    model = sample.glm.fit(y=y, x=x, family="binomial", alpha=1 - level)
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


def chi2_unweighted(df: pd.DataFrame, row: str, col: str) -> dict:
    """Pearson chi-square test of independence and Cramér's V (pingouin)."""
    import pingouin as pg  # imported here: it pulls in matplotlib, which design-based
    # estimation does not need (a job of the robustness grid starts faster without it)

    sub = df[[row, col]].dropna().astype(str)
    _, _, stats = pg.chi2_independence(sub, x=row, y=col)
    pearson = stats.set_index("test").loc["pearson"]
    return {
        "chi2": float(pearson["chi2"]),
        "dof": float(pearson["dof"]),
        "p": float(pearson.filter(like="pval").iloc[0]),
        "cramer_v": float(pearson["cramer"]),
        "n": len(sub),
    }


def logistic_unweighted(df: pd.DataFrame, y: str, categorical: dict[str, str]) -> pd.DataFrame:
    """Unweighted logistic regression with dummy-coded predictors (pingouin)."""
    import pingouin as pg

    sub = df.dropna(subset=[y, *categorical])
    parts = []
    for col, ref in categorical.items():
        levels = [lv for lv in sorted(sub[col].astype(str).unique()) if lv != ref]
        for lv in levels:
            parts.append((sub[col].astype(str) == lv).astype(float).rename(f"{col}[{lv}]"))
    X = pd.concat(parts, axis=1)
    res = pg.logistic_regression(X, sub[y].astype(float), remove_na=True)
    res = res.rename(columns=str.lower)
    out = pd.DataFrame({"term": res["names"], "estimate": res["coef"], "se": res["se"]})
    out["odds_ratio"] = np.exp(out["estimate"])
    ci_lo = [c for c in res.columns if c.startswith("ci") and "2.5" in c]
    ci_hi = [c for c in res.columns if c.startswith("ci") and "97.5" in c]
    out["lci"] = np.exp(res[ci_lo[0]]) if ci_lo else np.nan
    out["uci"] = np.exp(res[ci_hi[0]]) if ci_hi else np.nan
    out["statistic"] = res["z"]
    out["p"] = res.filter(like="pval").iloc[:, 0]
    out["n"] = len(sub)
    return out
