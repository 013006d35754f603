"""Reading survey exports through a codebook.

Four export formats are read into the same :class:`RawExport` (one text column per
metadata role and codebook variable), so that recoding and cleaning never see the format:

``surveymonkey``
    An "expanded, actual answer text" CSV with two header rows: row 1 names the metadata
    columns and each question; a matrix question puts its stem over the first column of
    its block and leaves the rest blank; row 2 is blank under metadata, "Response" /
    "Open-Ended Response" under single questions and the statement text under each matrix
    column. Columns are located by those texts (codebook ``header``/``subheader``), never
    by position.
``xlsx``
    The same two header rows in the first worksheet of an .xlsx workbook (a matrix stem
    may be a merged cell); numbers and dates are turned back into the CSV's texts.
``qualtrics``
    A "choice text" CSV with three header rows: column names, question texts and
    ``{"ImportId": ...}`` JSON. Columns are located by name (codebook ``column``, metadata
    ``names``).
``spss``
    An SPSS .sav file: columns by variable name as for Qualtrics; numeric codes become
    their value labels, so the codebook maps the same answer texts as for a CSV.

CSV exports are UTF-8 (with or without a byte-order mark) or Windows-1252; see
:func:`decode`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook
from councilsurvey.inputs.columns import (
    FIRST_DATA_ROW,
    PY_WHITESPACE,
    ROW,
    RawExport,
    build,
    check_not_empty,
    check_widths,
    finish,
    from_header_rows,
    locate_by_name,
    norm_text,
    text_column,
)
from councilsurvey.inputs.textfile import (
    MAX_FIELD,
    WELL_FORMED,
    column_values,
    decode,
    is_import_id_row,
    read_records,
)
from councilsurvey.inputs.workbooks import read_spss, read_xlsx

__all__ = [
    "FIRST_DATA_ROW",
    "FORMATS",
    "MAX_FIELD",
    "PY_WHITESPACE",
    "QUALTRICS_FIRST_DATA_ROW",
    "ROW",
    "WELL_FORMED",
    "RawExport",
    "decode",
    "detect_format",
    "norm_text",
    "read_export",
    "read_qualtrics",
    "read_spss",
    "read_surveymonkey",
    "read_xlsx",
    "text_column",
]

log = logging.getLogger(__name__)

#: the same for a Qualtrics export (three header rows)
QUALTRICS_FIRST_DATA_ROW = 4
FORMATS = ("surveymonkey", "qualtrics", "spss", "xlsx")
#: column names every Qualtrics export has in its first row
_QUALTRICS_NAMES = frozenset({"responseid", "startdate", "enddate", "recordeddate"})


def read_export(path, codebook: Codebook, format=None, encoding=None) -> RawExport:
    """Read an export of any supported format through ``codebook``.

    Parameters
    ----------
    path : str or Path
        The export.
    codebook : Codebook
        Locates its columns: ``header``/``subheader`` for SurveyMonkey CSV and xlsx,
        ``column`` / metadata ``names`` for Qualtrics and SPSS.
    format : {"surveymonkey", "qualtrics", "spss", "xlsx"}, optional
        The export's format; detected when not given (see :func:`detect_format`).
    encoding : str, optional
        Text encoding of a CSV export: ``"utf-8"`` or ``"cp1252"``; detected when not
        given (see :func:`decode`). An .xlsx or .sav file carries its own encoding, so
        this is ignored for them.

    Returns
    -------
    RawExport

    Raises
    ------
    InputError
        If the format is unknown or cannot be detected, or the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "export file not found")
    warnings: list[str] = []
    records = None
    if format is None:
        format, records = _sniff(path, encoding, warnings)
    if format not in FORMATS:
        raise InputError(path, f"unknown export format {format!r} (expected one of {FORMATS})")
    if format in ("spss", "xlsx") and encoding is not None:
        log.debug("%s: encoding %r ignored for a %s file", path, encoding, format)
    if format == "spss":
        return read_spss(path, codebook)
    if format == "xlsx":
        return read_xlsx(path, codebook)
    if records is None:
        records = read_records(path, encoding, warnings)
    if format == "qualtrics":
        return finish(_qualtrics(path, records, codebook, warnings))
    return finish(_surveymonkey(path, records, codebook, warnings))


def detect_format(path, encoding=None) -> str:
    """The format :func:`read_export` reads ``path`` as when none is given.

    ``.sav``/``.zsav`` -> spss; ``.xlsx`` -> xlsx; ``.csv`` -> qualtrics if its third
    row holds ``{"ImportId": ...}`` cells, else surveymonkey. A file with another
    extension is recognised by its first bytes (SPSS or zip) or refused.
    """
    return _sniff(Path(path), encoding, [])[0]


def _sniff(path: Path, encoding, warnings) -> tuple[str, list[list[str]] | None]:
    suffix = path.suffix.lower()
    if suffix in (".sav", ".zsav"):
        return "spss", None
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx", None
    if suffix == ".xls":
        raise InputError(path, "a legacy .xls workbook: save it as .xlsx or export a CSV")
    if suffix == ".csv":
        records = read_records(path, encoding, warnings)
        if (len(records) >= 3 and is_import_id_row(records[2])) or _is_legacy(records):
            return "qualtrics", records
        return "surveymonkey", records
    if not path.is_file():
        raise InputError(path, "export file not found")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in (b"$FL2", b"$FL3"):
        return "spss", None
    if magic == b"PK\x03\x04":
        return "xlsx", None
    raise InputError(
        path,
        "cannot tell the export format (expected a .csv, .xlsx or .sav file); "
        f"name it with its extension or give the format ({', '.join(FORMATS)})",
    )


def read_surveymonkey(path, codebook: Codebook, encoding=None) -> RawExport:
    """Read a SurveyMonkey two-header-row CSV export.

    Parameters
    ----------
    path : str or Path
        The export.
    codebook : Codebook
        Maps header texts to variable ids.
    encoding : str, optional
        See :func:`decode`.

    Returns
    -------
    RawExport

    Raises
    ------
    InputError
        If the file is empty, has fewer than two header rows, lacks a codebook question,
        repeats a column header, or has a row with the wrong number of fields.
    """
    path = Path(path)
    warnings: list[str] = []
    records = read_records(path, encoding, warnings)
    return finish(_surveymonkey(path, records, codebook, warnings))


def _surveymonkey(path, records, codebook, warnings) -> RawExport:
    qualtrics_names = records and len(_QUALTRICS_NAMES & {norm_text(c) for c in records[0]}) >= 2
    if qualtrics_names and not (len(records) >= 3 and is_import_id_row(records[2])):
        # Qualtrics column names without the ImportId row: say what is missing, rather
        # than that SurveyMonkey's metadata headers are
        raise _import_id_missing(path)
    body = records[2:]
    rows = list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(body)))
    return from_header_rows(path, records, body, rows, codebook, warnings)


def read_qualtrics(path, codebook: Codebook, encoding=None) -> RawExport:
    """Read a Qualtrics "choice text" CSV export (three header rows).

    Row 1 holds the column names the codebook's ``column`` (and metadata ``names``)
    refer to, row 2 the question texts, row 3 ``{"ImportId": ...}`` JSON; the first
    data row is row 4.

    Raises
    ------
    InputError
        If the ImportId row is missing, a column is missing or repeated, or a row has
        the wrong number of fields.
    """
    path = Path(path)
    warnings: list[str] = []
    records = read_records(path, encoding, warnings)
    return finish(_qualtrics(path, records, codebook, warnings))


def _import_id_missing(path) -> InputError:
    return InputError(
        path,
        "expected three header rows (column names, question texts, ImportId JSON) "
        "as in a Qualtrics export: is the ImportId row missing?",
        row=3,
    )


def _is_legacy(records) -> bool:
    """A legacy Qualtrics export: row 1 names its metadata columns V1, V2, ..., row 2
    holds their names (ResponseID, ...) and the question texts; data from row 3."""
    return len(records) >= 3 and [c.strip() for c in records[0][:2]] == ["V1", "V2"]


def _qualtrics(path, records, codebook, warnings) -> RawExport:
    if _is_legacy(records):
        return _legacy_qualtrics(path, records, codebook, warnings)
    if len(records) < 3 or not is_import_id_row(records[2]):
        raise _import_id_missing(path)
    names = records[0]
    for r in (1, 2):
        if len(records[r]) != len(names):
            raise InputError(
                path,
                f"header rows differ in length ({len(names)} vs {len(records[r])} columns)",
                row=r + 1,
            )
    columns, headers, unknown = locate_by_name(path, names, codebook, "Qualtrics", row=1)
    body = records[3:]
    rows = list(range(QUALTRICS_FIRST_DATA_ROW, QUALTRICS_FIRST_DATA_ROW + len(body)))
    check_widths(path, body, rows, len(names))
    check_not_empty(path, body, QUALTRICS_FIRST_DATA_ROW)
    values = {name: column_values(body, idx) for name, idx in columns.items()}
    return build(path, rows, values, headers, warnings + unknown)


def _legacy_qualtrics(path, records, codebook, warnings) -> RawExport:
    """A legacy Qualtrics export: metadata columns by their row-2 names (``V3`` is
    ``ResponseID``...), questions by their row-1 names; the first data row is row 3."""
    head1, head2 = records[0], records[1]
    if len(head2) != len(head1):
        raise InputError(
            path, f"header rows differ in length ({len(head1)} vs {len(head2)} columns)", row=2
        )
    names = [
        h2 if re.fullmatch(r"V[0-9]+", h1.strip()) else h1
        for h1, h2 in zip(head1, head2, strict=True)
    ]
    columns, headers, unknown = locate_by_name(path, names, codebook, "Qualtrics", row=1)
    body = records[2:]
    rows = list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(body)))
    check_widths(path, body, rows, len(names))
    check_not_empty(path, body, FIRST_DATA_ROW)
    values = {name: column_values(body, idx) for name, idx in columns.items()}
    return build(path, rows, values, headers, warnings + unknown)
