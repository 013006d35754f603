"""Segment shares, scale reliability, latent classes and their agreement with the rule,
checked against independent numpy formulas on the bundled wave; the choice of the number
of latent classes checked on simulated data whose number of classes is known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp

from councilsurvey.analysis import latent as lc
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
    return lc.latent_classes(
        data, instrument.attitude_ids, seed=2017, benefit_items=instrument.benefit_ids, n_init=1
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
    again = lc.latent_classes(
        data, instrument.attitude_ids, seed=2017, benefit_items=instrument.benefit_ids, n_init=1
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
    got = lc.latent_classes(some, items, seed=1, n_init=1)
    assert got.index.equals(some.index)
    nothing = nothing[some.index]
    assert got[nothing].isna().all()
    assert got[~nothing].notna().all()


def test_latent_classes_reject_zero_codes(data):
    bad = data[["att_big_data", "att_automation"]].copy()
    bad.iloc[0, 0] = 0
    with pytest.raises(ValueError, match="integer codes"):
        lc.latent_classes(bad, ["att_big_data", "att_automation"], n_init=1)


# --- choosing the number of latent classes ------------------------------------------

#: simulated battery: three benefit items first, then five others
SIM_ITEMS = [f"b{i}" for i in range(1, 4)] + [f"o{i}" for i in range(1, 6)]
#: the mode of each true class on the benefit items and on the other items. The sceptic
#: class agrees with the other (caution-like) items, so a mean over all eight items would
#: rank it above the middle class; the benefit items alone rank it last.
SIM_CLASSES = {"enthusiast": (5, 5), "middle": (4, 1), "sceptic": (1, 5)}


def simulate(n_per_class: int = 250, seed: int = 7, missing: float = 0.05) -> pd.DataFrame:
    """Answers 1..5 from three latent classes: each item is at the class's mode with
    probability 0.7, otherwise uniform on the other codes; some answers missing."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for name, (benefit, other) in SIM_CLASSES.items():
        modes = np.array([benefit] * 3 + [other] * 5)
        for _ in range(n_per_class):
            x = modes.copy()
            for j in range(len(x)):
                if rng.random() > 0.7:
                    x[j] = rng.choice([c for c in range(1, 6) if c != modes[j]])
            rows.append(x)
            truth.append(name)
    data = pd.DataFrame(np.array(rows), columns=SIM_ITEMS).astype("Int64")
    mask = rng.random(data.shape) < missing
    data = data.mask(mask)
    data["truth"] = truth
    return data


@pytest.fixture(scope="module")
def simulated():
    return simulate()


@pytest.fixture(scope="module")
def sim_selection(simulated):
    return lc.select_latent_classes(
        simulated, SIM_ITEMS, SIM_ITEMS[:3], candidates=range(2, 6), seed=11, n_init=2
    )


def test_bic_picks_the_true_number_of_classes(sim_selection):
    table = sim_selection.table
    assert table.columns.tolist() == lc.SELECTION_COLUMNS
    assert table["n_classes"].tolist() == [2, 3, 4, 5]
    assert sim_selection.n_classes == 3
    assert table["chosen"].tolist() == [False, True, False, False]
    assert (table["criterion"] == "bic").all()
    bic = table.set_index("n_classes")["bic"]
    assert bic.idxmin() == 3 and bic[3] < bic[2] - 50 and bic[3] < bic[4] - 50
    # more classes never fit worse (each start is seeded; EM from the best start)
    ll = table["log_likelihood"].to_numpy()
    assert ll[1] > ll[0] + 100
    # 8 items with codes 1..5: 4 free probabilities per item and class, plus K - 1 shares
    assert table["n_parameters"].tolist() == [33 * k - 1 for k in [2, 3, 4, 5]]
    n = table["n"].iloc[0]
    assert n == 750
    assert np.allclose(table["aic"], -2 * table["log_likelihood"] + 2 * table["n_parameters"])
    assert np.allclose(
        table["bic"], -2 * table["log_likelihood"] + np.log(n) * table["n_parameters"]
    )
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["relative_entropy"] > 0.8  # well-separated simulated classes
    assert 0.3 < chosen["smallest_class_share"] < 0.34
    assert chosen["smallest_class_n"] == round(chosen["smallest_class_share"] * n)


def test_classes_are_named_by_the_benefit_items_only(simulated, sim_selection):
    classes = sim_selection.classes
    assert classes.cat.categories.tolist() == ["enthusiast", "middle", "sceptic"]
    hits = (classes.astype(str) == simulated["truth"]).mean()
    assert hits > 0.9
    # a mean over all eight items, unreversed, would have swapped middle and sceptic
    items = simulated[SIM_ITEMS].astype("Float64").astype(float)
    overall = items.groupby(classes.astype(str).to_numpy()).mean().mean(axis=1)
    assert overall["sceptic"] > overall["middle"]


def test_selection_is_deterministic(simulated, sim_selection):
    again = lc.select_latent_classes(
        simulated, SIM_ITEMS, SIM_ITEMS[:3], candidates=[5, 4, 3, 2], seed=11, n_init=2
    )
    pd.testing.assert_frame_equal(again.table, sim_selection.table)
    pd.testing.assert_series_equal(again.classes, sim_selection.classes)


def test_more_than_three_classes_share_the_middle_name(simulated):
    assert lc.class_names(2) == ["enthusiast", "sceptic"]
    assert lc.class_names(5) == ["enthusiast", "middle", "middle", "middle", "sceptic"]
    four = lc.select_latent_classes(
        simulated, SIM_ITEMS, SIM_ITEMS[:3], [4], criterion="fixed", seed=3, n_init=1
    )
    assert four.n_classes == 4 and four.table["chosen"].tolist() == [True]
    assert four.classes.cat.categories.tolist() == ["enthusiast", "middle", "sceptic"]
    # the sceptic and enthusiast classes are still the true ones
    truth = simulated["truth"]
    assert (four.classes[truth == "sceptic"] == "sceptic").mean() > 0.9
    assert (four.classes[truth == "enthusiast"] == "enthusiast").mean() > 0.9


def test_name_classes_by_posterior_weighted_benefit_means():
    # class 0: benefit codes 4; class 1: 5; class 2: 2 (an item unanswered counts nowhere)
    benefit = np.array([[4.0, 4.0], [4.0, np.nan], [5.0, 5.0], [2.0, 2.0], [np.nan, 2.0]])
    posterior = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]], float)
    assert lc.benefit_means(posterior, benefit).tolist() == [4.0, 5.0, 2.0]
    assert lc.name_classes(posterior, benefit) == ["middle", "enthusiast", "sceptic"]
    # a soft posterior weights each answer by the probability of the class
    soft = np.array([[0.5, 0.5], [0.5, 0.5], [0.0, 1.0]])
    got = lc.benefit_means(soft, np.array([[1.0], [3.0], [5.0]]))
    assert got.tolist() == pytest.approx([2.0, (0.5 + 1.5 + 5.0) / 2.0])


def hand_log_likelihood(model, codes: np.ndarray) -> float:
    """sum_n log sum_c w_c prod_j pi_cj(x_nj), missing answers left out."""
    params = model.get_parameters()
    weights = params["weights"]
    k, n_items = len(weights), codes.shape[1]
    pis = params["measurement"]["pis"].reshape(k, n_items, -1)
    log_joint = np.tile(np.log(weights), (len(codes), 1))
    for j in range(n_items):
        seen = ~np.isnan(codes[:, j])
        x = codes[seen, j].astype(int)
        log_joint[seen] += np.log(pis[:, j, x]).T
    return float(logsumexp(log_joint, axis=1).sum())


def test_bic_matches_stepmix_and_a_hand_computation(data, instrument):
    codes, answered = lc.indicator_codes(data, instrument.attitude_ids)
    assert answered.all() and np.isnan(codes).any()  # real data, with Don't knows
    model = lc.fit_model(codes, 2, seed=2017, n_init=1)
    got = lc.fit_statistics(model, codes)
    n = len(codes)
    assert got["bic"] == pytest.approx(model.bic(codes), rel=1e-12)
    assert got["aic"] == pytest.approx(model.aic(codes), rel=1e-12)
    loglik = hand_log_likelihood(model, codes)
    assert got["log_likelihood"] == pytest.approx(loglik, rel=1e-9)
    highest = np.nanmax(codes, axis=0)  # 0-based: categories - 1 per item
    p = (2 - 1) + 2 * int(highest.sum())
    assert got["n_parameters"] == p == 65
    assert got["bic"] == pytest.approx(-2 * loglik + p * np.log(n), rel=1e-9)
    sizes = np.bincount(model.predict(codes), minlength=2)
    assert got["smallest_class_n"] == sizes.min() and sizes.sum() == n


def test_latent_settings_read_config_forms():
    assert lc.latent_settings(4) == ([4], "fixed", lc.N_INIT)
    assert lc.latent_settings(None) == ([3], "fixed", lc.N_INIT)
    assert lc.latent_settings({"select": "bic", "range": [2, 6]}) == (
        [2, 3, 4, 5, 6],
        "bic",
        lc.N_INIT,
    )
    assert lc.latent_settings({"select": "aic", "range": [3, 4], "n_init": 7}) == (
        [3, 4],
        "aic",
        7,
    )
    with pytest.raises(ValueError, match="select must be bic or aic"):
        lc.latent_settings({"select": "icl", "range": [2, 6]})
    with pytest.raises(ValueError, match="2 <= low <= high"):
        lc.latent_settings({"select": "bic", "range": [5, 3]})


def test_selection_note():
    table = pd.DataFrame(
        {
            "n_classes": [2, 3, 4],
            "bic": [120.0, 100.0, 110.0],
            "criterion": "bic",
            "chosen": [False, True, False],
        }
    )
    assert lc.selection_note(table) == (
        "BIC chose 3 latent classes of 2-4 (BIC 100.0; next lowest 110.0, 4 classes)"
    )
    fixed = table.iloc[[1]].assign(criterion="fixed")
    assert lc.selection_note(fixed) == "3 latent classes, fixed in config.yaml"


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
