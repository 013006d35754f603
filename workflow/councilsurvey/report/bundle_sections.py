"""Sections of a bundle README a reader can use: the key results in the questionnaire's
words, the claims check grouped by theme with each figure's source and status, the analytic
choices that differ from the project's defaults, and what changed between waves.

Every function takes the bundled (disclosure-controlled) tables and returns Markdown;
:mod:`councilsurvey.pipeline.bundling` puts the sections into the README template.
"""

from __future__ import annotations

import re

import pandas as pd

from councilsurvey.inputs.labels import ReaderLabels

#: segments in reading order, with the words the README uses
SEGMENT_WORDS = {
    "enthusiast": "Digital enthusiasts",
    "middle": "In the middle",
    "sceptic": "Digital sceptics",
    "unclassified": "Unclassified (fewer than two benefit items answered)",
}
_ANSWERING = re.compile(r"answering (\w+)")


def _pct(value) -> str:
    value = pd.to_numeric(value, errors="coerce")
    return "suppressed" if pd.isna(value) else f"{float(value):.1%}"


def _estimate(row) -> str:
    if pd.isna(pd.to_numeric(row.get("weighted"), errors="coerce")):
        return f"suppressed (n {row.get('n')})"
    return f"{_pct(row['weighted'])} ({_pct(row['lci'])} to {_pct(row['uci'])})"


def question_words(questionnaire) -> dict[str, str]:
    """Variable id -> the question's words, from a wave's ``questionnaire.yaml``."""
    return ReaderLabels.of(questionnaire).questions


def headline_label(row, words: dict[str, str]) -> str:
    """A headline row in words: "<question's words>: <answer counted>"."""
    found = _ANSWERING.search(str(row["basis"]))
    var = found.group(1) if found else str(row["indicator"])
    question = words.get(var, var).rstrip("?.")
    answer = str(row["category"])
    if "_" in answer and "; " in str(row["basis"]):  # a derived category, e.g. two options
        answer = str(row["basis"]).rsplit("; ", 1)[1]
    if not any(len(w) > 1 and w.isupper() for w in answer.split()):
        answer = answer.lower()
    else:  # keep "CIO"
        answer = answer[:1].lower() + answer[1:]
    return f"{question}: {answer}"


def key_results(
    segments: pd.DataFrame | None, headlines: pd.DataFrame | None, questionnaire=None
) -> str:
    """The "Key results" section: segment shares and the headline estimates, weighted,
    with their 95% confidence intervals, labelled in the questionnaire's words."""
    if segments is None and headlines is None:
        return ""
    lines = [
        "## Key results",
        "",
        "Weighted shares of councillors with 95% confidence intervals (councils as "
        "clusters; `tables/segments.csv`, `tables/headlines.csv`).",
        "",
        "| result | respondents | weighted share (95% CI) |",
        "| --- | ---: | --- |",
    ]
    if segments is not None:
        rows = {r["segment"]: r for r in segments.to_dict("records")}
        for seg, words in SEGMENT_WORDS.items():
            if seg in rows:
                row = dict(rows[seg], weighted=rows[seg].get("weighted_share"))
                lines.append(f"| {words} | {row['n']} | {_estimate(row)} |")
    if headlines is not None:
        words = question_words(questionnaire)
        for row in headlines.to_dict("records"):
            lines.append(f"| {headline_label(row, words)} | {row['n']} | {_estimate(row)} |")
    return "\n".join(lines) + "\n\n"


def _cell(text) -> str:
    """Text for a Markdown table cell: pipes escaped, white space runs one space."""
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return " ".join(text.replace("|", "\\|").split())


def _number(value, share: bool, digits: int = 1) -> str:
    value = pd.to_numeric(value, errors="coerce")
    if pd.isna(value):
        return "—"
    return f"{float(value):.{digits}%}" if share else f"{float(value):g}"


def claim_published(row) -> str:
    """The published value as the source gave it: a count, a share ("64%", "33.3%"), or
    for a bound the reading of its words ("'few' read as at most 10%")."""
    from councilsurvey.analysis.claims import show

    share = row.get("kind") != "count"
    value = pd.to_numeric(row.get("published"), errors="coerce")
    if row.get("kind") in ("upper_bound", "lower_bound"):
        reading = _cell(row.get("reading"))
        return reading or f"bound {show(float(value), share)}"
    return show(float(value), share)


def claim_weighted(row) -> str:
    """The weighted estimate with its interval, "45.5% (41.6% to 49.5%)"; "—" for a count
    of respondents or councils, or a figure not reproduced."""
    w = pd.to_numeric(row.get("weighted"), errors="coerce")
    if pd.isna(w):
        return "—"
    lci, uci = (_number(row.get(k), True) for k in ("weighted_lci", "weighted_uci"))
    return f"{_number(w, True)} ({lci} to {uci})"


def claim_status(row) -> str:
    """The status with what a reader needs to judge it: the source the data match and the
    other sources' values (CONFLICT), whether the reading holds (INTERPRETATION), why
    (FAIL)."""
    st = str(row.get("status", ""))
    note = _cell(row.get("note"))
    if st == "CONFLICT":
        return (
            f"**CONFLICT**: the data match {_cell(row.get('matches'))}; other sources: "
            f"{_cell(row.get('conflicts'))}"
        )
    if st in ("INTERPRETATION", "FAIL"):
        return f"**{st}**: {note}" if note else f"**{st}**"
    return f"**{st}**"


def claims_section(claims: pd.DataFrame) -> str:
    """The "Claims" section: every published figure, grouped by theme (a heading each, in
    the order of ``published.yaml``), with its words, its source (outlet linked to the
    article), the published and reproduced values, the weighted estimate with its 95%
    interval and the status; empty when there are no claims (as for the trends bundle)."""
    if claims.empty:
        return ""
    from councilsurvey.analysis.claims import STATUS_WORDS, status_counts

    lines = [
        "## Claims",
        "",
        "The report's full text is not available; its figures come from its press coverage, "
        "each quoted below with its source and recomputed from the data (unweighted, on "
        "the basis `published.yaml` states with it, as the report's figures are; the "
        "weighted share of councillors with its 95% confidence interval is given for "
        f"context). {status_counts(claims)}. A claim is "
        + "; ".join(f"**{s}** when {w}" for s, w in STATUS_WORDS.items())
        + ". `claims.csv` has every column (basis, tolerance, n, notes).",
        "",
    ]
    themes = claims["theme"] if "theme" in claims else pd.Series([""] * len(claims))
    records = claims.assign(theme=themes.fillna("").astype(str)).to_dict("records")
    for theme in dict.fromkeys(r["theme"] for r in records):
        heading = theme[:1].upper() + theme[1:] if theme else "Other"
        lines += [
            f"### {heading}",
            "",
            "| what was published | source | published | reproduced | weighted (95% CI) | status |",
            "| --- | --- | ---: | ---: | --- | --- |",
        ]
        for r in (r for r in records if r["theme"] == theme):
            quote = _cell(r.get("quote") or r.get("text"))
            source, url = _cell(r.get("source")), _cell(r.get("url"))
            share = r.get("kind") != "count"
            lines.append(
                f"| “{quote}” | {f'[{source}]({url})' if url else source} | "
                f"{claim_published(r)} | {_number(r.get('reproduced'), share)} | "
                f"{claim_weighted(r)} | {claim_status(r)} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def _flatten(value, prefix="") -> dict[str, object]:
    if isinstance(value, dict) and value:
        out = {}
        for key in sorted(value, key=str):
            out.update(_flatten(value[key], f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def _show(value) -> str:
    """A setting as YAML writes it inline (``null``, ``[4, 5]``, ``5``)."""
    import json

    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def analytic_choices(config: dict, defaults: dict) -> list[tuple[str, object, object]]:
    """(setting, default, value) of every setting of the sections ``defaults`` holds
    whose value in ``config`` differs from the project's default (missing: None)."""
    have = _flatten({k: config.get(k) for k in defaults})
    want = _flatten(defaults)
    return [
        (key, want.get(key), have.get(key))
        for key in sorted(set(have) | set(want))
        if have.get(key) != want.get(key)
    ]


def choices_section(config: dict, defaults: dict) -> str:
    """The "Analytic choices" section: the settings that differ from the defaults."""
    diff = analytic_choices(config, defaults)
    lines = [
        "## Analytic choices",
        "",
        f"The analytic settings ({', '.join(f'`{k}`' for k in defaults)}) of "
        "`provenance/config.yaml`, as run (also in `provenance.json`, `config.effective`), "
        "compared with the project's defaults "
        "(`workflow/councilsurvey/pipeline/defaults.yaml`):",
        "",
    ]
    if not diff:
        lines += ["none: the project's defaults.", ""]
        return "\n".join(lines) + "\n"
    lines += ["| setting | default | this bundle |", "| --- | --- | --- |"]
    lines += [f"| `{key}` | {_show(old)} | {_show(new)} |" for key, old, new in diff]
    return "\n".join(lines) + "\n\n"


def trends_summary(changes: pd.DataFrame, alpha: float = 0.05) -> str:
    """The "What changed between waves" section: every change whose Holm-adjusted p-value
    is below ``alpha``, and how many comparisons showed none."""
    if changes is None or changes.empty:
        return ""
    p = pd.to_numeric(changes["p_adjusted"], errors="coerce")
    sig = changes[p < alpha]
    pairs = ", ".join(
        f"{a} to {b}"
        for a, b in changes[["wave_from", "wave_to"]].drop_duplicates().itertuples(index=False)
    )
    verdict = (
        f"none changed at the {alpha:.0%} level."
        if sig.empty
        else f"{len(sig)} changed at the {alpha:.0%} level:"
    )
    lines = [
        "## What changed between waves",
        "",
        f"{len(changes)} weighted shares were compared between consecutive waves ({pairs}; "
        "`tables/trend_changes.csv`; p-values Holm-adjusted within each pair of waves): "
        f"{verdict}",
        "",
    ]
    for r in sig.to_dict("records"):
        lines.append(
            f"- {r['indicator']} ({r['category']}), {r['wave_from']} to {r['wave_to']}: "
            f"{_pct(r['estimate_from'])} to {_pct(r['estimate_to'])}, "
            f"{100 * float(r['difference']):+.1f} points "
            f"(95% CI {100 * float(r['lci']):+.1f} to {100 * float(r['uci']):+.1f}; "
            f"adjusted p {float(r['p_adjusted']):.3g})"
        )
    return "\n".join(lines) + "\n\n"
