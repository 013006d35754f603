"""The known-truth validation study: the synthetic population, the non-response
scenarios, the vectorised estimators against the library, and the study's findings."""

from __future__ import annotations

import logging
from functools import partial

import numpy as np
import pandas as pd
import pytest

from councilsurvey.analysis import simulation as sim
from councilsurvey.analysis import validation as val
from councilsurvey.analysis.robustness import scheme_weights
from councilsurvey.analysis.segments import classify
from councilsurvey.inputs.frame import PARTY_COLUMNS, load_frame
from councilsurvey.pipeline.paths import load_config
from councilsurvey.pipeline.robustness import scheme_design
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.estimation import share

from .conftest import ROOT

BENEFIT = ["att_big_data", "att_automation", "att_tech_services"]
#: replicates of the study test: coverage MC SE sqrt(.95 * .05 / 160) = 1.7 points
K_TEST = 160


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="module")
def frame(cfg):
    return load_frame(ROOT / cfg["frames"][2016]["path"], 353)


@pytest.fixture(scope="module")
def pop(cfg, frame):
    rule = partial(classify, agree_codes=(4, 5), disagree_codes=(1, 2))
    return sim.population(frame, cfg["validation"]["population"], BENEFIT, rule)


def test_population_margins_are_the_frames_filled_seats(pop, frame):
    d = pop.data
    filled = frame["seats"] - frame["vacant"]
    assert len(d) == filled.sum()
    for margin in ("type", "region"):
        want = filled.groupby(frame[margin]).sum().sort_index()
        got = d.groupby("type" if margin == "type" else "region").size().sort_index()
        assert (got.to_numpy() == want.to_numpy()).all() and list(got.index) == list(want.index)
    party = d["party"].map({v: k for k, v in sim.PARTY_NAMES.items()}).value_counts()
    for col in PARTY_COLUMNS:
        assert party.get(col, 0) == frame[col].sum()
    by_council = d.groupby("code").size().reindex(frame["code"]).to_numpy()
    assert (by_council == filled.to_numpy()).all()
    for e in sim.ESTIMANDS:
        assert pop.truth[e] == pytest.approx(d[e].mean())
        assert 0.05 < pop.truth[e] < 0.95


@pytest.mark.parametrize("scenario", ["ignorable", "nonignorable"])
def test_samples_look_like_the_real_wave(cfg, pop, scenario):
    s = sim.respond(pop, cfg["validation"]["scenarios"][scenario], 60, 7)
    sizes, councils = s.sizes(), s.councils(pop)
    assert 760 <= sizes.mean() <= 840 and 250 <= councils.mean() <= 300
    d = pop.data.iloc[s.unit]
    assert (d["party"] == "Labour").mean() > (pop.data["party"] == "Labour").mean() + 0.05
    assert (d["region"] == "London").mean() > (pop.data["region"] == "London").mean() + 0.03


@pytest.mark.parametrize("scheme", ["unweighted", "coverage", "raked_type_region", "raked_all"])
def test_vectorised_estimates_equal_the_library(cfg, pop, frame, scheme):
    """Weights, shares, SEs (through the raking) and logit limits of sampled replicates
    equal the weight stage's weights and estimation.share on SurveyDesign.of_wave. Raking
    stops at the 1e-12 margin tolerance in both, so weights agree to ~1e-11."""
    logging.disable(logging.WARNING)  # the collapse policy's log lines
    try:
        s = sim.respond(pop, cfg["validation"]["scenarios"]["ignorable"], 6, 11)
        stack = val.Stack(pop, s)
        spec = cfg["robustness"]["weighting"][scheme]
        kind = val.scheme_kind(scheme, spec, cfg["weighting"])
        w, _, groups = val.scheme_weights(stack, kind, cfg["weighting"], frame)
        y = np.column_stack([stack.column(e) for e in sim.ESTIMANDS])
        est = val.estimate(stack, w, y, groups)
        for r in range(6):
            d = stack.replicate_data(r)
            wl, _, calib = scheme_weights(d, frame, cfg["weighting"], spec)
            np.testing.assert_allclose(w[stack.rep == r], wl, rtol=1e-10)
            design = scheme_design(
                SurveyDesign.of_wave(d.assign(weight=1.0)).assign(scheme_weight=wl), calib
            )
            for j, e in enumerate(sim.ESTIMANDS):
                lib = share(design, pd.Series(d[e].to_numpy() == 1))
                for key, field in (("weighted", "estimate"), ("se", "se")):
                    assert est[field][r, j] == pytest.approx(lib[key], rel=1e-6)
                assert est["lci"][r, j] == pytest.approx(lib["lci"], rel=1e-6)
                assert est["uci"][r, j] == pytest.approx(lib["uci"], rel=1e-6)
    finally:
        logging.disable(logging.NOTSET)


def test_collapsed_replicates_are_weighted_as_the_weight_stage(cfg, pop, frame):
    """Replicates without an Isles of Scilly (or City of London) member: sui_generis is
    merged as the collapse policy merges it, and the weights equal the weight stage's."""
    s = sim.respond(pop, cfg["validation"]["scenarios"]["ignorable"], 20, 3)
    stack = val.Stack(pop, s)
    labels, _, _ = val.margin_labels(stack, "type", cfg["weighting"], frame)
    merged = ~(labels == "sui_generis").any(axis=1)
    assert merged.any() and (~merged).any()


@pytest.fixture(scope="module")
def study(cfg, pop, frame):
    vcfg = dict(cfg["validation"], k=K_TEST)
    return val.study(pop, frame, vcfg, cfg["robustness"]["weighting"], cfg["weighting"])


def test_ignorable_raked_all_is_unbiased_with_honest_intervals(study):
    rows = study[(study["scenario"] == "ignorable") & (study["scheme"] == "raked_all")]
    assert len(rows) == len(sim.ESTIMANDS)
    # 0.95 +- 3 MC SEs at K_TEST (1.7 points each)
    band = 3 * np.sqrt(0.95 * 0.05 / K_TEST)
    assert (rows["coverage"].between(0.95 - band, 0.95 + band)).all(), rows
    assert (rows["bias"].abs() < 3 * rows["mc_se_bias"]).all(), rows
    un = study[(study["scenario"] == "ignorable") & (study["scheme"] == "unweighted")]
    assert (un["bias"].abs() > 5 * un["mc_se_bias"]).any()
    non = study[(study["scenario"] == "nonignorable") & (study["scheme"] == "raked_all")]
    assert (non["bias"].abs() > 5 * non["mc_se_bias"]).any()


def test_study_is_deterministic(cfg, pop, frame, study):
    vcfg = dict(cfg["validation"], k=K_TEST)
    again = val.study(pop, frame, vcfg, cfg["robustness"]["weighting"], cfg["weighting"])
    pd.testing.assert_frame_equal(study, again, check_exact=True)
    assert list(study.columns) == val.COLUMNS
