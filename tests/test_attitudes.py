"""Attitude analyses against independent implementations (numpy, scipy, statsmodels)."""

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from councilsurvey.analysis import attitudes as att
from councilsurvey.analysis import headlines as hl
from councilsurvey.survey.design import SurveyDesign

COMPARED = ["enthusiast", "middle", "sceptic"]


@pytest.fixture(scope="module")
def classified(segmented):
    return segmented[segmented["segment"].isin(COMPARED)].astype({"segment": str})


@pytest.fixture(scope="module")
def association(segmented):
    return att.segment_association(SurveyDesign.of_wave(segmented))


@pytest.fixture(scope="module")
def caution(segmented, instrument):
    return att.caution_tests(SurveyDesign.of_wave(segmented), instrument.caution_ids)


@pytest.fixture(scope="module")
def model(segmented):
    return att.enthusiast_model(SurveyDesign.of_wave(segmented))


def assert_tidy(table, extra=()):
    assert list(table.columns) == att.TEST_COLUMNS + list(extra)
    assert table["weighted"].dtype == bool
    # a p-value in every row, but a model term noted as having no finite estimate
    note = table["note"] if "note" in table else pd.Series("", index=table.index)
    assert table.loc[~note.str.startswith(att.SEPARATION), "p"].between(0, 1).all()
    adj = table["p_adjusted"].dropna()
    assert adj.between(0, 1).all()
    assert (adj >= table.loc[adj.index, "p"] - 1e-15).all()


def assert_holm(table, mask):
    """The family's adjusted p-values are statsmodels' Holm, to the last bit."""
    expected = multipletests(table.loc[mask, "p"], method="holm")[1]
    np.testing.assert_array_equal(table.loc[mask, "p_adjusted"].to_numpy(), expected)


def test_segments_reproduce_published_counts(segmented):
    counts = segmented["segment"].value_counts()
    assert counts["enthusiast"] == 373
    assert counts["sceptic"] == 118


def test_headlines(segmented, instrument):
    h = hl.headlines(SurveyDesign.of_wave(segmented), instrument)
    assert list(h.columns) == hl.HEADLINE_COLUMNS
    rows = h.set_index(["indicator", "category"])
    w = segmented["weight"]

    def check(key, answering, flag):
        r = rows.loc[key]
        sub_w, sub_f = w[answering], flag[answering].astype(float)
        assert r["n"] == answering.sum()
        assert r["unweighted"] == pytest.approx(sub_f.mean(), rel=1e-12)
        assert r["weighted"] == pytest.approx(np.average(sub_f, weights=sub_w), rel=1e-10)
        assert r["lci"] < r["weighted"] < r["uci"]
        assert r["se"] > 0
        return r

    wb = segmented["att_wellbeing"]
    r = check(
        ("wellbeing_positive", "Agree or Strongly agree"),
        wb.notna().to_numpy(),
        wb.fillna(0).to_numpy() >= 4,
    )
    assert r["unweighted"] == pytest.approx(0.64, abs=0.005)

    strat = segmented["has_digital_strategy"].astype(object)
    r = check(
        ("digital_strategy", "Yes"),
        strat.isin(["Yes", "No"]).to_numpy(),
        (strat == "Yes").to_numpy(),
    )
    assert r["unweighted"] == pytest.approx(1 / 3, abs=0.02)
    assert r["n"] < segmented["has_digital_strategy"].notna().sum()  # Don't know excluded

    excl = segmented["exclusion_major_issue"].astype(object)
    check(
        ("exclusion_major_issue", "Yes"),
        excl.isin(["Yes", "No"]).to_numpy(),
        (excl == "Yes").to_numpy(),
    )

    item = instrument.item("digital_champion")
    if item.get("type") == "multi_select":
        check_multi_select_headlines(h, segmented, instrument, check)
        return
    champ = segmented["digital_champion"].astype(object)
    answered = champ.notna().to_numpy()
    options = list(segmented["digital_champion"].cat.categories)
    assert "Don't know" in options
    for option in options:
        check(("digital_champion", option), answered, (champ == option).to_numpy())
    both = champ.isin(hl.LEADER_OR_CHIEF_EXECUTIVE).to_numpy()
    r = check(("digital_champion", "leader_or_chief_executive"), answered, both)
    parts = h[h["category"].isin(hl.LEADER_OR_CHIEF_EXECUTIVE)]
    assert r["weighted"] == pytest.approx(parts["weighted"].sum(), rel=1e-10)
    per_option = h[(h["indicator"] == "digital_champion") & h["category"].isin(options)]
    assert per_option["category"].tolist() == options  # questionnaire order
    assert per_option["weighted"].sum() == pytest.approx(1.0)
    assert "Don't know counts as an answer" in per_option["basis"].iloc[0]


def check_multi_select_headlines(h, segmented, instrument, check):
    """The bundled wave on the new instrument: a row per option of each tick-all question
    among those who ticked at least one option (the published basis), the overall impact
    among those answering it; the published shares come out of the constructed wave."""
    for item in instrument.multi_select_items:
        qid = item["id"]
        columns = [c for c in segmented.columns if c.startswith(f"{qid}__")]
        assert len(columns) == len(item["options"])
        answered = segmented[columns].notna().any(axis=1).to_numpy()
        assert answered.sum() < len(segmented)  # some skipped: out of the base
        rows = h[h["indicator"] == qid]
        assert rows["category"].tolist()[: len(item["options"])] == list(item["options"])
        for option, column in zip(item["options"], columns, strict=True):
            ticked = segmented[column].fillna(False).astype(bool).to_numpy()
            check((qid, option), answered, ticked)
    published = {
        ("digital_champion", "A cabinet member"): 0.49,
        ("impact_areas", "Increasing the use of online services"): 0.83,
        ("top_challenges", "Digital exclusion"): 0.57,
    }
    for key, value in published.items():
        assert h.set_index(["indicator", "category"]).loc[key, "unweighted"] == pytest.approx(
            value, abs=0.005
        )
    impact = segmented["overall_impact"]
    if isinstance(impact.dtype, pd.CategoricalDtype):
        text = impact.astype(object)
        known = text.isin(instrument.options("overall_impact")[:5]).to_numpy()
        positive = text.isin(["Positive", "Very positive"]).to_numpy()
    else:
        known = impact.notna().to_numpy()
        positive = (impact.fillna(0) >= 4).to_numpy()
    r = check(("overall_impact", "Positive or Very positive"), known, positive)
    assert r["unweighted"] == pytest.approx(0.70, abs=0.005)


def test_association_unweighted_matches_scipy(association, classified):
    assert_tidy(association)
    un = association[~association["weighted"]].reset_index(drop=True)
    assert un["variables"].tolist() == [
        f"segment x {v}" for v in ["type", "party_group", "role", "age_band", "tenure"]
    ]
    for _, row in un.iterrows():
        var = row["variables"].split(" x ")[1]
        table = pd.crosstab(classified["segment"], classified[var].astype(str))
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        assert row["statistic"] == pytest.approx(chi2, rel=1e-10)
        assert row["p"] == pytest.approx(p, rel=1e-8)
        assert row["df"] == dof and isinstance(row["df"], float)
        n = table.to_numpy().sum()
        assert row["n"] == n == len(classified)  # unclassified excluded
        assert row["effect_size"] == pytest.approx(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
        assert row["effect_measure"] == "Cramér's V"
    assert_holm(association, ~association["weighted"])


def test_association_weighted_rows(association, classified):
    wt = association[association["weighted"]].reset_index(drop=True)
    assert len(wt) == 5 and (wt["test"] == "Rao-Scott F").all()
    assert (association["test"].iloc[::2] == "Pearson chi-square").all()  # paired per variable
    for _, row in wt.iterrows():
        df1, df2 = (float(x) for x in row["df"].split(", "))
        assert 0 < df1 < df2
        assert row["n"] == len(classified)
        assert 0 < row["effect_size"] < 1
    assert_holm(association, association["weighted"])
    # age is associated with the segment on both bases (the strongest association)
    ages = association[association["variables"] == "segment x age_band"]
    assert (ages["p_adjusted"] < 0.05).all()


def test_rao_scott_cramers_v_near_pearson_with_equal_weights(segmented):
    d = segmented.assign(w1=1.0, id=segmented["respondent_id"])
    got = att.segment_association(SurveyDesign(d, weight="w1", psu="id"), variables=("age_band",))
    un, wt = got.iloc[0], got.iloc[1]
    # with-replacement variance of an SRS differs from the multinomial one by n/(n-1)
    assert wt["effect_size"] == pytest.approx(un["effect_size"], rel=0.01)


def test_caution_tests_match_scipy(caution, classified):
    assert_tidy(caution)
    assert len(caution) == 12
    assert not caution["weighted"].any()
    for item in ["att_too_complex", "att_cyber", "att_exclusion"]:
        sub = classified.dropna(subset=[item])
        groups = {s: sub.loc[sub["segment"] == s, item].astype(float).to_numpy() for s in COMPARED}
        kw = caution[caution["variables"] == f"{item}: enthusiast vs middle vs sceptic"]
        assert len(kw) == 1
        kw = kw.iloc[0]
        h, p = stats.kruskal(*groups.values())
        n = len(sub)
        assert kw["statistic"] == pytest.approx(h, rel=1e-10)
        assert kw["p"] == pytest.approx(p, rel=1e-8)
        assert kw["df"] == 2.0 and kw["n"] == n
        assert kw["effect_size"] == pytest.approx(h / (n - 1))
        for a, b in [("enthusiast", "middle"), ("enthusiast", "sceptic"), ("middle", "sceptic")]:
            row = caution[caution["variables"] == f"{item}: {a} vs {b}"].iloc[0]
            x, y = groups[a], groups[b]
            u, p = stats.mannwhitneyu(x, y, alternative="two-sided")
            assert row["statistic"] == pytest.approx(u)
            assert row["p"] == pytest.approx(p, rel=1e-8)
            assert row["n"] == len(x) + len(y)
            assert row["effect_size"] == pytest.approx(2 * u / (len(x) * len(y)) - 1)
    assert_holm(caution, caution["test"] == "Kruskal-Wallis H")
    assert_holm(caution, caution["test"] == "Mann-Whitney U")
    # sceptics agree more with every caution item than enthusiasts
    es = caution[caution["variables"].str.endswith("enthusiast vs sceptic")]
    assert (es["effect_size"] < 0).all()


def patsy_name(term):
    if term == "Intercept":
        return term
    col, level = re.fullmatch(r"C\((\w+), Treatment\('.*'\)\)\[T\.(.*)\]", term).groups()
    return f"{col}[{level}]"


def test_enthusiast_model_matches_statsmodels(model, classified):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    assert_tidy(model, extra=["effect_ci_low", "effect_ci_high", "note"])
    assert (model["note"] == "").all()
    assert (model["effect_ci_low"] < model["effect_size"]).all()
    assert (model["effect_size"] < model["effect_ci_high"]).all()
    sub = classified.assign(y=(classified["segment"] == "enthusiast").astype(float))
    sub = sub.astype({c: str for c in att.DEFAULT_PREDICTORS})
    formula = "y ~ " + " + ".join(
        f"C({c}, Treatment('{ref}'))" for c, ref in att.DEFAULT_PREDICTORS.items()
    )
    logit = smf.logit(formula, data=sub).fit(disp=0)
    expected = {patsy_name(t): v for t, v in logit.params.items()}
    glm = smf.glm(formula, data=sub, family=sm.families.Binomial(), freq_weights=sub["weight"])
    expected_w = {patsy_name(t): v for t, v in glm.fit().params.items()}

    for weighted, exp in [(False, expected), (True, expected_w)]:
        part = model[model["weighted"] == weighted]
        terms = part["variables"].str.removeprefix("enthusiast ~ ")
        assert terms.iloc[0] == "Intercept"
        assert sorted(terms) == sorted(exp)
        got = dict(zip(terms, np.log(part["effect_size"]), strict=True))
        for term, value in exp.items():
            assert got[term] == pytest.approx(value, rel=1e-5, abs=1e-8), (weighted, term)
        assert (part["n"] == len(sub)).all()
        assert np.isnan(part["p_adjusted"].iloc[0])
        assert_holm(model, (model["weighted"] == weighted) & (model.index != part.index[0]))
    un = model[~model["weighted"]].set_index("variables")
    z = {patsy_name(t): v for t, v in logit.tvalues.items()}
    assert un.loc["enthusiast ~ age_band[Under 35]", "statistic"] == pytest.approx(
        z["age_band[Under 35]"], rel=1e-4
    )
    assert "enthusiast ~ age_band[Prefer not to say]" in un.index  # kept as a level
    assert model.loc[~model["weighted"], "df"].isna().all()
    assert (model.loc[model["weighted"], "df"] > 100).all()
    assert len(expected) == 25


def separated(segmented, column="party_group", level="UKIP", outcome="enthusiast"):
    """The wave with every modelled respondent at one level given one outcome."""
    data = segmented.copy()
    data["segment"] = data["segment"].astype(object)
    at = (data[column].astype(str) == level) & data["segment"].isin(COMPARED)
    assert 1 < at.sum() < 60
    data.loc[at, "segment"] = outcome
    return data, at


@pytest.mark.parametrize("outcome", ["enthusiast", "sceptic"])
def test_a_separated_level_has_no_finite_estimate(segmented, outcome):
    """A level whose respondents all have one outcome has no maximum-likelihood estimate:
    its term is noted in both models, with no odds ratio, test or interval, and leaves the
    Holm family; every other term equals statsmodels' fit without that level's respondents
    (unweighted logit; weighted: a binomial GLM with the weights as frequency weights)."""
    import warnings

    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data, at = separated(segmented, outcome=outcome)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = att.enthusiast_model(SurveyDesign.of_wave(data))
    # the separation is in the table, not in warnings printed with a source line
    said = [str(w.message) for w in caught]
    assert not [m for m in said if "GLM_SEPARATION" in m or "overflow" in m], said
    assert_tidy(model, extra=["effect_ci_low", "effect_ci_high", "note"])
    term = model["variables"] == "enthusiast ~ party_group[UKIP]"
    assert term.sum() == 2
    assert (model.loc[term, "note"] == att.SEPARATION).all()
    for col in ["statistic", "p", "p_adjusted", "effect_size", "effect_ci_low", "effect_ci_high"]:
        assert model.loc[term, col].isna().all(), col
    assert (model.loc[~term, "note"] == "").all()
    assert np.isfinite(model.loc[~term, "effect_size"]).all()
    for weighted in (False, True):
        family = (model["weighted"] == weighted) & ~term
        family &= model["variables"] != "enthusiast ~ Intercept"
        assert_holm(model, family)

    rest = data[~at & data["segment"].isin(COMPARED)].astype({"segment": str})
    rest = rest.assign(y=(rest["segment"] == "enthusiast").astype(float))
    rest = rest.astype({c: str for c in att.DEFAULT_PREDICTORS})
    formula = "y ~ " + " + ".join(
        f"C({c}, Treatment('{ref}'))" for c, ref in att.DEFAULT_PREDICTORS.items()
    )
    fits = {
        False: smf.logit(formula, data=rest).fit(disp=0).params,
        True: smf.glm(
            formula, data=rest, family=sm.families.Binomial(), freq_weights=rest["weight"]
        )
        .fit()
        .params,
    }
    for weighted, params in fits.items():
        part = model[(model["weighted"] == weighted) & ~term]
        names = part["variables"].str.removeprefix("enthusiast ~ ")
        got = dict(zip(names, part["effect_size"], strict=True))
        expected = {patsy_name(t): v for t, v in params.items()}
        assert sorted(got) == sorted(expected)
        for name, value in expected.items():
            assert np.log(got[name]) == pytest.approx(value, rel=1e-6, abs=1e-8), (weighted, name)


def test_separated_terms():
    """A separating level's own term; a separating reference level: every term of its
    predictor and the intercept; a level with both outcomes: none."""
    data = pd.DataFrame(
        {
            "y": [1, 0, 1, 1, 0, 0, 1, 0],
            "a": ["r", "r", "x", "x", "z", "z", "r", "r"],
            "b": ["s", "s", "s", "t", "t", "u", "u", "s"],
        }
    )
    assert att.separated_terms(data, "y", {"a": "r", "b": "s"}) == {"a[x]", "a[z]"}
    data.loc[data["a"] == "r", "y"] = 1  # and so every "s" of b, its reference, is 1
    assert att.separated_terms(data, "y", {"a": "r"}) == {"a[x]", "a[z]", "Intercept"}
    assert att.separated_terms(data, "y", {"b": "s"}) == {"b[t]", "b[u]", "Intercept"}
    mixed = data.assign(y=[1, 0, 1, 0, 1, 0, 1, 0])
    assert att.separated_terms(mixed, "y", {"b": "s"}) == set()


def test_enthusiast_model_checks_reference_levels(segmented):
    with pytest.raises(ValueError, match="reference level 'Tory' of 'party_group'"):
        att.enthusiast_model(SurveyDesign.of_wave(segmented), predictors={"party_group": "Tory"})
    with pytest.raises(KeyError):
        att.enthusiast_model(SurveyDesign.of_wave(segmented), predictors={"shoe_size": "9"})


def test_segment_profile_by(segmented, classified):
    prof = att.segment_profile_by(SurveyDesign.of_wave(segmented), "segment", "party_group")
    assert list(prof.columns) == att.PROFILE_COLUMNS
    groups = sorted(classified["party_group"].unique())
    assert prof["category"].tolist() == [g for g in groups for _ in COMPARED]
    assert prof["segment"].tolist() == COMPARED * len(groups)
    assert np.allclose(prof.groupby("category")["weighted"].sum(), 1.0)
    for _, row in prof.iterrows():
        cell = classified[classified["party_group"] == row["category"]]
        flag = (cell["segment"] == row["segment"]).astype(float)
        assert row["n"] == len(cell)
        assert row["weighted"] == pytest.approx(np.average(flag, weights=cell["weight"]))
        assert row["lci"] < row["weighted"] < row["uci"]
    lab = prof[prof["category"] == "Labour"].set_index("segment")
    con = prof[prof["category"] == "Conservative"].set_index("segment")
    # the domain interval is wider for a smaller domain
    small = prof[prof["category"] == "UKIP"].set_index("segment")
    assert (small["uci"] - small["lci"]).min() > (lab["uci"] - lab["lci"]).max()
    assert (con["n"] == (classified["party_group"] == "Conservative").sum()).all()


def test_model_with_a_predictor_that_is_a_stratum(segmented):
    """Council type as stratum and predictor: the same odds ratios, other standard errors."""
    plain = att.enthusiast_model(SurveyDesign.of_wave(segmented))
    strat = att.enthusiast_model(SurveyDesign(segmented, strata="type"))
    assert np.allclose(strat["effect_size"], plain["effect_size"], rtol=1e-9)
    weighted = strat["weighted"].to_numpy()
    assert not np.allclose(
        strat.loc[weighted, "effect_ci_low"], plain.loc[weighted, "effect_ci_low"], rtol=1e-6
    )
