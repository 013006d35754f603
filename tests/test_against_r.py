"""Cross-check of weighting and design-based estimates against R's survey package.

Runs only where ``Rscript`` with the ``survey`` package is installed (Debian's
``r-cran-survey``; ``.ci/run`` installs it); skipped with the reason otherwise.
"""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from councilsurvey.cleaning.clean import clean
from councilsurvey.inputs.export import read_surveymonkey
from councilsurvey.pipeline.paths import load_config
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.weighting import MARGIN_COLUMN, population_totals, weight

from .conftest import ROOT, WAVE

pytestmark = pytest.mark.r


def _r_available() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-cran-survey)"
    proc = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True, text=True)
    if proc.returncode != 0:
        return "R's survey package is not installed (apt-get install r-cran-survey)"
    return None


REASON = _r_available()
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
        "digital_champion",
        "exclusion_major_issue",
        "wellbeing_positive",
        "agrees_big_data",
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


def test_proportions_and_se_match_r(crosscheck):
    d, out = crosscheck
    r = pd.read_csv(out / "proportions.csv", keep_default_na=False)
    for var, rv in r.groupby("variable"):
        ours = est.proportions(SurveyDesign.of_wave(d), var).set_index("category")
        rv = rv.set_index("category")
        assert set(ours.index) == set(rv.index)
        for col in ("share", "se"):
            diff = rel(ours.loc[rv.index, col], rv[col])
            print(f"{var} {col}: max relative difference {diff.max():.3g}")
            assert diff.max() <= 1e-6, (var, col)


def test_rao_scott_matches_r(crosscheck):
    d, out = crosscheck
    r = pd.read_csv(out / "tests.csv")
    for row in r.itertuples():
        ours = est.rao_scott(SurveyDesign.of_wave(d), row.row, row.col)
        for key in ("f", "df_num", "df_den", "p", "chisq", "chisq_df", "chisq_p"):
            diff = rel(ours[key], getattr(row, key))
            print(f"{row.row} x {row.col} {key}: relative difference {float(diff):.3g}")
            assert diff <= 1e-6, (row.row, row.col, key)


def test_logistic_regression_matches_r(crosscheck):
    d, out = crosscheck
    r = pd.read_csv(out / "logistic.csv")
    ours = est.logistic(
        SurveyDesign.of_wave(d),
        "agrees_big_data",
        {"party_group": "Conservative", "type": "district"},
    )
    assert len(ours) == len(r)
    for col in ("estimate", "se"):
        diff = rel(ours[col].to_numpy(), r[col].to_numpy())
        print(f"logistic {col}: max relative difference {diff.max():.3g}")
        assert diff.max() <= 1e-6
