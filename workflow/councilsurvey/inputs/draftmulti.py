"""Recognising multi-select questions ("tick all that apply") among an export's columns,
for :mod:`councilsurvey.inputs.draft`.

A multi-select question is exported as one column per option:

* SurveyMonkey CSV / xlsx: a block under one question text whose every cell is blank or
  its column's option text (header row 2); a last column that asks to specify ("Other
  (please specify)") and holds typed answers is left out of the options and drafted as
  free text;
* Qualtrics: columns ``Qn_1 ... Qn_k`` of one question; with a ``.qsf``, its question
  type ``MC`` with a multiple-answer selector (``MAVR``, ``MAHR``, ``MACOL``, ``MSB``)
  decides, and gives the option texts; without one, every column holding blank or one
  value (its option's text, or 1); an option's text-entry column ``Qn_k_TEXT`` is
  drafted as free text;
* SPSS: consecutive numeric variables holding only 0, 1 and missing whose names share a
  stem (``Q5_1``, ``Q5_2``) or whose variable labels share a stem (``Champion: Mayor``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import option_slug
from councilsurvey.inputs.columns import norm_text
from councilsurvey.inputs.draftsource import Column

#: Qualtrics selectors of a multiple-answer question
MULTI_SELECTORS = {"MAVR", "MAHR", "MACOL", "MSB"}
#: value labels of 1 that say "ticked" rather than naming the option
_TICK_LABELS = {"yes", "selected", "checked", "ticked", "1", "true"}


@dataclass
class Multi:
    """A multi-select question: its question text and one column per option."""

    name: str
    text: str
    columns: list[Column]
    options: list[str]


def qsf_multi(qsf) -> dict[str, dict[str, str]]:
    """Question tag -> {choice id: choice text} of every multiple-answer question of a
    Qualtrics ``.qsf`` survey file."""
    if not qsf:
        return {}
    try:
        elements = json.loads(Path(qsf).read_text(encoding="utf-8"))["SurveyElements"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(qsf, f"not a readable Qualtrics .qsf survey file: {exc}") from None
    out = {}
    for el in elements:
        p = el.get("Payload") if isinstance(el, dict) and el.get("Element") == "SQ" else None
        if not isinstance(p, dict) or p.get("Selector") not in MULTI_SELECTORS:
            continue
        choices = p.get("Choices") or {}
        tag = str(p.get("DataExportTag") or p.get("QuestionID"))
        out[tag] = {
            str(k): re.sub(r"<[^>]+>", "", str(v.get("Display", ""))).strip()
            for k, v in choices.items()
        }
    return out


def _answers(col: Column) -> set:
    return {
        (v.strip() if isinstance(v, str) else v)
        for v in col.values
        if v is not None and not (isinstance(v, str) and not v.strip())
    }


def group_multi(cols: list[Column], fmt: str, qsf=None) -> list[Column | Multi]:
    """``cols`` with every multi-select question's columns replaced by one :class:`Multi`."""
    if fmt == "qualtrics":
        return _runs(cols, _qualtrics_run(qsf_multi(qsf)))
    if fmt == "spss":
        return _runs(cols, _spss_run)
    return _runs(cols, _surveymonkey_run)


def _runs(cols, judge) -> list[Column | Multi]:
    out: list[Column | Multi] = []
    i = 0
    while i < len(cols):
        found = judge(cols, i)
        if found is None:
            out.append(cols[i])
            i += 1
        elif len({option_slug(o) for o in found.options} - {""}) < len(found.options):
            out.append(cols[i])  # options that would share a column: left as they are
            i += 1
        else:
            out.append(found)
            i += len(found.columns)
    return out


def _surveymonkey_run(cols, i) -> Multi | None:
    first = cols[i]
    if not first.block or (i and cols[i - 1].block and cols[i - 1].name == first.name):
        return None
    run = [first]
    for col in cols[i + 1 :]:
        if not (col.block and col.name == first.name):
            break
        run.append(col)
    if len(run) > 2 and is_specify(run[-1]) and not _answers(run[-1]) <= {run[-1].sub}:
        # the block's "Other (please specify)" column holds what respondents typed, not
        # its own text: it stays a column of its own (free text, see draft._variable)
        run = run[:-1]
    if len(run) < 2 or not any(_answers(c) for c in run):
        return None
    if not all(_answers(c) <= {c.sub} for c in run):
        return None
    return Multi(first.name, first.name, run, [c.sub for c in run])


_SPECIFY = re.compile(r"\bspecify\b|\bplease state\b|\bplease describe\b", re.IGNORECASE)
#: a Qualtrics (or Qualtrics-made SPSS) text-entry column of an option: ``Q5_6_TEXT``
_TEXT_ENTRY = re.compile(r"^(.*?)_[0-9]+_TEXT$", re.IGNORECASE)


def specify_of(col: Column, fmt: str) -> str | None:
    """The question whose option's typed answer a column holds, or None: a column of a
    SurveyMonkey block whose sub-header asks to specify ("Other (please specify)",
    "Other - please state"): the block's question text; a Qualtrics or SPSS text-entry
    column ``Q5_6_TEXT``: its question's stem ``Q5`` (the name of its :class:`Multi`)."""
    if fmt in ("qualtrics", "spss"):
        m = _TEXT_ENTRY.match(col.name or "")
        return m[1] if m else None
    return col.name if col.block and _SPECIFY.search(col.sub or "") else None


def is_specify(col: Column) -> bool:
    """Whether a column of a SurveyMonkey block asks to specify (see :func:`specify_of`)."""
    return specify_of(col, "surveymonkey") is not None


_QN = re.compile(r"^(.*?)_([0-9]+)$")


def _qualtrics_run(multi: dict):
    def judge(cols, i) -> Multi | None:
        m = _QN.match(cols[i].name)
        if not m or (i and _QN.match(cols[i - 1].name or "") and _stem(cols[i - 1]) == m[1]):
            return None
        run = [cols[i]]
        for col in cols[i + 1 :]:
            if _stem(col) != m[1]:
                break
            run.append(col)
        if m[1] in multi:
            choices = multi[m[1]]
            options = [choices.get(_QN.match(c.name)[2], c.name) for c in run]
            return Multi(m[1], _question(run[0]), run, options)
        if multi or len(run) < 2:
            return None
        seen = [_answers(c) for c in run]
        if not all(len(s) <= 1 for s in seen) or not any(seen):
            return None
        options = []
        for col, s in zip(run, seen, strict=True):
            value = next(iter(s), "")
            numeric = value == "" or re.fullmatch(r"[0-9]+", str(value))
            options.append(_option_from_text(col) if numeric else str(value))
        return Multi(m[1], _question(run[0]), run, options)

    return judge


def _stem(col) -> str | None:
    m = _QN.match(col.name or "")
    return m[1] if m else None


def _question(col: Column) -> str:
    return col.text.rsplit(" - ", 1)[0] if " - " in col.text else col.text


def _option_from_text(col: Column) -> str:
    return col.text.rsplit(" - ", 1)[1].strip() if " - " in col.text else col.name


def _is_01(col: Column) -> bool:
    s = _answers(col)
    return bool(col.values) and s <= {0.0, 1.0} and all(isinstance(v, float) for v in s)


def _label_stem(col: Column) -> tuple[str, str] | None:
    for sep in (": ", " - ", " \u2013 "):
        if sep in col.text:
            stem, option = col.text.rsplit(sep, 1)
            return stem.strip(), option.strip()
    return None


def _spss_run(cols, i) -> Multi | None:
    if not _is_01(cols[i]):
        return None
    by_name = _stem(cols[i])
    by_label = _label_stem(cols[i])
    run = [cols[i]]
    for col in cols[i + 1 :]:
        same = (by_name and _stem(col) == by_name) or (
            by_label and _label_stem(col) and _label_stem(col)[0] == by_label[0]
        )
        if not (same and _is_01(col)):
            break
        run.append(col)
    if len(run) < 2:
        return None
    options = []
    for col in run:
        label = str(col.labels.get(1.0, col.labels.get(1, ""))).strip()
        if label and norm_text(label) not in _TICK_LABELS:
            options.append(label)
        elif _label_stem(col):
            options.append(_label_stem(col)[1])
        else:
            options.append(col.text or col.name)
    stem = by_label[0] if by_label else (cols[i].text or by_name or cols[i].name)
    return Multi(by_name or cols[i].name, stem, run, options)
