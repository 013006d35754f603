"""The default segmentation rule."""

import pandas as pd
import pytest

from councilsurvey.analysis.segments import classify

ITEMS = ["a", "b", "c"]


def test_rule_on_hand_cases():
    df = pd.DataFrame(
        [
            [4, 5, 4],
            [5, 5, 3],
            [1, 2, 5],
            [2, 2, 2],
            [1, None, 2],
            [4, None, None],
            [None, None, None],
            [2, 3, 4],
            [4, 4, None],
        ],
        columns=ITEMS,
    ).astype("Int64")
    got = classify(df, ITEMS).tolist()
    assert got == [
        "enthusiast",
        "middle",
        "sceptic",
        "sceptic",
        "sceptic",
        "unclassified",
        "unclassified",
        "middle",
        "middle",
    ]


def test_thresholds_are_parameters():
    df = pd.DataFrame([[3, 4, 4], [1, 3, 3]], columns=ITEMS).astype("Int64")
    assert classify(df, ITEMS, agree_codes=(3, 4, 5)).tolist()[0] == "enthusiast"
    assert classify(df, ITEMS, min_disagree=1).tolist()[1] == "sceptic"


def test_bundled_wave_published_segments(tmp_path, codebook, frame, matcher, instrument):
    """The bundled wave gives the published 373 enthusiasts and 118 sceptics."""
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.inputs.export import read_surveymonkey

    from .conftest import WAVE

    res = clean(
        read_surveymonkey(WAVE / "export.csv", codebook), codebook, frame, matcher, b"k", "2017"
    )
    counts = classify(res.responses, instrument.benefit_ids).value_counts()
    assert (counts["enthusiast"], counts["sceptic"]) == (373, 118)


def test_read_segmented_joins_one_column_by_respondent(tmp_path):
    from councilsurvey.analysis.segments import read_segmented

    weighted = pd.DataFrame({"respondent_id": ["r3", "r1", "r2"], "weight": [1.5, 0.5, 1.0]})
    segments = pd.DataFrame(
        {
            "respondent_id": ["r1", "r3"],
            "segment": ["sceptic", "enthusiast"],
            "segment_latent": ["b", "a"],
        }
    )
    weighted.to_parquet(tmp_path / "w.parquet")
    segments.to_parquet(tmp_path / "s.parquet")
    got = read_segmented(tmp_path / "w.parquet", tmp_path / "s.parquet", "segment_latent")
    assert got.columns.tolist() == ["respondent_id", "weight", "segment_latent"]
    assert got["respondent_id"].tolist() == ["r3", "r1", "r2"]  # the weighted file's order
    assert got["segment_latent"].tolist()[:2] == ["a", "b"]
    assert pd.isna(got["segment_latent"].iloc[2])  # not in the segments file
    pd.concat([segments, segments.iloc[:1]]).to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(pd.errors.MergeError):
        read_segmented(tmp_path / "w.parquet", tmp_path / "dup.parquet")
