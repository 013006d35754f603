"""The council population frame: one row per principal council, seats by party.

The frame is the population the survey is weighted to. Its schema is checked with
pandera: expected number of councils, unique ONS codes, known types and regions,
non-negative seats, and party seats plus vacancies equal to all seats on every row.
The check runs in rule ``validate_raw``, upstream of every stage that reads the frame;
those stages read it without importing pandera again (``validate=False``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from councilsurvey.core.errors import InputError

if TYPE_CHECKING:
    import pandera.pandas as pa

PARTY_COLUMNS = ["con", "lab", "ld", "green", "ukip", "ind_other"]
TYPES = ["county", "district", "unitary", "metropolitan", "london_borough", "sui_generis"]
REGIONS = [
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]


def frame_schema(n_councils: int) -> pa.DataFrameSchema:
    """The pandera schema of a council frame with ``n_councils`` rows."""
    import pandera.pandas as pa  # here: a stage reading a checked frame does not import it

    seat = pa.Column(int, pa.Check.ge(0))
    return pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.str_matches(r"^E(06|07|08|09|10)\d{6}$"), unique=True),
            "name": pa.Column(str, unique=True),
            "official_name": pa.Column(str, nullable=True),
            "type": pa.Column(str, pa.Check.isin(TYPES)),
            "region": pa.Column(str, pa.Check.isin(REGIONS)),
            "seats": pa.Column(int, pa.Check.gt(0)),
            **{col: seat for col in PARTY_COLUMNS},
            "vacant": seat,
        },
        checks=[
            pa.Check(lambda df: len(df) == n_councils, error=f"expected {n_councils} councils"),
            pa.Check(
                lambda df: df[PARTY_COLUMNS + ["vacant"]].sum(axis=1) == df["seats"],
                error="party seats + vacant must equal seats",
            ),
        ],
        strict=False,
        coerce=False,
    )


def load_frame(path, n_councils: int, validate: bool = True) -> pd.DataFrame:
    """Read and validate a council frame CSV.

    Parameters
    ----------
    path : str or Path
        ``data/reference/councils_england_<year>.csv``.
    n_councils : int
        Number of councils the frame must have (353 for May 2017).
    validate : bool
        Check the frame against :func:`frame_schema`. The stages downstream of rule
        ``validate_raw`` (weight, claims, the robustness grid) pass False: that rule has
        checked this very file (an input of it, so a changed frame runs it again before
        them), and they are spared importing pandera (a third of a second each).

    Raises
    ------
    InputError
        Naming the file, and the row (as a spreadsheet shows it) and column of the
        first failing value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "council frame not found")
    df = pd.read_csv(
        path,
        dtype={"code": str, "name": str},
        keep_default_na=False,
        na_values={"official_name": [""]},
    )
    for col in ["code", "name", "type", "region"]:
        if col in df:
            df[col] = df[col].astype(object)
    if validate:
        _validate(df, path, n_councils)
    return df.reset_index(drop=True)


def _validate(df: pd.DataFrame, path: Path, n_councils: int) -> None:
    """:func:`frame_schema`'s check, failing with one line naming the row and column."""
    import pandera.pandas as pa

    try:
        frame_schema(n_councils).validate(df, lazy=False)
    except pa.errors.SchemaError as exc:
        row, column = None, getattr(exc.schema, "name", None)
        cases = getattr(exc, "failure_cases", None)
        if isinstance(cases, pd.DataFrame) and len(cases) and "index" in cases:
            idx = cases["index"].iloc[0]
            if idx is not None and not pd.isna(idx):
                row = int(idx) + 2  # header is row 1
        msg = str(exc).splitlines()[0]
        raise InputError(
            path, f"council frame fails its schema: {msg}", row=row, column=column
        ) from None


def load_outside_england(path) -> pd.DataFrame:
    """Councils of Wales and Scotland (code, name, country), used to recognise members of
    councils outside England's frame."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "list of councils outside England not found")
    return pd.read_csv(path, dtype=str)
