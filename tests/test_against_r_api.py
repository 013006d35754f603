"""Every estimator against R's survey package on the textbook ``api`` data it ships.

R's ``survey`` (Debian ``r-cran-survey``; ``.ci/run`` installs it) comes with the
California schools samples of Lumley's *Complex Surveys*: ``apistrat`` (stratified by
school type, with the strata's population sizes as fpc) and ``apiclus1`` (a cluster
sample of school districts). ``tests/r/api.R`` places missing values in them
deterministically, writes the data, and estimates on each design with R: means, totals,
shares (a domain of those answering), the Rao-Scott test, the survey-weighted logistic
model, a domain mean, the same after raking (the example of R's ``?rake``), and a
stratum with a single PSU under each ``survey.lonely.psu`` option. Here the project's
estimators, given the same data and design, must agree to 1e-6 relative.
"""

import subprocess

import numpy as np
import pandas as pd
import pytest

from councilsurvey.core.errors import DesignError
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import Calibration, SurveyDesign
from councilsurvey.survey.replicates import replicate_weights
from councilsurvey.survey.weighting import rake

from .conftest import ROOT, r_survey_missing

pytestmark = pytest.mark.r
if r_survey_missing():
    pytestmark = [pytest.mark.r, pytest.mark.skip(reason=r_survey_missing())]

TOL = 1e-6
POP_TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}
POP_SCHWIDE = {"No": 1072.0, "Yes": 5122.0}


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)


@pytest.fixture(scope="module")
def r_api(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    proc = subprocess.run(
        ["Rscript", str(ROOT / "tests" / "r" / "api.R"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    r = pd.read_csv(out / "estimates.csv", keep_default_na=False, na_values=["NA"])
    return out, r


def read(out, name):
    d = pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
    d["sch_wide_yes"] = (d["sch.wide"] == "Yes").astype(int)
    return d


def designs(out) -> dict[str, SurveyDesign]:
    strat, clus1 = read(out, "apistrat"), read(out, "apiclus1")
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    w, converged = rake(clus1, "pw", controls, tol=1e-13, max_iter=1000)
    assert converged
    r_w = pd.read_csv(out / "rclus1_weights.csv")
    assert rel(w, r_w["weight"]).max() <= 1e-9  # the same raked weights as R's rake()
    raked = clus1.assign(raked=w)
    return {
        "strat_fpc": SurveyDesign(strat, weight="pw", psu=None, strata="stype", fpc="fpc"),
        "strat": SurveyDesign(strat, weight="pw", psu=None, strata="stype"),
        "clus1_fpc": SurveyDesign(clus1, weight="pw", psu="dnum", fpc="fpc"),
        "clus1": SurveyDesign(clus1, weight="pw", psu="dnum"),
        "clus1_raked": SurveyDesign(
            raked,
            weight="raked",
            psu="dnum",
            fpc="fpc",
            calibration=Calibration("pw", ("stype", "sch.wide")),
        ),
    }


DESIGNS = ["strat_fpc", "strat", "clus1_fpc", "clus1", "clus1_raked"]


def r_rows(r, design, what):
    return r[(r["design"] == design) & (r["what"] == what)].reset_index(drop=True)


@pytest.mark.parametrize("name", DESIGNS)
def test_mean_total_and_domain_mean(r_api, name):
    out, r = r_api
    design = designs(out)[name]
    want = r_rows(r, name, "mean").iloc[0]
    got = est.mean(design, "api00")
    assert rel(got["estimate"], want["estimate"]) <= TOL
    assert rel(got["se"], want["se"]) <= TOL
    assert got["df"] == want["df"]
    want = r_rows(r, name, "total").iloc[0]
    got = est.total(design, "enroll")  # with missing values: a domain, as na.rm=TRUE
    assert got["n"] == design.data["enroll"].notna().sum() < len(design.data)
    assert rel(got["estimate"], want["estimate"]) <= TOL
    assert rel(got["se"], want["se"]) <= TOL
    want = r_rows(r, name, "domain_mean").iloc[0]
    got = est.mean(design.subset(design.data["stype"] == "E"), "api00")
    assert rel(got["estimate"], want["estimate"]) <= TOL
    assert rel(got["se"], want["se"]) <= TOL


@pytest.mark.parametrize("name", DESIGNS)
def test_shares_with_missing_values(r_api, name):
    out, r = r_api
    design = designs(out)[name]
    want = r_rows(r, name, "prop").set_index("term")
    got = est.proportions(design, "awards").set_index("category")
    assert set(got.index) == set(want.index)
    assert rel(got.loc[want.index, "share"], want["estimate"]).max() <= TOL
    assert rel(got.loc[want.index, "se"], want["se"]).max() <= TOL


@pytest.mark.parametrize("name", DESIGNS)
def test_rao_scott_with_missing_values_is_rs_svychisq(r_api, name):
    """Respondents missing a variable stay in the design (R's subset()), rather than
    being dropped and the design rebuilt: F and its degrees of freedom equal R's."""
    out, r = r_api
    design = designs(out)[name]
    got = est.rao_scott(design, "sch.wide", "awards")
    f = r_rows(r, name, "chisq_f").iloc[0]
    assert rel(got["f"], f["estimate"]) <= TOL
    assert rel(got["df_den"], f["df"]) <= TOL
    assert rel(got["df_num"], f["extra"]) <= TOL
    p = r_rows(r, name, "chisq_p").iloc[0]["estimate"]  # tiny: tail areas differ in digits
    assert rel(got["p"], p) <= 1e-4 or abs(got["p"] - p) <= 1e-12


@pytest.mark.parametrize("name", DESIGNS)
def test_logistic_in_a_domain(r_api, name):
    out, r = r_api
    design = designs(out)[name]
    domain = design.subset(design.data["awards"].notna())
    got = est.logistic(domain, "sch_wide_yes", {"stype": "E"})
    want = r_rows(r, name, "logistic")
    assert len(got) == len(want) == 3
    assert (got["note"] == "").all()
    assert rel(got["estimate"], want["estimate"]).max() <= TOL
    assert rel(got["se"], want["se"]).max() <= TOL


@pytest.mark.parametrize("option", ["adjust", "average", "remove", "certainty"])
def test_lonely_psu_options_follow_r(r_api, option):
    out, r = r_api
    lone = read(out, "apistrat_lonely")
    assert (lone["stype"] == "H").sum() == 1
    design = SurveyDesign(lone, weight="pw", psu=None, strata="stype", lonely_psu=option)
    want = r_rows(r, f"lonely_{option}", "mean").iloc[0]
    got = est.mean(design, "api00")
    assert rel(got["estimate"], want["estimate"]) <= TOL
    assert rel(got["se"], want["se"]) <= TOL


def test_lonely_psu_fails_by_default_as_in_r(r_api):
    out, r = r_api
    assert r_rows(r, "lonely_fail", "fails").iloc[0]["estimate"] == 1  # R refuses it too
    lone = read(out, "apistrat_lonely")
    with pytest.raises(DesignError, match="stratum 'H' has only one PSU.*lonely_psu"):
        SurveyDesign(lone, weight="pw", psu=None, strata="stype")


def raked_wave(out) -> pd.DataFrame:
    """apiclus1 raked, in the columns the weight stage writes: districts as ``code``, the
    base and final weights, and the raking's record (``calibration_*``)."""
    raked = designs(out)["clus1_raked"].data
    return raked.assign(
        code=raked["dnum"].astype(str),
        base_weight=raked["pw"],
        weight=raked["raked"],
        calibration_weight=raked["pw"],
        calibration_stype=raked["stype"],
        calibration_schwide=raked["sch.wide"],
    )


def jackknife_design(out) -> SurveyDesign:
    """apiclus1 raked, with delete-one-district jackknife replicates each raked again."""
    data = raked_wave(out)
    reps = replicate_weights(data, "jackknife", tol=1e-13, max_iter=1000)
    assert reps.shape == (len(data), data["code"].nunique())
    return SurveyDesign.of_wave(pd.concat([data, reps], axis=1))


def test_jackknife_with_re_raking_is_rs(r_api):
    """R's rake() of as.svrepdesign(type="JK1"): every replicate raked again."""
    out, r = r_api
    design = jackknife_design(out)
    assert design.replicates is not None and design.replicates.method == "jackknife"
    name = "clus1_jk1_raked"
    for what, var, fn in (("mean", "api00", est.mean), ("total", "enroll", est.total)):
        want = r_rows(r, name, what).iloc[0]
        got = fn(design, var)
        assert rel(got["estimate"], want["estimate"]) <= TOL, what
        assert rel(got["se"], want["se"]) <= TOL, what
    want = r_rows(r, name, "prop").set_index("term")
    got = est.proportions(design, "awards").set_index("category")
    assert rel(got.loc[want.index, "se"], want["se"]).max() <= TOL


def test_bootstrap_replicates_give_the_textbook_variance(r_api):
    """Rao-Wu bootstrap: the SE of a mean is the spread of its replicate estimates,
    sqrt(sum((m_r - mean m_r)^2) / (R - 1)), computed here in numpy."""
    out, _ = r_api
    data = raked_wave(out)
    reps = replicate_weights(data, "bootstrap", replicates=50, seed=7, tol=1e-13, max_iter=1000)
    again = replicate_weights(data, "bootstrap", replicates=50, seed=7, tol=1e-13, max_iter=1000)
    pd.testing.assert_frame_equal(reps, again)  # seeded: the same draws every run
    # every replicate meets the margins again
    for col in reps.columns:
        got = reps[col].groupby(data["stype"]).sum()
        assert rel(got.loc[list(POP_TYPES)], list(POP_TYPES.values())).max() <= 1e-10
    design = SurveyDesign.of_wave(pd.concat([data, reps], axis=1))
    got = est.mean(design, "api00")
    y = data["api00"].to_numpy(dtype=float)
    means = np.array([np.average(y, weights=reps[c]) for c in reps.columns])
    se = np.sqrt(np.sum((means - means.mean()) ** 2) / (len(means) - 1))
    assert rel(got["estimate"], np.average(y, weights=data["weight"])) <= 1e-12
    assert rel(got["se"], se) <= 1e-9
