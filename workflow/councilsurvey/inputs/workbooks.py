"""Reading workbook exports: an .xlsx workbook saved from a SurveyMonkey export, and an
SPSS .sav file.

Both hold typed cells (numbers, dates) where a CSV export holds text, so each value is
turned back into the text a CSV export would have (:func:`cell_text`): whole numbers
without ``.0``, date-times in the codebook's ``date_format``, SPSS codes as their value
labels. The texts then go through the same column location as a CSV
(:mod:`councilsurvey.inputs.columns`).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook, option_targets
from councilsurvey.inputs.columns import (
    FIRST_DATA_ROW,
    RawExport,
    build,
    finish,
    from_header_rows,
    locate_by_name,
    norm_text,
)


def _number_text(value) -> str:
    """A number as an export would spell it: whole numbers without ``.0``."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _datetime_text(value: dt.datetime, date_format: str) -> str:
    """A date-time as the codebook's ``date_format`` spells it, rounded to the second
    (Excel and SPSS keep date-times as floating-point numbers)."""
    value = pd.Timestamp(value).round("s").to_pydatetime()
    return value.strftime(date_format)


def cell_text(value, date_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return _datetime_text(value, date_format)
    if isinstance(value, dt.date):
        return value.strftime(date_format)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return _number_text(value)
    return str(value)


def read_xlsx(path, codebook: Codebook) -> RawExport:
    """Read the first worksheet of an .xlsx workbook saved from a SurveyMonkey export.

    It has the CSV's two header rows (a matrix stem may be a merged cell over its
    block). Whole numbers become text without ``.0``; date-times are written in the
    codebook's ``date_format``. Blank rows are skipped; ``_row`` is the worksheet row.

    Raises
    ------
    InputError
        If the file is not a readable workbook, or as :func:`read_surveymonkey`.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "export file not found")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(path, f"not a readable .xlsx workbook: {exc}") from None
    try:
        if not book.worksheets:
            raise InputError(path, "the workbook has no worksheet")
        sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book]
    finally:
        book.close()
    fmt = codebook.date_format
    records = [[cell_text(v, fmt) for v in r] for r in sheets[0][1]]
    if not any(any(c.strip() for c in rec) for rec in records):
        others = [t for t, rows in sheets[1:] if any(v not in (None, "") for r in rows for v in r)]
        where = (
            f"; the export must be on the first sheet (sheet {others[0]!r} has data)"
            if others
            else ": the workbook holds no data"
        )
        raise InputError(path, f"the first worksheet ({sheets[0][0]!r}) is empty{where}")
    head = records[:2]
    width = max((_last_filled(rec) for rec in head), default=0)
    head = [(rec + [""] * width)[:width] for rec in head]
    body, rows = [], []
    for number, rec in enumerate(records[2:], start=FIRST_DATA_ROW):
        if not any(c.strip() for c in rec):
            continue
        if _last_filled(rec) > width:
            column = get_column_letter(_last_filled(rec))
            raise InputError(
                path, f"a value right of the last header column (in column {column})", row=number
            )
        body.append((rec + [""] * width)[:width])
        rows.append(number)
    return finish(from_header_rows(path, head, body, rows, codebook, []))


def _last_filled(rec: list[str]) -> int:
    """1-based number of the last non-blank cell (0 if none)."""
    for i in range(len(rec), 0, -1):
        if rec[i - 1].strip():
            return i
    return 0


def read_spss(path, codebook: Codebook) -> RawExport:
    """Read an SPSS .sav export (via pyreadstat).

    Columns are located by variable name (codebook ``column``, metadata ``names``). A
    multi-select option variable (0/1, 1 perhaps labelled with the option's text) is read
    as "1" or "0" (:func:`_option_texts`). A
    numeric variable with value labels, and every numeric closed question, is read as
    the label text of each code (user-missing codes such as 9 = Don't know included);
    system-missing is ``<NA>``. Other numbers become text without ``.0``, date-times the
    codebook's ``date_format``; string variables are kept as text. ``_row`` is the case
    number (1-based).

    Raises
    ------
    InputError
        If the file is not a readable .sav file, a column is missing, or a code has no
        value label (naming the case and the variable).
    """
    import pyreadstat

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "export file not found")
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        raise InputError(path, f"not a readable SPSS .sav file: {exc}") from None
    names = list(meta.column_names)
    columns, headers, unknown = locate_by_name(path, names, codebook, "SPSS")
    if len(df) == 0:
        raise InputError(path, "no data rows: the .sav file has variables but no cases")
    kinds = ("single_choice", "likert")
    options = {t for v in codebook.variables for t, _ in option_targets(v) if t != v["id"]}
    closed = {v["id"]: v for v in codebook.variables if v["kind"] in kinds}
    rows = list(range(1, len(df) + 1))
    values = {}
    for target, idx in columns.items():
        name = names[idx]
        labels = meta.variable_value_labels.get(name, {})
        missing = meta.missing_ranges.get(name, []) if meta.missing_ranges else []
        if target in options and pd.api.types.is_numeric_dtype(df[name]):
            values[target] = _option_texts(df[name], labels, missing)
            continue
        values[target] = _spss_texts(
            path, name, df[name], labels, closed.get(target), codebook.date_format, missing
        )
    return finish(build(path, rows, values, headers, unknown))


def _option_texts(series, labels, missing) -> list[str | None]:
    """The texts of one multi-select option variable: 1 and 0 as "1" and "0" whatever
    their value labels (1 = the option's text, 0 = "Not selected"...), another code as
    its label if it has one (cleaning refuses it, naming the case); system- or declared
    missing is missing, which cleaning reads as not ticked (as 0)."""
    out: list[str | None] = []
    for v in series:
        if pd.isna(v) or _declared_missing(v, missing):
            out.append(None)
        elif float(v) in (0.0, 1.0) or v not in labels:
            out.append(_number_text(v))
        else:
            out.append(labels[v])
    return out


def _declared_missing(value, ranges) -> bool:
    """Whether ``value`` is one of the variable's declared (user-) missing values."""
    for r in ranges:
        lo, hi = r.get("lo"), r.get("hi")
        try:
            if lo <= value <= hi:
                return True
        except TypeError:
            continue
    return False


def _spss_texts(path, name, series, labels, var, date_format, missing=()) -> list[str | None]:
    """The texts of one SPSS variable, as a CSV export would hold them.

    For a closed question (``var``), a code the codebook maps under ``codes`` is its
    number as text; another code is its value label. A declared missing value (or in a
    declared missing range) whose label the codebook does not map is missing, as the
    file's author declared; one it maps (e.g. ``Don't know: null``) is its label.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else _datetime_text(v, date_format) for v in series]
    if not pd.api.types.is_numeric_dtype(series):
        return [None if _missing(v) else cell_text(v, date_format) for v in series]
    if not labels and var is None:
        return [None if pd.isna(v) else _number_text(v) for v in series]
    codes = {float(k) for k in (var or {}).get("codes", {})}
    known = {norm_text(str(k)) for k in (var or {}).get("values", {})}
    out = []
    for case, v in enumerate(series, start=1):
        if pd.isna(v):
            out.append(None)
        elif float(v) in codes:
            out.append(_number_text(v))
        elif v in labels and (norm_text(labels[v]) in known or not _declared_missing(v, missing)):
            out.append(labels[v])
        elif _declared_missing(v, missing):
            out.append(None)
        else:
            listed = ", ".join(f"{_number_text(k)} = {lab!r}" for k, lab in labels.items())
            hint = (
                "labels: " + listed
                if listed
                else "the variable has no value labels: map its codes under `codes:`"
            )
            raise InputError(
                path,
                f"code {_number_text(v)} has no value label ({hint})",
                row=case,
                column=name,
            )
    return out


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
