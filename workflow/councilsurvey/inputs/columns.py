"""Locating an export's columns through the codebook, and the :class:`RawExport` they fill.

SurveyMonkey CSV and xlsx exports are located by their two header rows (question, then
sub-question: :func:`from_header_rows`), Qualtrics and SPSS exports by column name
(:func:`locate_by_name`). Either way every metadata role and codebook variable gets one
text column of a :class:`RawExport` (:func:`build`), so that recoding and cleaning never
see the format; a multi-select question gets one per option, ``<id>__<slug>``, holding
the cell's text (the option's text, 1, 0 or a value label when ticked or not).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import option_targets
from councilsurvey.inputs.textfile import DataRows, column_values

log = logging.getLogger(__name__)

#: number of the first data row as a spreadsheet shows it (two header rows above it)
FIRST_DATA_ROW = 3
ROW = "_row"


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


def finish(raw: RawExport) -> RawExport:
    for w in raw.warnings:
        log.warning(w)
    return raw


def from_header_rows(path, records, body, rows, codebook, warnings) -> RawExport:
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
    shown = [(h1.strip() or k[0], h2.strip()) for h1, h2, k in zip(head1, head2, keys, strict=True)]
    columns, headers, unknown = _locate(path, keys, codebook, shown)
    check_widths(path, body, rows, len(head1))
    check_not_empty(path, body, FIRST_DATA_ROW)
    values = {name: column_values(body, idx) for name, idx in columns.items()}
    return build(path, rows, values, headers, warnings + unknown)


def check_not_empty(path, body, first_row) -> None:
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


def check_widths(path, body, rows, width) -> None:
    if isinstance(body, DataRows):  # pyarrow checked every row against the header's width
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


def build(path, rows, values, headers, warnings) -> RawExport:
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


def _targets(codebook):
    """Every export column the codebook's variables read: (target, locator); one per
    option of a multi-select question (:func:`councilsurvey.inputs.codebook.option_targets`)."""
    return [t for var in codebook.variables for t in option_targets(var)]


def _meta_names(meta: dict) -> list[str]:
    """Names a metadata column may have: its ``names``, then its ``header``."""
    names = list(meta.get("names", []))
    if meta.get("header"):
        names.append(meta["header"])
    return list(dict.fromkeys(names))


def _locate(path, keys, codebook, shown=None):
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
                f"export metadata column {label!r} from the codebook is missing"
                + _near((norm_text(label), ""), keys, shown),
                row=1,
                column=label,
            )
        columns[meta["role"]] = found[0]
        headers[meta["role"]] = label
    for target, var in _targets(codebook):
        if "header" not in var:
            raise InputError(
                codebook.path,
                f"variable {target!r} has no header/subheader to find it by in a "
                "SurveyMonkey export",
            )
        key = (norm_text(var["header"]), norm_text(var["subheader"]))
        by_sub = var["kind"] in ("likert", "multi_select")
        if key not in index:
            label = var["subheader"] if by_sub else var["header"]
            raise InputError(
                path,
                f"codebook question {target!r} is not in the export{_near(key, keys, shown)}",
                column=label,
            )
        columns[target] = index[key]
        headers[target] = var["subheader"] if by_sub else var["header"]
    known = set(columns.values())
    warnings = [
        f"{path}: column {i + 1} ({k[0][:60]!r}{' / ' + k[1][:40] if k[1] else ''}) is not in "
        "the codebook and is ignored"
        for i, k in enumerate(keys)
        if i not in known
    ]
    return columns, headers, warnings


def shorten(text: str, width: int = 60) -> str:
    """A header for a message: at most ``width`` characters, cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _near(key, keys, shown=None) -> str:
    """A hint naming an export column whose header differs from ``key`` only by white
    space or case (e.g. "RespondentID"), if there is one, as the export spells it
    (``shown``: each column's header texts), shortened."""
    squash = tuple(re.sub(r"\s+", "", k) for k in key)
    for i, k in enumerate(keys):
        if tuple(re.sub(r"\s+", "", x) for x in k) == squash:
            h1, h2 = shown[i] if shown else k
            sub = f" / {shorten(h2, 40)}" if h2 else ""
            return (
                f" (column {i + 1}, {shorten(h1)!r}{sub}, differs from it only in white "
                "space or case: copy the export's text into the codebook)"
            )
    return ""


def locate_by_name(path, names, codebook, kind, row=None):
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
    for target, var in _targets(codebook):
        if "column" not in var:
            raise InputError(
                codebook.path,
                f"variable {target!r} has no column name to find it by in a {kind} export",
            )
        key = norm_text(var["column"])
        if key not in index:
            raise InputError(
                path,
                f"codebook question {target!r} is not in the export (no column {var['column']!r})",
                column=var["column"],
            )
        columns[target] = index[key]
        headers[target] = names[index[key]]
    known = set(columns.values())
    warnings = [
        f"{path}: column {i + 1} ({name!r}) is not in the codebook and is ignored"
        for i, name in enumerate(names)
        if i not in known
    ]
    return columns, headers, warnings
