"""Segment shares, scale reliability, latent classes and their agreement with the rule,
checked against independent numpy formulas on the bundled wave."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from councilsurvey.analysis import segmentation as sg
from councilsurvey.analysis.segments import SEGMENTS, classify
from councilsurvey.cleaning.clean import clean
from councilsurvey.inputs.export import read_surveymonkey
from councilsurvey.pipeline.paths import load_config
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.weighting import weight

from .conftest import ROOT, WAVE


@pytest.fixture(scope="module")
def data(codebook, frame, matcher, instrument):
    """The bundled wave cleaned and weighted by the library, with the rule's segment."""
    responses = clean(
        read_surveymonkey(WAVE / "export.csv", codebook), codebook, frame, matcher, b"s", "2017"
    ).responses
    d = weight(responses, frame, load_config(ROOT / "config.yaml")["weighting"]).data
    d = d.copy()
    d["segment"] = classify(d, instrument.benefit_ids)
    return d


@pytest.fixture(scope="module")
def latent(data, instrument):
    return sg.latent_classes(
        data, instrument.attitude_ids, seed=2017, benefit_items=instrument.benefit_ids, n_init=3
    )


def cronbach(block: np.ndarray) -> float:
    """k/(k-1) * (1 - sum of item variances / variance of the total)."""
    k = block.shape[1]
    item_var = block.var(axis=0, ddof=1).sum()
    total_var = block.sum(axis=1).var(ddof=1)
    return k / (k - 1) * (1 - item_var / total_var)


def kappa_from_table(table: pd.DataFrame) -> float:
    """Cohen's kappa (po - pe) / (1 - pe) from a square table of counts."""
    m = table.to_numpy(dtype=float)
    total = m.sum()
    po = np.trace(m) / total
    pe = (m.sum(axis=1) * m.sum(axis=0)).sum() / total**2
    return (po - pe) / (1 - pe)


# --- segment shares -----------------------------------------------------------------


def test_segment_shares_counts_and_weighted_shares(data):
    res = sg.segment_shares(SurveyDesign.of_wave(data))
    assert res.columns.tolist() == sg.SHARE_COLUMNS
    assert res["segment"].tolist() == SEGMENTS
    got = res.set_index("segment")
    assert (got.at["enthusiast", "n"], got.at["sceptic", "n"]) == (373, 118)
    assert got["n"].sum() == len(data) == 808
    w = data["weight"].to_numpy()
    for seg in SEGMENTS:
        inside = (data["segment"] == seg).to_numpy()
        assert got.at[seg, "unweighted_share"] == pytest.approx(inside.mean())
        assert got.at[seg, "weighted_share"] == pytest.approx(
            np.sum(w * inside) / np.sum(w), rel=1e-10
        )
        assert got.at[seg, "se"] > 0
        assert got.at[seg, "lci"] < got.at[seg, "weighted_share"] < got.at[seg, "uci"]
    assert got["weighted_share"].sum() == pytest.approx(1.0)
    # councils with a respondent, less one
    assert (got["df"] == data["code"].nunique() - 1).all()


def test_segment_shares_keeps_an_empty_segment(data):
    some = data[data["segment"] != "unclassified"]
    res = sg.segment_shares(SurveyDesign.of_wave(some))
    assert res["segment"].tolist() == SEGMENTS
    last = res.iloc[-1]
    assert (last["n"], last["weighted_share"]) == (0, 0.0)
    assert np.isnan(last["se"])
    assert res["n"].sum() == len(some)


# --- reliability --------------------------------------------------------------------


def test_default_scales(instrument):
    scales, reverse = sg.default_scales(instrument)
    assert scales["benefit items"] == ["att_big_data", "att_automation", "att_tech_services"]
    assert scales["attitude battery"] == instrument.attitude_ids
    assert len(scales["attitude battery"]) == 8
    assert reverse == ["att_too_complex", "att_cyber", "att_exclusion"]


def test_reliability_matches_numpy_alpha(data, instrument):
    scales, reverse = sg.default_scales(instrument)
    res = sg.reliability(data, scales, reverse)
    assert res.columns.tolist() == sg.RELIABILITY_COLUMNS
    assert res["scale"].tolist() == ["benefit items", "attitude battery"]
    for _, row in res.iterrows():
        items = scales[row["scale"]]
        assert row["items"] == ",".join(items)
        block = data[items].astype("Float64").astype(float)
        for item in items:
            if item in reverse:
                block[item] = 6 - block[item]
        complete = block.dropna().to_numpy()
        assert row["n"] == len(complete)
        assert row["alpha"] == pytest.approx(cronbach(complete), rel=1e-10)
        # Feldt's interval with the complete cases as n (pingouin rounds to 3 decimals)
        n, k = complete.shape
        lo = 1 - (1 - row["alpha"]) * stats.f.isf(0.025, n - 1, (n - 1) * (k - 1))
        hi = 1 - (1 - row["alpha"]) * stats.f.isf(0.975, n - 1, (n - 1) * (k - 1))
        assert (row["ci_low"], row["ci_high"]) == (
            pytest.approx(lo, abs=5e-4),
            pytest.approx(hi, abs=5e-4),
        )
        assert row["ci_low"] < row["alpha"] < row["ci_high"]
    battery = res.set_index("scale").loc["attitude battery"]
    assert battery["n"] < len(data)
    # reversing the negative items matters: without it the battery hangs together less
    unreversed = sg.reliability(data, {"attitude battery": scales["attitude battery"]})
    assert unreversed.at[0, "alpha"] < battery["alpha"] - 0.1
    assert unreversed.at[0, "n"] == battery["n"]


def test_reliability_needs_two_items(data):
    with pytest.raises(ValueError, match="at least two items"):
        sg.reliability(data, {"one": ["att_big_data"]})


# --- latent classes -----------------------------------------------------------------


def test_latent_classes_are_deterministic(data, instrument, latent):
    again = sg.latent_classes(
        data, instrument.attitude_ids, seed=2017, benefit_items=instrument.benefit_ids, n_init=3
    )
    pd.testing.assert_series_equal(latent, again)
    assert latent.index.equals(data.index)
    assert latent.name == "latent_class"
    assert latent.cat.categories.tolist() == ["enthusiast", "middle", "sceptic"]
    assert latent.notna().all()  # everyone answered at least one attitude item
    counts = latent.value_counts()
    assert counts.min() > 50


def test_latent_classes_are_named_by_benefit_means(data, instrument, latent):
    benefit = data[instrument.benefit_ids].astype("Float64").astype(float)
    pooled = {
        name: np.nanmean(benefit[(latent == name).to_numpy()].to_numpy())
        for name in ["enthusiast", "middle", "sceptic"]
    }
    assert pooled["enthusiast"] > pooled["middle"] > pooled["sceptic"]


def test_latent_classes_leave_out_respondents_with_nothing_answered(data, instrument):
    items = instrument.benefit_ids
    nothing = data[items].isna().all(axis=1)
    assert nothing.sum() > 0
    some = data[nothing | (np.arange(len(data)) < 200)]  # a subset keeps the fit quick
    got = sg.latent_classes(some, items, seed=1, n_init=1)
    assert got.index.equals(some.index)
    nothing = nothing[some.index]
    assert got[nothing].isna().all()
    assert got[~nothing].notna().all()


def test_latent_classes_reject_zero_codes(data):
    bad = data[["att_big_data", "att_automation"]].copy()
    bad.iloc[0, 0] = 0
    with pytest.raises(ValueError, match="integer codes"):
        sg.latent_classes(bad, ["att_big_data", "att_automation"], n_init=1)


# --- agreement ----------------------------------------------------------------------


def test_agreement_kappa_matches_the_cross_table(data, latent):
    table, res = sg.agreement(data["segment"], latent)
    assert table.columns.tolist() == sg.AGREEMENT_COLUMNS
    assert table["rule_segment"].tolist() == [s for s in SEGMENTS for _ in range(3)]
    assert table["latent_class"].tolist() == ["enthusiast", "middle", "sceptic"] * 4
    assert table["n"].sum() == latent.notna().sum()
    wide = table.pivot(index="rule_segment", columns="latent_class", values="n")
    square = wide.drop(index="unclassified")
    assert res["n"] == square.to_numpy().sum() == (data["segment"] != "unclassified").sum()
    assert res["cohen_kappa"] == pytest.approx(kappa_from_table(square), rel=1e-12)
    assert res["percent_agreement"] == pytest.approx(
        100 * np.trace(square.to_numpy()) / square.to_numpy().sum()
    )
    assert 0 < res["cohen_kappa"] < 1


def test_agreement_on_hand_cases():
    rule = pd.Series(
        pd.Categorical(
            ["enthusiast", "enthusiast", "middle", "sceptic", "sceptic", "unclassified"],
            categories=SEGMENTS,
        )
    )
    latent = pd.Series(
        pd.Categorical(
            ["enthusiast", "middle", "middle", "sceptic", np.nan, "sceptic"],
            categories=["enthusiast", "middle", "sceptic"],
        )
    )
    table, res = sg.agreement(rule, latent)
    assert len(table) == 12 and table["n"].sum() == 5
    assert res["n"] == 4
    assert res["percent_agreement"] == pytest.approx(75.0)
    # po = 3/4; row margins (2, 1, 1), column margins (1, 2, 1): pe = (2 + 2 + 1) / 16
    assert res["cohen_kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16))


# --- item profiles ------------------------------------------------------------------


def test_item_profiles_match_weighted_means(data, instrument):
    items = instrument.attitude_ids
    res = sg.item_profiles(SurveyDesign.of_wave(data), "segment", items)
    assert res.columns.tolist() == sg.PROFILE_COLUMNS
    main = res[res["segment"] != "unclassified"]
    assert main["segment"].tolist() == [s for s in SEGMENTS[:3] for _ in items]
    assert main["item"].tolist() == items * 3
    w = data["weight"].to_numpy()
    for _, row in res.iterrows():
        y = data[row["item"]].astype("Float64").astype(float).to_numpy()
        keep = (data["segment"] == row["segment"]).to_numpy() & ~np.isnan(y)
        assert row["n"] == keep.sum()
        assert row["mean"] == pytest.approx(np.average(y[keep], weights=w[keep]), rel=1e-10)
    got = res.set_index(["segment", "item"])
    assert got.loc[("enthusiast", "att_big_data"), "mean"] > 4
    assert got.loc[("sceptic", "att_big_data"), "mean"] < 2.5


def test_item_profile_se_is_domain_linearisation(data):
    """SE of a domain mean, councils as PSUs, with replacement: written out in numpy
    (weights taken as fixed; the raked design is checked against R)."""
    res = sg.item_profiles(SurveyDesign(data), "segment", ["att_cyber"]).set_index("segment")
    y = data["att_cyber"].astype("Float64").astype(float).fillna(0.0).to_numpy()
    w = data["weight"].to_numpy()
    for seg in ["enthusiast", "sceptic"]:
        d = ((data["segment"] == seg) & data["att_cyber"].notna()).to_numpy()
        wd = w * d
        mean = np.sum(wd * y) / np.sum(wd)
        z = pd.Series(wd * (y - mean) / np.sum(wd)).groupby(data["code"].to_numpy()).sum()
        n = len(z)
        se = np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))
        assert res.at[seg, "mean"] == pytest.approx(mean, rel=1e-10)
        assert res.at[seg, "se"] == pytest.approx(se, rel=1e-6)
        assert res.at[seg, "lci"] < mean < res.at[seg, "uci"]


def test_item_profiles_by_latent_class(data, instrument, latent):
    res = sg.item_profiles(SurveyDesign.of_wave(data), latent, instrument.benefit_ids)
    assert res["segment"].unique().tolist() == ["enthusiast", "middle", "sceptic"]
    by_class = res.groupby("segment", sort=False)["mean"].mean()
    assert by_class.is_monotonic_decreasing
