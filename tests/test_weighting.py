"""Weights: base weights, raking to the frame, trimming, and clear errors."""

import numpy as np
import pandas as pd
import pytest

from councilsurvey.errors import InputError
from councilsurvey.weighting import (
    MARGIN_COLUMN,
    base_weights,
    kish_deff,
    population_totals,
    weight,
)


def ipf(df, w, controls, sweeps=20000):
    """A plain iterative proportional fitting, written independently of svy."""
    w = w.astype(float).copy()
    margins = []
    for col, pop in controls.items():
        cats, codes = np.unique(df[col].to_numpy(), return_inverse=True)
        margins.append((codes, np.array([pop[c] for c in cats])))
    for _ in range(sweeps):
        for codes, target in margins:
            w *= (target / np.bincount(codes, weights=w))[codes]
    return w


def test_base_weight_is_council_seats_over_respondents(responses, frame):
    bw = base_weights(responses, frame)
    f = frame.set_index("code")
    code = responses["code"].iloc[0]
    n = (responses["code"] == code).sum()
    assert bw.iloc[0] == pytest.approx((f.at[code, "seats"] - f.at[code, "vacant"]) / n)
    covered = frame[frame["code"].isin(responses["code"])]
    assert bw.sum() == pytest.approx((covered["seats"] - covered["vacant"]).sum())


def test_raked_weights_meet_every_margin(result, frame, wcfg):
    d = result.data
    totals = population_totals(frame, wcfg["margins"])
    assert d["weight"].sum() == pytest.approx(17803, rel=1e-12)
    for margin, pop in totals.items():
        got = d.groupby(MARGIN_COLUMN[margin])["raked_weight"].sum()
        for cat, target in pop.items():
            assert got[cat] == pytest.approx(target, rel=1e-11), (margin, cat)
    m = result.margins
    assert np.allclose(m["weighted_share"], m["population_share"], rtol=1e-10)
    assert (m.groupby("margin")["population_share"].sum().round(12) == 1).all()


def test_raking_agrees_with_an_independent_ipf(result, wcfg, frame):
    d = result.data
    df = d[["type", "region", "party_group"]].reset_index(drop=True)
    totals = population_totals(frame, wcfg["margins"])
    controls = {MARGIN_COLUMN[m]: v for m, v in totals.items()}
    ours = d["raked_weight"].to_numpy()
    theirs = ipf(df, d["base_weight"].to_numpy(), controls, sweeps=4000)
    assert np.max(np.abs(ours / theirs - 1)) < 1e-8


def test_diagnostics(result):
    diag = result.diagnostics.set_index("weight")
    w = result.data["weight"].to_numpy()
    assert diag.at["weight", "deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert diag.at["weight", "n_effective"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert bool(diag.at["raked_weight", "converged"])
    assert 0 < diag.at["raked_weight", "iterations"] < 10000
    assert diag.at["raked_weight", "max_margin_error"] <= 1e-12
    assert diag.at["base_weight", "deff_kish"] < diag.at["weight", "deff_kish"]


def test_trimming_caps_and_rerakes(responses, frame, wcfg):
    cfg = dict(wcfg, trim=3.0)
    res = weight(responses, frame, cfg)
    w = res.data["weight"].to_numpy()
    assert w.max() <= 3.0 * np.median(w) * (1 + 1e-6)
    assert res.trimming["weights_above_cap_before"] > 0
    assert res.trimming["deff_kish_after"] < res.trimming["deff_kish_before"]
    assert np.allclose(res.margins["weighted_share"], res.margins["population_share"], rtol=1e-9)
    assert not np.allclose(res.data["raked_weight"], w)


def test_kish_deff_of_equal_weights_is_one():
    assert kish_deff(np.full(10, 3.0)) == pytest.approx(1.0)


def test_empty_frame_category_is_a_clear_error(responses, frame, wcfg):
    few = responses[responses["type"] != "sui_generis"]
    with pytest.raises(InputError, match="'sui_generis' has 140 seats .* no respondents"):
        weight(few, frame, wcfg, source="responses.parquet")
    collapse = {"type": {"sui_generis": "london_borough"}}
    res = weight(few, frame, dict(wcfg, margins=["type", "party"], collapse=collapse))
    assert res.margins.query("margin == 'type'")["category"].tolist() == [
        "county",
        "district",
        "london_borough",
        "metropolitan",
        "unitary",
    ]


def test_respondent_category_absent_from_frame(responses, frame, wcfg):
    bad = responses.copy()
    bad["region"] = bad["region"].astype(object)
    bad.loc[bad.index[0], "region"] = "Wales"
    with pytest.raises(InputError, match="'Wales' is not in the council frame") as err:
        weight(bad, frame, wcfg, source="responses.parquet")
    assert err.value.column == "region"


def test_unmapped_party_and_missing_party(responses, frame, wcfg):
    groups = {k: v for k, v in wcfg["party_groups"].items() if k != "Green"}
    with pytest.raises(InputError, match="'Green' has no group"):
        weight(responses, frame, dict(wcfg, party_groups=groups))
    bad = responses.copy()
    bad.loc[bad.index[3], "party"] = pd.NA
    with pytest.raises(InputError, match="1 respondent\\(s\\) have no 'party'"):
        weight(bad, frame, wcfg)


def test_infeasible_margins_are_a_clear_error(responses, frame, wcfg):
    """Without the City of London's respondents, no weights meet type, region and party at
    once: raking does not converge, and the stage says so instead of going on."""
    few = responses[responses["type"] != "sui_generis"]
    cfg = dict(wcfg, collapse={"type": {"sui_generis": "london_borough"}}, max_iter=500)
    with pytest.raises(InputError, match="raking did not converge within 500 iterations"):
        weight(few, frame, cfg, source="responses.parquet")
