"""The council frame and its schema."""

import pandas as pd
import pytest

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.frame import PARTY_COLUMNS, load_frame

from .conftest import FRAME, WAVE_FRAME


@pytest.mark.parametrize(
    "path, seats, vacant",
    [(WAVE_FRAME, 17893, 1), (FRAME, 17869, 66)],  # 2016 (the 2017 wave's), May 2017
    ids=["2016", "2017"],
)
def test_bundled_frame_is_valid(path, seats, vacant):
    frame = load_frame(path, 353)
    assert len(frame) == 353
    assert frame["code"].is_unique
    assert int(frame["seats"].sum()) == seats
    assert int(frame["vacant"].sum()) == vacant
    assert (frame[PARTY_COLUMNS + ["vacant"]].sum(axis=1) == frame["seats"]).all()
    assert frame["type"].value_counts().to_dict() == {
        "district": 201,
        "unitary": 55,
        "metropolitan": 36,
        "london_borough": 32,
        "county": 27,
        "sui_generis": 2,
    }


def test_party_seats_not_adding_up_names_row(tmp_path):
    df = pd.read_csv(FRAME, dtype=str, keep_default_na=False)
    df.loc[4, "lab"] = str(int(df.loc[4, "lab"]) + 1)
    path = tmp_path / "frame.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="party seats \\+ vacant") as err:
        load_frame(path, 353)
    assert err.value.row == 6 and str(path) in str(err.value)


def test_wrong_number_of_councils(tmp_path):
    df = pd.read_csv(FRAME, dtype=str, keep_default_na=False).iloc[:-1]
    path = tmp_path / "frame.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="expected 353 councils"):
        load_frame(path, 353)


def test_duplicate_code(tmp_path):
    df = pd.read_csv(FRAME, dtype=str, keep_default_na=False)
    df.loc[10, "code"] = df.loc[11, "code"]
    path = tmp_path / "frame.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="code") as err:
        load_frame(path, 353)
    assert err.value.column == "code"
