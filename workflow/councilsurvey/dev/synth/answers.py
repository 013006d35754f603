"""The submissions of a synthetic wave: one record per respondent, and the dirt of a real
export (duplicates, resubmissions, partial and test submissions, members of Welsh and
Scottish councils, unmatchable council names), with invented people and metadata.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.dev.synth import texts
from councilsurvey.dev.synth.exports import header_rows, likert_texts
from councilsurvey.dev.synth.population import (
    PUBLISHED,
    RESUBMITTED_ITEMS,
    draw_attitudes,
    draw_councils,
    draw_respondents,
    draw_strategy,
)
from councilsurvey.inputs.instrument import Instrument


class _People:
    """Synthetic names, emails, IP addresses and SurveyMonkey ids (all invented)."""

    def __init__(self, rng):
        self.rng = rng
        self.next_id = 10_512_345_000
        self.used: set[str] = set()

    def person(self, council: str) -> dict:
        rng = self.rng
        while True:
            first, last = rng.choice(texts.FIRST), rng.choice(texts.LAST)
            slug = "".join(ch for ch in council.lower() if ch.isalpha())[:14] or "council"
            email = f"{first.lower()}.{last.lower()}@{slug}.gov.uk"
            if email not in self.used:
                self.used.add(email)
                break
        ip = (
            f"{rng.choice([81, 86, 92, 109, 151, 212])}.{rng.integers(1, 255)}."
            f"{rng.integers(0, 255)}.{rng.integers(1, 255)}"
        )
        return {
            "First Name": first,
            "Last Name": last,
            "Email Address": email,
            "IP Address": ip,
            "Custom Data 1": f"LGIU-{rng.integers(10**5, 10**6)}",
        }

    def respondent_id(self) -> str:
        self.next_id += int(self.rng.integers(3, 400))
        return str(self.next_id)


def _fmt(ts: datetime) -> str:
    return ts.strftime("%m/%d/%Y %I:%M:%S %p")


def generate(
    frame: pd.DataFrame,
    outside: pd.DataFrame,
    instrument: Instrument,
    seed: int,
    matcher: CouncilMatcher,
    targets: dict | None = None,
    start: datetime = datetime(2016, 10, 17, 9, 0, 0),
    theta_shift: float = 0.0,
    old_names: dict | None = None,
) -> tuple[list[list[str]], pd.DataFrame]:
    """Generate the export.

    Returns
    -------
    header : list of two lists of str
        The two header rows.
    rows : DataFrame
        One row per submission, columns keyed by (question, sub-question) position.
    """
    t = targets or PUBLISHED
    rng = np.random.default_rng(seed)
    per_council = draw_councils(rng, frame, t["councils"], t["respondents"])
    df = draw_respondents(rng, frame, per_council)
    df = draw_attitudes(
        rng,
        df,
        instrument,
        t["enthusiasts"],
        t["sceptics"],
        wellbeing_share=t["wellbeing_positive"],
        theta_shift=theta_shift,
    )
    df = draw_strategy(rng, df, strategy_share=t["digital_strategy"])
    df["council_text"] = texts.council_texts(rng, df, frame, matcher, old_names=old_names)
    df = df.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)

    people = _People(rng)
    names = frame.set_index("code")["name"]
    clean = []
    for i, r in df.iterrows():
        when = start + timedelta(minutes=int(i * 90 + rng.integers(0, 80)))
        rec = _record(rng, people, instrument, r, names[r["code"]], when)
        clean.append(rec)

    dirty = _dirt(rng, people, instrument, clean, df, start)
    records = sorted(clean + dirty, key=lambda rec: (rec["_when"], rec["_order"]))
    for rec in records:
        if rec.get("_dup_of") is None:
            rec["Respondent ID"] = people.respondent_id()
    by_key = {id(r): r for r in records}
    for rec in records:  # an exact duplicate repeats its original's id too
        if rec.get("_dup_of") is not None:
            src = by_key[rec["_dup_of"]]
            for k, v in src.items():
                if not k.startswith("_"):
                    rec[k] = v
    return header_rows(instrument), pd.DataFrame(records)


def _record(rng, people, instrument, r, council_name, when) -> dict:
    """The export record of respondent ``r`` (a row of drawn answers), submitted at
    ``when`` by an invented person of ``council_name``: answers as the export's texts."""
    rec = dict(people.person(council_name))
    minutes = int(rng.integers(4, 25))
    rec.update(
        {
            "Collector ID": str(rng.choice(["214512345", "214512399"])),
            "Start Date": _fmt(when),
            "End Date": _fmt(when + timedelta(minutes=minutes)),
            "council_text": r["council_text"],
        }
    )
    for item in instrument.choice_items:
        rec[item["id"]] = r[item["id"]]
    likert_text = likert_texts(instrument)
    for col in instrument.attitude_ids:
        v = r[col]
        rec[col] = "Don't know" if pd.isna(v) else likert_text[int(v)]
    if rng.random() < 0.4:
        text = str(rng.choice(texts.ONE_THING))
        text = text.format(
            email=rec["Email Address"],
            phone=f"07700 900{rng.integers(100, 999)}",
            postcode=f"{rng.choice(['SW1A', 'M1', 'LS1', 'B33'])} "
            f"{rng.integers(1, 9)}{rng.choice(['AA', 'TH', 'NX'])}",
        )
        rec["one_thing"] = text
    else:
        rec["one_thing"] = ""
    rec["_when"] = when
    rec["_order"] = 0
    return rec


def _dirt(rng, people, instrument, clean, df, start) -> list[dict]:
    """The dirty records of a real export, drawn from the ``clean`` records and their
    respondents ``df``."""
    dirty = []
    n = len(clean)
    picks = rng.permutation(n)
    cursor = 0

    def take(k):
        nonlocal cursor
        out = picks[cursor : cursor + k]
        cursor += k
        return out

    # exact duplicates: the same submission exported twice
    for i in take(10):
        dup = dict(clean[i])
        dup["_dup_of"] = id(clean[i])
        dup["_order"] = 1
        dirty.append(dup)
    # resubmissions: an earlier complete submission from the same address
    for i in take(10):
        alt = df.iloc[i].copy()
        for col in RESUBMITTED_ITEMS:
            alt[col] = float(rng.integers(1, 6))
        earlier = clean[i]["_when"] - timedelta(days=int(rng.integers(1, 20)))
        rec = _record(rng, people, instrument, alt, "x", earlier)
        for k in ["First Name", "Last Name", "Custom Data 1"]:
            rec[k] = clean[i][k]
        rec["Email Address"] = (
            clean[i]["Email Address"].upper() if rng.random() < 0.3 else clean[i]["Email Address"]
        )
        dirty.append(rec)
    # a later partial submission from the same address: the earlier complete one is kept
    for i in take(4):
        later = clean[i]["_when"] + timedelta(days=int(rng.integers(1, 10)))
        rec = _record(rng, people, instrument, df.iloc[i], "x", later)
        for k in ["First Name", "Last Name", "Email Address", "Custom Data 1"]:
            rec[k] = clean[i][k]
        _blank_most(rng, rec, instrument)
        dirty.append(rec)
    # partial responses from people who never came back
    for _ in range(10):
        r = df.iloc[int(rng.integers(n))].copy()
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        rec = _record(rng, people, instrument, r, str(rng.choice(texts.FIRST)), when)
        _blank_most(rng, rec, instrument)
        dirty.append(rec)
    # test submissions before and during fieldwork
    for j in range(6):
        r = df.iloc[int(rng.integers(n))].copy()
        when = start - timedelta(days=3 - j // 2, minutes=j * 7)
        rec = _record(rng, people, instrument, r, "lgiu", when)
        style = j % 3
        if style == 0:
            rec.update(
                {"First Name": "Test", "Last Name": "User", "Email Address": f"test{j}@lgiu.org"}
            )
        elif style == 1:
            rec.update({"council_text": texts.TEST_COUNCIL})
        else:
            rec.update({"Last Name": "Testing", "Email Address": f"survey.testing{j}@lgiu.org"})
        dirty.append(rec)
    # members of Welsh or Scottish councils
    for council in texts.WELSH_SCOTTISH:
        r = df.iloc[int(rng.integers(n))].copy()
        r["council_text"] = council
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        dirty.append(_record(rng, people, instrument, r, council, when))
    # council names that cannot be matched (or only ambiguously)
    for council in texts.UNMATCHABLE:
        r = df.iloc[int(rng.integers(n))].copy()
        r["council_text"] = council
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        dirty.append(_record(rng, people, instrument, r, "council", when))
    return dirty


def _blank_most(rng, rec, instrument):
    """Leave only the first few (2 to 6) closed questions answered, and no free text."""
    keep = int(rng.integers(2, 7))
    for col in instrument.closed_item_ids[keep:]:
        rec[col] = ""
    rec["one_thing"] = ""
