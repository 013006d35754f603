"""The columns of an export as :mod:`councilsurvey.inputs.draft` sees them, before any
codebook: header texts or names, question texts, raw values and, where the file has them,
SPSS value labels and declared missing values, or a Qualtrics ``.qsf``'s recode values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.textfile import column_values

#: the date format typed cells (xlsx, SPSS) are written in
DEFAULT_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"


@dataclass
class Column:
    """One export column as the draft sees it."""

    name: str  # column name (Qualtrics, SPSS) or first-header text (SurveyMonkey)
    sub: str = ""  # second-header text (SurveyMonkey)
    text: str = ""  # question text (Qualtrics row 2, SPSS variable label)
    values: list = field(default_factory=list)  # texts, None for blank
    labels: dict = field(default_factory=dict)  # SPSS code -> label
    missing: set = field(default_factory=set)  # SPSS declared missing codes
    recodes: dict = field(default_factory=dict)  # .qsf: recode value text -> choice text
    block: bool = False  # part of a SurveyMonkey matrix block


def surveymonkey_columns(records) -> list[Column]:
    head1, head2 = records[0], records[1]
    body = records[2:]
    cols, current = [], ""
    for i, (h1, h2) in enumerate(zip(head1, head2, strict=False)):
        block = not h1.strip() and bool(h2.strip()) and bool(current)
        if h1.strip():
            current = h1.strip()
        values = column_values(body, i)
        values = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
        col = Column(current if block else h1.strip(), h2.strip(), values=values, block=block)
        if block:
            cols[-1].block = True
        cols.append(col)
    return cols


def qualtrics_columns(records, qsf) -> list[Column]:
    names, texts = records[0], records[1]
    legacy = is_legacy(names)
    body = records[2:] if legacy else records[3:]
    recodes = _qsf_recodes(qsf) if qsf else {}
    cols = []
    for i, name in enumerate(names):
        values = column_values(body, i)
        values = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
        if legacy and re.fullmatch(r"V[0-9]+", name.strip()):
            name = texts[i]
        cols.append(Column(name.strip(), text=texts[i].strip(), values=values))
        cols[-1].recodes = recodes.get(name.strip(), {})
    return cols


def is_legacy(names: list[str]) -> bool:
    """A legacy Qualtrics export: its first columns are named V1, V2, ..."""
    return len(names) >= 2 and [n.strip() for n in names[:2]] == ["V1", "V2"]


def _qsf_recodes(qsf) -> dict[str, dict[str, str]]:
    """Export column -> {recode value text: choice text} from a Qualtrics ``.qsf``."""
    try:
        survey = json.loads(Path(qsf).read_text(encoding="utf-8"))
        elements = survey["SurveyElements"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(qsf, f"not a readable Qualtrics .qsf survey file: {exc}") from None
    out: dict[str, dict[str, str]] = {}
    for el in elements:
        p = el.get("Payload") if el.get("Element") == "SQ" else None
        if not isinstance(p, dict):
            continue
        tag = p.get("DataExportTag") or p.get("QuestionID")
        matrix = p.get("QuestionType") == "Matrix"
        options = p.get("Answers") if matrix else p.get("Choices")
        recode = (p.get("RecodeValues") if not matrix else p.get("RecodeValues")) or {}
        if not isinstance(options, dict):
            continue
        table = {
            str(recode.get(k, k)): re.sub(r"<[^>]+>", "", str(v.get("Display", ""))).strip()
            for k, v in options.items()
        }
        if matrix and isinstance(p.get("Choices"), dict):
            tags = p.get("ChoiceDataExportTags") or {}
            for k in p["Choices"]:
                out[str(tags.get(k) or f"{tag}_{k}")] = table
        else:
            out[str(tag)] = table
    return out


def spss_columns(path) -> list[Column]:
    import pandas as pd
    import pyreadstat

    from councilsurvey.inputs.workbooks import cell_text

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        raise InputError(path, f"not a readable SPSS .sav file: {exc}") from None
    cols = []
    label_of = dict(zip(meta.column_names, meta.column_labels or [], strict=False))
    for name in meta.column_names:
        series = df[name]
        labels = meta.variable_value_labels.get(name, {})
        missing = set()
        for r in (meta.missing_ranges or {}).get(name, []):
            lo, hi = r.get("lo"), r.get("hi")
            missing |= {k for k in labels if _in(k, lo, hi)}
            missing |= {v for v in series.dropna().unique() if _in(v, lo, hi)}
        if pd.api.types.is_numeric_dtype(series):
            values = [None if pd.isna(v) else float(v) for v in series]
        else:
            values = [
                None if v is None or v == "" else cell_text(v, DEFAULT_DATE_FORMAT) for v in series
            ]
        cols.append(
            Column(
                name,
                text=(label_of.get(name) or "").strip(),
                values=values,
                labels=labels,
                missing=missing,
            )
        )
    return cols


def _in(v, lo, hi) -> bool:
    try:
        return lo <= v <= hi
    except TypeError:
        return False


def xlsx_records(path) -> list[list[str]]:
    import openpyxl

    from councilsurvey.inputs.workbooks import cell_text

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds)
        raise InputError(path, f"not a readable .xlsx workbook: {exc}") from None
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    width = max((len(r) for r in rows[:2]), default=0)
    records = [
        [cell_text(v, DEFAULT_DATE_FORMAT) for v in (r + [None] * width)[:width]] for r in rows
    ]
    return [records[0], records[1]] + [r for r in records[2:] if any(c.strip() for c in r)]
