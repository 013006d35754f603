"""Reading the export's Start/End Date texts: fast with pyarrow where it provably reads
what pandas reads (:func:`fast_dates`), else pandas (:func:`parse_role`); how long each
submission took (:func:`durations`, for the speeder rule)."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.export import ROW


def _arrow(values: pd.Series):
    """A pandas text column as a pyarrow string array (no copy when pyarrow holds it)."""
    arr = pa.array(values.array, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


#: strptime directives read by pyarrow and pandas alike: a strict pattern and width each
_DATE_FIELDS = {
    "Y": ("[0-9]{4}", 4),
    "y": ("[0-9]{2}", 2),
    "m": ("(?:0[1-9]|1[0-2])", 2),
    "d": ("(?:0[1-9]|[12][0-9]|3[01])", 2),
    "H": ("(?:[01][0-9]|2[0-3])", 2),
    "I": ("(?:0[1-9]|1[0-2])", 2),
    "M": ("[0-5][0-9]", 2),
    "S": ("[0-5][0-9]", 2),
    "p": ("(?:AM|PM)", 2),
}


def _strict_date_pattern(date_format: str) -> tuple[str, int] | None:
    """A regular expression of the texts ``date_format`` writes (every field zero-padded
    to its width, in range) and where its day of month starts; None for a format with
    other directives or without a year, month and day."""
    parts, width, day_at, fields = [], 0, None, set()
    i = 0
    while i < len(date_format):
        c = date_format[i]
        if c == "%":
            d = date_format[i + 1 : i + 2]
            if d == "%":
                parts.append("%")
                width += 1
            elif d in _DATE_FIELDS:
                if d == "d":
                    day_at = width
                parts.append(_DATE_FIELDS[d][0])
                width += _DATE_FIELDS[d][1]
                fields.add(d)
            else:
                return None
            i += 2
            continue
        if not c.isascii():
            return None
        parts.append(re.escape(c))
        width += 1
        i += 1
    if day_at is None or "m" not in fields or not fields & {"Y", "y"}:
        return None
    if ("I" in fields) != ("p" in fields) or {"I", "H"} <= fields:
        return None
    return "^" + "".join(parts) + "$", day_at


def fast_dates(values: pd.Series, date_format: str) -> pd.Series | None:
    """``values`` parsed with ``date_format`` by pyarrow where that provably gives what
    pandas gives, else None: every text is written exactly as the format writes it
    (:func:`_strict_date_pattern`), parses, and keeps its day of month (pyarrow would roll
    02/30 over to March, where pandas refuses it)."""
    strict = _strict_date_pattern(date_format)
    if strict is None:
        return None
    pattern, day_at = strict
    arr = _arrow(values)
    if not pc.all(pc.fill_null(pc.match_substring_regex(arr, pattern), True)).as_py():
        return None
    try:
        parsed = pc.strptime(arr, format=date_format, unit="s", error_is_null=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if parsed.null_count != arr.null_count:  # a text that does not parse
        return None
    day = pc.cast(pc.utf8_slice_codeunits(arr, day_at, day_at + 2), pa.int64())
    if not pc.all(pc.fill_null(pc.equal(day, pc.day(parsed)), True)).as_py():
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index)


def parse_role(raw, codebook, data: pd.DataFrame, role: str) -> pd.Series:
    """The timestamps of one metadata column (``start_date`` or ``end_date``) of ``data``
    (the export ``raw`` read through ``codebook``).

    Raises
    ------
    InputError
        For a text that does not fit the codebook's ``date_format``.
    """
    fast = fast_dates(data[role], codebook.date_format)
    if fast is not None:
        return fast
    parsed = pd.to_datetime(data[role], format=codebook.date_format, errors="coerce")
    bad = data[role].notna() & parsed.isna()
    if bad.any():
        i = bad[bad].index[0]
        message = (
            f"date {data.at[i, role]!r} does not fit the codebook's date_format "
            f"{codebook.date_format!r}"
        )
        row = int(data.at[i, ROW])
        raise InputError(raw.path, message, row=row, column=raw.headers[role])
    return parsed


def parse_dates(raw, codebook, data: pd.DataFrame) -> pd.Series:
    """When each submission was made: its end timestamp, else its start (NaT without
    either)."""
    for role in ("end_date", "start_date"):
        if role in data:
            return parse_role(raw, codebook, data, role)
    return pd.Series(pd.NaT, index=data.index)


def durations(raw, codebook, data: pd.DataFrame) -> pd.Series | None:
    """Minutes from each submission's start to its end timestamp (missing where either is
    missing); None when the export has no start or no end column."""
    if "start_date" not in data or "end_date" not in data:
        return None
    start = parse_role(raw, codebook, data, "start_date")
    end = parse_role(raw, codebook, data, "end_date")
    if not pd.api.types.is_datetime64_any_dtype(start):  # e.g. SPSS numbers: not dates
        return None
    return (end - start).dt.total_seconds() / 60
