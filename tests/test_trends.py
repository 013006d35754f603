"""Changes between waves, checked on the bundled wave and a second wave made from it with a
known change (10% of the answers to att_wellbeing moved up to Agree)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from councilsurvey.analysis import headlines as hl
from councilsurvey.analysis import segmentation as sg
from councilsurvey.analysis import trends
from councilsurvey.analysis.segments import SEGMENTS
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign

SEED = 2019


def wellbeing_positive(d):
    return d["att_wellbeing"].astype("Int64") >= 4


def strategy_yes(d):
    answer = d["has_digital_strategy"].astype(object)
    return (answer == "Yes").where(answer.isin(["Yes", "No"]))


@pytest.fixture(scope="module")
def wave_a(segmented):
    """Wave A: the bundled wave with its segments."""
    return segmented


@pytest.fixture(scope="module")
def moved(wave_a):
    """Positions of the respondents whose att_wellbeing is moved up to 4 (Agree): 10% of
    those answering, drawn with a fixed seed among those answering 1-3."""
    wb = wave_a["att_wellbeing"].astype("Int64")
    answering = int(wb.notna().sum())
    candidates = np.flatnonzero((wb <= 3).fillna(False).to_numpy())
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(candidates, size=round(0.10 * answering), replace=False))


@pytest.fixture(scope="module")
def wave_b(wave_a, moved):
    d = wave_a.copy()
    d["respondent_id"] = "b-" + d["respondent_id"].astype(str)
    wb = d["att_wellbeing"].astype("Int64").copy()
    wb.iloc[moved] = 4
    d["att_wellbeing"] = wb
    return d


@pytest.fixture(scope="module")
def estimates(wave_a, wave_b, instrument):
    return trends.wave_estimates(
        {"2017": SurveyDesign.of_wave(wave_a), "2019": SurveyDesign.of_wave(wave_b)},
        instrument=instrument,
    )


@pytest.fixture(scope="module")
def change(estimates):
    return trends.changes(estimates, ["2017", "2019"])


def row(table, indicator, category, **kw):
    mask = (table["indicator"] == indicator) & (table["category"] == category)
    for col, value in kw.items():
        mask &= table[col] == value
    assert mask.sum() == 1
    return table[mask].iloc[0]


def relabel(estimates, wave, new):
    return estimates[estimates["wave"] == wave].assign(wave=new)


# --- estimates ----------------------------------------------------------------------


def test_estimates_columns_and_order(estimates, wave_a, instrument):
    assert list(estimates.columns) == trends.ESTIMATE_COLUMNS
    key = estimates[["indicator", "category"]].agg("|".join, axis=1)
    assert key.tolist() == sorted(key)  # indicator, then category
    waves = estimates.groupby(key, sort=False)["wave"].agg(list)
    assert all(w == ["2017", "2019"] for w in waves)
    head = hl.headlines(SurveyDesign.of_wave(wave_a), instrument)
    seg = sg.segment_shares(SurveyDesign.of_wave(wave_a))
    assert len(estimates) == 2 * (len(head) + len(seg))
    assert (estimates["wave"] == "2017").sum() == len(head) + len(seg)
    assert estimates.loc[estimates["indicator"] == "segment", "category"].unique().tolist() == (
        SEGMENTS
    )
    assert estimates["n"].dtype == int


def test_estimates_reproduce_headlines_and_segments(estimates, wave_a, instrument):
    a = estimates[estimates["wave"] == "2017"]
    for _, h in hl.headlines(SurveyDesign.of_wave(wave_a), instrument).iterrows():
        r = row(a, h["indicator"], h["category"])
        for col in ["n", "unweighted", "weighted", "se", "lci", "uci"]:
            assert r[col] == pytest.approx(h[col], rel=1e-12), (h["indicator"], col)
    for _, s in sg.segment_shares(SurveyDesign.of_wave(wave_a)).iterrows():
        r = row(a, "segment", s["segment"])
        assert r["n"] == len(wave_a)  # the base, not the count in the segment
        assert r["unweighted"] * r["n"] == pytest.approx(s["n"])
        assert r["weighted"] == pytest.approx(s["weighted_share"], rel=1e-12)
        assert r["se"] == pytest.approx(s["se"], rel=1e-12)
        assert r["df"] == s["df"] == wave_a["code"].nunique() - 1
    # headlines report no df: it is svy's, councils in the base less one
    wb = est.share(SurveyDesign.of_wave(wave_a), wellbeing_positive(wave_a))
    assert row(a, "wellbeing_positive", "Agree or Strongly agree")["df"] == wb["df"]
    strategy = est.share(SurveyDesign.of_wave(wave_a), strategy_yes(wave_a))
    r = row(a, "digital_strategy", "Yes")
    assert r["df"] == strategy["df"] < wb["df"]
    assert r["se"] == pytest.approx(strategy["se"], rel=1e-12)
    # the champion question (a single choice, or tick all that apply: then its base is
    # those who ticked an option): every row has the councils of its base less one
    if "digital_champion" in wave_a.columns:
        base = wave_a["digital_champion"].notna()
    else:
        base = wave_a.filter(like="digital_champion__").notna().any(axis=1)
    champ = a.loc[a["indicator"] == "digital_champion", "df"]
    assert len(champ) > 0
    assert (champ == wave_a.loc[base, "code"].nunique() - 1).all()


def test_missing_segment_column_is_an_error(wave_a):
    with pytest.raises(KeyError, match="segment column 'segment'"):
        trends.wave_estimates({"2017": SurveyDesign.of_wave(wave_a.drop(columns="segment"))})


# --- changes ------------------------------------------------------------------------


def test_changes_columns_and_order(change, estimates):
    assert list(change.columns) == trends.CHANGE_COLUMNS
    cells = estimates[["indicator", "category"]].drop_duplicates()
    assert change[["indicator", "category"]].values.tolist() == cells.values.tolist()
    assert (change["wave_from"] == "2017").all() and (change["wave_to"] == "2019").all()


def test_difference_and_se_of_the_perturbed_item(change, wave_a, wave_b, moved):
    r = row(change, "wellbeing_positive", "Agree or Strongly agree")
    answering = wave_a["att_wellbeing"].notna().to_numpy()
    w = wave_a["weight"].to_numpy()

    def weighted_share(d):
        flag = wellbeing_positive(d).fillna(False).to_numpy(dtype=float)
        return np.average(flag[answering], weights=w[answering])

    assert r["estimate_from"] == pytest.approx(weighted_share(wave_a), rel=1e-10)
    assert r["estimate_to"] == pytest.approx(weighted_share(wave_b), rel=1e-10)
    assert r["difference"] == pytest.approx(weighted_share(wave_b) - weighted_share(wave_a))
    # the true change: the weight of the moved respondents over that of those answering
    assert r["difference"] == pytest.approx(w[moved].sum() / w[answering].sum(), rel=1e-9)
    assert r["unweighted_difference"] == pytest.approx(len(moved) / answering.sum())

    s1 = est.share(SurveyDesign.of_wave(wave_a), wellbeing_positive(wave_a))
    s2 = est.share(SurveyDesign.of_wave(wave_b), wellbeing_positive(wave_b))
    assert r["se"] == pytest.approx(np.hypot(s1["se"], s2["se"]), rel=1e-12)
    assert r["df"] == min(s1["df"], s2["df"])
    half = stats.t.ppf(0.975, r["df"]) * r["se"]
    assert (r["lci"], r["uci"]) == pytest.approx((r["difference"] - half, r["difference"] + half))


def test_untouched_items_do_not_change(change):
    same = change[change["indicator"] != "wellbeing_positive"]
    assert (same["difference"] == 0).all() and (same["unweighted_difference"] == 0).all()
    assert np.allclose(same["p"], 1.0)


def test_p_values_and_holm(change):
    tested = change.dropna(subset=["p"])
    assert len(tested) == len(change)  # every cell has se > 0 in both waves
    assert np.allclose(tested["statistic"], tested["difference"] / tested["se"], rtol=1e-12)
    expected = 2 * stats.t.sf(np.abs(tested["statistic"]), tested["df"])
    assert np.allclose(tested["p"], expected, rtol=1e-12)
    assert np.allclose(tested["p_adjusted"], multipletests(tested["p"], method="holm")[1])
    r = row(change, "wellbeing_positive", "Agree or Strongly agree")
    assert r["p"] < 0.01 and r["p_adjusted"] < 0.05
    assert r["lci"] > 0


def test_identical_waves(estimates):
    a = relabel(estimates, "2017", "2017")
    same = trends.changes(pd.concat([a, relabel(estimates, "2017", "2017b")]), ["2017", "2017b"])
    assert (same["difference"] == 0).all()
    assert (same["statistic"] == 0).all()
    assert (same["p"] == 1).all() and (same["p_adjusted"] == 1).all()
    assert (same["lci"] < 0).all() and (same["uci"] > 0).all()


def test_consecutive_pairs_and_holm_families(estimates):
    three = pd.concat([estimates, relabel(estimates, "2017", "2021")], ignore_index=True)
    got = trends.changes(three, ["2017", "2019", "2021"])
    pairs = got[["wave_from", "wave_to"]].drop_duplicates().values.tolist()
    assert pairs == [["2017", "2019"], ["2019", "2021"]]  # no 2017 -> 2021
    n_cells = len(estimates) // 2
    assert len(got) == 2 * n_cells
    assert got["wave_from"].tolist()[:2] == ["2017", "2019"]  # pairs within each cell
    wb = got[got["indicator"] == "wellbeing_positive"].set_index("wave_to")
    assert wb.at["2021", "difference"] == pytest.approx(-wb.at["2019", "difference"])
    for wave_from in ["2017", "2019"]:
        fam = got[got["wave_from"] == wave_from]
        assert np.allclose(fam["p_adjusted"], multipletests(fam["p"], method="holm")[1])
    # the waves' order decides the direction; unlisted waves are ignored
    back = trends.changes(three, ["2019", "2017"])
    assert np.allclose(back["difference"], -trends.changes(three, ["2017", "2019"])["difference"])


def test_changes_checks_waves(estimates):
    with pytest.raises(ValueError, match=r"\['2023'\] not in the estimates"):
        trends.changes(estimates, ["2017", "2023"])
    with pytest.raises(ValueError, match="distinct"):
        trends.changes(estimates, ["2017", "2017"])
    assert list(trends.changes(estimates, ["2017"]).columns) == trends.CHANGE_COLUMNS


def test_category_missing_from_a_wave_is_not_tested(estimates):
    b = relabel(estimates, "2019", "2019")
    b = b[~((b["indicator"] == "segment") & (b["category"] == "unclassified"))]
    got = trends.changes(pd.concat([relabel(estimates, "2017", "2017"), b]), ["2017", "2019"])
    r = row(got, "segment", "unclassified")
    assert np.isnan(r["difference"]) and np.isnan(r["p"]) and np.isnan(r["p_adjusted"])
    fam = got.dropna(subset=["p"])
    assert len(fam) == len(got) - 1
    assert np.allclose(fam["p_adjusted"], multipletests(fam["p"], method="holm")[1])


# --- pooled Rao-Scott check ---------------------------------------------------------


def test_pooled_test_agrees_with_wald(change, wave_a, wave_b):
    moved_item = trends.pooled_change_test(
        SurveyDesign.of_wave(wave_a),
        SurveyDesign.of_wave(wave_b),
        wellbeing_positive,
        ("2017", "2019"),
    )
    wald = row(change, "wellbeing_positive", "Agree or Strongly agree")
    assert moved_item["p"] < 0.05 and wald["p"] < 0.05 and wald["difference"] > 0
    assert moved_item["df_num"] == pytest.approx(1.0)
    assert moved_item["n"] == 2 * wave_a["att_wellbeing"].notna().sum()
    # one degree of freedom: F is close to the square of the Wald t
    assert moved_item["f"] == pytest.approx(wald["statistic"] ** 2, rel=0.1)

    untouched = trends.pooled_change_test(
        SurveyDesign.of_wave(wave_a), SurveyDesign.of_wave(wave_b), strategy_yes
    )
    assert untouched["p"] > 0.05 and row(change, "digital_strategy", "Yes")["p"] > 0.05

    def categorical(d):  # a question of several answers, unchanged between the waves
        return d["digital_champion"] if "digital_champion" in d else d["exclusion_major_issue"]

    champion = trends.pooled_change_test(
        SurveyDesign.of_wave(wave_a), SurveyDesign.of_wave(wave_b), categorical
    )
    assert champion["df_num"] > 1 and champion["p"] > 0.05


def test_pooled_test_uses_wave_specific_clusters(wave_a, wave_b):
    got = trends.pooled_change_test(
        SurveyDesign.of_wave(wave_a), SurveyDesign.of_wave(wave_b), wellbeing_positive
    )
    councils = wave_a.loc[wave_a["att_wellbeing"].notna(), "code"].nunique()
    # clusters of both waves less one (a shared id would give councils - 1)
    assert got["df_den"] == pytest.approx(2 * councils - 1)
    with pytest.raises(ValueError, match="two distinct labels"):
        trends.pooled_change_test(
            SurveyDesign.of_wave(wave_a),
            SurveyDesign.of_wave(wave_b),
            wellbeing_positive,
            ("x", "x"),
        )


def test_trends_refuse_strata_they_cannot_count(wave_a, wave_b):
    """The degrees of freedom of a wave and the pooled test's nested PSUs count the PSUs
    alone: a design with strata or fpc is refused rather than mis-estimated."""
    stratified = SurveyDesign(wave_a, strata="type")
    with pytest.raises(NotImplementedError, match="without strata or fpc"):
        trends.wave_estimates({"2017": stratified})
    with pytest.raises(NotImplementedError, match="without strata or fpc"):
        trends.pooled_change_test(stratified, SurveyDesign.of_wave(wave_b), wellbeing_positive)


def test_the_design_level_sets_every_interval(wave_a):
    """A 90% design gives each wave's logit interval with t(0.95, df), by hand."""
    at90 = trends.wave_estimates({"2017": SurveyDesign.of_wave(wave_a, level=0.9)})
    at95 = trends.wave_estimates({"2017": SurveyDesign.of_wave(wave_a)})
    pd.testing.assert_series_equal(at90["weighted"], at95["weighted"], check_exact=True)
    inside = at90[(at90["weighted"] > 0) & (at90["weighted"] < 1)]
    p, se, df = inside["weighted"], inside["se"], inside["df"]
    half = stats.t.ppf(0.95, df) * se / (p * (1 - p))
    logit = np.log(p / (1 - p))
    assert np.allclose(inside["lci"], 1 / (1 + np.exp(-(logit - half))), rtol=1e-9)
    assert np.allclose(inside["uci"], 1 / (1 + np.exp(-(logit + half))), rtol=1e-9)
    assert (at90["uci"] - at90["lci"] <= at95["uci"] - at95["lci"]).all()
