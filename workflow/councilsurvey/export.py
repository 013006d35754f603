"""Reading survey exports through a codebook.

A SurveyMonkey "expanded, actual answer text" CSV has two header rows: row 1 names the
metadata columns and each question; a matrix question puts its stem over the first
column of its block and leaves the rest blank; row 2 is blank under metadata,
"Response" / "Open-Ended Response" under single questions and the statement text under
each matrix column. Columns are located by those texts, never by position.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codebook import Codebook
from .errors import InputError

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
        One row per data row: ``_row`` (spreadsheet row number), one column per
        metadata role and per codebook variable, holding the raw answer text
        (``<NA>`` where blank).
    path : Path
        The export file.
    headers : dict
        Column (role or variable id) -> header text as it appears in the export.
    warnings : list of str
        Non-fatal findings (e.g. export questions the codebook does not know).
    """

    data: pd.DataFrame
    path: Path
    headers: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def decode(path: Path, raw: bytes) -> str:
    """Decode an export as UTF-8 (a byte-order mark is allowed)."""
    if not raw.strip():
        raise InputError(path, "the file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", row=line
        ) from None


def read_surveymonkey(path, codebook: Codebook) -> RawExport:
    """Read a SurveyMonkey two-header-row CSV export.

    Parameters
    ----------
    path : str or Path
        The export.
    codebook : Codebook
        Maps header texts to variable ids.

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
    if not path.is_file():
        raise InputError(path, "export file not found")
    text = decode(path, path.read_bytes())
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file: {exc}") from None
    # csv line numbers: a record may span lines inside quotes; we report record numbers,
    # which is what a spreadsheet shows as the row number.
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
    keys = _column_keys(path, head1, head2)
    columns, headers, warnings = _locate(path, keys, codebook)

    body = records[2:]
    for i, rec in enumerate(body):
        if len(rec) != len(head1):
            raise InputError(
                path,
                f"has {len(rec)} fields where the header has {len(head1)} "
                "(truncated or malformed line)",
                row=FIRST_DATA_ROW + i,
            )
    frame = {ROW: list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(body)))}
    for name, idx in columns.items():
        frame[name] = [rec[idx].strip() for rec in body]
    data = pd.DataFrame(frame)
    for name in columns:
        data[name] = data[name].astype("string").replace("", pd.NA)
    for w in warnings:
        log.warning(w)
    return RawExport(data=data, path=path, headers=headers, warnings=warnings)


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
            raise InputError(path, f"column {i + 1} has no header text", row=1)
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


def _locate(path, keys, codebook):
    index = {key: i for i, key in enumerate(keys)}
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for meta in codebook.metadata:
        key = (norm_text(meta["header"]), "")
        if key not in index:
            raise InputError(
                path,
                f"export metadata column {meta['header']!r} from the codebook is missing",
                row=1,
                column=meta["header"],
            )
        columns[meta["role"]] = index[key]
        headers[meta["role"]] = meta["header"]
    for var in codebook.variables:
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
