"""Design-based estimates against independent formulas (scipy, numpy); R's survey
package is compared in test_against_r.py."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from councilsurvey.core.errors import DesignError
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign, polars_frame


def taylor_se(y, w, cluster):
    """With-replacement linearisation SE of a weighted mean, clusters as PSUs."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    p = np.sum(w * y) / np.sum(w)
    z = pd.Series(w * (y - p) / np.sum(w)).groupby(np.asarray(cluster)).sum().to_numpy()
    n = len(z)
    return p, np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))


def test_proportions_match_linearisation_formula(result):
    """With the weights taken as fixed (no calibration recorded), the textbook formula;
    the raked design's SEs are checked against R's rake() in test_against_r.py."""
    d = result.data
    tab = est.proportions(SurveyDesign(d), "exclusion_major_issue").set_index("category")
    sub = d.dropna(subset=["exclusion_major_issue"])
    for cat in ["Yes", "No", "Don't know"]:
        y = (sub["exclusion_major_issue"] == cat).astype(float)
        # domain of those answering: zero contributions from non-answering rows
        full_y = (
            (d["exclusion_major_issue"] == cat)
            .astype(float)
            .where(d["exclusion_major_issue"].notna(), 0.0)
        )
        w_dom = d["weight"].where(d["exclusion_major_issue"].notna(), 0.0)
        p = np.sum(w_dom * full_y) / np.sum(w_dom)
        z = (w_dom * (full_y - p) / np.sum(w_dom)).groupby(d["code"].to_numpy()).sum()
        n = len(z)
        se = np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))
        assert tab.at[cat, "share"] == pytest.approx(p, rel=1e-10)
        assert tab.at[cat, "se"] == pytest.approx(se, rel=1e-8)
        assert tab.at[cat, "unweighted_share"] == pytest.approx(y.mean())
        assert tab.at[cat, "lci"] < tab.at[cat, "share"] < tab.at[cat, "uci"]


def test_share_of_indicator(result):
    d = result.data
    res = est.share(SurveyDesign.of_wave(d), d["att_wellbeing"] >= 4)
    sub = d.dropna(subset=["att_wellbeing"])
    assert res["n"] == len(sub)
    assert res["unweighted"] == pytest.approx((sub["att_wellbeing"] >= 4).mean())
    assert res["unweighted"] == pytest.approx(0.64, abs=0.005)


def test_unweighted_chi2_matches_scipy(result):
    d = result.data
    got = est.chi2_unweighted(SurveyDesign.of_wave(d), "type", "has_digital_strategy")
    table = pd.crosstab(d["type"].astype(str), d["has_digital_strategy"].astype(str))
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert got["chi2"] == pytest.approx(chi2)
    assert got["p"] == pytest.approx(p)
    assert got["dof"] == dof
    v = np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))
    assert got["cramer_v"] == pytest.approx(v)


def test_rao_scott_with_equal_weights_and_singleton_clusters_is_near_pearson(result):
    d = result.data.copy()
    d["w1"] = 1.0
    d["id"] = d["respondent_id"]
    rs = est.rao_scott(SurveyDesign(d, weight="w1", psu="id"), "type", "has_digital_strategy")
    pearson = est.chi2_unweighted(SurveyDesign.of_wave(d), "type", "has_digital_strategy")
    # with-replacement variance of an SRS differs from the multinomial one by n/(n-1)
    assert rs["chisq"] == pytest.approx(pearson["chi2"], rel=0.02)


def test_unweighted_logistic_matches_statsmodels(result):
    import statsmodels.formula.api as smf

    d = result.data.copy()
    d["y"] = (d["att_big_data"] >= 4).astype("Int64")
    ours = est.logistic_unweighted(SurveyDesign.of_wave(d), "y", {"party_group": "Conservative"})
    sub = d.dropna(subset=["y"]).astype({"y": float, "party_group": str})
    fit = smf.logit("y ~ C(party_group, Treatment('Conservative'))", data=sub).fit(disp=0)
    assert np.allclose(ours["estimate"].to_numpy(), fit.params.to_numpy(), rtol=1e-5)
    assert np.allclose(ours["se"].to_numpy(), fit.bse.to_numpy(), rtol=1e-4)


def test_weighted_logistic_point_estimates_match_statsmodels_glm(result):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    d = result.data.copy()
    d["y"] = (d["att_big_data"] >= 4).astype("Int64")
    ours = est.logistic(SurveyDesign.of_wave(d), "y", {"party_group": "Conservative"})
    sub = d.dropna(subset=["y"]).astype({"y": float, "party_group": str})
    fit = smf.glm(
        "y ~ C(party_group, Treatment('Conservative'))",
        data=sub,
        family=sm.families.Binomial(),
        freq_weights=sub["weight"],
    ).fit()
    assert np.allclose(ours["estimate"].to_numpy(), fit.params.to_numpy(), rtol=1e-6)


def test_polars_conversion_agrees_with_value_by_value():
    """Columns go to svy through pyarrow; the result is what converting each value gave."""
    import polars as pl

    def by_value(df, columns):
        out = {}
        for col in columns:
            s = df[col]
            if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
                values = [None if pd.isna(v) else str(v) for v in s]
                out[col] = pl.Series(col, values, dtype=pl.Utf8)
            elif str(s.dtype) in ("Int64", "Int32", "boolean"):
                values = [None if pd.isna(v) else int(v) for v in s]
                out[col] = pl.Series(col, values, dtype=pl.Int64)
            elif pd.api.types.is_string_dtype(s.dtype):
                values = [None if pd.isna(v) else str(v) for v in s]
                out[col] = pl.Series(col, values, dtype=pl.Utf8)
            else:
                out[col] = pl.Series(col, s.to_numpy())
        return pl.DataFrame(out)

    df = pd.DataFrame(
        {
            "cat": pd.Categorical(["a", None, "b", "a"], categories=["b", "a", "z"]),
            "cat_int": pd.Categorical([1, 2, None, 1]),
            "obj": pd.Series(["x", None, np.nan, "y"], dtype=object),
            "obj_mixed": pd.Series([1, 1.0, True, None], dtype=object),
            "obj_empty": pd.Series([None] * 4, dtype=object),
            "string": pd.Series(["p", None, "q", ""], dtype="string"),
            "str": pd.Series(["p", None, "q", ""], dtype="str"),
            "int64": pd.Series([1, None, 3, 4], dtype="Int64"),
            "int32": pd.Series([1, None, 3, 4], dtype="Int32"),
            "boolean": pd.Series([True, None, False, True], dtype="boolean"),
            "float": [1.5, np.nan, 2.0, 3.0],
            "int": [1, 2, 3, 4],
        }
    )
    for col in df.columns:
        ours, theirs = polars_frame(df, [col]), by_value(df, [col])
        assert ours.schema == theirs.schema and ours.equals(theirs), col


def test_a_stratum_that_is_also_a_variable(result):
    """A design column used as a variable (council type as the stratum and as a predictor)
    is carried once; estimates on it match the shares by hand."""
    d = result.data.copy()
    design = SurveyDesign(d, strata="type")
    assert design.select(["type", "att_cyber"]).data.columns.tolist() == [
        "weight",
        "code",
        "type",
        "att_cyber",
    ]
    d["y"] = (d["att_big_data"] >= 4).astype("Int64")
    fit = est.logistic(design.with_data(d), "y", {"type": "district"})
    assert fit["n"].iloc[0] == d["y"].notna().sum()
    flag = d["type"] == "county"
    got = est.share(design, flag)
    assert got["weighted"] == pytest.approx(np.average(flag, weights=d["weight"]), rel=1e-12)


# -- degenerate designs: an error or a labelled result, never a quiet number -------------


def _toy(n=60, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "code": rng.integers(0, 12, n).astype(str),
            "weight": rng.uniform(1, 4, n),
            "g": rng.choice(["a", "b", "c"], n),
            "y": rng.integers(0, 2, n),
        }
    )


@pytest.mark.parametrize("bad", [np.nan, -1.0, 0.0, np.inf])
def test_invalid_weights_are_refused_with_one_line(bad):
    d = _toy()
    d.loc[7, "weight"] = bad
    with pytest.raises(DesignError, match=r"weight column 'weight': 1 weight\(s\).*respondent r7"):
        SurveyDesign(d)


def test_missing_cluster_ids_are_refused():
    d = _toy()
    d.loc[[4, 9], "code"] = None
    with pytest.raises(DesignError, match=r"PSU column 'code': 2 respondent\(s\).*respondent r4"):
        SurveyDesign(d)


def test_a_single_cluster_is_refused_unless_lonely_psu_says_otherwise():
    """R refuses one PSU (survey.lonely.psu = "fail"): no SE of 0 and p of 1."""
    d = _toy().assign(code="only")
    with pytest.raises(DesignError, match="only one PSU.*lonely_psu"):
        SurveyDesign(d)
    # certainty: the PSU contributes no variance, as R's option says (SE 0, stated)
    res = est.proportions(SurveyDesign(d, lonely_psu="certainty"), "g")
    assert (res["se"] == 0).all()


def test_zero_count_category_has_an_upper_limit_above_zero():
    d = _toy()
    rec = est.share(SurveyDesign(d), d["g"] == "z")  # nobody in "z"
    assert rec["weighted"] == 0 and rec["se"] == 0 and rec["lci"] == 0
    # Clopper-Pearson for 0 of n: 1 - (alpha/2)^(1/n), the Beta(1, n) quantile
    assert rec["uci"] == pytest.approx(stats.beta.ppf(0.975, 1, len(d)), rel=1e-12)
    assert 0 < rec["uci"] < 0.1


def test_separation_in_the_logistic_model_is_flagged():
    d = _toy(200)
    d["y"] = np.where(d["g"] == "c", 1, d["y"])  # every "c" has y = 1
    res = est.logistic(SurveyDesign(d), "y", {"g": "a"}).set_index("term")
    flagged = res[res["note"] != ""]
    assert list(flagged.index) == ["g_c"]
    assert "separation" in flagged.loc["g_c", "note"]
    assert np.isnan(flagged.loc["g_c", "se"])
    assert (res.loc[res["note"] == "", "se"] > 0).all()


def test_separation_in_the_unweighted_logistic_model_is_flagged():
    """pingouin reports where its iterations stopped for a separated term (an interval
    from 0 to infinity); the estimator notes it, as the weighted one does."""
    d = _toy(200)
    d["y"] = np.where(d["g"] == "c", 1, d["y"])  # every "c" has y = 1
    res = est.logistic_unweighted(SurveyDesign(d), "y", {"g": "a"}).set_index("term")
    flagged = res[res["note"] != ""]
    assert list(flagged.index) == ["g[c]"]
    assert flagged.loc["g[c]", "note"] == est.SEPARATION
    assert not (np.isfinite(flagged.loc["g[c]", "uci"]) and flagged.loc["g[c]", "lci"] > 0)
    clear = res[res["note"] == ""]
    assert len(clear) == len(res) - 1
    assert (np.isfinite(clear["uci"]) & (clear["lci"] > 0)).all()


def test_subset_keeps_the_full_design():
    """A domain keeps every PSU (R's subset()), also those with no respondent in it: its
    SE sums over all PSUs (zeros included), not that of the rows alone re-designed;
    its degrees of freedom are, as R's degf() of a subset, the PSUs with a respondent
    in the domain less one."""
    d = _toy(200)
    design = SurveyDesign(d)
    inside = (d["g"] != "c") & ~d["code"].isin(["0", "1"])
    dom = est.proportions(design.subset(inside), "y")
    dropped = est.proportions(SurveyDesign(d[inside.to_numpy()]), "y")
    np.testing.assert_allclose(dom["share"], dropped["share"], rtol=1e-12)
    assert (dom["df"] == d.loc[inside, "code"].nunique() - 1).all()
    assert not np.allclose(dom["se"], dropped["se"], rtol=1e-9)
