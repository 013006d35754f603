"""Damage a spreadsheet does to an export, found before it is cleaned.

An export opened and saved in Excel reads without a word, yet its Respondent IDs may be
written in scientific notation (``1.18E+11``) or rounded into duplicates, and its dates
shown as ``#####`` (a column too narrow) or turned into serial day numbers (``42643.1``).
:func:`check_damage` names the cause in one line (file, row, column). It also checks every
date against the codebook's ``date_format`` here, at ``validate_raw``, rather than at
``clean``, and says which common format the dates do fit.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook
from councilsurvey.inputs.columns import ROW, RawExport

_SCIENTIFIC = re.compile(r"^[0-9](?:\.[0-9]+)?E[+-]?[0-9]+$", re.I)
_HASHES = re.compile(r"^#+$")
#: an Excel serial day number between 1954 and 2119
_SERIAL = re.compile(r"^[2-7][0-9]{4}(?:\.[0-9]+)?$")
#: date formats tried on the date columns, most common first
DATE_FORMATS = [
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%Y-%m-%d",
]
_SAVED = "the export was opened and saved in a spreadsheet (Excel): download it again"


def _error(raw: RawExport, i, role: str, message: str) -> InputError:
    return InputError(
        raw.path, message, row=int(raw.data.at[i, ROW]), column=raw.headers.get(role, role)
    )


def check_damage(raw: RawExport, codebook: Codebook) -> None:
    """Raise :class:`InputError` for spreadsheet damage or dates that do not fit.

    Raises
    ------
    InputError
        Respondent IDs in scientific notation, or rounded into duplicates (repeated IDs
        ending in 000 on rows that differ); ``#####`` or serial-number dates; a date that
        does not fit ``date_format`` (naming a format that fits, if one does).
    """
    data = raw.data
    if "respondent_id" in data:
        ids = data["respondent_id"]
        sci = ids.str.match(_SCIENTIFIC.pattern, case=False).fillna(False).astype(bool)
        if sci.any():
            i = sci[sci].index[0]
            raise _error(
                raw,
                i,
                "respondent_id",
                f"Respondent ID {ids[i]!r} in scientific notation: {_SAVED}",
            )
        fields = [c for c in data.columns if c != ROW]
        dup = ids.notna() & ids.duplicated(keep=False)
        if dup.any():
            rows = data.loc[dup[dup].index, fields]
            differ = ~rows.duplicated(keep=False)
            rounded = rows["respondent_id"].str.endswith("000").fillna(False).astype(bool)
            hit = differ & rounded
            if hit.any():
                i = hit[hit].index[0]
                raise _error(
                    raw,
                    i,
                    "respondent_id",
                    f"Respondent ID {ids[i]!r} repeated on rows with different answers "
                    f"(rounded by a spreadsheet?): {_SAVED}",
                )
    for role in ("start_date", "end_date"):
        if role in data:
            _check_dates(raw, codebook, role)


def _check_dates(raw: RawExport, codebook: Codebook, role: str) -> None:
    values = raw.data[role]
    present = values.dropna()
    if present.empty:
        return
    for pattern, what in ((_HASHES, "shown as '#####'"), (_SERIAL, "a spreadsheet serial number")):
        hit = present.str.match(pattern.pattern).astype(bool)
        if hit.any():
            i = hit[hit].index[0]
            raise _error(raw, i, role, f"date {values[i]!r} is {what}: {_SAVED}")
    fmt = codebook.date_format
    parsed = pd.to_datetime(present, format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        i = bad[bad].index[0]
        fits = detect_date_format(present.tolist())[0]
        hint = f" (the dates fit {fits!r}: set date_format to it)" if fits else ""
        raise _error(
            raw,
            i,
            role,
            f"date {values[i]!r} does not fit the codebook's date_format {fmt!r}{hint}",
        )


def detect_date_format(texts) -> tuple[str | None, list[str]]:
    """The first of :data:`DATE_FORMATS` that reads every text, and every one that does."""
    texts = [t.strip() for t in texts if isinstance(t, str) and t.strip()][:500]
    if not texts:
        return None, []
    fits = []
    for fmt in DATE_FORMATS:
        try:
            for t in texts:
                dt.datetime.strptime(t, fmt)
        except ValueError:
            continue
        fits.append(fmt)
    return (fits[0] if fits else None), fits
