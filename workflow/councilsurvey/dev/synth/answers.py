"""The submissions of a synthetic wave: one record per respondent, and the dirt of a real
export around them (duplicates, resubmissions, partial and test submissions, speeders,
officers, members of Welsh and Scottish councils, twin-hatted, blank, ambiguous and
unmatchable council names), with invented people and metadata.

Every record carries what the generator intends for it (``_code``: the English council
the submitter sits on, ``_noise``: how its name was typed, ``_fate``: ``respondent`` or
the designed exclusion), which :func:`truth` writes as the wave's ``truth.csv``. The
respondents are decided first; the dirt is built around them so that the documented
cleaning rules (:class:`~councilsurvey.dev.synth.rules.CleaningRules`) keep exactly
them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from councilsurvey.dev.synth import texts
from councilsurvey.dev.synth.exports import header_rows, likert_texts, option_key
from councilsurvey.dev.synth.noise import NameTyper
from councilsurvey.dev.synth.population import (
    MULTI_SKIP,
    PUBLISHED,
    RESUBMITTED_ITEMS,
    adjust_benefits,
    draw_attitudes,
    draw_councils,
    draw_impact,
    draw_multi,
    draw_respondents,
    draw_strategy,
)
from councilsurvey.dev.synth.rules import CleaningRules
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


#: how many dirty submissions of each kind a wave gets
DIRT = {
    "duplicate": 10,
    "resubmission": 10,
    "partial_later": 4,
    "partial": 10,
    "test": 6,
    "speeder": 8,
    "officer": 6,
    "twin_hatted": 6,
    "blank_council": 5,
    "ambiguous": 3,
    "over_max": 6,
}
TRUTH_COLUMNS = ["respondent_id", "council_code", "noise", "fate"]


def _fmt(ts: datetime) -> str:
    return ts.strftime("%m/%d/%Y %I:%M:%S %p")


def generate(
    frame: pd.DataFrame,
    outside: pd.DataFrame,
    instrument: Instrument,
    seed: int,
    rules: CleaningRules | None = None,
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
        One row per submission in export order, columns keyed like
        :func:`~councilsurvey.dev.synth.exports.column_order`, plus the intended truth
        ``_code``, ``_noise`` and ``_fate`` (see :func:`truth`).
    """
    t = targets or PUBLISHED
    rules = rules or CleaningRules()
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
    df = adjust_benefits(rng, df, instrument, t)
    df = draw_strategy(rng, df, strategy_share=t["digital_strategy"])
    typer = NameTyper(frame, rules.test_markers, rules.officer_markers)
    df = draw_new_questions(rng, df, instrument, t, theta_shift)
    typed = [_council_text(rng, typer, code, old_names) for code in df["code"]]
    df["council_text"] = [text for text, _ in typed]
    df["_noise"] = [noise for _, noise in typed]
    df = df.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)

    people = _People(rng)
    names = frame.set_index("code")["name"]
    clean = []
    for i, r in df.iterrows():
        when = start + timedelta(minutes=int(i * 90 + rng.integers(0, 80)))
        rec = _record(rng, people, instrument, r, names[r["code"]], when, rules)
        rec.update({"_code": r["code"], "_noise": r["_noise"], "_fate": "respondent"})
        clean.append(rec)
    _over_max(rng, instrument, clean, df)

    dirty = _dirt(rng, people, instrument, clean, df, start, frame, outside, typer, rules)
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


def truth(rows: pd.DataFrame) -> pd.DataFrame:
    """The wave's ``truth.csv``: one row per export row (submission), in export order: the
    respondent id as the export has it (an exact duplicate repeats its original's id, so
    its k-th listing is the truth of the id's k-th row), the frame code of the English
    council the submitter sits on (empty when none: Welsh and Scottish members, officers,
    tests, inventions), how the council's name was typed and the submission's designed
    fate (an exact duplicate's: ``duplicate``)."""
    out = pd.DataFrame(
        {
            "respondent_id": rows["Respondent ID"].astype(str),
            "council_code": rows["_code"].fillna("").astype(str),
            "noise": rows["_noise"].astype(str),
            "fate": rows["_fate"].astype(str),
        }
    )
    return out[TRUTH_COLUMNS].reset_index(drop=True)


def draw_new_questions(rng, df, instrument, targets, theta_shift=0.0) -> pd.DataFrame:
    """``overall_impact`` and the tick-all-that-apply questions of ``instrument``, to the
    targets' shares; a multi-select answer is one boolean column per option
    (:func:`~councilsurvey.dev.synth.exports.option_key`)."""
    out = df.copy()
    n = len(out)
    shifted = out.assign(theta=out["theta"] + theta_shift)
    ids = set(instrument.question_ids)
    if "overall_impact" in ids:
        out["overall_impact"] = draw_impact(rng, shifted, targets["impact_positive"])
    out["_over_max"] = False
    for item in instrument.multi_select_items:
        skip = rng.random(n) < MULTI_SKIP
        if item.get("max_choices"):  # the over-the-limit answers: outside the base
            free = np.flatnonzero(~skip)
            over = rng.choice(free, size=DIRT["over_max"], replace=False)
            skip[over] = True
            out.loc[out.index[over], "_over_max"] = True
        ticks = draw_multi(rng, shifted, item, targets["multi"].get(item["id"], {}), skip)
        for option in item["options"]:
            out[option_key(item["id"], option)] = ticks[option].to_numpy()
    return out


def _council_text(rng, typer: NameTyper, code: str, old_names: dict | None) -> tuple[str, str]:
    if old_names and code in old_names and rng.random() < 0.3:
        return str(rng.choice(old_names[code])), "predecessor"
    return typer.type(rng, code)


def _over_max(rng, instrument, clean, df) -> None:
    """Respondents marked ``_over_max`` tick four or five challenges in a "choose up to
    three" question (cleaning sets their answer to missing: they are outside the base the
    published shares were drawn on)."""
    for item in instrument.multi_select_items:
        limit = item.get("max_choices")
        if not limit:
            continue
        for rec, over in zip(clean, df["_over_max"], strict=True):
            if over:
                k = int(rng.integers(limit + 1, min(limit + 3, len(item["options"])) + 1))
                picked = rng.choice(item["options"], size=k, replace=False)
                for option in item["options"]:
                    rec[option_key(item["id"], option)] = option if option in picked else ""


def _record(rng, people, instrument, r, council_name, when, rules, minutes=None) -> dict:
    """The export record of respondent ``r`` (a row of drawn answers), submitted at
    ``when`` by an invented person of ``council_name``: answers as the export's texts;
    ``minutes`` (default: 4 to 24 past the rules' minimum duration) from start to end."""
    rec = dict(people.person(council_name))
    if minutes is None:
        minutes = rules.min_duration_minutes + float(rng.integers(2, 23))
    rec.update(
        {
            "Collector ID": str(rng.choice(["214512345", "214512399"])),
            "Start Date": _fmt(when),
            "End Date": _fmt(when + timedelta(seconds=int(round(minutes * 60)))),
            "council_text": r["council_text"],
        }
    )
    for item in instrument.choice_items:
        rec[item["id"]] = r[item["id"]]
    for item in instrument.multi_select_items:
        for option in item["options"]:
            key = option_key(item["id"], option)
            rec[key] = option if bool(r[key]) else ""
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


def _dirt(rng, people, instrument, clean, df, start, frame, outside, typer, rules) -> list[dict]:
    """The dirty records of a real export, drawn from the ``clean`` records and their
    respondents ``df``, each with its designed fate."""
    dirty = []
    n = len(clean)
    picks = rng.permutation(n)
    cursor = 0

    def take(k):
        nonlocal cursor
        out = picks[cursor : cursor + k]
        cursor += k
        return out

    def someone(code=None, text=None, noise=None):
        """Another member's answers (those of a drawn respondent), typing ``text`` (or
        their council's name through the noise model)."""
        r = df.iloc[int(rng.integers(n))].copy()
        if code is not None:
            r["code"] = code
        if text is None:
            text, noise = typer.type(rng, r["code"])
        r["council_text"] = text
        return r, noise

    def when():
        return start + timedelta(hours=int(rng.integers(0, 1300)))

    def add(rec, code, noise, fate):
        rec.update({"_code": code, "_noise": noise, "_fate": fate})
        dirty.append(rec)

    names = frame.set_index("code")["name"]
    # exact duplicates: the same submission exported twice
    for i in take(DIRT["duplicate"]):
        dup = dict(clean[i])
        dup["_dup_of"] = id(clean[i])
        dup["_order"] = 1
        dup["_fate"] = "duplicate"
        dirty.append(dup)
    # resubmissions: an earlier complete submission from the same address
    for i in take(DIRT["resubmission"]):
        alt = df.iloc[i].copy()
        for col in RESUBMITTED_ITEMS:
            alt[col] = float(rng.integers(1, 6))
        alt["council_text"], noise = typer.type(rng, alt["code"])
        earlier = clean[i]["_when"] - timedelta(days=int(rng.integers(1, 20)))
        rec = _record(rng, people, instrument, alt, "x", earlier, rules)
        for k in ["First Name", "Last Name", "Custom Data 1"]:
            rec[k] = clean[i][k]
        rec["Email Address"] = (
            clean[i]["Email Address"].upper() if rng.random() < 0.3 else clean[i]["Email Address"]
        )
        add(rec, alt["code"], noise, "resubmission")
    # a later partial submission from the same address: the earlier complete one is kept
    for i in take(DIRT["partial_later"]):
        later = clean[i]["_when"] + timedelta(days=int(rng.integers(1, 10)))
        rec = _record(rng, people, instrument, df.iloc[i], "x", later, rules)
        for k in ["First Name", "Last Name", "Email Address", "Custom Data 1"]:
            rec[k] = clean[i][k]
        _blank_most(rng, rec, instrument, rules)
        add(rec, clean[i]["_code"], clean[i]["_noise"], "partial")
    # partial responses from people who never came back
    for _ in range(DIRT["partial"]):
        code = str(rng.choice(frame["code"]))
        r, noise = someone(code)
        rec = _record(rng, people, instrument, r, names[code], when(), rules)
        _blank_most(rng, rec, instrument, rules)
        add(rec, code, noise, "partial")
    # test submissions before fieldwork
    for j in range(DIRT["test"]):
        r, _ = someone(text="LGiU")
        at = start - timedelta(days=3 - j // 2, minutes=j * 7)
        rec = _record(rng, people, instrument, r, "lgiu", at, rules)
        style = j % 3
        if style == 0:
            rec.update(
                {"First Name": "Test", "Last Name": "User", "Email Address": f"test{j}@lgiu.org"}
            )
        elif style == 1:
            rec.update({"council_text": texts.TEST_COUNCIL})
        else:
            rec.update({"Last Name": "Testing", "Email Address": f"survey.testing{j}@lgiu.org"})
        add(rec, "", "test", "test")
    # speeders: members who clicked through in under the minimum time, all "Agree"
    for _ in range(DIRT["speeder"]):
        code = str(rng.choice(frame["code"]))
        r, noise = someone(code)
        for col in instrument.attitude_ids:
            r[col] = 4.0
        secs = rng.integers(35, int(rules.min_duration_minutes * 60) - 10)
        rec = _record(rng, people, instrument, r, names[code], when(), rules, secs / 60)
        add(rec, code, noise, "speeder")
    # officers answering by mistake
    for _ in range(DIRT["officer"]):
        code = str(rng.choice(frame["code"]))
        r, _ = someone(code, typer.officer(rng, code))
        add(
            _record(rng, people, instrument, r, names[code], when(), rules),
            "",
            "officer",
            "officer",
        )
    # twin-hatted members of a county and one of its districts
    districts = frame[frame["parent_county"].isin(frame["name"])]["code"].to_numpy()
    for _ in range(DIRT["twin_hatted"]):
        text, first = typer.twin_hatted(rng, str(rng.choice(districts)))
        r, _ = someone(first, text)
        rec = _record(rng, people, instrument, r, names[first], when(), rules)
        add(rec, first, "twin_hatted", "twin_hatted")
    # council left blank
    for _ in range(DIRT["blank_council"]):
        code = str(rng.choice(frame["code"]))
        r, _ = someone(code, "")
        add(
            _record(rng, people, instrument, r, names[code], when(), rules),
            code,
            "blank",
            "blank_council",
        )
    # a name two councils share
    for _ in range(DIRT["ambiguous"]):
        text, code = typer.ambiguous(rng)
        r, _ = someone(code or None, text)
        rec = _record(rng, people, instrument, r, text, when(), rules)
        add(rec, code, "ambiguous", "ambiguous")
    # members of Welsh or Scottish councils
    for council in texts.WELSH_SCOTTISH:
        r, _ = someone(text=council)
        add(
            _record(rng, people, instrument, r, council, when(), rules),
            "",
            "outside_england",
            "outside_england",
        )
    # council names that are inventions
    for council in texts.UNMATCHABLE:
        r, _ = someone(text=council)
        add(
            _record(rng, people, instrument, r, "council", when(), rules),
            "",
            "unmatchable",
            "unmatchable",
        )
    return dirty


def _blank_question(rec, instrument, var_id) -> None:
    item = instrument.item(var_id)
    if item.get("type") == "multi_select":
        for option in item["options"]:
            rec[option_key(var_id, option)] = ""
    else:
        rec[var_id] = ""


def _blank_most(rng, rec, instrument, rules) -> None:
    """Leave only the first few closed questions answered (2 up to fewer than the rules'
    minimum share), and no free text."""
    closed = instrument.closed_item_ids
    most = int(np.ceil(rules.min_answered_share * len(closed))) - 1
    keep = int(rng.integers(2, max(3, min(7, most + 1))))
    for col in closed[keep:]:
        _blank_question(rec, instrument, col)
    rec["one_thing"] = ""
