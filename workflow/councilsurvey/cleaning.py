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
``resubmission``
    an earlier submission from an email address that submitted again (the latest
    complete one is kept);
``outside_england``, ``council_ambiguous``, ``council_unmatched``
    council not in England's frame, or not identifiable.

Council names matched only after normalisation or fuzzily are kept and logged as
``repaired`` / ``council_name_variant``; names of councils abolished before the wave's
fieldwork are matched to their successor and logged as ``repaired`` /
``council_successor``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .codebook import Codebook
from .errors import InputError
from .export import ROW, RawExport, norm_text
from .matching import AMBIGUOUS, MATCHED, OUTSIDE, CouncilMatcher
from .pseudonym import pseudonymise
from .redact import redact, redact_series
from .yamlio import load_yaml

log = logging.getLogger(__name__)

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "responses.schema.yaml"
LOG_COLUMNS = ["raw_row", "action", "reason", "detail"]
EXCLUSION_REASONS = [
    "test_submission",
    "exact_duplicate",
    "partial",
    "resubmission",
    "outside_england",
    "council_ambiguous",
    "council_unmatched",
]
DEFAULT_TEST_MARKERS = ["test", "testing", "dummy"]


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
    """

    responses: pd.DataFrame
    log: pd.DataFrame
    matches: pd.DataFrame
    summary: pd.DataFrame


def recode(raw: RawExport, codebook: Codebook) -> pd.DataFrame:
    """Recode answer texts to codes through the codebook.

    Likert answers become nullable integers (Don't know -> missing, never 3); single
    choices become categoricals of the codebook's labels; free text stays text.

    Raises
    ------
    InputError
        For an answer text the codebook does not know, naming file, row and column.
    """
    out = raw.data.copy()
    for var in codebook.variables:
        col = var["id"]
        if var["kind"] == "free_text":
            continue
        lookup = {norm_text(k): v for k, v in var["values"].items()}
        values = out[col]
        answered = values.notna()
        keys = values[answered].map(norm_text)
        unknown = ~keys.isin(list(lookup))
        if unknown.any():
            first = unknown[unknown].index[0]
            raise InputError(
                raw.path,
                f"answer {values[first]!r} is not a known answer to {col!r} (codebook: "
                f"{', '.join(repr(k) for k in var['values'])})",
                row=int(out.at[first, ROW]),
                column=raw.headers[col],
            )
        coded = keys.map(lookup)
        if var["kind"] == "likert":
            series = pd.Series(pd.NA, index=out.index, dtype="Int64")
            series[answered] = coded.astype("Int64")
        else:
            labels = list(dict.fromkeys(var["values"].values()))
            series = pd.Series(
                pd.Categorical(
                    coded.reindex(out.index),
                    categories=labels,
                    ordered=bool(var.get("ordered", False)),
                )
            )
            series.index = out.index
        out[col] = series
    return out


def _has_marker(values: pd.Series, markers: list[str]) -> pd.Series:
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, markers)) + r")(?![a-z])", re.I)
    return values.fillna("").map(lambda s: bool(pattern.search(s)))


def clean(
    raw: RawExport,
    codebook: Codebook,
    frame: pd.DataFrame,
    matcher: CouncilMatcher,
    key: bytes,
    wave: str,
    min_answered_share: float = 0.5,
    test_markers: list[str] | None = None,
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
        Pseudonymisation key (see :mod:`councilsurvey.pseudonym`).
    wave : str
        Wave id, part of the pseudonym's context.
    min_answered_share : float
        A response answering fewer than this share of closed items is partial.
    test_markers : list of str, optional
        Words that mark a test submission.

    Returns
    -------
    CleanResult

    Raises
    ------
    InputError
        If an answer is not in the codebook, or if no respondent is left.
    """
    markers = test_markers or DEFAULT_TEST_MARKERS
    data = recode(raw, codebook)
    entries: list[dict] = []
    keep = pd.Series(True, index=data.index)

    def exclude(mask: pd.Series, reason: str, detail) -> None:
        for idx in mask[mask & keep].index:
            text = detail(idx) if callable(detail) else detail
            entries.append(
                {
                    "raw_row": int(data.at[idx, ROW]),
                    "action": "excluded",
                    "reason": reason,
                    "detail": text,
                }
            )
        keep[mask] = False

    # 1. test submissions
    # (the email's local part only: "testvalley.gov.uk" is a council; a council name
    # counts unless it names a council exactly or after normalisation: "Test Valley" does,
    # "TEST - please ignore" only fuzzily)
    probes = {
        c: data[c].astype("string") for c in ("first_name", "last_name", "custom") if c in data
    }
    if "email" in data:
        probes["email"] = data["email"].astype("string").str.split("@").str[0]
    if "council_text" in data:
        council = data["council_text"].astype("string")
        known = council.map(
            lambda t: matcher.match(t)["method"] in ("exact", "normalised"), na_action="ignore"
        )
        probes["council_text"] = council.where(~known.fillna(False).astype(bool))
    is_test = pd.Series(False, index=data.index)
    hit_field = pd.Series("", index=data.index)
    for col, values in probes.items():
        hit = _has_marker(values, markers) & ~is_test
        hit_field[hit] = col
        is_test |= hit
    exclude(is_test, "test_submission", lambda i: f"test marker in {hit_field[i]}")

    # 2. exact duplicates (every raw field equal to an earlier row's)
    fields = [c for c in raw.data.columns if c != ROW]
    live = raw.data.loc[keep, fields]
    dup = live.duplicated(keep="first")
    first_row = {}
    for grp in live.groupby(fields, dropna=False, sort=False).groups.values():
        rows = list(grp)
        for r in rows[1:]:
            first_row[r] = int(data.at[rows[0], ROW])
    exclude(
        dup.reindex(data.index, fill_value=False),
        "exact_duplicate",
        lambda i: f"same as row {first_row.get(i, '?')}",
    )

    # 3. partial responses
    closed = [v["id"] for v in codebook.variables if v["kind"] != "free_text"]
    answered = raw.data[closed].notna().sum(axis=1)
    need = min_answered_share * len(closed)
    exclude(
        answered < need,
        "partial",
        lambda i: f"{answered[i]} of {len(closed)} closed items answered",
    )

    # 4. resubmissions: keep the latest complete submission per email address
    if "email" in data:
        email = data["email"].astype("string").str.strip().str.casefold()
        when = _parse_dates(raw, codebook, data)
        live = data.index[keep & email.notna()]
        order = pd.DataFrame({"email": email[live], "when": when[live], "row": data.loc[live, ROW]})
        order = order.sort_values(["email", "when", "row"])
        latest = order.groupby("email", sort=False).tail(1)
        superseded = order.index.difference(latest.index)
        kept_row = dict(zip(latest["email"], latest["row"], strict=True))
        mask = pd.Series(False, index=data.index)
        mask[superseded] = True
        exclude(
            mask,
            "resubmission",
            lambda i: f"superseded by a later complete submission (row {kept_row[email[i]]})",
        )

    # 5. councils
    reached = keep.copy()
    typed = data["council_text"].astype("string")
    matches = matcher.match_all(typed[keep].dropna().unique())
    by_text = matches.set_index("typed")
    status = typed.map(
        lambda t: by_text.at[t, "status"] if t in by_text.index else "unmatched", na_action="ignore"
    ).fillna("unmatched")

    def council_detail(i):
        if pd.isna(typed[i]):
            return "council left blank"
        m = by_text.loc[typed[i]]
        t = redact(typed[i])
        if m["status"] == OUTSIDE:
            return f"{m['code']} {m['matched_name']} ({m['method']})"
        if m["status"] == AMBIGUOUS:
            return f"{t!r} fits several councils: {m['candidates']}"
        return f"{t!r} matches no council (best score {m['score']:.0f})"

    exclude(status == OUTSIDE, "outside_england", council_detail)
    exclude(status == AMBIGUOUS, "council_ambiguous", council_detail)
    exclude(status != MATCHED, "council_unmatched", council_detail)

    kept = data[keep].copy()
    if kept.empty:
        counts = pd.Series([e["reason"] for e in entries], dtype="string").value_counts()
        reasons = ", ".join(f"{r} {int(counts[r])}" for r in EXCLUSION_REASONS if r in counts)
        first = next((e for e in entries if e["action"] == "excluded"), None)
        where = f"; first: row {first['raw_row']}, {first['reason']} ({first['detail']})"
        raise InputError(
            raw.path,
            f"every row was excluded by cleaning ({len(data)} data rows: {reasons})"
            + (where if first else ""),
        )
    kept["code"] = kept["council_text"].map(by_text["code"])
    method = kept["council_text"].map(by_text["method"])
    for idx in kept.index[method != "exact"]:
        m = by_text.loc[kept.at[idx, "council_text"]]
        successor = m["method"] == "successor"
        detail = f"{redact(kept.at[idx, 'council_text'])!r} -> {m['code']} {m['matched_name']} " + (
            f"(successor: {m['note']})" if successor else f"({m['method']}, score {m['score']:.0f})"
        )
        if successor:
            log.info("raw row %d: %s", int(kept.at[idx, ROW]), detail)
        entries.append(
            {
                "raw_row": int(kept.at[idx, ROW]),
                "action": "repaired",
                "reason": "council_successor" if successor else "council_name_variant",
                "detail": detail,
            }
        )

    # pseudonymous id, frame attributes, redacted free text; personal data dropped
    if "respondent_id" not in kept:
        raise InputError(raw.path, "the codebook names no Respondent ID column")
    kept["respondent_id"] = kept["respondent_id"].map(
        lambda v: pseudonymise(str(v), key, f"wave {wave}")
    )
    attrs = frame.set_index("code")[["type", "region"]]
    kept["type"] = kept["code"].map(attrs["type"])
    kept["region"] = kept["code"].map(attrs["region"])
    variables = [v["id"] for v in codebook.variables if v["id"] != "council_text"]
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

    log_df = pd.DataFrame(entries, columns=LOG_COLUMNS).sort_values(["raw_row", "action"])
    log_df = log_df.reset_index(drop=True)
    # rows: how many rows that reached council matching typed the name
    match_table = matches.assign(rows=matches["typed"].map(typed[reached].value_counts()))
    # what respondents typed can hold contact details: redact them in every output
    match_table["typed"] = match_table["typed"].map(redact)
    summary = _summary(raw, log_df, responses, frame)
    return CleanResult(responses, log_df, match_table, summary)


def _parse_dates(raw: RawExport, codebook: Codebook, data: pd.DataFrame) -> pd.Series:
    for role in ("end_date", "start_date"):
        if role in data:
            parsed = pd.to_datetime(data[role], format=codebook.date_format, errors="coerce")
            bad = data[role].notna() & parsed.isna()
            if bad.any():
                i = bad[bad].index[0]
                raise InputError(
                    raw.path,
                    f"date {data.at[i, role]!r} does not fit the "
                    f"codebook's date_format {codebook.date_format!r}",
                    row=int(data.at[i, ROW]),
                    column=raw.headers[role],
                )
            return parsed
    return pd.Series(pd.NaT, index=data.index)


def _summary(raw, log_df, responses, frame) -> pd.DataFrame:
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
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def responses_schema(codebook: Codebook, frame: pd.DataFrame) -> pa.DataFrameSchema:
    """The pandera schema of ``responses.parquet``, built from
    ``workflow/schemas/responses.schema.yaml`` and the codebook."""
    spec = load_yaml(SCHEMA)
    columns = {}
    for name, rule in spec["columns"].items():
        checks = []
        if "pattern" in rule:
            checks.append(pa.Check.str_matches(rule["pattern"]))
        if rule.get("in_frame"):
            checks.append(pa.Check.isin(list(frame[rule["in_frame"]].unique())))
        columns[name] = pa.Column(
            rule["dtype"],
            checks,
            nullable=rule.get("nullable", False),
            unique=rule.get("unique", False),
        )
    kinds = spec["variables"]
    for var in codebook.variables:
        if var["id"] == "council_text":
            continue
        rule = kinds[var["kind"]]
        if var["kind"] == "single_choice":
            labels = list(dict.fromkeys(var["values"].values()))
            dtype = pd.CategoricalDtype(labels, ordered=bool(var.get("ordered", False)))
            columns[var["id"]] = pa.Column(dtype, nullable=True)
        else:
            checks = []
            if "minimum" in rule:
                checks.append(pa.Check.in_range(rule["minimum"], rule["maximum"]))
            columns[var["id"]] = pa.Column(rule["dtype"], checks, nullable=True)
    return pa.DataFrameSchema(columns, strict=True, ordered=True)


def validate_responses(responses: pd.DataFrame, codebook: Codebook, frame: pd.DataFrame) -> None:
    """Check cleaned data against its schema; raise ``ValueError`` on failure."""
    try:
        responses_schema(codebook, frame).validate(responses)
    except pa.errors.SchemaError as exc:
        raise ValueError(f"cleaned data fails {SCHEMA.name}: {str(exc).splitlines()[0]}") from None
