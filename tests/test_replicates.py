"""Replicate-weight variance (config.yaml variance.method) through the weight stage.

The replicate weights themselves are checked against R (JK1 with re-raking) and numpy
(the bootstrap's variance) in test_against_r_api.py; here, what the stage writes and
what the design makes of it on the bundled wave.
"""

import pandas as pd
import pytest

from councilsurvey.pipeline.weigh import weight_wave
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.replicates import replicate_weights

from .conftest import ROOT


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


def test_jackknife_replicates_one_per_council_each_raked(tmp_path, wcfg, responses_file, result):
    variance = {"method": "jackknife", "lonely_psu": "fail"}
    data = run_weight(tmp_path, wcfg, variance, responses_file)
    reps = [c for c in data.columns if c.startswith("replicate_jackknife_")]
    assert len(reps) == data["code"].nunique()
    # replicate r leaves out one council entirely and meets the type margin again
    first = data[reps[0]]
    left_out = data.loc[first == 0, "code"].unique()
    assert len(left_out) == 1
    totals = data.groupby("calibration_type")["weight"].sum()
    got = first.groupby(data["calibration_type"]).sum()
    assert (abs(got / totals - 1) < 1e-9).all()
    design = SurveyDesign.of_wave(data)
    assert design.replicates.method == "jackknife"
    jk = est.proportions(design, "has_digital_strategy").set_index("category")
    lin = est.proportions(design.with_weight("weight", design.calibration), "has_digital_strategy")
    lin = lin.set_index("category")
    # the same shares; jackknife and linearised SEs agree to within a few per cent
    pd.testing.assert_series_equal(jk["share"], lin["share"], rtol=1e-12)
    assert ((jk["se"] / lin["se"] - 1).abs() < 0.1).all()


def test_unknown_method_is_refused(result):
    with pytest.raises(ValueError, match="not jackknife or bootstrap"):
        replicate_weights(result.data, "brr")
