"""Replicate-weight variance (config.yaml variance.method) through the weight stage.

The replicate weights themselves are checked against R (JK1 with re-raking) and numpy
(the bootstrap's variance) in test_against_r_api.py; here, what the stage writes and
what the design makes of it on the bundled wave.
"""

import logging
import subprocess

import numpy as np
import pandas as pd
import pytest

from councilsurvey.pipeline.weigh import weight_wave
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.replicates import replicate_members, replicate_weights

from .conftest import ROOT, r_survey_missing


def run_weight(tmp_path, wcfg, variance, responses_file):
    out = {
        name: str(tmp_path / f"{name}.{ext}")
        for name, ext in [
            ("weighted", "parquet"),
            ("margins", "csv"),
            ("diagnostics", "csv"),
            ("trimming", "json"),
            ("collapses", "csv"),
            ("margins_figure", "png"),
        ]
    }
    weight_wave(
        responses=responses_file,
        frame=str(ROOT / "data/reference/councils_england_2016.csv"),
        n_councils=353,
        weighting=wcfg,
        wave="2017",
        synthetic=True,
        variance=variance,
        **out,
    )
    return pd.read_parquet(out["weighted"])


@pytest.fixture(scope="module")
def responses_file(tmp_path_factory, responses):
    path = tmp_path_factory.mktemp("resp") / "responses.parquet"
    responses.to_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def jackknife(tmp_path_factory, wcfg, responses_file):
    """The weight stage with jackknife replicates, run once for this module's tests:
    (its folder, the weighted data, the warnings it logged)."""
    folder = tmp_path_factory.mktemp("jackknife")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        variance = {"method": "jackknife", "lonely_psu": "fail"}
        data = run_weight(folder, wcfg, variance, responses_file)
    finally:
        root.removeHandler(handler)
    return folder, data, "\n".join(r.getMessage() for r in records)


def test_linearisation_writes_no_replicates_and_records_the_raking(tmp_path, wcfg, responses_file):
    data = run_weight(
        tmp_path, wcfg, {"method": "linearisation", "lonely_psu": "fail"}, responses_file
    )
    assert not [c for c in data.columns if c.startswith("replicate_")]
    design = SurveyDesign.of_wave(data)
    assert design.replicates is None and design.calibration is not None
    assert design.calibration.margins == (
        "calibration_type",
        "calibration_region",
        "calibration_party_group",
    )


def test_jackknife_replicates_one_per_council_each_raked(jackknife):
    """Every replicate leaves out one council and is raked to every margin again: the
    replicates without the City of London or the Isles of Scilly (the only two
    sui_generis councils, in different regions) could not be, so the collapse policy
    merges sui_generis for the wave and every replicate, and says which replicate
    needed it."""
    folder, data, warnings = jackknife
    assert "could not be raked" not in warnings
    reps = [c for c in data.columns if c.startswith("replicate_jackknife_")]
    assert len(reps) == data["code"].nunique()
    margins = [
        c for c in data.columns if c.startswith("calibration_") and c != "calibration_weight"
    ]
    assert len(margins) == 3
    for rep in reps:
        assert data.loc[data[rep] == 0, "code"].nunique() == 1
        for m in margins:
            got = data[rep].groupby(data[m]).sum()
            want = data["weight"].groupby(data[m]).sum()
            assert (abs(got / want - 1) < 1e-9).all(), (rep, m)
    collapses = pd.read_csv(folder / "collapses.csv")
    merged = collapses[collapses["from"] == "sui_generis"]
    assert set(merged["into"]) == {"london_borough", "unitary"}
    assert merged["reason"].str.contains(r"in jackknife replicate \d+ \(without council E0").all()
    assert "sui_generis" not in set(data["calibration_type"])


@pytest.mark.r
@pytest.mark.skipif(bool(r_survey_missing()), reason=str(r_survey_missing()))
def test_jackknife_se_is_rs_with_every_replicate_raked(tmp_path, jackknife):
    """R's rake() of as.svrepdesign(type="JK1") on the base weights, to the same margins,
    gives the same shares and SEs as the stage's replicate weights."""
    _, data, _ = jackknife
    design = SurveyDesign.of_wave(data)
    assert design.replicates.method == "jackknife"
    got = est.proportions(design, "has_digital_strategy").set_index("category")
    margins = [
        c for c in data.columns if c.startswith("calibration_") and c != "calibration_weight"
    ]
    d = data[["code", "base_weight", *margins]].astype({m: str for m in margins})
    d["y"] = data["has_digital_strategy"].astype(object)
    d.to_csv(tmp_path / "in.csv", index=False)
    totals = pd.concat(
        [
            data["weight"]
            .groupby(data[m].astype(str))
            .sum()
            .rename("total")
            .reset_index()
            .rename(columns={m: "category"})
            .assign(margin=m)
            for m in margins
        ]
    )[["margin", "category", "total"]]
    totals.to_csv(tmp_path / "totals.csv", index=False, float_format="%.17g")
    proc = subprocess.run(
        ["Rscript", str(ROOT / "tests/r/jackknife_wave.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert float((tmp_path / "margin_error.txt").read_text()) < 1e-9
    want = pd.read_csv(tmp_path / "estimates.csv", keep_default_na=False).set_index("category")
    assert set(want.index) == set(got.index) == {"Yes", "No", "Don't know"}
    np.testing.assert_allclose(got.loc[want.index, "share"], want["share"], rtol=1e-9)
    np.testing.assert_allclose(got.loc[want.index, "se"], want["se"], rtol=1e-6)
    # and the jackknife is close to linearisation through the raking (278 councils)
    lin = est.proportions(design.with_weight("weight", design.calibration), "has_digital_strategy")
    ratio = got["se"] / lin.set_index("category")["se"]
    assert ratio.between(0.9, 1.1).all(), ratio


def test_replicate_members_are_the_replicates_councils(result):
    """The respondents the feasibility check is run on are exactly those each
    replicate keeps (jackknife and seeded bootstrap)."""
    data = result.data
    for method, kw in (("jackknife", {}), ("bootstrap", {"replicates": 20, "seed": 5})):
        members = replicate_members(data["code"], method, **kw)
        reps = replicate_weights(data, method, **kw)
        assert len(members) == reps.shape[1]
        for (label, kept), col in zip(members, reps.columns, strict=True):
            assert label.startswith(f"{method} replicate ")
            np.testing.assert_array_equal(kept, reps[col].to_numpy() > 0)


def test_unknown_method_is_refused(result):
    with pytest.raises(ValueError, match="not jackknife or bootstrap"):
        replicate_weights(result.data, "brr")
