"""The published-claims check."""

import pandas as pd
import pytest
import yaml

from councilsurvey.analysis.claims import COLUMNS, check_claims, load_claims, status
from councilsurvey.analysis.segments import classify
from councilsurvey.core.errors import InputError
from councilsurvey.survey.design import SurveyDesign

from .conftest import WAVE


@pytest.fixture(scope="module")
def data(result, instrument):
    d = result.data.copy()
    d["segment_rule"] = classify(d, instrument.benefit_ids)
    return d


def test_bundled_claims_all_pass(data, frame):
    claims = load_claims(WAVE / "published.yaml")
    table = check_claims(SurveyDesign.of_wave(data), claims, frame).set_index("claim_id")
    assert (table["status"] == "PASS").all()
    assert table.at["n_enthusiasts", "reproduced"] == 373
    assert table.at["council_coverage", "reproduced"] == pytest.approx(278 / 353)
    wb = data["att_wellbeing"].dropna()
    assert table.at["wellbeing_positive", "reproduced"] == pytest.approx((wb >= 4).mean())
    row = table.loc["digital_strategy"]
    assert row["weighted_lci"] < row["weighted"] < row["weighted_uci"]
    assert "interpretation" in table.at["champion_leader_or_ceo", "note"]


def test_a_wrong_published_value_fails(data, frame, tmp_path):
    doc = yaml.safe_load((WAVE / "published.yaml").read_text())
    doc["claims"][3]["value"] = 374  # n_enthusiasts
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump(doc))
    table = check_claims(SurveyDesign.of_wave(data), load_claims(path), frame).set_index("claim_id")
    assert table.at["n_enthusiasts", "status"] == "FAIL"
    assert (table.drop(index="n_enthusiasts")["status"] == "PASS").all()


@pytest.mark.parametrize(
    "kind, published, reproduced, tol, expected",
    [
        ("count", 808, 808, 0, "PASS"),
        ("count", 808, 807, 0, "FAIL"),
        ("proportion", 0.64, 0.6449, 0.005, "PASS"),
        ("proportion", 0.64, 0.6451, 0.005, "FAIL"),
        ("upper_bound", 0.10, 0.099, 0, "PASS"),
        ("upper_bound", 0.10, 0.101, 0, "FAIL"),
        ("lower_bound", 0.5, 0.6, 0, "PASS"),
        ("count", 1, float("nan"), 0, "FAIL"),
    ],
)
def test_status(kind, published, reproduced, tol, expected):
    assert status(kind, published, reproduced, tol) == expected


def test_unknown_claim_is_a_clear_error(tmp_path):
    doc = yaml.safe_load((WAVE / "published.yaml").read_text())
    doc["claims"].append(dict(doc["claims"][0], id="n_unicorns"))
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match="'n_unicorns' has no computation"):
        load_claims(path)
    doc["claims"][0].pop("value")
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match="'value' is a required property"):
        load_claims(path)


def test_claims_table_has_its_columns(data, frame):
    table = check_claims(SurveyDesign.of_wave(data), load_claims(WAVE / "published.yaml"), frame)
    assert isinstance(table, pd.DataFrame) and len(table) == 8
    assert list(table.columns) == COLUMNS
