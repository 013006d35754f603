"""Recoding answer texts to codes through the codebook."""

import pandas as pd
import pytest

from councilsurvey.cleaning.clean import recode
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.export import read_surveymonkey

from .conftest import respondent


def test_likert_codes_and_dont_know_is_missing(write_export, codebook):
    raw = read_surveymonkey(write_export([respondent(1)]), codebook)
    out = recode(raw, codebook)
    assert out.loc[0, "att_big_data"] == 4
    assert out.loc[0, "att_automation"] == 5
    assert out.loc[0, "att_skills"] == 1
    assert out.loc[0, "att_cyber"] == 3
    assert pd.isna(out.loc[0, "att_wellbeing"])  # Don't know: missing, never 3
    assert str(out["att_big_data"].dtype) == "Int64"


def test_blank_is_missing_and_choices_are_categoricals(write_export, codebook):
    raw = read_surveymonkey(
        write_export([respondent(1, party="", tenure="More than 10 years")]), codebook
    )
    out = recode(raw, codebook)
    assert pd.isna(out.loc[0, "party"])
    assert isinstance(out["party"].dtype, pd.CategoricalDtype)
    assert out["tenure"].cat.ordered
    assert list(out["tenure"].cat.categories)[-1] == "More than 10 years"


def test_case_space_and_curly_quote_variants_are_recognised(write_export, codebook):
    rec = respondent(1, att_big_data="  strongly  AGREE ", att_cyber="Don\u2019t know")
    out = recode(read_surveymonkey(write_export([rec]), codebook), codebook)
    assert out.loc[0, "att_big_data"] == 5
    assert pd.isna(out.loc[0, "att_cyber"])


def test_unknown_answer_names_file_row_and_column(write_export, codebook):
    path = write_export([respondent(1), respondent(2, att_cyber="Agree strongly")])
    with pytest.raises(InputError) as err:
        recode(read_surveymonkey(path, codebook), codebook)
    e = err.value
    assert (e.row, e.column) == (
        4,
        "Cyber security risks are a serious barrier to my council using more technology",
    )
    assert "'Agree strongly'" in str(e) and str(path) in str(e)
