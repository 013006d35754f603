"""Reading the text of a CSV export: decoding its bytes and parsing its records.

A CSV export is decoded as UTF-8 (with or without a byte-order mark) or Windows-1252
(:func:`decode`), checked for another delimiter than the comma, and parsed into
records. A well-formed file (see :data:`WELL_FORMED`) has its data rows parsed by
pyarrow, many times faster and into the very same fields as Python's csv module
(:class:`FastRecords`); anything else is parsed by the csv module (:func:`parse_records`),
whose errors name the record. Fields longer than :data:`MAX_FIELD` are refused.

Locating the columns of the records through a codebook is
:mod:`councilsurvey.inputs.columns`; the readers of each format are in
:mod:`councilsurvey.inputs.export`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import re
from operator import itemgetter
from pathlib import Path

from councilsurvey.core.errors import InputError

log = logging.getLogger(__name__)

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: bytes that are typical of Windows-1252 text and never valid alone in UTF-8:
#: € … ‘ ’ “ ” – — £
_CP1252_TYPICAL = frozenset(b"\x80\x85\x91\x92\x93\x94\x96\x97\xa3")
#: UTF-8 spellings of ’ “ ” – — … € and £: a file holding them is (partly) UTF-8
_UTF8_PUNCTUATION = re.compile(rb"\xe2\x80[\x93\x94\x98\x99\x9c\x9d\xa6]|\xe2\x82\xac|\xc2\xa3")
#: the third header row of a Qualtrics export: {"ImportId": ...} JSON, or the older
#: {'ImportId': 'QID2-1'} form with single quotes
_IMPORT_ID = re.compile(r"""^\s*\{\s*["']ImportId["']""")
#: longest CSV field accepted (characters). A longer one is almost always a quote left
#: open that swallowed the rest of the file; a genuine answer this long is refused too
#: (free text is cut to ``redact.MAX_FREE_TEXT`` characters anyway).
MAX_FIELD = 100_000
#: delimiters an export saved with another list separator may use
_OTHER_DELIMITERS = {";": "';' (semicolon)", "\t": "a tab"}


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


def read_records(path: Path, encoding: str | None, warnings: list[str]):
    """The records of a CSV export: a list of lists of texts or, for a well-formed file,
    the same records with the data rows parsed by pyarrow (see :class:`FastRecords`)."""
    if not path.is_file():
        raise InputError(path, "export file not found")
    raw = path.read_bytes()
    text, codec = _decode(path, raw, encoding, warnings)
    _check_delimiter(path, text)
    utf8 = None
    if codec == "utf-8":  # the bytes of the text, for pyarrow (no copy)
        utf8 = memoryview(raw)[len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0 :]
    return fast_records(path, text, utf8) or parse_records(path, text)


def parse_records(path: Path, text: str) -> list[list[str]]:
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


class FastRecords:
    """The records of a well-formed CSV export: its header rows (csv module) and its
    data rows as pyarrow string columns. Behaves like the list of records for
    ``records[i]`` (a header row), ``len(records)`` and ``records[len(head):]`` (the data
    rows, see :class:`DataRows`); anything else parses the whole file with the csv module."""

    def __init__(self, path: Path, text: str, head: list[list[str]], peek, table):
        self.path, self.text, self.head, self.table = path, text, head, table
        self.peek = peek  # the first three records, for telling the format
        self._all: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.head) + self.table.num_rows

    def _records(self) -> list[list[str]]:
        if self._all is None:
            self._all = parse_records(self.path, self.text)
        return self._all

    def __getitem__(self, i):
        if isinstance(i, slice):
            if i.start == len(self.head) and i.stop is None and i.step in (None, 1):
                return DataRows(self.table)
            return self._records()[i]
        if 0 <= i < len(self.peek):
            return self.peek[i]
        return self._records()[i]


class DataRows:
    """Data rows of a :class:`FastRecords`: ``len(body)`` and ``body.column(i)``."""

    def __init__(self, table):
        self.table = table
        self.width = table.num_columns

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, i: int):
        return self.table.column(i)


def fast_records(path: Path, text: str, utf8=None) -> FastRecords | None:
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
        n_head = 3 if len(peek) >= 3 and is_import_id_row(peek[2]) else 2
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
    return FastRecords(path, text, head, peek, table)


def column_values(body, idx: int):
    """Column ``idx`` of the data rows (a list of records, or a :class:`DataRows`)."""
    if isinstance(body, DataRows):
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


def is_import_id_row(record: list[str]) -> bool:
    return any(_IMPORT_ID.match(cell) for cell in record)
