"""Cross-check of weighting and design-based estimates against R's survey package.

Runs only where ``Rscript`` with the ``survey`` package is installed (Debian's
``r-cran-survey``; ``.ci/run`` installs it); skipped with the reason otherwise.
"""

import subprocess

import numpy as np
import pandas as pd
import pytest

from councilsurvey.analysis import segmentation
from councilsurvey.analysis.segments import classify
from councilsurvey.cleaning.clean import clean
from councilsurvey.inputs.export import read_surveymonkey
from councilsurvey.inputs.instrument import load_instrument
from councilsurvey.pipeline.paths import load_config
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.weighting import MARGIN_COLUMN, population_totals, weight

from .conftest import ROOT, WAVE, r_survey_missing

pytestmark = pytest.mark.r


REASON = r_survey_missing()
if REASON:
    pytestmark = [pytest.mark.r, pytest.mark.skip(reason=REASON)]


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)


@pytest.fixture(scope="module")
def crosscheck(tmp_path_factory, codebook, frame, matcher):
    cfg = load_config(ROOT / "config.yaml")
    wcfg = cfg["weighting"]
    responses = clean(
        read_surveymonkey(WAVE / "export.csv", codebook),
        codebook,
        frame,
        matcher,
        b"r-check",
        "2017",
    ).responses
    result = weight(responses, frame, wcfg)
    d = result.data.copy()
    d["wellbeing_positive"] = (d["att_wellbeing"] >= 4).map(
        {True: "yes", False: "no"}, na_action="ignore"
    )
    d["agrees_big_data"] = (d["att_big_data"] >= 4).astype("Int64")
    benefit = load_instrument(WAVE / "questionnaire.yaml").benefit_ids
    scfg = cfg["segments"]
    d["segment"] = classify(
        d,
        benefit,
        agree_codes=scfg["agree_codes"],
        disagree_codes=scfg["disagree_codes"],
        min_disagree=scfg["min_disagree"],
        min_answered=scfg["min_answered"],
    ).astype(str)
    out = tmp_path_factory.mktemp("r")
    keep = [
        "respondent_id",
        "code",
        "type",
        "region",
        "party_group",
        "base_weight",
        "weight",
        "has_digital_strategy",
        "overall_impact",
        "exclusion_major_issue",
        "wellbeing_positive",
        "agrees_big_data",
        "segment",
    ]
    d[keep].to_csv(out / "weighted.csv", index=False, float_format="%.17g")
    totals = population_totals(frame, wcfg["margins"], wcfg.get("collapse"))
    pop = pd.DataFrame(
        [
            {"margin": MARGIN_COLUMN.get(m, m), "category": c, "seats": v}
            for m, cats in totals.items()
            for c, v in cats.items()
        ]
    )
    pop.to_csv(out / "population.csv", index=False)
    proc = subprocess.run(
        [
            "Rscript",
            str(ROOT / "tests" / "r" / "crosscheck.R"),
            str(out / "weighted.csv"),
            str(out / "population.csv"),
            str(wcfg["max_iter"]),
            "1e-14",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return d, out


def test_raked_weights_match_r(crosscheck):
    d, out = crosscheck
    r = pd.read_csv(out / "weights.csv")
    assert list(r["respondent_id"]) == list(d["respondent_id"])
    diff = rel(d["raked_weight"], r["r_weight"])
    print(f"raked weights: max relative difference {diff.max():.3g}")
    assert diff.max() <= 1e-8


def designs(d: pd.DataFrame) -> dict[str, SurveyDesign]:
    """The wave's design with the weights taken as fixed, and with their raking accounted
    for (the pipeline's: :meth:`SurveyDesign.of_wave` reads the raking's record)."""
    of_wave = SurveyDesign.of_wave(d)
    assert of_wave.calibration is not None
    assert of_wave.calibration.margins == tuple(
        "calibration_" + MARGIN_COLUMN[m] for m in ("type", "region", "party")
    )
    return {"fixed": SurveyDesign(d), "raked": of_wave}


@pytest.mark.parametrize("kind", ["fixed", "raked"])
def test_proportions_and_se_match_r(crosscheck, kind):
    d, out = crosscheck
    r = pd.read_csv(out / "proportions.csv", keep_default_na=False)
    r = r[r["design"] == kind]
    for var, rv in r.groupby("variable"):
        ours = est.proportions(designs(d)[kind], var).set_index("category")
        rv = rv.set_index("category")
        assert set(ours.index) == set(rv.index)
        for col in ("share", "se"):
            diff = rel(ours.loc[rv.index, col], rv[col])
            print(f"{var} {col}: max relative difference {diff.max():.3g}")
            assert diff.max() <= 1e-6, (var, col)


def test_segment_shares_se_account_for_the_raking(crosscheck):
    """The issue's test: the segment shares' SEs equal R's svymean on rake() of the
    coverage-weighted design, and differ from those with the weights taken as fixed."""
    d, out = crosscheck
    r = pd.read_csv(out / "proportions.csv", keep_default_na=False)
    r = r[r["variable"] == "segment"].set_index(["design", "category"])
    raked = est.proportions(designs(d)["raked"], "segment").set_index("category")
    fixed = est.proportions(designs(d)["fixed"], "segment").set_index("category")
    want = r.loc["raked"].loc[raked.index, "se"]
    diff = rel(raked["se"], want)
    print(f"segment SEs against R's rake(): max relative difference {diff.max():.3g}")
    assert diff.max() <= 1e-4
    # the raking matters: fixed-weight SEs are R's fixed-weight ones, a few per cent larger
    assert rel(fixed["se"], r.loc["fixed"].loc[fixed.index, "se"]).max() <= 1e-6
    assert (rel(fixed["se"], raked["se"]) > 1e-3).any()


def test_a_raked_variable_has_almost_no_standard_error(crosscheck):
    """A margin that was raked is known exactly in the population: its shares' SEs are
    (numerically) zero under the raked design, and full-sized with fixed weights."""
    d, _ = crosscheck
    raked = est.proportions(designs(d)["raked"], "calibration_party_group")
    fixed = est.proportions(designs(d)["fixed"], "party_group")
    assert list(raked["category"]) == list(fixed["category"])
    assert (raked["se"].to_numpy() < 1e-2 * fixed["se"].to_numpy()).all()


@pytest.mark.parametrize("kind", ["fixed", "raked"])
def test_rao_scott_matches_r(crosscheck, kind):
    d, out = crosscheck
    r = pd.read_csv(out / "tests.csv")
    for row in r[r["design"] == kind].itertuples():
        ours = est.rao_scott(designs(d)[kind], row.row, row.col)
        for key in ("f", "df_num", "df_den", "p", "chisq", "chisq_df", "chisq_p"):
            diff = rel(ours[key], getattr(row, key))
            print(f"{row.row} x {row.col} {key}: relative difference {float(diff):.3g}")
            assert diff <= 1e-6, (row.row, row.col, key)


@pytest.mark.parametrize("kind", ["fixed", "raked"])
def test_logistic_regression_matches_r(crosscheck, kind):
    d, out = crosscheck
    r = pd.read_csv(out / "logistic.csv")
    r = r[r["design"] == kind]
    ours = est.logistic(
        designs(d)[kind],
        "agrees_big_data",
        {"party_group": "Conservative", "type": "district"},
    )
    assert len(ours) == len(r)
    for col in ("estimate", "se"):
        diff = rel(ours[col].to_numpy(), r[col].to_numpy())
        print(f"logistic {col}: max relative difference {diff.max():.3g}")
        assert diff.max() <= 1e-6


@pytest.fixture(scope="module")
def stratified(tmp_path_factory, result, frame):
    """The bundled wave with council type as strata and the frame's councils of each type
    as the finite-population correction, and R's estimates on it."""
    d = result.data.copy()
    d["n_councils"] = d["type"].map(frame["type"].value_counts()).astype(float)
    d["agrees_big_data"] = (d["att_big_data"] >= 4).astype("Int64")
    out = tmp_path_factory.mktemp("r_strata")
    keep = ["code", "type", "n_councils", "weight", "overall_impact"]
    keep += ["exclusion_major_issue", "party_group", "has_digital_strategy", "agrees_big_data"]
    keep += ["att_cyber"]
    d[keep].to_csv(out / "design.csv", index=False, float_format="%.17g")
    proc = subprocess.run(
        ["Rscript", str(ROOT / "tests" / "r" / "strata.R"), str(out / "design.csv"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return d, out


@pytest.mark.parametrize("fpc", ["none", "n_councils"])
def test_strata_and_fpc_match_r(stratified, fpc):
    """Strata and fpc reach svy through the design: shares, SEs, Rao-Scott tests, the
    logistic regression and domain means agree with R's
    svydesign(ids=~code, strata=~type, fpc=...)."""
    d, out = stratified
    design = SurveyDesign(d, strata="type", fpc=None if fpc == "none" else fpc)
    props = pd.read_csv(out / "strata_proportions.csv", keep_default_na=False)
    for var, rv in props[props["fpc"] == fpc].groupby("variable"):
        ours = est.proportions(design, var).set_index("category")
        rv = rv.set_index("category")
        assert set(ours.index) == set(rv.index)
        for col in ("share", "se"):
            assert rel(ours.loc[rv.index, col], rv[col]).max() <= 1e-6, (var, col)
    r = pd.read_csv(out / "strata_tests.csv", keep_default_na=False).set_index("fpc").loc[fpc]
    ours = est.rao_scott(design, "party_group", "has_digital_strategy")
    for key in ("f", "df_num", "df_den", "p", "chisq", "chisq_p"):
        assert rel(ours[key], r[key]) <= 1e-6, key
    r = pd.read_csv(out / "strata_logistic.csv", keep_default_na=False)
    r = r[r["fpc"] == fpc]
    ours = est.logistic(design, "agrees_big_data", {"party_group": "Conservative"})
    for col in ("estimate", "se", "df"):
        assert rel(ours[col].to_numpy(), r[col].to_numpy()).max() <= 1e-6, col
    r = pd.read_csv(out / "strata_means.csv", keep_default_na=False)
    r = r[r["fpc"] == fpc].set_index("segment")
    ours = segmentation.item_profiles(design, "party_group", ["att_cyber"]).set_index("segment")
    assert set(ours.index) == set(r.index)
    for col in ("mean", "se"):
        assert rel(ours.loc[r.index, col], r[col]).max() <= 1e-6, col
    # the fpc removes the variance of the fully sampled types: smaller SEs than without
    if fpc != "none":
        without = est.proportions(SurveyDesign(d, strata="type"), "exclusion_major_issue")
        with_fpc = est.proportions(design, "exclusion_major_issue")
        assert (with_fpc["se"] < without["se"]).all()
