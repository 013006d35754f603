"""Design-based estimates, and their unweighted counterparts.

Every estimator takes a :class:`~councilsurvey.survey.design.SurveyDesign` as its first
argument, as R's ``survey`` functions take a ``svydesign`` object: the data together with
its final weight, primary sampling units and confidence level, so that no estimator has
``weight=``, ``psu=`` or ``level=`` arguments of its own. The bundled waves' design
(:meth:`SurveyDesign.of_wave`) is the final weight ``weight`` with council ``code`` as the
primary sampling unit (respondents in a council share its answers to council-level
questions and its selection into the survey), treated as sampled with replacement, with
the raking of the weights accounted for (see :mod:`councilsurvey.survey.design`).
Variance is by Taylor linearisation (``svy``), cross-checked against R's ``survey``
package in ``tests/test_against_r.py`` and ``tests/test_against_r_api.py``.

Respondents missing a variable, and those outside a domain
(:meth:`SurveyDesign.subset`), leave an estimate but stay in the design, as R's
``subset()`` of a design keeps them: the variance and degrees of freedom are those of
the whole design.

Unweighted counterparts come from pingouin: :func:`chi2_unweighted` and
:func:`logistic_unweighted`; they take the design too, for a uniform call, and use only
its data.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import svy

from councilsurvey.survey.design import SurveyDesign

log = logging.getLogger(__name__)


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
    res = sample.estimation.prop(
        var, where=design.where([var]), method=design.variance_method, alpha=design.alpha
    )
    res = res.to_polars().to_pandas()
    answered = design.data.loc[design.in_domain([var]).to_numpy(), var]
    counts = answered.astype(str).value_counts()
    res = res.rename(columns={var: "category", "est": "share"})
    res["category"] = res["category"].astype(str)
    res.insert(0, "variable", var)
    res["n"] = res["category"].map(counts).fillna(0).astype(int)
    res["unweighted_share"] = res["n"] / len(answered)
    cols = ["variable", "category", "n", "unweighted_share", "share", "se", "lci", "uci", "df"]
    return res[cols].sort_values("category", kind="stable").reset_index(drop=True)


def mean(design: SurveyDesign, var: str) -> dict:
    """Weighted mean of a numeric variable (R's ``svymean``), among respondents answering
    it in the design's domain.

    A ratio of weighted totals, with its Taylor-linearised standard error (PSUs, strata,
    fpc and calibration of the design) and a t interval with the design degrees of
    freedom.

    Returns
    -------
    dict
        estimate, se, lci, uci, df, n
    """
    return _numeric(design, var, "mean")


def total(design: SurveyDesign, var: str) -> dict:
    """Weighted total of a numeric variable (R's ``svytotal``; an indicator's total is
    the estimated number in the population), over respondents answering it in the
    design's domain; missing values count as 0. Standard error, interval and result as
    :func:`mean`."""
    return _numeric(design, var, "total")


def _numeric(design: SurveyDesign, var: str, what: str) -> dict:
    sample = design.sample([var])
    fit = getattr(sample.estimation, what)
    res = fit(var, where=design.where([var]), method=design.variance_method, alpha=design.alpha)
    res = res.to_polars().to_pandas()
    row = res.iloc[0]
    return {
        "estimate": float(row["est"]),
        "se": float(row["se"]),
        "lci": float(row["lci"]),
        "uci": float(row["uci"]),
        "df": float(row["df"]),
        "n": int(design.in_domain([var]).sum()),
    }


#: the fields of an estimate record (:func:`estimate_record`), in order: the base, the
#: unweighted share, the design-based share, its standard error and interval
ESTIMATE_FIELDS = ["n", "unweighted", "weighted", "se", "lci", "uci"]


def zero_count_upper(n: int, level: float = 0.95) -> float:
    """Clopper-Pearson upper limit of a proportion when 0 of ``n`` are in the category:
    ``1 - (alpha / 2) ** (1 / n)`` (the ``1 - alpha/2`` quantile of Beta(1, n)); 1 when
    ``n`` is 0."""
    if n <= 0:
        return 1.0
    return float(1 - ((1 - level) / 2) ** (1 / n))


def estimate_record(n: int, row: pd.Series | None, level: float = 0.95) -> dict:
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
        category: its share is 0 with standard error 0 and no degrees of freedom, and
        its interval runs from 0 to the Clopper-Pearson upper limit for 0 of ``n``
        (:func:`zero_count_upper`), not [0, 0]: no respondent in a category does not
        show that nobody in the population is in it. (R's ``svyciprop`` gives no usable
        interval here: its logit model does not converge and its Korn-Graubard interval
        is undefined with a variance of 0.)
    level : float
        Confidence level of that interval.

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
            "uci": zero_count_upper(n, level),
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
        weighted, se, lci, uci, df. When nobody is True: weighted, se and lci 0, uci
        the Clopper-Pearson limit (:func:`estimate_record`), df missing.
    """
    flag = indicator.map({True: "yes", False: "no"}, na_action="ignore").astype(object)
    res = proportions(design.select([]).assign(_flag=flag), "_flag").set_index("category")
    n = int(res["n"].sum())
    return estimate_record(n, res.loc["yes"] if "yes" in res.index else None, design.level)


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
    table = sample.categorical.tabulate(
        row, col, where=design.where([row, col]), method=design.variance_method
    )
    stats = table.stats
    n = int(design.in_domain([row, col]).sum())
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


#: the ``note`` of a logistic model's term that has no finite estimate
SEPARATION = "separation: no finite estimate"


def logistic(design: SurveyDesign, y: str, categorical: dict[str, str]) -> pd.DataFrame:
    """Survey-weighted logistic regression of a 0/1 ``y`` on categorical predictors.

    Coefficients maximise the weighted (pseudo-)likelihood; their standard errors are
    the linearisation (sandwich) ones with the design's PSUs (and its calibration), and
    tests and intervals use Student's t with the design degrees of freedom, at the
    design's level (R's ``svyglm(family=quasibinomial)``). Respondents missing the
    outcome or a predictor leave the fit but stay in the design.

    A fit that did not converge, or whose outcome is predicted perfectly by a predictor
    (separation: the estimate has no finite value and drifts towards infinity), is
    flagged in ``note``; a coefficient that is not identified has no standard error,
    interval or test.

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
        statistic, p, df, n (respondents with the outcome and every predictor), note
        (empty, or why the row is not to be read as an estimate).
    """
    cols = [y, *categorical]
    n = int(design.in_domain(cols).sum())
    sample = design.sample(cols)
    x = [svy.Cat(c, ref=ref) for c, ref in categorical.items()]
    with warnings.catch_warnings():
        # svy's own warnings of separation and of the iteration limit are kept in
        # ``sample.warnings``, which ``note`` reports (and the log, once, below); printed
        # too, they would put a source file and line into the notebooks' output
        warnings.filterwarnings("ignore", message=r"\[(GLM_SEPARATION|MAX_ITER_REACHED)\]")
        model = sample.glm.fit(
            y=y,
            x=x,
            family="binomial",
            where=design.where(cols),
            method=design.variance_method,
            alpha=design.alpha,
        )
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
    out["n"] = n
    codes = {str(getattr(w, "code", "")) for w in sample.warnings}
    note = np.where(out["se"].isna(), SEPARATION, "")
    if any("MAX_ITER" in c for c in codes):
        note = np.where(note == "", "did not converge", note + "; did not converge")
    out["note"] = note
    if (note != "").any():
        log.warning("logistic model of %r: %s", y, "; ".join(sorted(set(note) - {""})))
    return out


def chi2_unweighted(design: SurveyDesign, row: str, col: str) -> dict:
    """Pearson chi-square test of independence and Cramér's V (pingouin), of the
    respondents answering both variables; the design's weights and PSUs are not used."""
    import pingouin as pg  # imported here: it pulls in matplotlib, which design-based
    # estimation does not need (a job of the robustness grid starts faster without it)

    sub = design.domain_data([row, col])[[row, col]].astype(str)
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
    Columns as :func:`logistic` (statistic Wald z, no ``df``); ``note`` flags a term
    whose standard error or interval is not finite (separation: pingouin stops where
    its iterations did, with an interval from 0 to infinity)."""
    import pingouin as pg

    sub = design.domain_data([y, *categorical])
    parts = []
    for col, ref in categorical.items():
        levels = [lv for lv in sorted(sub[col].astype(str).unique()) if lv != ref]
        for lv in levels:
            parts.append((sub[col].astype(str) == lv).astype(float).rename(f"{col}[{lv}]"))
    X = pd.concat(parts, axis=1)
    res = pg.logistic_regression(X, sub[y].astype(float), remove_na=True, alpha=design.alpha)
    res = res.rename(columns=str.lower)
    out = pd.DataFrame({"term": res["names"], "estimate": res["coef"], "se": res["se"]})
    # a separated term's limit overflows to infinity: the answer, not an accident (the
    # caller notes the term; see councilsurvey.analysis.attitudes.enthusiast_model)
    with np.errstate(over="ignore"):
        out["odds_ratio"] = np.exp(out["estimate"])
        # the limits' columns are named after their percentiles: ci2.5 and ci97.5 at 95%
        ci = [c for c in res.columns if c.startswith("ci")]
        out["lci"] = np.exp(res[ci[0]]) if len(ci) == 2 else np.nan
        out["uci"] = np.exp(res[ci[1]]) if len(ci) == 2 else np.nan
    out["statistic"] = res["z"]
    out["p"] = res.filter(like="pval").iloc[:, 0]
    out["n"] = len(sub)
    finite = np.isfinite(out[["se", "lci", "uci"]].to_numpy(dtype=float)).all(axis=1)
    out["note"] = np.where(finite & (out["lci"] > 0).to_numpy(), "", SEPARATION)
    return out
