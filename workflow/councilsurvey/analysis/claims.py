"""The published-claims check: every figure the report published against the pipeline.

Each claim of ``data/raw/<wave>/published.yaml`` (checked against
``workflow/schemas/published.schema.yaml``) quotes a published figure with its source and
says, in its ``measure``, what the pipeline computes; nothing parses the prose ``basis``.

Measures
    ``{count: respondents}`` and ``{count: councils}`` count the cleaned respondents and
    the distinct councils among them; ``{coverage: councils}`` is the councils represented
    over the wave's council frame; ``{count: segment, segment: <name>}`` counts the
    respondents of a default-rule segment (with, for context, the weighted share of
    councillors in it). ``{question: <id>, answers: [...]}`` is the share of those
    answering question ``<id>`` who gave any of ``answers``, the answers being the
    questionnaire's texts, read through the wave's codebook (text -> code).
Bases
    A Likert or single-choice question's share is of those answering it: blank, Don't know
    and Prefer not to say are left out (unless they are among the answers counted). A
    multi-select question's share is of those who ticked at least one of its options: the
    rows whose option columns (``<id>__<option>``, nullable booleans) are not missing; a
    skipped question and an answer set over the question's ``max_choices`` are missing in
    every option column (:mod:`councilsurvey.cleaning.multiselect`) and so leave the base.
Estimates
    The reproduced value is unweighted, on that basis, as the report's figures are. Every
    share also has its weighted estimate with a confidence interval from the wave's
    :class:`~councilsurvey.survey.design.SurveyDesign` (councils as clusters, raking
    accounted for, at the design's level: 95% in the pipeline), by
    :func:`councilsurvey.survey.estimation.share`.
Status
    ``PASS``: the reproduced value is within ``tolerance`` of the published one (an
    ``upper_bound`` at or below ``value + tolerance``, a ``lower_bound`` at or above
    ``value - tolerance``). ``CONFLICT``: the sources disagree (the claim has
    ``conflicts``) and the data match one of them; ``matches`` names which. A conflict the
    data match none of is a ``FAIL``. ``INTERPRETATION``: the claim is a reading of a word
    such as "few" (kind ``upper_bound`` or ``lower_bound``, ``reading`` says how it is
    read); ``note`` says whether the reading holds and, when it does not, which
    conflicting source the data follow. ``FAIL``: anything else, including a question
    that is not in the wave's data (``note`` says so).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from councilsurvey.analysis.measures import (  # the claims' measures (answer_indicator re-exported)
    Measured,
    Shares,
    Unavailable,
    _Pending,
    measure,
)
from councilsurvey.analysis.measures import answer_indicator as answer_indicator
from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml, validate
from councilsurvey.inputs.codebook import Codebook
from councilsurvey.inputs.instrument import Instrument
from councilsurvey.inputs.labels import SEGMENT_WORDS, ReaderLabels

if TYPE_CHECKING:  # the design stack (svy, polars) is loaded where a claim is measured:
    # the bundle job reads only the summaries (status_counts, show)
    from councilsurvey.survey.design import SurveyDesign

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "published.schema.yaml"
COLUMNS = [
    "label",
    "claim_id",
    "theme",
    "text",
    "quote",
    "kind",
    "basis",
    "source",
    "url",
    "published",
    "reproduced",
    "n_basis",
    "weighted",
    "weighted_lci",
    "weighted_uci",
    "weighted_measure",
    "tolerance",
    "status",
    "conflicts",
    "matches",
    "reading",
    "note",
]
STATUSES = ["PASS", "CONFLICT", "INTERPRETATION", "FAIL"]
#: the words of a status, for a README or a terminal
STATUS_WORDS = {
    "PASS": "the data reproduce the published figure within its tolerance",
    "CONFLICT": "the sources disagree and the data match one of them (named, with the other "
    "sources' values)",
    "INTERPRETATION": "the published words (e.g. 'few') are read as a bound (the reading, and "
    "whether it holds, are stated)",
    "FAIL": "the data do not reproduce the figure, match none of the disagreeing sources, or "
    "lack the question",
}
_TEXT = ("label", "theme", "text", "quote", "kind", "basis", "source", "url")
_TEXT += ("weighted_measure", "status", "conflicts", "matches", "reading", "note")
_EPS = 1e-12
#: a source given as a single lower-case word is meant as a key of ``sources``
_KEY_LIKE = r"^[a-z][a-z0-9_]*$"


@dataclass(frozen=True)
class Published:
    """A wave's ``published.yaml``: its sources and claims, as validated."""

    sources: dict[str, dict]
    claims: list[dict]
    path: Path | None = None

    def outlet(self, source: str) -> str:
        """The outlet of a source key; free text is its own outlet."""
        return str(self.sources.get(source, {}).get("outlet", source))

    def url(self, source: str) -> str:
        return str(self.sources.get(source, {}).get("url", "") or "")


def _dates_as_text(doc):
    """YAML reads ``2017-04-24`` as a date; the schema (JSON) knows text only."""
    if isinstance(doc, dict):
        return {k: _dates_as_text(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_dates_as_text(v) for v in doc]
    if isinstance(doc, _dt.date):
        return doc.isoformat()
    return doc


def load_published(path) -> Published:
    """Read and check ``published.yaml``.

    Raises
    ------
    InputError
        One line naming the file and the offending claim: a schema violation (e.g. a
        claim without ``source``), a duplicate claim id, or a source that looks like a
        key of ``sources`` (one lower-case word) but is not one.
    """
    import re

    doc = _dates_as_text(load_yaml(path))
    validate(doc, SCHEMA, path)
    sources = doc["sources"]
    seen = set()
    for i, claim in enumerate(doc["claims"]):
        if claim["id"] in seen:
            raise InputError(path, f"claims.{i}: claim id {claim['id']!r} is given twice")
        seen.add(claim["id"])
        named = [("source", claim["source"])] + [
            (f"conflicts.{j}.source", c["source"]) for j, c in enumerate(claim.get("conflicts", []))
        ]
        for where, src in named:
            if re.match(_KEY_LIKE, src) and src not in sources:
                raise InputError(
                    path,
                    f"claims.{i}.{where}: claim {claim['id']!r} names source {src!r}, which is "
                    f"not one of sources ({', '.join(sources)})",
                )
    return Published(sources, list(doc["claims"]), Path(path))


def load_claims(path) -> list[dict]:
    """The checked claims of ``published.yaml`` (:func:`load_published`)."""
    return load_published(path).claims


# --- status ---------------------------------------------------------------------------


def holds(kind: str, published: float, reproduced: float, tolerance: float) -> bool:
    """Whether ``reproduced`` agrees with a published value of ``kind``."""
    if reproduced is None or np.isnan(reproduced):
        return False
    if kind == "upper_bound":
        return reproduced <= published + tolerance + _EPS
    if kind == "lower_bound":
        return reproduced >= published - tolerance - _EPS
    return abs(reproduced - published) <= tolerance + _EPS


def status(kind: str, published: float, reproduced: float, tolerance: float) -> str:
    """PASS or FAIL of a value against one published figure (no conflicts, no reading)."""
    return "PASS" if holds(kind, published, reproduced, tolerance) else "FAIL"


def show(value: float, proportion: bool) -> str:
    """A published or reproduced value as a reader reads it: 808, 26%, 33.3%, 30.1%."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not reproduced"
    if proportion:
        text = f"{100 * value:.1f}".rstrip("0").rstrip(".")
        return f"{text}%"
    return f"{value:g}"


def _is_share(claim: dict) -> bool:
    return claim["kind"] != "count"


def _label(claim: dict, labels: ReaderLabels, questions: dict[str, str]) -> str:
    m = claim["measure"]
    if "question" in m:
        q = m["question"]
        words = labels.short.get(q) or questions.get(q) or labels.variable(q)
        return f"{words}: {' or '.join(m['answers'])}"
    if m.get("count") == "respondents":
        return "Respondents"
    if m.get("count") == "councils":
        return "Councils represented"
    if m.get("coverage") == "councils":
        return "Share of the councils in England represented"
    name = m.get("segment", "")
    return f"{SEGMENT_WORDS.get(name, name)} (respondents)"


def _question_words(instrument: Instrument | None) -> dict[str, str]:
    """Every question's words, in whatever section of the questionnaire it is."""
    if instrument is None:
        return {}
    out = {}
    for section in instrument.raw.values():
        if isinstance(section, list):
            for item in section:
                if isinstance(item, dict) and "id" in item and "text" in item:
                    out[item["id"]] = str(item.get("short") or " ".join(str(item["text"]).split()))
    return out


def check_claim(
    claim: dict,
    published: Published,
    design: SurveyDesign,
    frame: pd.DataFrame,
    codebook: Codebook | None,
    shares: Shares | None = None,
) -> dict:
    """One row of the claims table (:data:`COLUMNS` but ``label``): the claim recomputed,
    its status, and the other sources' values (module docstring, Status).

    With ``shares`` (:class:`Shares` of ``design``), the weighted share is registered
    there rather than estimated, and the row's weighted columns are filled by
    :func:`_fill_weighted` once the shares are computed: the row then carries the pending
    measure under the key ``_pending``, which :func:`check_claims` removes.
    """
    share = _is_share(claim)
    value, tol, kind = float(claim["value"]), float(claim["tolerance"]), claim["kind"]
    row = {
        "claim_id": claim["id"],
        "theme": claim["theme"],
        "text": claim["text"],
        "quote": claim.get("quote", claim["text"]),
        "kind": kind,
        "basis": claim["basis"],
        "source": published.outlet(claim["source"]),
        "url": published.url(claim["source"]),
        "published": value,
        "tolerance": tol,
        "reproduced": np.nan,
        "n_basis": np.nan,
        "weighted": np.nan,
        "weighted_lci": np.nan,
        "weighted_uci": np.nan,
        "weighted_measure": "",
        "conflicts": "",
        "matches": "",
        "reading": "",
        "note": "",
    }
    conflicts = list(claim.get("conflicts", []))
    row["conflicts"] = "; ".join(
        f"{published.outlet(c['source'])}: {show(float(c['value']), share)}" for c in conflicts
    )
    bound = kind in ("upper_bound", "lower_bound")
    if bound:
        word = "at most" if kind == "upper_bound" else "at least"
        limit = value + tol if kind == "upper_bound" else value - tol
        row["reading"] = claim.get("reading") or f"read as {word} {show(limit, share)}"
    try:
        got = measure(claim["measure"], design, frame, codebook, shares)
    except Unavailable as exc:
        row["status"] = "FAIL"
        row["note"] = str(exc)
        return row
    if isinstance(got, _Pending):
        row["_pending"] = got
        got = got.measured
    row["reproduced"], row["n_basis"], row["note"] = got.reproduced, got.n_basis, got.note
    _fill_weighted(row, got, design)
    ok = holds(kind, value, got.reproduced, tol)
    # the other sources: which of them the data match
    matched = []
    for c in conflicts:
        c_tol = float(c.get("tolerance", tol))
        c_kind = "proportion" if bound and share else ("count" if bound else kind)
        if "measure" in c:
            try:
                # only its unweighted value is read: its share is registered with
                # shares that are never computed
                c_got = measure(c["measure"], design, frame, codebook, Shares(design))
                c_got = (c_got.measured if isinstance(c_got, _Pending) else c_got).reproduced
            except Unavailable:
                continue
        else:
            c_got = got.reproduced
        if holds(c_kind, float(c["value"]), c_got, c_tol):
            matched.append((c, c_got))
    repro = show(got.reproduced, share)
    if bound:
        row["status"] = "INTERPRETATION"
        verdict = "holds" if ok else "does not hold"
        note = f"{row['reading']} {verdict}: the data give {repro}"
        if matched:
            row["matches"] = "; ".join(published.outlet(c["source"]) for c, _ in matched)
            follows = "; ".join(
                f"{published.outlet(c['source'])}'s {show(float(c['value']), share)} "
                f"({c['text']}), which the data follow ({show(v, share)})"
                for c, v in matched
            )
            note += f", because of {follows}" if not ok else f"; they also follow {follows}"
        row["note"] = "; ".join(x for x in (note, row["note"]) if x)
    elif conflicts:
        if ok:
            matched.insert(0, ({"source": claim["source"]}, got.reproduced))
        if matched:
            row["status"] = "CONFLICT"
            row["matches"] = "; ".join(published.outlet(c["source"]) for c, _ in matched)
            row["note"] = "; ".join(
                x
                for x in (
                    f"the sources disagree ({published.outlet(claim['source'])}: "
                    f"{show(value, share)}; {row['conflicts']}); the data "
                    f"give {repro}, matching {row['matches']}",
                    row["note"],
                )
                if x
            )
        else:
            row["status"] = "FAIL"
            row["note"] = "; ".join(
                x
                for x in (f"the data give {repro}, matching none of the sources", row["note"])
                if x
            )
    else:
        row["status"] = "PASS" if ok else "FAIL"
        if not ok:
            within = f"{100 * tol:g} points" if share else f"{tol:g}"
            off = f"the data give {repro}, " + (
                "not the published value (tolerance 0)" if tol == 0 else f"outside ±{within}"
            )
            row["note"] = "; ".join(x for x in (off, row["note"]) if x)
    return row


def _fill_weighted(row: dict, got: Measured, design: SurveyDesign) -> None:
    """The weighted columns of ``row`` from ``got`` (left missing without a share)."""
    if got.weighted is not None:
        row.update(
            weighted=got.weighted["weighted"],
            weighted_lci=got.weighted["lci"],
            weighted_uci=got.weighted["uci"],
            weighted_measure=got.extra.get("weighted_measure", "weighted share of councillors")
            + f" ({design.level:.0%} CI)",
        )


def check_claims(
    design: SurveyDesign,
    claims: list[dict] | Published,
    frame: pd.DataFrame,
    codebook: Codebook | None = None,
    instrument: Instrument | None = None,
) -> pd.DataFrame:
    """Recompute every claim.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with ``segment_rule`` (the default rule's segment), and their
        design (the weighted estimates are made with it, at its level).
    claims : Published or list of dict
        From :func:`load_published` (a bare list of claims has no sources' outlets).
    frame : DataFrame
        The wave's council frame.
    codebook : Codebook, optional
        The wave's codebook; without it no question's answers can be read (their claims
        FAIL).
    instrument : Instrument, optional
        The wave's questionnaire, for the ``label`` column's words.

    Returns
    -------
    DataFrame
        One row per claim, in the file's order, with the columns of :data:`COLUMNS`.
    """
    published = claims if isinstance(claims, Published) else Published({}, list(claims))
    labels = ReaderLabels.of(instrument)
    questions = _question_words(instrument)
    shares = Shares(design)  # every claim's weighted share from one svy sample
    rows = []
    for claim in published.claims:
        row = check_claim(claim, published, design, frame, codebook, shares)
        row["label"] = _label(claim, labels, questions)
        rows.append(row)
    shares.compute()
    for row in rows:
        if "_pending" in row:
            _fill_weighted(row, row.pop("_pending").resolve(), design)
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in _TEXT:
        out[col] = out[col].fillna("").astype(object)
    return out[COLUMNS]


# --- summaries --------------------------------------------------------------------------


def status_counts(claims: pd.DataFrame) -> str:
    """The count of each status, e.g. ``24 claims: 19 PASS, 4 CONFLICT, 1 INTERPRETATION,
    0 FAIL``."""
    counts = claims["status"].value_counts()
    parts = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in STATUSES)
    return f"{len(claims)} claim{'s' if len(claims) != 1 else ''}: {parts}"


def summary_lines(claims: pd.DataFrame, wave: str) -> list[str]:
    """The end-of-run summary of one wave's ``claims.csv``: the count of each status, then
    one line per FAIL: the published value and why (the ``note``: what the data give, or
    what is missing)."""
    if claims.empty:
        return [f"Claims check, wave {wave}: no published figures to check"]
    lines = [f"Claims check, wave {wave}: {status_counts(claims)}"]
    for r in claims[claims["status"] == "FAIL"].to_dict("records"):
        share = r.get("kind") != "count"
        note = r.get("note") if isinstance(r.get("note"), str) else ""
        got = float(r["reproduced"])
        why = note or ("not reproduced" if np.isnan(got) else f"reproduced {show(got, share)}")
        lines.append(
            f"  FAIL {r['claim_id']}: published {show(float(r['published']), share)}; {why}"
        )
    return lines
