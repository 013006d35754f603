"""Drafting a codebook from an export itself (``councilsurvey codebook draft``).

Everything a codebook says can be read from the export, except a few judgements:

* SurveyMonkey CSV / xlsx: the two header rows give each column's question and
  sub-question (a matrix stem spans its block); the distinct answers give the options.
* Qualtrics CSV: row 1 the column names, row 2 the question texts (a legacy export has
  ``V1...Vn`` names for its metadata and their names in row 2); an optional ``.qsf``
  survey file gives every choice's text and recode value, so that a numeric export maps.
* SPSS .sav: variable labels, value labels and declared missing values.

Each column becomes a metadata role (recognised by its name: respondent id, dates,
contact fields; other survey-tool metadata is left out), or a variable of one kind:

``likert``
    every answer is a point of a standard five-point scale (agreement, satisfaction,
    importance, likelihood, frequency), whatever order the file stores them in:
    "Strongly agree" is always 5. Don't know / N/A / declared missing -> ``null``.
``single_choice``
    a closed question (few distinct answers); a ranking item is one single-choice
    variable each.
``multi_select``
    a "tick all that apply" question, one column per option
    (:mod:`councilsurvey.inputs.draftmulti`); a CHECK asks whether it is "choose up to N".
``numeric``, ``date``
    answers that are all numbers (other than a 1-5 scale), or all dates of one format
    (written as the variable's ``date_format``, with a CHECK).
``free_text``
    open-ended answers.

What a person must confirm is marked ``# CHECK:``: the scale direction, a guessed
kind or order, the date format detected from the data, unlabelled numeric codes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.columns import norm_text
from councilsurvey.inputs.damage import detect_date_format
from councilsurvey.inputs.draftmulti import Multi, group_multi, specify_of
from councilsurvey.inputs.draftsource import (
    DEFAULT_DATE_FORMAT,
    Column,
    is_legacy,
    qualtrics_columns,
    spss_columns,
    surveymonkey_columns,
    xlsx_records,
)
from councilsurvey.inputs.textfile import is_import_id_row, read_records

#: standard five-point scales, lowest point first; any order in the file maps the same
SCALES = [
    ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"],
    [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ],
    [
        "Not at all important",
        "Slightly important",
        "Moderately important",
        "Very important",
        "Extremely important",
    ],
    ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely"],
    ["Never", "Rarely", "Sometimes", "Often", "Always"],
]
#: spellings of a scale point read as the same point
_ALIASES = {
    "neutral": "neither agree nor disagree",
    "agree strongly": "strongly agree",
    "disagree strongly": "strongly disagree",
    "neither disagree nor agree": "neither agree nor disagree",
}
#: answers that are missing on a Likert item (never a middle point)
NON_ANSWERS = {
    "don't know",
    "dont know",
    "do not know",
    "n/a",
    "na",
    "not applicable",
    "not answered",
    "no answer",
    "prefer not to say",
    "refused",
    "can't say",
    "cannot say",
    "no opinion",
}
#: normalised column name -> role (SurveyMonkey headers, Qualtrics and SPSS names)
ROLES = {
    "respondentid": "respondent_id",
    "responseid": "respondent_id",
    "respid": "respondent_id",
    "collectorid": "collector_id",
    "startdate": "start_date",
    "enddate": "end_date",
    "ipaddress": "ip_address",
    "emailaddress": "email",
    "email": "email",
    "recipientemail": "email",
    "firstname": "first_name",
    "recipientfirstname": "first_name",
    "lastname": "last_name",
    "recipientlastname": "last_name",
    "customdata1": "custom",
    "customdata": "custom",
    "custom1": "custom",
    "externalreference": "custom",
    "externaldatareference": "custom",
}
#: survey-tool metadata that is neither a role nor a question (left out of the draft)
TOOL_METADATA = {
    "status",
    "progress",
    "durationinseconds",
    "duration",
    "finished",
    "recordeddate",
    "distributionchannel",
    "userlanguage",
    "locationlatitude",
    "locationlongitude",
    "responseset",
    "name",
    "locationaccuracy",
}
#: variable ids the bundled questionnaire uses, recognised from question texts
KNOWN_IDS = [
    (r"\bwhich council\b", "council_text"),
    (r"\bparty\b", "party"),
    (r"\brole\b", "role"),
    (r"\bhow long\b.*\bcouncillor\b", "tenure"),
    (r"\bage\b", "age_band"),
    (r"\bgender\b", "gender"),
]
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
#: more distinct answers than this (and than half the answered rows) is free text
MAX_OPTIONS = 15


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", norm_text(text or ""))


def _scale_point(text: str) -> tuple[int, int] | None:
    """(scale, point 1-5) of a standard scale label, else None."""
    t = norm_text(text)
    t = _ALIASES.get(t, t)
    for s, scale in enumerate(SCALES):
        for p, label in enumerate(scale, start=1):
            if t == label.casefold():
                return s, p
    return None


def _is_non_answer(text: str) -> bool:
    return norm_text(text).replace("\u2019", "'") in NON_ANSWERS


# ------------------------------------------------------------------------ judging


def _number(v) -> float | None:
    if isinstance(v, float | int):
        return float(v)
    if isinstance(v, str) and _NUMBER.fullmatch(v.strip()):
        return float(v)
    return None


def _num_text(v) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _variable(col: Column, fmt: str) -> tuple[dict, list[str]]:
    """The codebook entry of a question column (without id and locator) and its CHECKs."""
    checks: list[str] = []
    answered = [v for v in col.values if v is not None and str(v).strip()]
    if col.labels:  # SPSS value labels: every label, not only those seen
        return _labelled(col, answered, checks), checks
    if col.sub.casefold().startswith("open-ended"):
        return {"kind": "free_text"}, checks
    if specify_of(col, fmt) and any(str(v).strip() != col.sub for v in answered):
        checks.append(
            "typed answers of an option ('please specify', a text entry): free text, "
            "redacted at cleaning; a blank is not an answer"
        )
        return {"kind": "free_text"}, checks
    texts = [v.strip() if isinstance(v, str) else _num_text(v) for v in answered]
    distinct = list(dict.fromkeys(texts))
    if col.recodes and distinct and all(d in col.recodes for d in distinct):
        return _recoded(col, distinct, checks), checks
    likert = _likert(distinct)
    if likert is not None:
        checks.append("scale direction: 'Strongly agree' (the scale's top) = 5")
        return {"kind": "likert", "values": likert}, checks
    numbers = [_number(d) for d in distinct]
    if distinct and all(n is not None for n in numbers):
        if all(n.is_integer() and 1 <= n <= 5 for n in numbers) and (
            col.block or len(distinct) >= 3
        ):
            checks.append(
                "unlabelled numeric codes read as scale points 1-5: confirm the direction "
                "(is 5 'Strongly agree'?), or make it single_choice"
            )
            codes = {_num_text(k): int(k) for k in sorted({int(n) for n in numbers})}
            return {"kind": "likert", "codes": codes}, checks
        checks.append("numeric answers: kind numeric (or a closed question with number codes?)")
        return {"kind": "numeric"}, checks
    date_format, fits = detect_date_format(distinct) if distinct else (None, [])
    if date_format:
        more = f"; also fits {', '.join(fits[1:])}" if len(fits) > 1 else ""
        checks.append(f"dates: date format detected from the data{more}")
        return {"kind": "date", "date_format": date_format}, checks
    if col.block and len(distinct) == 1 and norm_text(distinct[0]) == norm_text(col.sub):
        checks.append("one option of a multi-select question (blank = not chosen)")
        return {"kind": "single_choice", "ordered": False, "values": {col.sub: col.sub}}, checks
    many = len(distinct) > MAX_OPTIONS or (
        len(answered) >= 20 and len(distinct) > len(answered) / 2
    )
    if not distinct or many:
        if not distinct:
            checks.append("no answers in the export: free text or a closed question?")
        return {"kind": "free_text"}, checks
    ordered = _looks_ordered(distinct)
    if ordered:
        checks.append("ordered options? (guessed from numbers in the answers)")
    if col.sub.casefold() not in ("", "response") and not col.block:
        checks.append("free text or a closed question?")
    if ordered:
        distinct = sorted(distinct, key=_option_order)
    return {"kind": "single_choice", "ordered": ordered, "values": {d: d for d in distinct}}, checks


def _looks_ordered(options) -> bool:
    return any(
        re.search(r"[0-9]|\bless than\b|\bmore than\b|\bunder\b|\bor (over|more)\b", d, re.I)
        for d in options
    )


def _option_order(text: str) -> tuple[int, float]:
    """Sort key of an ordered option: "Under 35" / "Less than 2 years" first, then by
    the first number, "75 or over" / "More than 10 years" after, non-answers last."""
    t = norm_text(text)
    number = re.search(r"[0-9]+(?:\.[0-9]+)?", t)
    value = float(number.group()) if number else float("inf")
    if _is_non_answer(t):
        return 3, value
    if re.search(r"\b(under|less than|fewer than|below)\b", t):
        return 0, value
    if re.search(r"\b(more than|or (over|more|older)|over|above)\b", t):
        return 2, value
    return 1, value


def _likert(distinct: list[str]) -> dict | None:
    """The answer map of a Likert item, or None if the answers are not one standard scale."""
    points = [(d, _scale_point(d)) for d in distinct]
    scales = {p[0] for _, p in points if p}
    if len(scales) != 1 or any(p is None and not _is_non_answer(d) for d, p in points):
        return None
    scale = SCALES[scales.pop()]
    values = {label: i for i, label in enumerate(scale, start=1)}
    for d, p in points:
        if p is None:
            values[d] = None
        elif d not in values:
            values[d] = p[1]
    return values


def _labelled(col: Column, answered, checks) -> dict:
    """SPSS value labels: Likert if the (non-missing) labels are one standard scale."""
    labels = {k: str(v).strip() for k, v in col.labels.items()}
    kept = {k: v for k, v in labels.items() if k not in col.missing}
    likert = _likert(list(kept.values()))
    unlabelled = sorted({v for v in answered if v not in labels and v not in col.missing})
    if likert is not None:
        checks.append("scale direction: 'Strongly agree' (the scale's top) = 5")
        if unlabelled:
            checks.append(f"codes without a label in the data: {unlabelled}")
        return {"kind": "likert", "values": likert}
    if unlabelled:
        checks.append(f"codes without a label in the data: {[_num_text(u) for u in unlabelled]}")
    ordered = _looks_ordered(kept.values())
    if ordered:
        checks.append("ordered options? (guessed from numbers in the labels; codes' order kept)")
    return {"kind": "single_choice", "ordered": ordered, "values": {v: v for v in kept.values()}}


def _recoded(col: Column, distinct, checks) -> dict:
    """A numeric Qualtrics export mapped through the .qsf's recode values."""
    table = {d: col.recodes[d] for d in distinct}
    likert = _likert(list(col.recodes.values()))
    if likert is not None:
        checks.append("scale direction: 'Strongly agree' (the scale's top) = 5 (from the .qsf)")
        return {"kind": "likert", "codes": {k: likert[v] for k, v in col.recodes.items()}}
    return {"kind": "single_choice", "ordered": False, "codes": table}


# ------------------------------------------------------------------------ writing


def _slug(text: str, used: set[str], prefix: str = "") -> str:
    words = re.findall(r"[a-z0-9]+", norm_text(text))
    stop = {
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "or",
        "is",
        "are",
        "do",
        "you",
        "your",
        "in",
        "for",
        "on",
        "what",
        "which",
        "how",
        "far",
        "will",
        "with",
        "my",
        "i",
    }
    words = [w for w in words if w not in stop][:4] or ["q"]
    base = prefix + "_".join(words)
    if not base[0].isalpha():
        base = "q_" + base
    return _unused(base, used)


def _unused(base: str, used: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3`` ... if taken; recorded in ``used``."""
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}_{n}", n + 1
    used.add(slug)
    return slug


def _var_id(col: Column, entry: dict, used: set[str], fmt: str) -> str:
    if fmt in ("qualtrics", "spss") and re.fullmatch(r"[a-z][a-z0-9_]*", col.name):
        if col.name not in used:  # an SPSS name such as att_big_data is kept
            used.add(col.name)
            return col.name
    text = col.sub if (col.block and col.sub) else (col.text or col.name)
    if not col.block:
        for pattern, known in KNOWN_IDS:
            if re.search(pattern, norm_text(col.text or col.name)) and known not in used:
                if (known == "council_text") == (entry["kind"] == "free_text"):
                    used.add(known)
                    return known
    return _slug(text, used, "att_" if entry["kind"] == "likert" and col.block else "")


def _multi_lines(multi: Multi, fmt: str, var_id: str) -> list[str]:
    """The codebook entry of a multi-select question, with its CHECK lines."""
    by_name = fmt in ("qualtrics", "spss")
    lines = [f"# {multi.name}: {multi.text[:100]}"] if by_name and multi.text else []
    limit = _up_to(multi.text or multi.name)
    what = (
        f"'choose up to {limit}' read from the question text"
        if limit
        else "tick all that apply: if it says 'choose up to N', add `max_choices: N`"
    )
    lines += [
        f"# CHECK: multi-select, {what}; if one option means 'none of these', add "
        "`none: true` to it",
        f"- id: {var_id}",
    ]
    if not by_name:
        lines.append(f"  header: {_q(multi.name)}")
    lines.append("  kind: multi_select")
    if limit:
        lines.append(f"  max_choices: {limit}")
    lines.append("  options:")
    for col, option in zip(multi.columns, multi.options, strict=True):
        lines.append(f"  - text: {_q(option)}")
        if by_name:
            lines.append(f"    column: {_q(col.name)}")
    return lines


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _up_to(text: str) -> int | None:
    """N of a question text saying "choose up to N" (select / tick / pick; N a digit or
    a word up to six), else None."""
    m = re.search(r"\b(?:choose|select|tick|pick|name) up to ([0-9]+|[a-z]+)\b", norm_text(text))
    if not m:
        return None
    return int(m[1]) if m[1].isdigit() else _NUMBER_WORDS.get(m[1])


def _q(value) -> str:
    """A YAML scalar (quoted where YAML would read it otherwise)."""
    if value is None:
        return "null"
    if isinstance(value, bool | int):
        return json.dumps(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True)[
        :-1
    ].removesuffix("\n...")


def draft_codebook(path, format=None, qsf=None, encoding=None, wave=None) -> str:
    """A commented, schema-valid codebook of the export at ``path`` (YAML text).

    Parameters
    ----------
    path : str or Path
        The export (SurveyMonkey or Qualtrics CSV, xlsx, SPSS .sav).
    format : str, optional
        As for :func:`councilsurvey.inputs.export.read_export`; detected if not given.
    qsf : str or Path, optional
        A Qualtrics ``.qsf`` survey file: choice texts and recode values.
    encoding : str, optional
        Of a CSV export (see :func:`councilsurvey.inputs.textfile.decode`).
    wave : str, optional
        The wave id written (default: the name of the export's folder).

    Returns
    -------
    str
        The codebook, ``# CHECK:`` comments marking what a person must confirm.
    """
    from councilsurvey.inputs.export import FORMATS, detect_format

    path = Path(path)
    fmt = format or detect_format(path, encoding)
    if fmt not in FORMATS:
        raise InputError(path, f"unknown export format {fmt!r} (expected one of {FORMATS})")
    if fmt == "spss":
        cols = spss_columns(path)
    elif fmt == "xlsx":
        cols = surveymonkey_columns(xlsx_records(path))
    else:
        records = read_records(path, encoding, [])
        if len(records) < 2:
            raise InputError(path, "fewer than two header rows: nothing to draft from")
        legacy = is_legacy(records[0])
        if fmt == "qualtrics" or legacy or (len(records) >= 3 and is_import_id_row(records[2])):
            fmt = "qualtrics"
            cols = qualtrics_columns(records, qsf)
        else:
            cols = surveymonkey_columns(records)
    lines = [
        f"# Codebook drafted by `councilsurvey codebook draft` from {path.name}.",
        "# Review every `# CHECK:` line, rename the variable ids to the questionnaire's",
        "# ids, then check it with `councilsurvey read`.",
        f"wave: {_q(str(wave or path.resolve().parent.name))}",
        f"format: {fmt}",
    ]
    metadata, variables, skipped = [], [], []
    roles: set[str] = set()
    for col in cols:
        role = None
        if not (col.block or col.sub.strip()):
            role = ROLES.get(_key(col.name)) or ROLES.get(_key(col.text))
        if role and role not in roles:
            roles.add(role)
            metadata.append((col, role))
        elif _key(col.name) in TOOL_METADATA and not col.block:
            skipped.append(col.name)
        else:
            variables.append(col)
    dates = [v for c, r in metadata if r in ("start_date", "end_date") for v in c.values]
    date_format, fits = detect_date_format(dates) if fmt != "spss" else (None, [])
    if date_format:
        more = f"; also fits {', '.join(fits[1:])}" if len(fits) > 1 else ""
        lines.append(f"# CHECK: date format detected from the data{more}")
    lines.append(f"date_format: {_q(date_format or DEFAULT_DATE_FORMAT)}")
    if "respondent_id" not in roles:
        lines.append("# CHECK: no respondent ID column: the clean stage numbers the rows")
    lines.append("metadata:" if metadata else "metadata: []")
    for col, role in metadata:
        if fmt in ("qualtrics", "spss"):
            lines += [f"- names: [{_q(col.name)}]", f"  role: {role}"]
        else:
            lines += [f"- header: {_q(col.name)}", f"  role: {role}"]
    if skipped:
        lines.append(f"# left out (survey-tool metadata): {', '.join(skipped)}")
    lines.append("variables:")
    used: set[str] = set()
    multi_ids: dict[str, str] = {}  # a SurveyMonkey block's question -> its id
    for col in group_multi(variables, fmt, qsf):
        if isinstance(col, Multi):
            multi_ids[col.name] = _slug(col.text or col.name, used)
            lines += _multi_lines(col, fmt, multi_ids[col.name])
            continue
        entry, checks = _variable(col, fmt)
        question = specify_of(col, fmt)
        if question in multi_ids and entry["kind"] == "free_text":
            # the typed answers of the question's "Other" option: named after the question
            var_id = _unused(f"{multi_ids[question]}_other", used)
        else:
            var_id = _var_id(col, entry, used, fmt)
        if col.text and fmt in ("qualtrics", "spss"):
            lines.append(f"# {col.name}: {col.text[:100]}")
        lines += [f"# CHECK: {c}" for c in checks]
        lines.append(f"- id: {var_id}")
        if fmt in ("qualtrics", "spss"):
            lines.append(f"  column: {_q(col.name)}")
        else:
            lines += [f"  header: {_q(col.name)}", f"  subheader: {_q(col.sub)}"]
        lines.append(f"  kind: {entry['kind']}")
        if "date_format" in entry:
            lines.append(f"  date_format: {_q(entry['date_format'])}")
        if "ordered" in entry:
            lines.append(f"  ordered: {_q(entry['ordered'])}")
        for key in ("values", "codes"):
            if key in entry:
                lines.append(f"  {key}:")
                keys = {k: (k if key == "codes" else _q(k)) for k in entry[key]}
                lines += [f"    {keys[k]}: {_q(v)}" for k, v in entry[key].items()]
    if not variables:
        raise InputError(path, "no question columns found: nothing to draft")
    return "\n".join(lines) + "\n"
