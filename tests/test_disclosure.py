"""Disclosure control of bundled tables (k = 5)."""

import pandas as pd

from councilsurvey.inputs.frame import load_frame
from councilsurvey.publish.disclosure import suppress, violations
from councilsurvey.survey.weighting import weight

from .conftest import FRAME


def test_wave_with_a_three_respondent_council_type(responses, wcfg):
    """Keep only 3 of the sui generis respondents: their margin row is suppressed, and
    the next smallest type too, since the type rows add up to all respondents."""
    sg = responses.index[responses["type"] == "sui_generis"]
    wave = responses.drop(index=sg[3:])
    frame = load_frame(FRAME, 353)
    margins = weight(wave, frame, dict(wcfg, margins=["type", "party"])).margins
    assert violations("weighting_margins.csv", margins) == 1
    safe, hidden = suppress("weighting_margins.csv", margins, k=5)
    assert hidden == 2 and violations("weighting_margins.csv", safe) == 0
    types = safe[safe["margin"] == "type"].set_index("category")
    assert types.at["sui_generis", "respondents"] == "<5"
    assert pd.isna(types.at["sui_generis", "weighted_share"])
    second = types[types["respondents"] == "<5"].index.difference(["sui_generis"])
    assert list(second) == ["county"]  # the smallest other type (109 respondents)
    assert types.at["district", "respondents"] == 273  # the rest untouched
    parties = safe[safe["margin"] == "party"]
    assert (parties["respondents"] != "<5").all()


def test_cross_table_and_counts():
    table = pd.DataFrame(
        {
            "rule_segment": ["a", "a", "a", "b", "b"],
            "latent_class": ["x", "y", "z", "x", "y"],
            "n": [2, 0, 40, 30, 31],
        }
    )
    safe, hidden = suppress("segment_agreement.csv", table)
    assert safe["n"].tolist() == ["<5", 0, "<5", 30, 31]  # zeros are not disclosive
    assert hidden == 2
    untouched, none = suppress(
        "segments.csv", pd.DataFrame({"segment": ["e"], "n": [373], "weighted_share": [0.46]})
    )
    assert none == 0 and untouched["n"].tolist() == [373]


def test_latent_class_selection_hides_a_small_smallest_class():
    """A model whose smallest class holds 1-4 respondents: that count and its share are
    hidden; the fit statistics (not counts of people) stay."""
    table = pd.DataFrame(
        {
            "n_classes": [2, 3],
            "bic": [100.0, 90.0],
            "smallest_class_n": [300, 3],
            "smallest_class_share": [0.37, 0.0037],
        }
    )
    assert violations("latent_class_selection.csv", table) == 1
    safe, hidden = suppress("latent_class_selection.csv", table)
    assert hidden == 1 and violations("latent_class_selection.csv", safe) == 0
    assert safe["smallest_class_n"].tolist() == [300, "<5"]
    assert safe["smallest_class_share"].iloc[0] == 0.37
    assert pd.isna(safe["smallest_class_share"].iloc[1])
    assert safe["bic"].tolist() == [100.0, 90.0]
