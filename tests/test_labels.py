"""Reader-facing labels (issue 19): every variable id and code of a results table or figure
reads in the questionnaire's words, and a bundle's data dictionary gives every question's
words, its short label and its answers."""

from __future__ import annotations

import pandas as pd
import pytest

from councilsurvey.analysis import attitudes, headlines, segmentation
from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.publish.bundle import data_dictionary, question_rows
from councilsurvey.survey.design import SurveyDesign

from .conftest import ROOT

QUESTIONNAIRES = [
    ROOT / "data/raw/2017/questionnaire.yaml",
    ROOT / "data/raw/2019/questionnaire.yaml",
]


@pytest.fixture(scope="module")
def words(instrument):
    return ReaderLabels.of(instrument)


@pytest.fixture(scope="module")
def design(segmented):
    return SurveyDesign.of_wave(segmented)


@pytest.mark.parametrize("path", QUESTIONNAIRES, ids=["2017", "2019"])
def test_every_question_has_a_short_label_of_its_own(path):
    labels = ReaderLabels.of(path)
    assert set(labels.short) == set(labels.questions)
    shorts = list(labels.short.values())
    assert len(set(shorts)) == len(shorts)  # no two questions read alike
    assert all(len(s) <= 60 and "_" not in s for s in shorts)


def test_a_question_without_a_short_label_reads_in_its_own_words(tmp_path, instrument):
    import yaml

    raw = dict(instrument.raw)
    raw["strategy"] = [dict(i) for i in raw["strategy"]]
    del raw["strategy"][0]["short"]
    path = tmp_path / "questionnaire.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    labels = ReaderLabels.of(path)
    assert labels.variable("has_digital_strategy") == raw["strategy"][0]["text"]


def test_headline_rows_read_as_question_and_answer(words, design, instrument):
    heads = words.labelled(headlines.headlines(design, instrument))
    assert list(heads.columns[:3]) == ["label", "indicator", "category"]
    champion = instrument.item("digital_champion")["short"]
    rows = heads[heads["indicator"] == "digital_champion"]
    answers = rows["category"].replace(
        {"leader_or_chief_executive": "The leader or the chief executive"}
    )
    assert len(rows) > 0
    assert rows["label"].tolist() == [f"{champion}: {a}" for a in answers]
    wellbeing = heads.loc[heads["indicator"] == "wellbeing_positive", "label"].item()
    assert wellbeing == f"{instrument.item('att_wellbeing')['short']}: Agree or Strongly agree"


def test_model_terms_and_tests_name_no_variable_id(words, design, instrument):
    model = words.labelled(attitudes.enthusiast_model(design, "segment"))
    assoc = words.labelled(attitudes.segment_association(design, "segment"))
    caution = words.labelled(attitudes.caution_tests(design, instrument.caution_ids, "segment"))
    ids = [v for v in instrument.question_ids if "_" in v] + ["party_group", "sui_generis"]
    for table in (model, assoc, caution):
        text = " ".join(table["label"])
        assert [v for v in ids if v in text] == []
    assert "Council type: London borough" in set(model["label"])
    assert f"{instrument.item('role')['short']}: Committee chair" in set(model["label"])
    assert "Segment x Council type" in set(assoc["label"])


def test_segments_and_profiles_read_in_words(words, segmented, instrument):
    design = SurveyDesign.of_wave(segmented)
    shares = words.labelled(segmentation.segment_shares(design, "segment"))
    assert shares.set_index("segment")["label"].to_dict() == {
        "enthusiast": "Digital enthusiasts",
        "middle": "In the middle",
        "sceptic": "Digital sceptics",
        "unclassified": "Unclassified",
    }
    classified = design.subset(segmented["segment"] != "unclassified")
    profiles = words.labelled(
        segmentation.item_profiles(classified, "segment", instrument.attitude_ids)
    )
    segment_words = shares.set_index("segment")["label"]
    expected = [
        f"{instrument.item(i)['short']} ({segment_words[s]})"
        for i, s in zip(profiles["item"], profiles["segment"], strict=True)
    ]
    assert profiles["label"].tolist() == expected


def test_labelling_twice_replaces_the_label():
    words = ReaderLabels()
    table = pd.DataFrame({"segment": ["enthusiast"], "n": [3]})
    once = words.labelled(table)
    assert words.labelled(once).equals(once)


def test_data_dictionary_gives_every_question_its_words_and_answers(instrument):
    rows = pd.DataFrame(question_rows("instrument/questionnaire.yaml", instrument.path))
    assert rows["column"].tolist() == instrument.question_ids
    for var in instrument.question_ids:
        item = instrument.item(var)
        described = rows.loc[rows["column"] == var, "description"].item()
        assert " ".join(item["text"].split()) in described
        assert f"[shown as: {item['short']}]" in described
        for option in item.get("options", []):
            assert option in described
    big_data = rows.loc[rows["column"] == "att_big_data"]
    assert big_data["dtype"].item() == "agreement scale 1-5"
    assert "5 = Strongly agree" in big_data["description"].item()
    free = rows.loc[rows["column"].isin(instrument.free_text_ids), "description"]
    assert free.str.contains("not in the bundle").all()


def test_data_dictionary_lists_tables_then_questions(tmp_path, instrument):
    table = tmp_path / "segments.csv"
    pd.DataFrame({"label": ["Digital enthusiasts"], "segment": ["enthusiast"], "n": [5]}).to_csv(
        table, index=False
    )
    out = data_dictionary(
        {"tables/segments.csv": table}, {"instrument/questionnaire.yaml": instrument.path}
    )
    assert out["file"].tolist()[:3] == ["tables/segments.csv"] * 3
    assert set(out["file"]) == {"tables/segments.csv", "instrument/questionnaire.yaml"}
