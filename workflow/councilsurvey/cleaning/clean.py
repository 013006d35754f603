"""The clean stage: from a raw export to one typed, pseudonymised row per respondent.

Every raw row that is excluded, and every row that is kept but changed, gets one line in
the cleaning log (raw row number, action, reason, detail), which holds no personal data.
Exclusions are applied in this order, each to the rows the previous ones kept:

``test_submission``
    a test marker word (config ``cleaning.test_markers``) in the name, email, custom
    data or council fields;
``exact_duplicate``
    the same answers and metadata as an earlier row;
``partial``
    fewer than ``cleaning.min_answered_share`` of the closed items answered;
``speeder``
    the export's start-to-end time is under ``cleaning.min_duration_minutes`` (only when
    the codebook maps both a ``start_date`` and an ``end_date`` column; otherwise the
    rule is skipped and the log says so once; an end before the start is a clock or
    export fault, not speed, and is not excluded);
``resubmission``
    an earlier submission from an email address that submitted again (the latest
    complete one is kept);
``officer``
    the council answer says the submitter is an officer, not a councillor (a marker of
    config ``cleaning.officer_markers`` as a word: "Head of digital, Camden Council
    (officer)", "I am an officer not a councillor");
``council_blank``
    no council named;
``outside_england``, ``council_ambiguous``, ``council_unmatched``
    council not in England's frame, or not identifiable (a name of two councils of the
    frame, "Kent County and Dover District", is ambiguous: the answers could be about
    either).

For a synthetic wave with a truth file (``truth:`` in ``wave.yaml``), the summary also
counts how the submissions that reached the council-matching step (every one not
excluded by the steps before ``officer``: ``match_submissions``) fared against the truth:
``match_right``, ``match_wrong`` (must be 0), ``match_excluded`` and
``match_correctly_rejected`` (:mod:`councilsurvey.cleaning.truth`), and
``council_matching_accuracy.csv`` counts them by kind of name noise.

Council names matched only after normalisation or fuzzily are kept and logged as
``repaired`` / ``council_name_variant``; names of councils abolished before the wave's
fieldwork are matched to their successor and logged as ``repaired`` /
``council_successor``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from councilsurvey.cleaning.dates import durations as _durations
from councilsurvey.cleaning.dates import fast_dates as _fast_dates  # noqa: F401 (tests)
from councilsurvey.cleaning.dates import parse_dates as _parse_dates
from councilsurvey.cleaning.matching import AMBIGUOUS, MATCHED, OUTSIDE, CouncilMatcher
from councilsurvey.cleaning.multiselect import answered, check_choices, option_columns, recode_other
from councilsurvey.cleaning.pseudonym import pseudonymise_all
from councilsurvey.cleaning.redact import redact, redact_series
from councilsurvey.cleaning.schema import validate_responses
from councilsurvey.cleaning.truth import (
    accuracy_rows,
    accuracy_table,
    empty_accuracy_table,
    join_truth,
    load_truth,
    outcomes,
)
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook
from councilsurvey.inputs.export import ROW, RawExport, norm_text

log = logging.getLogger(__name__)

LOG_COLUMNS = ["raw_row", "action", "reason", "detail"]
EXCLUSION_REASONS = [
    "test_submission",
    "exact_duplicate",
    "partial",
    "speeder",
    "resubmission",
    "officer",
    "council_blank",
    "outside_england",
    "council_ambiguous",
    "council_unmatched",
]
DEFAULT_TEST_MARKERS = ["test", "testing", "dummy"]
DEFAULT_OFFICER_MARKERS = [
    "officer",
    "not a councillor",
    "not an elected member",
    "head of",
    "member of staff",
    "employee",
]
DEFAULT_MIN_DURATION_MINUTES = 2.0


@dataclass
class CleanResult:
    """What the clean stage produces.

    Attributes
    ----------
    responses : DataFrame
        One row per respondent (see ``workflow/schemas/responses.schema.yaml``).
    log : DataFrame
        The cleaning log: raw_row, action, reason, detail.
    matches : DataFrame
        Every distinct typed council name with its match.
    summary : DataFrame
        metric, value.
    accuracy : DataFrame
        Council-matching accuracy against the wave's truth by noise kind (no rows without
        a truth file): :func:`councilsurvey.cleaning.truth.accuracy_table`.
    """

    responses: pd.DataFrame
    log: pd.DataFrame
    matches: pd.DataFrame
    summary: pd.DataFrame
    accuracy: pd.DataFrame = field(default_factory=empty_accuracy_table)


def recode(raw: RawExport, codebook: Codebook) -> pd.DataFrame:
    """Recode answer texts to codes through the codebook.

    Likert answers become nullable integers (Don't know -> missing, never 3); single
    choices become categoricals of the codebook's labels; free text stays text;
    multi-select, numeric and date questions are read by
    :func:`councilsurvey.cleaning.multiselect.recode_other` (one nullable boolean column
    per option, missing when nothing was ticked; Float64; datetime).

    Raises
    ------
    InputError
        For an answer text the codebook does not know, naming file, row and column.
    """
    out = raw.data.copy()
    for var in codebook.variables:
        col = var["id"]
        if var["kind"] not in ("likert", "single_choice"):
            continue
        lookup = {norm_text(k): v for k, v in var["values"].items()}
        values = out[col]
        # each distinct answer text is looked up once; rows take its code
        rows, texts = pd.factorize(values)  # missing -> -1
        keys = [norm_text(t) for t in texts]
        known = np.array([k in lookup for k in keys] + [True], dtype=bool)
        unknown = ~known[rows]
        if unknown.any():
            first = out.index[np.flatnonzero(unknown)[0]]
            known_texts = ", ".join(repr(k) for k in var["values"])
            message = f"answer {values[first]!r} is not a known answer to {col!r} (codebook: "
            if raw.path.suffix.lower() in (".sav", ".zsav") and "codes" not in var:
                known_texts += "; SPSS codes are read as their value labels: map the labels"
            raise _cell_error(raw, out, first, col, f"{message}{known_texts})")
        coded = [lookup[k] for k in keys]
        if var["kind"] == "likert":
            series = pd.Series(pd.array(coded + [None], dtype="Int64")[rows], index=out.index)
        else:
            labels = list(dict.fromkeys(var["values"].values()))
            position = {label: i for i, label in enumerate(labels)}
            at = np.array([position.get(c, -1) for c in coded] + [-1], dtype=np.int64)
            series = pd.Series(
                pd.Categorical.from_codes(
                    at[rows], categories=labels, ordered=bool(var.get("ordered", False))
                ),
                index=out.index,
            )
        out[col] = series
    return recode_other(raw, codebook, out)


def _arrow(values: pd.Series):
    """A pandas text column as a pyarrow string array (no copy when pyarrow holds it)."""
    arr = pa.array(values.array, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _strings(arr, index) -> pd.Series:
    """A pyarrow string array as a pandas "string" column."""
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index, dtype="string")


def _lookup(values: pd.Series, mapping, default=np.nan) -> np.ndarray:
    """``mapping[value]`` (``default`` if absent or missing) for every value, looking each
    distinct value up once."""
    codes, distinct = pd.factorize(values)
    found = [mapping.get(v, default) for v in distinct] + [default]
    return np.array(found, dtype=object)[codes]


def _has_marker(values: pd.Series, markers: list[str]) -> pd.Series:
    """Whether each text holds a test marker as a word (case ignored).

    The regular expression runs once per distinct text, and only on texts that could
    match: ASCII texts holding no marker as a plain substring (pyarrow, case ignored)
    cannot; texts with other characters are always checked."""
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, markers)) + r")(?![a-z])", re.I)
    arr = pc.fill_null(_arrow(values), "")
    maybe = np.ones(len(arr), dtype=bool)
    if all(m.isascii() for m in markers):
        any_marker = "(?i)(?:" + "|".join(map(re.escape, markers)) + ")"
        could = pc.or_(
            pc.invert(pc.string_is_ascii(arr)), pc.match_substring_regex(arr, any_marker)
        )
        maybe = could.to_numpy(zero_copy_only=False)
    found = np.zeros(len(arr), dtype=bool)
    codes, distinct = pd.factorize(np.asarray(arr.filter(maybe).to_pylist(), dtype=object))
    hits = np.array([bool(pattern.search(s)) for s in distinct] + [False], dtype=bool)
    found[maybe] = hits[codes]
    return pd.Series(found, index=values.index)


def _casefold(values: pd.Series) -> pd.Series:
    """``str.casefold`` of every text: pyarrow's ASCII lower case for ASCII texts (the
    same thing), Python's casefold for the others."""
    arr = _arrow(values)
    out = pc.ascii_lower(arr)
    other = pc.invert(pc.string_is_ascii(arr)).to_numpy(zero_copy_only=False)
    other &= ~pc.is_null(arr).to_numpy(zero_copy_only=False)
    result = _strings(out, values.index)
    if other.any():
        result[other] = [t.casefold() for t in arr.filter(other).to_pylist()]
    return result


def clean(
    raw: RawExport,
    codebook: Codebook,
    frame: pd.DataFrame,
    matcher: CouncilMatcher,
    key: bytes,
    wave: str,
    min_answered_share: float = 0.5,
    test_markers: list[str] | None = None,
    officer_markers: list[str] | None = None,
    min_duration_minutes: float = DEFAULT_MIN_DURATION_MINUTES,
    truth=None,
) -> CleanResult:
    """Run the clean stage on one wave's export.

    Parameters
    ----------
    raw : RawExport
        The export read through ``codebook``.
    codebook : Codebook
    frame : DataFrame
        The council frame the wave is matched to.
    matcher : CouncilMatcher
    key : bytes
        Pseudonymisation key (see :mod:`councilsurvey.cleaning.pseudonym`).
    wave : str
        Wave id, part of the pseudonym's context.
    min_answered_share : float
        A response answering fewer than this share of closed items is partial.
    test_markers : list of str, optional
        Words that mark a test submission.
    officer_markers : list of str, optional
        Words or phrases in the council answer that mark an officer, not a councillor.
    min_duration_minutes : float
        A submission completed in less time (end minus start timestamp) is a speeder.
    truth : str or Path, optional
        A synthetic wave's truth file: the summary then reports council-matching accuracy
        (:mod:`councilsurvey.cleaning.truth`) and ``accuracy`` is filled.

    Returns
    -------
    CleanResult

    Raises
    ------
    InputError
        If an answer is not in the codebook, if no respondent is left, or for a truth
        file that is bad or does not fit the export.
    """
    markers = test_markers or DEFAULT_TEST_MARKERS
    data = recode(raw, codebook)
    # the raw respondent id (the row number without an id column), for the truth's join
    raw_ids = (
        data["respondent_id"].astype("string")
        if "respondent_id" in data
        else data[ROW].astype(int).astype(str)
    )
    truth_rows = None
    if truth is not None:
        truth_rows = join_truth(
            load_truth(truth, frame["code"]), raw_ids, data[ROW], truth, raw.path
        )
    entries: list[pd.DataFrame] = []
    keep = pd.Series(True, index=data.index)

    def exclude(mask: pd.Series, reason: str, detail) -> None:
        """Log the kept rows of ``mask`` as excluded (``detail``: a text, or a function of
        the excluded rows' labels giving one text each) and drop them."""
        hit = mask & keep
        idx = hit.index[hit.to_numpy(dtype=bool)]
        if len(idx):
            texts = [detail] * len(idx) if isinstance(detail, str) else list(detail(idx))
            entries.append(
                pd.DataFrame(
                    {
                        "raw_row": data.loc[idx, ROW].astype(int).to_numpy(),
                        "action": "excluded",
                        "reason": reason,
                        "detail": texts,
                    }
                )
            )
        keep[mask] = False

    # 1. test submissions
    # (the email's local part only: "testvalley.gov.uk" is a council; a council name
    # counts unless it names a council exactly or after normalisation: "Test Valley" does,
    # "TEST - please ignore" only fuzzily)
    probes = {
        c: data[c].astype("string") for c in ("first_name", "last_name", "custom") if c in data
    }
    if "email" in data:  # the part before the first "@"
        local = pc.replace_substring_regex(_arrow(data["email"]), "(?s)@.*", "")
        probes["email"] = _strings(local, data.index)
    if "council_text" in data:
        council = data["council_text"].astype("string")
        names, distinct = pd.factorize(council)  # each distinct name is matched once
        known = [matcher.match(t)["method"] in ("exact", "normalised") for t in distinct]
        probes["council_text"] = council.where(~np.array(known + [False], dtype=bool)[names])
    is_test = pd.Series(False, index=data.index)
    hit_field = pd.Series("", index=data.index)
    for col, values in probes.items():
        hit = _has_marker(values, markers) & ~is_test
        hit_field[hit] = col
        is_test |= hit
    exclude(is_test, "test_submission", lambda idx: "test marker in " + hit_field[idx])

    # 2. exact duplicates (every raw field equal to an earlier row's); only rows that
    # share their first field (the survey tool's id) with another can be one
    fields = [c for c in raw.data.columns if c != ROW]
    by = "respondent_id" if "respondent_id" in fields else fields[0]
    ids = raw.data.loc[keep.to_numpy(dtype=bool), by]
    live = raw.data.loc[ids.index[ids.duplicated(keep=False).to_numpy()], fields]
    dup = live.duplicated(keep="first")
    first_row = {}
    repeated = live[live.duplicated(keep=False)]  # the rows that have an equal
    for grp in repeated.groupby(fields, dropna=False, sort=False).groups.values():
        rows = list(grp)
        for r in rows[1:]:
            first_row[r] = int(data.at[rows[0], ROW])
    exclude(
        dup.reindex(data.index, fill_value=False),
        "exact_duplicate",
        lambda idx: [f"same as row {first_row.get(i, '?')}" for i in idx],
    )

    # 3. partial responses
    n_answered, n_closed = answered(raw, data, codebook)
    exclude(
        n_answered < min_answered_share * n_closed,
        "partial",
        lambda idx: n_answered[idx].astype(str) + f" of {n_closed} closed items answered",
    )

    # 3b. speeders: completed faster than anyone can read the questions
    minutes = _durations(raw, codebook, data)
    if minutes is None:
        log.info("no start and end timestamps in the export: the speeder rule is skipped")
    else:
        # (an end before the start is a clock or export fault, not speed: not excluded)
        exclude(
            (minutes >= 0) & (minutes < min_duration_minutes),
            "speeder",
            lambda idx: (
                minutes[idx].map(lambda m: f"completed in {m:.1f} minutes")
                + f" (under {min_duration_minutes:g})"
            ),
        )

    # 4. resubmissions: keep the latest complete submission per email address
    if "email" in data:
        email = _casefold(data["email"].astype("string").str.strip())
        when = _parse_dates(raw, codebook, data)
        live = data.index[keep & email.notna()]
        # only addresses that submitted more than once can have been superseded
        live = live[email[live].duplicated(keep=False).to_numpy()]
        order = pd.DataFrame({"email": email[live], "when": when[live], "row": data.loc[live, ROW]})
        order = order.sort_values(["email", "when", "row"])
        latest = order.groupby("email", sort=False).tail(1)
        superseded = order.index.difference(latest.index)
        kept_row = latest.set_index("email")["row"]
        mask = pd.Series(False, index=data.index)
        mask[superseded] = True
        exclude(
            mask,
            "resubmission",
            lambda idx: (
                "superseded by a later complete submission (row "
                + email[idx].map(kept_row).astype(str)
                + ")"
            ),
        )

    # 5. councils
    reached = keep.copy()
    typed = data["council_text"].astype("string")
    officer = _has_marker(typed, officer_markers or DEFAULT_OFFICER_MARKERS)
    exclude(officer, "officer", "the council answer says an officer answered")
    typed = typed.where((typed.str.strip() != "").fillna(False).astype(bool))  # spaces: blank
    exclude(typed.isna(), "council_blank", "council left blank")
    matches = matcher.match_all(typed[keep].dropna().unique())
    by_text = matches.set_index("typed").to_dict("index")
    status = pd.Series(
        _lookup(typed, {t: m["status"] for t, m in by_text.items()}, "unmatched"),
        index=data.index,
    )

    def council_detail(text):
        if pd.isna(text):
            return "council left blank"
        m = by_text[text]
        t = redact(text)
        if m["status"] == OUTSIDE:
            return f"{m['code']} {m['matched_name']} ({m['method']})"
        if m["status"] == AMBIGUOUS:
            return f"{t!r} fits several councils: {m['candidates']}"
        return f"{t!r} matches no council (best score {m['score']:.0f})"

    def council_details(idx):
        return [council_detail(t) for t in typed[idx]]

    exclude(status == OUTSIDE, "outside_england", council_details)
    exclude(status == AMBIGUOUS, "council_ambiguous", council_details)
    exclude(status != MATCHED, "council_unmatched", council_details)

    kept = data[keep].copy()
    entries += check_choices(kept, codebook)  # "choose up to N": more ticked is missing, logged
    if kept.empty:
        log_so_far = pd.concat(entries) if entries else pd.DataFrame(columns=LOG_COLUMNS)
        counts = log_so_far["reason"].astype("string").value_counts()
        reasons = ", ".join(f"{r} {int(counts[r])}" for r in EXCLUSION_REASONS if r in counts)
        first = next(iter(log_so_far[log_so_far["action"] == "excluded"].to_dict("records")), None)
        where = f"; first: row {first['raw_row']}, {first['reason']} ({first['detail']})"
        raise InputError(
            raw.path,
            f"every row was excluded by cleaning ({len(data)} data rows: {reasons})"
            + (where if first else ""),
        )
    kept["code"] = _lookup(kept["council_text"], {t: m["code"] for t, m in by_text.items()})
    method = _lookup(kept["council_text"], {t: m["method"] for t, m in by_text.items()})
    # names matched other than exactly: each distinct name's repair, logged on its rows
    repaired = kept.loc[method != "exact", ["council_text", ROW]]
    if len(repaired):
        detail, reason = {}, {}
        for text in repaired["council_text"].unique():
            m = by_text[text]
            successor = m["method"] == "successor"
            detail[text] = f"{redact(text)!r} -> {m['code']} {m['matched_name']} " + (
                f"(successor: {m['note']})"
                if successor
                else f"({m['method']}, score {m['score']:.0f})"
            )
            reason[text] = "council_successor" if successor else "council_name_variant"
        texts = repaired["council_text"]
        for row, text in zip(repaired[ROW], texts, strict=True):
            if reason[text] == "council_successor":
                log.info("raw row %d: %s", int(row), detail[text])
        entries.append(
            pd.DataFrame(
                {
                    "raw_row": repaired[ROW].astype(int).to_numpy(),
                    "action": "repaired",
                    "reason": texts.map(reason).to_numpy(dtype=object),
                    "detail": texts.map(detail).to_numpy(dtype=object),
                }
            )
        )

    # pseudonymous id, frame attributes, redacted free text; personal data dropped
    if "respondent_id" not in kept:  # no id column (common in SPSS files): the row number
        kept["respondent_id"] = kept[ROW].astype(int).astype(str)
        note = "no respondent ID column: identified by its raw row number"
        entries.append(
            pd.DataFrame(
                {
                    "raw_row": kept[ROW].astype(int).to_numpy(),
                    "action": "numbered",
                    "reason": "no_respondent_id",
                    "detail": note,
                }
            )
        )
    kept["respondent_id"] = pseudonymise_all(kept["respondent_id"], key, f"wave {wave}")
    attrs = frame.set_index("code")
    kept["type"] = _lookup(kept["code"], attrs["type"].to_dict())
    kept["region"] = _lookup(kept["code"], attrs["region"].to_dict())
    variables = [
        c for v in codebook.variables if v["id"] != "council_text" for c in option_columns(v)
    ]
    for v in codebook.variables:
        if v["kind"] == "free_text" and v["id"] != "council_text":
            kept[v["id"]] = redact_series(kept[v["id"]].astype("string"))
    # order by council, then by raw row: never by the pseudonym, whose key differs between
    # machines, so that every downstream sum (and so every result) is the same everywhere
    kept = kept.sort_values(["code", ROW], kind="stable")
    responses = kept[["respondent_id", "code", "type", "region"] + variables]
    responses = responses.reset_index(drop=True)
    for col in ("respondent_id", "code", "type", "region"):
        responses[col] = responses[col].astype("string")
    validate_responses(responses, codebook, frame)

    log_df = pd.concat(entries, ignore_index=True) if entries else None
    log_df = pd.DataFrame(log_df, columns=LOG_COLUMNS).sort_values(["raw_row", "action"])
    log_df = log_df.reset_index(drop=True)
    # rows: how many rows that reached council matching typed the name
    match_table = matches.assign(rows=matches["typed"].map(typed[reached].value_counts()))
    # what respondents typed can hold contact details: redact them in every output
    match_table["typed"] = match_table["typed"].map(redact)
    if truth_rows is None:
        return CleanResult(responses, log_df, match_table, _summary(raw, log_df, responses, frame))
    # accuracy against the truth: every row's kept code (missing if excluded) and result
    matched = pd.Series(pd.NA, index=data.index, dtype="string")
    matched[keep] = kept["code"].reindex(data.index[keep]).astype("string")
    excluded = log_df[log_df["action"] == "excluded"].set_index("raw_row")["reason"]
    result_of = data[ROW].astype(int).map(excluded).fillna("respondent")
    truth_rows.index = data.index
    outcome = outcomes(truth_rows["council_code"], matched, reached)
    summary = _summary(raw, log_df, responses, frame, accuracy_rows(outcome))
    table = accuracy_table(truth_rows, result_of, outcome)
    return CleanResult(responses, log_df, match_table, summary, table)


def _cell_error(raw: RawExport, data: pd.DataFrame, index, column: str, message: str):
    """The :class:`InputError` for the cell of ``data`` at ``index`` in ``column``: it
    names the export file, the spreadsheet row (``_row``) and the column's header."""
    return InputError(raw.path, message, row=int(data.at[index, ROW]), column=raw.headers[column])


def _summary(raw, log_df, responses, frame, accuracy=()) -> pd.DataFrame:
    """The cleaning summary: counts by exclusion reason, respondents, coverage, and (for a
    wave with a truth file) the council-matching accuracy rows ``accuracy``."""
    rows = [("raw_rows", len(raw.data))]
    excluded = log_df[log_df["action"] == "excluded"]["reason"].value_counts()
    for reason in EXCLUSION_REASONS:
        rows.append((f"excluded_{reason}", int(excluded.get(reason, 0))))
    rows.append(("excluded_total", int(excluded.sum())))
    repaired = int((log_df["action"] == "repaired").sum())
    rows.append(("repaired_council_names", repaired))
    n_councils = responses["code"].nunique()
    rows += [
        ("respondents", len(responses)),
        ("councils", n_councils),
        ("frame_councils", len(frame)),
        ("council_coverage", round(n_councils / len(frame), 6)),
        ("frame_seats", int(frame["seats"].sum())),
        (
            "seats_in_covered_councils",
            int(frame.loc[frame["code"].isin(responses["code"]), "seats"].sum()),
        ),
        *accuracy,
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])
