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

import codecs
import csv
import datetime as dt
import io
import itertools
import logging
import re
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook

log = logging.getLogger(__name__)

#: number of the first data row as a spreadsheet shows it (two header rows above it)
FIRST_DATA_ROW = 3
#: the same for a Qualtrics export (three header rows)
QUALTRICS_FIRST_DATA_ROW = 4
ROW = "_row"
FORMATS = ("surveymonkey", "qualtrics", "spss", "xlsx")

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: bytes that are typical of Windows-1252 text and never valid alone in UTF-8:
#: € … ‘ ’ “ ” – — £
_CP1252_TYPICAL = frozenset(b"\x80\x85\x91\x92\x93\x94\x96\x97\xa3")
#: UTF-8 spellings of ’ “ ” – — … € and £: a file holding them is (partly) UTF-8
_UTF8_PUNCTUATION = re.compile(rb"\xe2\x80[\x93\x94\x98\x99\x9c\x9d\xa6]|\xe2\x82\xac|\xc2\xa3")
_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"')
#: longest CSV field accepted (characters). A longer one is almost always a quote left
#: open that swallowed the rest of the file; a genuine answer this long is refused too
#: (free text is cut to ``redact.MAX_FREE_TEXT`` characters anyway).
MAX_FIELD = 100_000
#: column names every Qualtrics export has in its first row
_QUALTRICS_NAMES = frozenset({"responseid", "startdate", "enddate", "recordeddate"})
#: delimiters an export saved with another list separator may use
_OTHER_DELIMITERS = {";": "';' (semicolon)", "\t": "a tab"}


def norm_text(text: str) -> str:
    """Case-fold and tidy a header or answer text for comparison.

    Curly quotes become straight, runs of white space one space, ends are stripped.
    """
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass
class RawExport:
    """An export read through its codebook.

    Attributes
    ----------
    data : DataFrame
        One row per data row: ``_row`` (spreadsheet row number; the case number of an
        SPSS file), one column per metadata role and per codebook variable, holding the
        raw answer text (``<NA>`` where blank).
    path : Path
        The export file.
    headers : dict
        Column (role or variable id) -> header text (SurveyMonkey, xlsx) or column name
        (Qualtrics, SPSS) as it appears in the export.
    warnings : list of str
        Non-fatal findings (e.g. export questions the codebook does not know, a file
        read as Windows-1252).
    """

    data: pd.DataFrame
    path: Path
    headers: dict[str, str]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- encodings


def _declared_codec(path: Path, encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r}") from None
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8"
    if name == "cp1252":
        return "cp1252"
    raise InputError(
        path,
        f"encoding {encoding!r} is not supported: exports are read as UTF-8 or "
        "Windows-1252 (cp1252)",
    )


def _decode_error(path: Path, raw: bytes, exc: UnicodeDecodeError, what: str) -> InputError:
    line = raw[: exc.start].count(b"\n") + 1
    return InputError(
        path, f"not {what} text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", row=line
    )


def decode(
    path: Path, raw: bytes, encoding: str | None = None, warnings: list[str] | None = None
) -> str:
    """Decode the bytes of a CSV export.

    Parameters
    ----------
    path : Path
        The file, for messages.
    raw : bytes
        Its content.
    encoding : str, optional
        ``None`` (detect), ``"utf-8"`` or ``"cp1252"`` (``"windows-1252"``).
    warnings : list of str, optional
        A detected encoding is reported here (else logged).

    Returns
    -------
    str

    Notes
    -----
    UTF-8 with or without a byte-order mark is read as such. A file that is not UTF-8
    but decodes as Windows-1252 and holds bytes typical of it (’ “ ” – £ ...) is read as
    Windows-1252 with a warning, unless UTF-8 was declared. UTF-16 is refused.

    Raises
    ------
    InputError
        If the file is empty, UTF-16, or not text in the (declared or detected)
        encoding, naming the row of the first bad byte.
    """
    return _decode(path, raw, encoding, warnings)[0]


def _decode(path: Path, raw: bytes, encoding, warnings) -> tuple[str, str]:
    """:func:`decode`, and the codec it read the text with ("utf-8" or "cp1252")."""
    codec = _declared_codec(path, encoding)
    if not raw or raw.isspace():
        raise InputError(path, "the file is empty")
    if raw.startswith(_UTF16_BOMS) or raw[:4096].count(0) > len(raw[:4096]) // 4:
        raise InputError(path, "UTF-16 text: re-save the export as UTF-8 (CSV UTF-8)")
    if 0 in raw[:65536]:
        at = raw.index(0)
        raise InputError(
            path,
            f"binary data, not a CSV text file (byte 0x00 at offset {at}): "
            "is this really a CSV export?",
            row=raw[:at].count(b"\n") + 1,
        )
    if codec == "cp1252" and raw.startswith(codecs.BOM_UTF8):
        message = (
            f"{path}: encoding cp1252 was declared but the file starts with a UTF-8 "
            "byte-order mark; read it as UTF-8"
        )
        _warn(message, warnings)
        codec = "utf-8"
    if codec == "cp1252":
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _decode_error(path, raw, exc, "Windows-1252") from None
        log.info("%s: read as Windows-1252 (declared)", path)
        return text, "cp1252"
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        error = _decode_error(path, raw, exc, "UTF-8")
        if codec == "utf-8" or not (_CP1252_TYPICAL & set(raw)) or _UTF8_PUNCTUATION.search(raw):
            raise error from None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"{error.reason}, nor Windows-1252 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}): re-save the export as UTF-8 (CSV UTF-8)",
            row=error.row,
        ) from None
    detail = error.reason.removeprefix("not UTF-8 text ")
    _warn(
        f"{path}: read as Windows-1252, since it is not UTF-8 ({detail[1:-1]}, row "
        f"{error.row}) and has Windows-1252 punctuation; declare encoding cp1252 or re-save "
        "the export as UTF-8",
        warnings,
    )
    return text, "cp1252"


def _warn(message: str, warnings: list[str] | None) -> None:
    if warnings is None:
        log.warning(message)
    else:
        warnings.append(message)


def _csv_records(path: Path, encoding: str | None, warnings: list[str]):
    """The records of a CSV export: a list of lists of texts or, for a well-formed file,
    the same records with the data rows parsed by pyarrow (see :class:`_FastRecords`)."""
    if not path.is_file():
        raise InputError(path, "export file not found")
    raw = path.read_bytes()
    text, codec = _decode(path, raw, encoding, warnings)
    _check_delimiter(path, text)
    utf8 = None
    if codec == "utf-8":  # the bytes of the text, for pyarrow (no copy)
        utf8 = memoryview(raw)[len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0 :]
    return _fast_records(path, text, utf8) or _parse_records(path, text)


def _parse_records(path: Path, text: str) -> list[list[str]]:
    """Every record of ``text`` by Python's csv module (strict), fields checked against
    :data:`MAX_FIELD`; an error names the record."""
    # a record may span lines inside quotes; we report record numbers, which is what a
    # spreadsheet shows as the row number. Fields of any length are parsed, then
    # checked against MAX_FIELD, so that the error can name row and column.
    records: list[list[str]] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), strict=True):
            records.append(rec)
    except csv.Error as exc:
        hint = " (a quote left open in this row?)" if "end of data" in str(exc) else ""
        if "expected after" in str(exc):
            hint = " (a quote left open in this row, or a stray quote inside a field?)"
        raise InputError(
            path, f"not a readable CSV file: {exc}{hint}", row=len(records) + 1
        ) from None
    finally:
        csv.field_size_limit(limit)
    if len(text) > MAX_FIELD and _longest_field(records) > MAX_FIELD:
        _check_field_lengths(path, records)
    return records


def _longest_field(records: list[list[str]]) -> int:
    return max(map(len, itertools.chain.from_iterable(records)), default=0)


def _check_field_lengths(path: Path, records: list[list[str]]) -> None:
    """Raise for the first field (row by row) longer than :data:`MAX_FIELD`."""
    for number, rec in enumerate(records, start=1):
        for i, cell in enumerate(rec):
            if len(cell) > MAX_FIELD:
                raise InputError(
                    path,
                    f"a field of {len(cell):,} characters, longer than the {MAX_FIELD:,} a "
                    "field may have (a quote left open, or text pasted by mistake?)",
                    row=number,
                    column=_column_label(records, i),
                )


# A CSV file that Python's csv module reads without error and the grammar below accepts
# is read by pyarrow's parser into the very same fields (records of fields separated by
# commas; a field either quoted, with "" for a quote, or not starting with a quote and
# holding no comma or line end; no empty line), many times faster. Anything else, or any
# pyarrow error, goes to the csv module, which gives the same result or the same error.
_QUOTED = r'"(?:[^"]|"")*"'
_UNQUOTED = r'[^",\r\n][^,\r\n]*'
_FIELD = rf"(?:{_QUOTED}|{_UNQUOTED}|)"
_RECORD = rf"{_FIELD}(?:,{_FIELD})+"
WELL_FORMED = rf"^(?:{_RECORD}(?:\r\n|\r|\n))*(?:{_RECORD})?$"


def _well_formed(body) -> bool:
    """Whether ``body`` (UTF-8 bytes of data rows of two or more fields) fits
    :data:`WELL_FORMED`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    data = body.obj if isinstance(body, memoryview) else body
    start = len(data) - len(body)  # where the (zero-copy) view starts in its bytes
    if data.find(b'"', start) < 0:  # no quoting: only an empty line could differ
        return bytes(body[:1]) not in (b"\r", b"\n") and all(
            data.find(s, start) < 0 for s in (b"\n\n", b"\n\r", b"\r\r")
        )
    offsets = pa.py_buffer(np.array([0, len(body)], dtype=np.int64))
    scalar = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(body))
    return bool(pc.match_substring_regex(scalar, WELL_FORMED)[0].as_py())


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _head_records(text: str, n: int) -> tuple[list[list[str]], int]:
    """The first ``n`` records of ``text`` (csv module) and where the rest starts."""
    consumed = 0

    def lines():  # as io.StringIO(text, newline="") gives them, without copying text
        nonlocal consumed
        for m in _LINE.finditer(text):
            consumed = m.end()
            yield m.group()

    reader = csv.reader(lines(), strict=True)
    head = list(itertools.islice(reader, n))
    return head, consumed


class _FastRecords:
    """The records of a well-formed CSV export: its header rows (csv module) and its
    data rows as pyarrow string columns. Behaves like the list of records for
    ``records[i]`` (a header row), ``len(records)`` and ``records[len(head):]`` (the data
    rows, see :class:`_Body`); anything else parses the whole file with the csv module."""

    def __init__(self, path: Path, text: str, head: list[list[str]], peek, table):
        self.path, self.text, self.head, self.table = path, text, head, table
        self.peek = peek  # the first three records, for telling the format
        self._all: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.head) + self.table.num_rows

    def _records(self) -> list[list[str]]:
        if self._all is None:
            self._all = _parse_records(self.path, self.text)
        return self._all

    def __getitem__(self, i):
        if isinstance(i, slice):
            if i.start == len(self.head) and i.stop is None and i.step in (None, 1):
                return _Body(self.table)
            return self._records()[i]
        if 0 <= i < len(self.peek):
            return self.peek[i]
        return self._records()[i]


class _Body:
    """Data rows of a :class:`_FastRecords`: ``len(body)`` and ``body.column(i)``."""

    def __init__(self, table):
        self.table = table
        self.width = table.num_columns

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, i: int):
        return self.table.column(i)


def _fast_records(path: Path, text: str, utf8=None) -> _FastRecords | None:
    """The records of ``text`` read by pyarrow where that gives exactly what the csv
    module gives (see :data:`WELL_FORMED`); None where it might not. ``utf8``: the
    text's UTF-8 bytes, if at hand."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    if utf8 is None:
        utf8 = memoryview(text.encode("utf-8"))
    if utf8.obj.find(b"\x00") >= 0:
        return None
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        peek, _ = _head_records(text, 3)
        n_head = 3 if len(peek) >= 3 and _is_import_id_row(peek[2]) else 2
        head, start = _head_records(text, n_head)
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    if len(head) < n_head:
        return None
    body, width = utf8[len(text[:start].encode("utf-8")) :], len(head[0])
    if width < 2 or not len(body) or not _well_formed(body):
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pcsv.ReadOptions(column_names=names),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),  # as pandas holds text
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    # a field longer than MAX_FIELD: the csv module's reading names it (no more
    # characters than bytes, so byte lengths within the limit are enough)
    longest = [pc.max(pc.binary_length(col)).as_py() or 0 for col in table.columns]
    if max(longest + [len(c) for rec in head for c in rec]) > MAX_FIELD:
        return None
    return _FastRecords(path, text, head, peek, table)


def _values(body, idx: int):
    """Column ``idx`` of the data rows (a list of records, or a :class:`_Body`)."""
    if isinstance(body, _Body):
        return body.column(idx)
    return list(map(itemgetter(idx), body))


def _column_label(records: list[list[str]], i: int) -> str:
    """The header text of column ``i`` (0-based) for messages: the first non-blank of
    the first two rows, else its number."""
    for rec in records[:2]:
        if i < len(rec) and rec[i].strip() and len(rec[i]) <= 200:
            return rec[i]
    return f"column {i + 1}"


def _check_delimiter(path: Path, text: str) -> None:
    """Refuse a CSV whose first line is separated by ';' or tabs rather than commas."""
    start = 0  # (not text.lstrip(...).split(...): a whole copy of a large file)
    while text.startswith("\ufeff", start):
        start += 1
    end = text.find("\n", start)
    first = text[start : end if end >= 0 else len(text)]
    commas = len(next(csv.reader([first]), []))
    for delim, name in _OTHER_DELIMITERS.items():
        others = len(next(csv.reader([first], delimiter=delim), []))
        if others >= 3 and others > commas:
            raise InputError(
                path,
                f"the delimiter is {name}, not a comma ({others} fields split by it, "
                f"{commas} by commas): re-export the file as comma-separated CSV",
                row=1,
            )


# --------------------------------------------------------------------------- readers


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
        records = _csv_records(path, encoding, warnings)
    if format == "qualtrics":
        return _finish(_qualtrics(path, records, codebook, warnings))
    return _finish(_surveymonkey(path, records, codebook, warnings))


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
        records = _csv_records(path, encoding, warnings)
        if len(records) >= 3 and _is_import_id_row(records[2]):
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


def _is_import_id_row(record: list[str]) -> bool:
    return any(_IMPORT_ID.match(cell) for cell in record)


def _finish(raw: RawExport) -> RawExport:
    for w in raw.warnings:
        log.warning(w)
    return raw


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
    records = _csv_records(path, encoding, warnings)
    return _finish(_surveymonkey(path, records, codebook, warnings))


def _surveymonkey(path, records, codebook, warnings) -> RawExport:
    qualtrics_names = records and len(_QUALTRICS_NAMES & {norm_text(c) for c in records[0]}) >= 2
    if qualtrics_names and not (len(records) >= 3 and _is_import_id_row(records[2])):
        # Qualtrics column names without the ImportId row: say what is missing, rather
        # than that SurveyMonkey's metadata headers are
        raise _import_id_missing(path)
    body = records[2:]
    rows = list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(body)))
    return _from_header_rows(path, records, body, rows, codebook, warnings)


def _from_header_rows(path, records, body, rows, codebook, warnings) -> RawExport:
    """A RawExport from two header rows (SurveyMonkey CSV or xlsx) and the data rows."""
    if len(records) < 2:
        raise InputError(
            path,
            f"expected two header rows (question, then sub-question); found {len(records)} row(s)",
        )
    head1, head2 = records[0], records[1]
    if len(head1) != len(head2):
        raise InputError(
            path,
            f"header rows differ in length ({len(head1)} vs {len(head2)} "
            "columns): is a header row missing?",
            row=2,
        )
    if len(head1) < 2:
        raise InputError(path, "only one column: is the delimiter a comma?", row=1)
    _check_second_header_row(path, head1, head2, codebook)
    keys = _column_keys(path, head1, head2)
    columns, headers, unknown = _locate(path, keys, codebook)
    _check_widths(path, body, rows, len(head1))
    _check_not_empty(path, body, FIRST_DATA_ROW)
    values = {name: _values(body, idx) for name, idx in columns.items()}
    return _build(path, rows, values, headers, warnings + unknown)


def _check_not_empty(path, body, first_row) -> None:
    if not body:
        raise InputError(
            path,
            f"no data rows: the export has its header rows but no responses (row {first_row} "
            "onwards is empty)",
        )


def _check_second_header_row(path, head1, head2, codebook) -> None:
    """Row 2 is blank under every metadata column; a value there means it is a data row,
    i.e. the sub-question header row is missing."""
    wanted = {norm_text(n) for meta in codebook.metadata for n in _meta_names(meta)}
    for h1, h2 in zip(head1, head2, strict=True):
        if h2.strip() and norm_text(h1) in wanted:
            raise InputError(
                path,
                f"header row 2 holds {h2[:40]!r} under a metadata column, where a "
                "SurveyMonkey export has a blank: is the second header row "
                "(sub-questions) missing?",
                row=2,
                column=h1,
            )


def _check_widths(path, body, rows, width) -> None:
    if isinstance(body, _Body):  # pyarrow checked every row against the header's width
        if body.width == width:
            return
        raise AssertionError(f"data rows of {body.width} columns under {width} headers")
    if set(map(len, body)) <= {width}:
        return
    for rec, row in zip(body, rows, strict=True):
        if len(rec) != width:
            raise InputError(
                path,
                f"has {len(rec)} fields where the header has {width} (truncated or malformed line)",
                row=row,
            )


#: the characters ``str.strip()`` removes (``str.isspace()``), for pyarrow's utf8_trim
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def text_column(texts) -> pd.Series:
    """Texts as a pandas string column: stripped of white space (as ``str.strip``),
    blanks and ``None`` missing. Vectorised with pyarrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if not isinstance(texts, pa.Array | pa.ChunkedArray):
            texts = pa.array(texts, type=pa.large_string())
        arr = pc.utf8_trim(texts, characters=PY_WHITESPACE)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):  # e.g. lone surrogates
        stripped = [(t or "").strip() for t in texts]
        return pd.Series(stripped, dtype="string").replace("", pd.NA)
    arr = pc.if_else(pc.equal(pc.binary_length(arr), 0), pa.scalar(None, arr.type), arr)
    return pd.Series(pd.arrays.ArrowStringArray(arr), dtype="string")


def _build(path, rows, values, headers, warnings) -> RawExport:
    """The RawExport of ``values`` (column -> texts, ``None`` or blank for missing)."""
    frame = {ROW: pd.Series(list(rows))}
    for name, texts in values.items():
        frame[name] = text_column(texts)
    data = pd.DataFrame(frame)
    return RawExport(data=data, path=path, headers=headers, warnings=list(warnings))


def _column_keys(path: Path, head1: list[str], head2: list[str]) -> list[tuple[str, str]]:
    """(question, sub-question) of every column, the matrix stem carried over its block."""
    keys = []
    current = ""
    for i, (h1, h2) in enumerate(zip(head1, head2, strict=True)):
        h1n, h2n = norm_text(h1), norm_text(h2)
        if h1n:
            current = h1n
        elif h2n and current:
            h1n = current  # inside a matrix block
        else:
            subs = {norm_text(h) for h in head1} & {"response", "open-ended response"}
            hint = ": is the first header row (questions) missing?" if subs else ""
            raise InputError(path, f"column {i + 1} has no header text{hint}", row=1)
        keys.append((h1n, h2n))
    seen: dict[tuple[str, str], int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            label = head1[i] or head1[seen[key]]
            sub = f" / {head2[i]}" if head2[i] else ""
            raise InputError(
                path,
                f"duplicated column header (columns {seen[key] + 1} and {i + 1})",
                row=1 if not sub else 2,
                column=f"{label}{sub}",
            )
        seen[key] = i
    return keys


def _meta_names(meta: dict) -> list[str]:
    """Names a metadata column may have: its ``names``, then its ``header``."""
    names = list(meta.get("names", []))
    if meta.get("header"):
        names.append(meta["header"])
    return list(dict.fromkeys(names))


def _locate(path, keys, codebook):
    """Columns by (header, subheader) texts: role/variable -> column index."""
    index = {key: i for i, key in enumerate(keys)}
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for meta in codebook.metadata:
        label = meta.get("header") or meta["names"][0]
        found = [index[k] for k in ((norm_text(n), "") for n in _meta_names(meta)) if k in index]
        if not found:
            raise InputError(
                path,
                f"export metadata column {label!r} from the codebook is missing",
                row=1,
                column=label,
            )
        columns[meta["role"]] = found[0]
        headers[meta["role"]] = label
    for var in codebook.variables:
        if "header" not in var:
            raise InputError(
                codebook.path,
                f"variable {var['id']!r} has no header/subheader to find it by in a "
                "SurveyMonkey export",
            )
        key = (norm_text(var["header"]), norm_text(var["subheader"]))
        if key not in index:
            label = var["header"] if var["kind"] != "likert" else var["subheader"]
            raise InputError(
                path, f"codebook question {var['id']!r} is not in the export", column=label
            )
        columns[var["id"]] = index[key]
        headers[var["id"]] = var["subheader"] if var["kind"] == "likert" else var["header"]
    known = set(columns.values())
    warnings = [
        f"{path}: column {i + 1} ({k[0][:60]!r}{' / ' + k[1][:40] if k[1] else ''}) is not in "
        "the codebook and is ignored"
        for i, k in enumerate(keys)
        if i not in known
    ]
    return columns, headers, warnings


def _locate_by_name(path, names, codebook, kind, row=None):
    """Columns by name (Qualtrics, SPSS): role/variable -> column index.

    ``names`` are the export's column names; matching ignores case and surrounding
    space. ``row`` is the row of the names (1 for Qualtrics, none for SPSS).
    """
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        key = norm_text(name)
        if not key:
            raise InputError(path, f"column {i + 1} has no name", row=row)
        if key in index:
            raise InputError(
                path,
                f"duplicated column name (columns {index[key] + 1} and {i + 1})",
                row=row,
                column=name,
            )
        index[key] = i
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for meta in codebook.metadata:
        wanted = _meta_names(meta)
        found = [index[norm_text(n)] for n in wanted if norm_text(n) in index]
        if not found:
            raise InputError(
                path,
                f"export metadata column {wanted[0]!r} from the codebook is missing "
                f"(looked for {', '.join(map(repr, wanted))})",
                row=row,
                column=wanted[0],
            )
        columns[meta["role"]] = found[0]
        headers[meta["role"]] = names[found[0]]
    for var in codebook.variables:
        if "column" not in var:
            raise InputError(
                codebook.path,
                f"variable {var['id']!r} has no column name to find it by in a {kind} export",
            )
        key = norm_text(var["column"])
        if key not in index:
            raise InputError(
                path,
                f"codebook question {var['id']!r} is not in the export "
                f"(no column {var['column']!r})",
                column=var["column"],
            )
        columns[var["id"]] = index[key]
        headers[var["id"]] = names[index[key]]
    known = set(columns.values())
    warnings = [
        f"{path}: column {i + 1} ({name!r}) is not in the codebook and is ignored"
        for i, name in enumerate(names)
        if i not in known
    ]
    return columns, headers, warnings


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
    records = _csv_records(path, encoding, warnings)
    return _finish(_qualtrics(path, records, codebook, warnings))


def _import_id_missing(path) -> InputError:
    return InputError(
        path,
        "expected three header rows (column names, question texts, ImportId JSON) "
        "as in a Qualtrics export: is the ImportId row missing?",
        row=3,
    )


def _qualtrics(path, records, codebook, warnings) -> RawExport:
    if len(records) < 3 or not _is_import_id_row(records[2]):
        raise _import_id_missing(path)
    names = records[0]
    for r in (1, 2):
        if len(records[r]) != len(names):
            raise InputError(
                path,
                f"header rows differ in length ({len(names)} vs {len(records[r])} columns)",
                row=r + 1,
            )
    columns, headers, unknown = _locate_by_name(path, names, codebook, "Qualtrics", row=1)
    body = records[3:]
    rows = list(range(QUALTRICS_FIRST_DATA_ROW, QUALTRICS_FIRST_DATA_ROW + len(body)))
    _check_widths(path, body, rows, len(names))
    _check_not_empty(path, body, QUALTRICS_FIRST_DATA_ROW)
    values = {name: _values(body, idx) for name, idx in columns.items()}
    return _build(path, rows, values, headers, warnings + unknown)


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


def _cell_text(value, date_format: str) -> str:
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
    records = [[_cell_text(v, fmt) for v in r] for r in sheets[0][1]]
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
    return _finish(_from_header_rows(path, head, body, rows, codebook, []))


def _last_filled(rec: list[str]) -> int:
    """1-based number of the last non-blank cell (0 if none)."""
    for i in range(len(rec), 0, -1):
        if rec[i - 1].strip():
            return i
    return 0


def read_spss(path, codebook: Codebook) -> RawExport:
    """Read an SPSS .sav export (via pyreadstat).

    Columns are located by variable name (codebook ``column``, metadata ``names``). A
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
    columns, headers, unknown = _locate_by_name(path, names, codebook, "SPSS")
    if len(df) == 0:
        raise InputError(path, "no data rows: the .sav file has variables but no cases")
    closed = {v["id"] for v in codebook.variables if v["kind"] != "free_text"}
    rows = list(range(1, len(df) + 1))
    values = {}
    for target, idx in columns.items():
        name = names[idx]
        labels = meta.variable_value_labels.get(name, {})
        values[target] = _spss_texts(
            path, name, df[name], labels, target in closed, codebook.date_format
        )
    return _finish(_build(path, rows, values, headers, unknown))


def _spss_texts(path, name, series, labels, closed, date_format) -> list[str | None]:
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else _datetime_text(v, date_format) for v in series]
    if not pd.api.types.is_numeric_dtype(series):
        return [None if _missing(v) else _cell_text(v, date_format) for v in series]
    if not labels and not closed:
        return [None if pd.isna(v) else _number_text(v) for v in series]
    out = []
    for case, v in enumerate(series, start=1):
        if pd.isna(v):
            out.append(None)
        elif v in labels:
            out.append(labels[v])
        else:
            known = ", ".join(f"{_number_text(k)} = {lab!r}" for k, lab in labels.items())
            raise InputError(
                path,
                f"code {_number_text(v)} has no value label "
                f"({'labels: ' + known if known else 'the variable has no value labels'})",
                row=case,
                column=name,
            )
    return out


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
