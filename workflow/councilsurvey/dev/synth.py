"""Seeded generator of the synthetic bundled wave (a SurveyMonkey-style export).

The microdata of "The Start of the Possible" (LGiU, 2017) are not public. This module
reconstructs a plausible export that agrees with the report's published figures, so that
the pipeline can be run, tested and reviewed end to end. **It is synthetic**: no row is a
real councillor. It is run once by a developer to write ``data/raw/<wave>/`` and never by
the pipeline (raw data is an immutable input)::

    python -m councilsurvey.dev.synth --wave 2017 --seed 2017 --out data/raw/2017

How it is built
---------------
1. **Councils**: 278 of the frame's 353 councils are drawn with probabilities that
   favour London boroughs, metropolitan and county councils over districts (as opt-in
   surveys do); 808 respondents are spread over them in proportion to seats, at least
   one each.
2. **Respondents**: party is drawn from the council's seats by party with Labour,
   Liberal Democrat and Green members more likely to respond; cabinet members are
   over-represented among roles; age, tenure and gender follow councillor censuses in
   broad strokes.
3. **Attitudes** come from one latent attitude to technology (depending on party, age,
   role and tenure) through an ordinal item model with item loadings, so items are
   correlated. The segments are fixed first by ranking the latent score (373
   enthusiasts, 118 sceptics, the rest middle or unclassified) and the three benefit
   items are then drawn to satisfy the segment rule. ``att_wellbeing`` is set so that
   exactly the published share of those answering agree; ``has_digital_strategy``
   follows a council-level truth with respondent noise, ranked to the published third.
4. **Dirt**: exact duplicates, resubmissions from the same email, partial responses,
   test submissions, members of Welsh and Scottish councils, unmatchable and ambiguous
   council names, and council names typed as variants or misspelt. Each variant is
   checked against the project's matcher so that the cleaned data has exactly the
   published numbers of respondents and councils.
"""

from __future__ import annotations

import argparse
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from councilsurvey.cleaning.matching import MATCHED, OUTSIDE, CouncilMatcher
from councilsurvey.inputs.codebook import codebook_from_instrument
from councilsurvey.inputs.frame import load_frame, load_outside_england
from councilsurvey.inputs.instrument import Instrument, load_instrument

PUBLISHED = {
    "respondents": 808,
    "councils": 278,
    "enthusiasts": 373,
    "sceptics": 118,
    "wellbeing_positive": 0.64,
    "digital_strategy": 0.333,
}

TYPE_PROPENSITY = {
    "london_borough": 3.0,
    "metropolitan": 1.8,
    "county": 1.6,
    "unitary": 1.3,
    "district": 0.55,
    "sui_generis": 0.6,
}
RESPONSE_BIAS = {
    "london_borough": 1.6,
    "metropolitan": 1.2,
    "county": 1.1,
    "unitary": 1.0,
    "district": 0.7,
    "sui_generis": 0.5,
}
PARTY_BIAS = {"con": 0.75, "lab": 1.5, "ld": 1.4, "green": 1.6, "ukip": 0.8, "ind_other": 0.9}
PARTY_EFFECT = {
    "Conservative": 0.0,
    "Labour": 0.15,
    "Liberal Democrat": 0.25,
    "Green": 0.1,
    "UKIP": -0.6,
    "Independent": -0.3,
    "Other": -0.1,
}
ROLES = {
    "Leader of the council": 0.04,
    "Cabinet or executive member": 0.27,
    "Committee chair": 0.14,
    "Opposition group leader": 0.06,
    "Backbench councillor": 0.45,
    "Other": 0.04,
}
ROLE_EFFECT = {
    "Leader of the council": 0.4,
    "Cabinet or executive member": 0.3,
    "Committee chair": 0.1,
    "Opposition group leader": 0.0,
    "Backbench councillor": -0.1,
    "Other": 0.0,
}
AGES = {
    "Under 35": 0.07,
    "35-44": 0.10,
    "45-54": 0.18,
    "55-64": 0.27,
    "65-74": 0.28,
    "75 or over": 0.07,
    "Prefer not to say": 0.03,
}
AGE_EFFECT = {
    "Under 35": 0.6,
    "35-44": 0.4,
    "45-54": 0.2,
    "55-64": 0.0,
    "65-74": -0.25,
    "75 or over": -0.5,
    "Prefer not to say": 0.0,
}
TENURE = {
    "Less than 2 years": 0.14,
    "2 to 5 years": 0.30,
    "6 to 10 years": 0.24,
    "More than 10 years": 0.32,
}
TENURE_EFFECT = {
    "Less than 2 years": 0.15,
    "2 to 5 years": 0.05,
    "6 to 10 years": 0.0,
    "More than 10 years": -0.15,
}
GENDER = {"Female": 0.34, "Male": 0.63, "Other": 0.005, "Prefer not to say": 0.025}
CHAMPION = {
    "The leader of the council": 0.035,
    "The chief executive": 0.04,
    "A cabinet or executive member": 0.30,
    "A senior officer (e.g. head of digital or CIO)": 0.27,
    "Nobody": 0.15,
    "Don't know": 0.205,
}
# loading on the latent attitude and mean shift of each non-benefit attitude item
ITEMS = {
    "att_too_complex": (-0.6, 0.4),
    "att_cyber": (-0.5, 0.5),
    "att_exclusion": (-0.5, 1.0),
    "att_skills": (0.5, -0.6),
    "att_wellbeing": (0.8, 0.4),
}
BENEFIT_LOADING = 0.9
DONT_KNOW = 0.03

FIRST = [
    "Alice",
    "Amir",
    "Andrew",
    "Angela",
    "Ben",
    "Bernadette",
    "Catherine",
    "Chris",
    "Daniel",
    "Deborah",
    "Edward",
    "Fatima",
    "Fiona",
    "Gareth",
    "Grace",
    "Harjit",
    "Helen",
    "Ian",
    "Imran",
    "Jane",
    "John",
    "Judith",
    "Karen",
    "Keith",
    "Lesley",
    "Liam",
    "Margaret",
    "Mark",
    "Nadia",
    "Neil",
    "Olu",
    "Patricia",
    "Paul",
    "Priya",
    "Rachel",
    "Richard",
    "Robert",
    "Ruth",
    "Sarah",
    "Shaun",
    "Simon",
    "Sunita",
    "Susan",
    "Terry",
    "Tom",
    "Valerie",
    "William",
    "Yasmin",
]
LAST = [
    "Ahmed",
    "Atkinson",
    "Bailey",
    "Begum",
    "Brown",
    "Campbell",
    "Clarke",
    "Cooper",
    "Davies",
    "Edwards",
    "Evans",
    "Fletcher",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Khan",
    "King",
    "Lewis",
    "Martin",
    "Moore",
    "Morris",
    "Nolan",
    "Okafor",
    "Palmer",
    "Patel",
    "Roberts",
    "Robinson",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "White",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]
ONE_THING = [
    "Better broadband across the rural parts of the district",
    "Leadership from the top that treats digital as more than an IT project",
    "Training for members so we can challenge officers properly",
    "Joined-up systems with health and the police",
    "Money to invest up front; savings come later",
    "Residents who are not online must not be left behind",
    "Sharing platforms with neighbouring councils instead of buying our own",
    "A clear digital strategy agreed by full council",
    "Open data published by default",
    "Fewer legacy contracts locking us in to old suppliers",
    "Better use of the data we already hold",
    "Staff with modern digital skills",
    "Simpler online forms for council tax and benefits",
    "Honest conversations about cyber security risks",
    "Happy to discuss further - email me at {email}",
    "Call me on {phone} if you want examples from our ward",
    "See our consultation at www.example-council.gov.uk/digital",
    "Our community hub at {postcode} shows what works",
]
WELSH_SCOTTISH = [
    "Cardiff Council",
    "City of Edinburgh Council",
    "Gwynedd",
    "Glasgow City Council",
    "Fife Council",
    "Edinbrugh",
    "Swansea",
    "Aberdeenshire Council",
    "Powys County Council",
    "Highland Council",
    "Newport City Council",
    "Monmouthshire",
]
UNMATCHABLE = [
    "My local council",
    "Borsetshire County Council",
    "N/A",
    "Loamshire District Council",
    "the council",
    "Kingston",
    "Various",
    "Parish council",
]


def _pick(rng, table: dict, size=None):
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def _ordinal(rng, loading, shift, theta):
    """Draw 1..5 from an ordinal model y* = loading*theta + shift + e."""
    ystar = loading * theta + shift + rng.normal(0, 1.0, size=np.shape(theta))
    return np.digitize(ystar, [-1.6, -0.6, 0.1, 1.3]) + 1


def draw_councils(rng, frame: pd.DataFrame, n_councils: int, n_resp: int) -> pd.Series:
    """Choose councils and respondents per council (code -> count)."""
    weight = frame["type"].map(TYPE_PROPENSITY) * np.sqrt(frame["seats"])
    keys = np.log(weight.to_numpy()) + rng.gumbel(size=len(frame))
    chosen = frame.iloc[np.argsort(-keys)[:n_councils]].copy()
    counts = np.ones(len(chosen), dtype=int)
    p = (chosen["seats"] * chosen["type"].map(RESPONSE_BIAS)).to_numpy(float)
    cap = np.maximum(1, (chosen["seats"].to_numpy() * 0.4).astype(int))
    while counts.sum() < n_resp:
        room = counts < cap
        q = np.where(room, p, 0)
        counts[rng.choice(len(chosen), p=q / q.sum())] += 1
    return pd.Series(counts, index=chosen["code"].to_numpy())


def draw_respondents(rng, frame: pd.DataFrame, per_council: pd.Series) -> pd.DataFrame:
    """Profile and latent attitude of each clean respondent."""
    f = frame.set_index("code")
    rows = []
    for code, n in per_council.items():
        seats = f.loc[code, ["con", "lab", "ld", "green", "ukip", "ind_other"]].astype(float)
        p = seats * pd.Series(PARTY_BIAS)
        parties = rng.choice(list(p.index), size=n, p=(p / p.sum()).to_numpy())
        strategy = rng.random() < 0.32
        for party in parties:
            label = {
                "con": "Conservative",
                "lab": "Labour",
                "ld": "Liberal Democrat",
                "green": "Green",
                "ukip": "UKIP",
            }.get(party)
            if label is None:
                label = "Independent" if rng.random() < 0.75 else "Other"
            rows.append({"code": code, "party": label, "council_strategy": strategy})
    df = pd.DataFrame(rows)
    n = len(df)
    df["role"] = _pick(rng, ROLES, n)
    df["age_band"] = _pick(rng, AGES, n)
    df["tenure"] = _pick(rng, TENURE, n)
    df["gender"] = _pick(rng, GENDER, n)
    df["theta"] = (
        df["party"].map(PARTY_EFFECT)
        + df["role"].map(ROLE_EFFECT)
        + df["age_band"].map(AGE_EFFECT)
        + df["tenure"].map(TENURE_EFFECT)
        + rng.normal(0, 1, n)
    )
    return df


def draw_attitudes(
    rng,
    df: pd.DataFrame,
    instrument: Instrument,
    n_enth: int,
    n_scep: int,
    n_unclassified: int = 12,
    wellbeing_share: float = PUBLISHED["wellbeing_positive"],
    theta_shift: float = 0.0,
) -> pd.DataFrame:
    """Attitude items, with segments fixed by rank of the latent score; ``theta_shift``
    moves the non-benefit items as if attitudes had become more positive."""
    n = len(df)
    benefit = instrument.benefit_ids
    score = df["theta"].to_numpy() + rng.normal(0, 0.5, n)
    segment = np.full(n, "middle", dtype=object)
    unclassified = rng.choice(n, size=n_unclassified, replace=False)
    segment[unclassified] = "unclassified"
    rest = np.setdiff1d(np.arange(n), unclassified)
    order = rest[np.argsort(-score[rest], kind="stable")]
    segment[order[:n_enth]] = "enthusiast"
    segment[order[len(order) - n_scep :]] = "sceptic"
    items = np.zeros((n, 3), dtype=float)
    theta = df["theta"].to_numpy()
    for i in range(n):
        items[i] = _benefit_items(rng, segment[i], theta[i])
    out = df.copy()
    for j, item in enumerate(benefit):
        out[item] = items[:, j]
    for item, (loading, shift) in ITEMS.items():
        vals = _ordinal(rng, loading, shift, theta + theta_shift).astype(float)
        vals[rng.random(n) < DONT_KNOW] = np.nan
        out[item] = vals
    # wellbeing: exactly the published share of those answering agree
    ans = out["att_wellbeing"].notna().to_numpy()
    k = int(round(wellbeing_share * ans.sum()))
    prop = 0.9 * theta + rng.normal(0, 0.6, n)
    idx = np.flatnonzero(ans)
    ranked = idx[np.argsort(-prop[idx], kind="stable")]
    wb = out["att_wellbeing"].to_numpy().copy()
    wb[ranked[:k]] = np.where(prop[ranked[:k]] > np.quantile(prop[idx], 0.8), 5, 4)
    wb[ranked[k:]] = rng.choice([1, 2, 3, 3, 3, 2], size=len(ranked) - k)
    out["att_wellbeing"] = wb
    out["segment_truth"] = segment
    return out


def _benefit_items(rng, segment: str, theta: float) -> np.ndarray:
    if segment == "enthusiast":
        return np.where(rng.random(3) < 1 / (1 + np.exp(-(theta - 0.8))), 5.0, 4.0)
    if segment == "sceptic":
        k = 3 if rng.random() < 0.35 else 2
        vals = np.where(rng.random(3) < 0.35, 1.0, 2.0)
        if k == 2:
            vals[rng.integers(3)] = rng.choice([3.0, 4.0, np.nan], p=[0.6, 0.3, 0.1])
        return vals
    if segment == "unclassified":
        vals = np.full(3, np.nan)
        if rng.random() < 0.6:
            vals[rng.integers(3)] = rng.choice([2.0, 3.0, 4.0])
        return vals
    while True:  # middle: answered >= 2, not all agree, fewer than two disagree
        vals = _ordinal(rng, BENEFIT_LOADING, 0.6, np.full(3, theta)).astype(float)
        vals[rng.random(3) < DONT_KNOW] = np.nan
        answered = np.sum(~np.isnan(vals))
        agree = np.sum(vals >= 4)
        disagree = np.sum(vals <= 2)
        if answered >= 2 and agree < 3 and disagree < 2:
            return vals


def draw_strategy(
    rng, df: pd.DataFrame, strategy_share: float = PUBLISHED["digital_strategy"]
) -> pd.DataFrame:
    """Digital strategy (a council fact seen through respondents), champion, exclusion."""
    out = df.copy()
    n = len(out)
    dk = rng.random(n) < 0.16
    prop = out["council_strategy"].to_numpy() * 2.2 + rng.normal(0, 0.8, n)
    idx = np.flatnonzero(~dk)
    k = int(round(strategy_share * len(idx)))
    ranked = idx[np.argsort(-prop[idx], kind="stable")]
    answer = np.full(n, "Don't know", dtype=object)
    answer[ranked[:k]] = "Yes"
    answer[ranked[k:]] = "No"
    out["has_digital_strategy"] = answer
    out["digital_champion"] = _pick(rng, CHAMPION, n)
    p_ex = 1 / (1 + np.exp(-(0.3 - 0.4 * out["theta"].to_numpy())))
    ex = np.where(rng.random(n) < p_ex, "Yes", "No").astype(object)
    ex[rng.random(n) < 0.08] = "Don't know"
    out["exclusion_major_issue"] = ex
    return out


def _variants(name: str, official: str, ctype: str) -> list[str]:
    base = name.replace(", City of", "").replace(", County of", "")
    out = [f"{base} Council", base.lower(), base.upper()]
    if ctype == "london_borough":
        out += [f"LB {base}", f"London Borough of {base}"]
    if ctype == "county":
        out += [f"{base} County Council", f"{base} CC"]
    if ctype == "district":
        out += [f"{base} District Council", f"{base} DC"]
    if len(base) > 6:  # misspellings: a dropped letter, two swapped letters
        i = len(base) // 2
        out += [base[:i] + base[i + 1 :], base[: i - 1] + base[i] + base[i - 1] + base[i + 1 :]]
    return out


def council_texts(
    rng,
    df,
    frame,
    matcher: CouncilMatcher,
    variant_share=0.12,
    old_names: dict | None = None,
    old_share: float = 0.3,
) -> list[str]:
    """How each respondent typed the council's name; variants checked to match.

    ``old_names`` (successor code -> names of the councils it replaced) makes some members
    of merged councils type a predecessor's name, as real respondents do.
    """
    f = frame.set_index("code")
    texts = []
    for code in df["code"]:
        name, official = f.loc[code, "name"], f.loc[code, "official_name"]
        ctype = f.loc[code, "type"]
        if old_names and code in old_names and rng.random() < old_share:
            text = str(rng.choice(old_names[code]))
            m = matcher.match(text)
            texts.append(text if m["status"] == MATCHED and m["code"] == code else name)
        elif rng.random() < variant_share:
            options = _variants(name, official, ctype)
            rng.shuffle(options)
            for text in options:
                m = matcher.match(text)
                if m["status"] == MATCHED and m["code"] == code and m["method"] != "exact":
                    texts.append(text)
                    break
            else:
                texts.append(name)
        else:
            texts.append(official if isinstance(official, str) and rng.random() < 0.5 else name)
    return texts


class _People:
    """Synthetic names, emails, IP addresses and SurveyMonkey ids (all invented)."""

    def __init__(self, rng):
        self.rng = rng
        self.next_id = 10_512_345_000
        self.used: set[str] = set()

    def person(self, council: str) -> dict:
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
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
    df["council_text"] = council_texts(rng, df, frame, matcher, old_names=old_names)
    df = df.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)

    likert_text = {v: k for k, v in instrument.likert.items() if v is not None}
    people = _People(rng)
    names = frame.set_index("code")["name"]
    clean = []
    for i, r in df.iterrows():
        when = start + timedelta(minutes=int(i * 90 + rng.integers(0, 80)))
        rec = _record(rng, people, r, names[r["code"]], likert_text, when)
        clean.append(rec)

    dirty = _dirt(rng, people, clean, df, likert_text, start)
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
    return _headers(instrument), pd.DataFrame(records)


def _record(rng, people, r, council_name, likert_text, when, partial_items=None) -> dict:
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
    for col in [
        "role",
        "party",
        "tenure",
        "age_band",
        "gender",
        "has_digital_strategy",
        "digital_champion",
        "exclusion_major_issue",
    ]:
        rec[col] = r[col]
    for col in [
        "att_big_data",
        "att_automation",
        "att_tech_services",
        "att_wellbeing",
        "att_too_complex",
        "att_cyber",
        "att_exclusion",
        "att_skills",
    ]:
        v = r[col]
        rec[col] = "Don't know" if pd.isna(v) else likert_text[int(v)]
    if rng.random() < 0.4:
        text = str(rng.choice(ONE_THING))
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


def _dirt(rng, people, clean, df, likert_text, start) -> list[dict]:
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
        for col in ["att_big_data", "att_automation", "att_wellbeing", "att_cyber"]:
            alt[col] = float(rng.integers(1, 6))
        earlier = clean[i]["_when"] - timedelta(days=int(rng.integers(1, 20)))
        rec = _record(rng, people, alt, "x", likert_text, earlier)
        for k in ["First Name", "Last Name", "Custom Data 1"]:
            rec[k] = clean[i][k]
        rec["Email Address"] = (
            clean[i]["Email Address"].upper() if rng.random() < 0.3 else clean[i]["Email Address"]
        )
        dirty.append(rec)
    # a later partial submission from the same address: the earlier complete one is kept
    for i in take(4):
        later = clean[i]["_when"] + timedelta(days=int(rng.integers(1, 10)))
        rec = _record(rng, people, df.iloc[i], "x", likert_text, later)
        for k in ["First Name", "Last Name", "Email Address", "Custom Data 1"]:
            rec[k] = clean[i][k]
        _blank_most(rng, rec)
        dirty.append(rec)
    # partial responses from people who never came back
    for _ in range(10):
        r = df.iloc[int(rng.integers(n))].copy()
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        rec = _record(rng, people, r, str(rng.choice(FIRST)), likert_text, when)
        _blank_most(rng, rec)
        dirty.append(rec)
    # test submissions before and during fieldwork
    for j in range(6):
        r = df.iloc[int(rng.integers(n))].copy()
        when = start - timedelta(days=3 - j // 2, minutes=j * 7)
        rec = _record(rng, people, r, "lgiu", likert_text, when)
        style = j % 3
        if style == 0:
            rec.update(
                {"First Name": "Test", "Last Name": "User", "Email Address": f"test{j}@lgiu.org"}
            )
        elif style == 1:
            rec.update({"council_text": "TEST - please ignore"})
        else:
            rec.update({"Last Name": "Testing", "Email Address": f"survey.testing{j}@lgiu.org"})
        dirty.append(rec)
    # members of Welsh or Scottish councils
    for council in WELSH_SCOTTISH:
        r = df.iloc[int(rng.integers(n))].copy()
        r["council_text"] = council
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        dirty.append(_record(rng, people, r, council, likert_text, when))
    # council names that cannot be matched (or only ambiguously)
    for council in UNMATCHABLE:
        r = df.iloc[int(rng.integers(n))].copy()
        r["council_text"] = council
        when = start + timedelta(hours=int(rng.integers(0, 1300)))
        dirty.append(_record(rng, people, r, "council", likert_text, when))
    return dirty


def _blank_most(rng, rec):
    """Leave only the first few questions answered."""
    cols = [
        "role",
        "party",
        "tenure",
        "age_band",
        "gender",
        "att_big_data",
        "att_automation",
        "att_tech_services",
        "att_wellbeing",
        "att_too_complex",
        "att_cyber",
        "att_exclusion",
        "att_skills",
        "has_digital_strategy",
        "digital_champion",
        "exclusion_major_issue",
    ]
    keep = int(rng.integers(2, 7))
    for col in cols[keep:]:
        rec[col] = ""
    rec["one_thing"] = ""


def _headers(instrument: Instrument) -> list[list[str]]:
    raw = instrument.raw
    h1, h2 = list(raw["export_metadata"]), [""] * len(raw["export_metadata"])
    for item in raw["respondent"]:
        h1.append(item["text"])
        h2.append("Open-Ended Response" if item.get("type") == "free_text" else "Response")
    for j, item in enumerate(raw["attitudes"]):
        h1.append(raw["attitudes_stem"] if j == 0 else "")
        h2.append(item["text"])
    for item in raw["strategy"] + raw.get("open_ended", []):
        h1.append(item["text"])
        h2.append("Open-Ended Response" if item.get("type") == "free_text" else "Response")
    return [h1, h2]


def column_order(instrument: Instrument) -> list[str]:
    """Record keys in export column order."""
    raw = instrument.raw
    keys = list(raw["export_metadata"])
    keys += [i["id"] for i in raw["respondent"]]
    keys += [i["id"] for i in raw["attitudes"]]
    keys += [i["id"] for i in raw["strategy"] + raw.get("open_ended", [])]
    return keys


def to_csv(header: list[list[str]], rows: pd.DataFrame, instrument: Instrument) -> bytes:
    """The export as SurveyMonkey writes it (CRLF line ends, minimal quoting)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(header)
    keys = column_order(instrument)
    for rec in rows[keys].fillna("").itertuples(index=False):
        writer.writerow(list(rec))
    return buf.getvalue().encode("utf-8")


def build(
    instrument_path,
    frame_path,
    outside_path,
    seed: int,
    threshold: float = 80.0,
    margin: float = 4.0,
) -> bytes:
    """Generate the export bytes from the project's own reference files."""
    instrument = load_instrument(instrument_path)
    frame = load_frame(frame_path, 353)
    outside = load_outside_england(outside_path)
    matcher = CouncilMatcher(frame, outside, threshold=threshold, margin=margin)
    for name in UNMATCHABLE:
        if matcher.match(name)["status"] == MATCHED:
            raise RuntimeError(f"synth: {name!r} is meant to be unmatchable but matches")
    for name in WELSH_SCOTTISH:
        if matcher.match(name)["status"] != OUTSIDE:
            raise RuntimeError(f"synth: {name!r} is not recognised as outside England")
    header, rows = generate(frame, outside, instrument, seed, matcher)
    data = to_csv(header, rows, instrument)
    check(data, instrument, frame, matcher)
    return data


def check(
    data: bytes,
    instrument: Instrument,
    frame: pd.DataFrame,
    matcher: CouncilMatcher,
    targets: dict | None = None,
    codebook=None,
    suffix: str = ".csv",
    read=None,
) -> dict:
    """Clean the generated export with the project's own clean stage and check that it
    gives the target figures (for 2017 the published ones); raise ``RuntimeError`` if not."""
    import tempfile

    from councilsurvey.analysis.segments import classify
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.inputs.codebook import Codebook
    from councilsurvey.inputs.export import read_surveymonkey

    t = targets or PUBLISHED
    if codebook is None:
        codebook = Codebook(codebook_from_instrument(instrument, "synth"), Path("codebook.yaml"))
    read = read or read_surveymonkey
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        result = clean(read(path, codebook), codebook, frame, matcher, b"synth-check", "synth")
    r = result.responses
    seg = classify(r, instrument.benefit_ids).value_counts()
    wb = r["att_wellbeing"].dropna()
    ds = r["has_digital_strategy"][r["has_digital_strategy"].isin(["Yes", "No"])]
    got = {
        "respondents": len(r),
        "councils": r["code"].nunique(),
        "enthusiasts": int(seg["enthusiast"]),
        "sceptics": int(seg["sceptic"]),
        "wellbeing_positive": float((wb >= 4).mean()),
        "digital_strategy": float((ds == "Yes").mean()),
    }
    for k in ("respondents", "councils", "enthusiasts", "sceptics"):
        if got[k] != t[k]:
            raise RuntimeError(f"synth: cleaned {k} = {got[k]}, target {t[k]}")
    if abs(got["wellbeing_positive"] - t["wellbeing_positive"]) > 0.005:
        raise RuntimeError(f"synth: wellbeing share {got['wellbeing_positive']:.4f}")
    if abs(got["digital_strategy"] - t["digital_strategy"]) > 0.02:
        raise RuntimeError(f"synth: strategy share {got['digital_strategy']:.4f}")
    kinds = result.log["reason"].value_counts()
    thin = {
        k: int(kinds.get(k, 0))
        for k in [
            "test_submission",
            "exact_duplicate",
            "partial",
            "resubmission",
            "outside_england",
            "council_name_variant",
        ]
        if kinds.get(k, 0) < 5
    }
    unmatched = int(kinds.get("council_unmatched", 0) + kinds.get("council_ambiguous", 0))
    if thin or unmatched < 5:
        raise RuntimeError(f"synth: fewer than 5 rows of {thin or 'unmatched councils'}")
    got["successor_repairs"] = int(kinds.get("council_successor", 0))
    return got


# --------------------------------------------------------------------------- wave 2019

#: targets of the synthetic 2019 wave: smaller, with attitudes a little more positive
TARGETS_2019 = {
    "respondents": 652,
    "councils": 241,
    "enthusiasts": 335,
    "sceptics": 77,
    "wellbeing_positive": 0.70,
    "digital_strategy": 0.45,
}
FIELDWORK_2019 = datetime(2019, 10, 14, 9, 0, 0)
#: SurveyMonkey's SPSS export names its metadata variables like this
SPSS_METADATA = {
    "Respondent ID": "respondent_id",
    "Collector ID": "collector_id",
    "Start Date": "start_date",
    "End Date": "end_date",
    "IP Address": "ip_address",
    "Email Address": "email_address",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Custom Data 1": "custom_1",
}
SPSS_DONT_KNOW = 9


def spss_codebook(instrument: Instrument, wave: str) -> dict:
    """The codebook of an SPSS export: variables found by name (``column``), metadata by
    SurveyMonkey's SPSS variable names; answers are the value labels' texts."""
    cb = codebook_from_instrument(instrument, wave)
    cb["format"] = "spss"
    for meta in cb["metadata"]:
        meta["names"] = [SPSS_METADATA[meta["header"]]]
    for var in cb["variables"]:
        var["column"] = var["id"]
    return cb


def to_sav(rows: pd.DataFrame, instrument: Instrument, path) -> None:
    """Write the export as SurveyMonkey's SPSS export does: numeric codes with value
    labels (Likert 1-5, Don't know 9; options 1..k), text for free text and metadata."""
    import pyreadstat

    out = pd.DataFrame()
    labels, value_labels = [], {}
    for header, name in SPSS_METADATA.items():
        col = rows[header].fillna("").astype(str)
        out[name] = pd.to_numeric(col) if name == "respondent_id" else col
        labels.append(header)
    likert = {code: text for text, code in instrument.likert.items() if code is not None}
    likert[SPSS_DONT_KNOW] = "Don't know"
    for var_id in column_order(instrument)[len(SPSS_METADATA) :]:
        item = instrument.item(var_id)
        values = rows[var_id].fillna("").astype(str)
        labels.append(item["text"])
        if item.get("type") == "free_text":
            out[var_id] = values
            continue
        if var_id in instrument.attitude_ids:
            mapping = {v: k for k, v in likert.items()}
            value_labels[var_id] = likert
        else:
            mapping = {opt: i + 1 for i, opt in enumerate(item["options"])}
            value_labels[var_id] = {i + 1: opt for i, opt in enumerate(item["options"])}
        out[var_id] = values.map(lambda v, m=mapping: m.get(v, np.nan)).astype(float)
    pyreadstat.write_sav(out, str(path), column_labels=labels, variable_value_labels=value_labels)
    fix_sav_timestamp(path, FIELDWORK_2019)


def fix_sav_timestamp(path, when: datetime) -> None:
    """Overwrite the creation date and time in a ``.sav`` header (bytes 92-108), which
    pyreadstat sets to the time of writing, so that the same data give the same bytes."""
    with open(path, "r+b") as fh:
        header = fh.read(109)
        if header[:4] not in (b"$FL2", b"$FL3"):
            raise ValueError(f"{path}: not an SPSS system file")
        fh.seek(92)
        fh.write(when.strftime("%d %b %y").encode("ascii") + when.strftime("%H:%M:%S").encode())


def old_names_of(successors: pd.DataFrame, frame: pd.DataFrame, as_of: str) -> dict:
    """Successor code -> names of councils it replaced (unsplit, abolished by ``as_of``)."""
    succ = successors[successors["effective_date"].astype(str) <= as_of]
    single = succ.groupby("old_code").filter(lambda g: len(g) == 1)
    single = single[single["new_code"].isin(frame["code"])]
    return {code: sorted(g["old_name"]) for code, g in single.groupby("new_code")}


def build_2019(
    instrument_path,
    frame_path,
    outside_path,
    successors_path,
    out_path,
    seed: int = 2023,
    threshold: float = 80.0,
    margin: float = 4.0,
) -> dict:
    """Generate the synthetic 2019 wave as an SPSS ``.sav`` (weighted to the 2019 frame)."""
    from councilsurvey.inputs.codebook import Codebook
    from councilsurvey.inputs.export import read_export

    instrument = load_instrument(instrument_path)
    frame = load_frame(frame_path, 343)
    outside = load_outside_england(outside_path)
    successors = pd.read_csv(successors_path, dtype=str)
    as_of = FIELDWORK_2019.date().isoformat()
    matcher = CouncilMatcher(
        frame, outside, threshold=threshold, margin=margin, successors=successors, as_of=as_of
    )
    _, rows = generate(
        frame,
        outside,
        instrument,
        seed,
        matcher,
        targets=TARGETS_2019,
        start=FIELDWORK_2019,
        theta_shift=0.25,
        old_names=old_names_of(successors, frame, as_of),
    )
    to_sav(rows, instrument, out_path)
    codebook = Codebook(spss_codebook(instrument, "2019"), Path("codebook.yaml"))
    return check(
        Path(out_path).read_bytes(),
        instrument,
        frame,
        matcher,
        targets=TARGETS_2019,
        codebook=codebook,
        suffix=".sav",
        read=lambda p, cb: read_export(p, cb, format="spss"),
    )


# --------------------------------------------------------------------------- large waves

#: shares of the rows of a large wave that are dirt of each kind (the rest are clean)
LARGE_DIRT = {
    "exact_duplicate": 0.002,
    "resubmission": 0.002,
    "partial": 0.005,
    "test_submission": 0.0002,
    "outside_england": 0.0005,
    "unmatchable": 0.0005,
}
#: how the clean rows type their council: frame name, official name, a checked variant
LARGE_NAME_STYLE = {"name": 0.70, "official": 0.15, "variant": 0.15}
LARGE_START = datetime(2016, 10, 17, 9, 0, 0)
LARGE_FIELDWORK_DAYS = 53
_LARGE_ID0 = 10_512_345_000
_TEST_COUNCIL = "TEST - please ignore"


def _choose(rng, p, size) -> np.ndarray:
    """Indices ``0 .. len(p) - 1`` drawn with probabilities ``p`` (normalised)."""
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _dictionary(vocab, codes):
    """A dictionary-encoded string array: ``vocab[codes]``, null where ``codes < 0``."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocab), type=pa.string()))


def _strings(array):
    """A plain string array of a (dictionary-encoded) string array."""
    import pyarrow as pa

    if pa.types.is_dictionary(array.type):
        return array.dictionary.take(array.indices)
    return array


#: the party answers of a large wave, in the order of their codes
LARGE_PARTIES = [
    "Conservative",
    "Labour",
    "Liberal Democrat",
    "Green",
    "UKIP",
    "Independent",
    "Other",
]


def _councils_and_parties(rng, frame: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``n`` respondents' council (row of ``frame``), drawn in proportion to seats
    with the opt-in bias of council types, and party (index into
    :data:`LARGE_PARTIES`), drawn from the council's seats with the response bias of
    parties."""
    council = _choose(rng, (frame["seats"] * frame["type"].map(RESPONSE_BIAS)).to_numpy(float), n)
    parties = ["con", "lab", "ld", "green", "ukip", "ind_other"]
    seats = frame[parties].to_numpy(float) * np.array([PARTY_BIAS[p] for p in parties])
    cum = np.cumsum(seats / seats.sum(axis=1, keepdims=True), axis=1)
    party = (rng.random(n)[:, None] > cum[council]).sum(axis=1).clip(0, len(parties) - 1)
    party[(party == 5) & (rng.random(n) < 0.25)] = 6  # Independent -> Other
    return council, party


def large_responses(frame: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` respondents as the clean stage leaves them, as far as weighting needs:
    ``respondent_id``, ``code``, ``type``, ``region`` and ``party``, spread over the
    frame's councils as in :func:`large_export` (for benchmarks of weighting)."""
    rng = np.random.default_rng(seed)
    f = frame.reset_index(drop=True)
    council, party = _councils_and_parties(rng, f, n)
    out = pd.DataFrame(
        {
            "respondent_id": pd.array(np.arange(1, n + 1).astype(str), dtype="string"),
            "code": pd.array(f["code"].to_numpy(object)[council], dtype="string"),
            "type": pd.array(f["type"].to_numpy(object)[council], dtype="string"),
            "region": pd.array(f["region"].to_numpy(object)[council], dtype="string"),
            "party": pd.Categorical.from_codes(party, categories=LARGE_PARTIES),
        }
    )
    return out.sort_values(["code", "respondent_id"], kind="stable", ignore_index=True)


def council_name_variants(frame: pd.DataFrame, matcher: CouncilMatcher) -> dict[str, list[str]]:
    """Per council code: ways of typing its name that the matcher (normalised or fuzzy)
    still gives that council, misspellings included (see :func:`_variants`)."""
    out = {}
    for row in frame.itertuples(index=False):
        official = getattr(row, "official_name", None)
        ok = []
        for text in dict.fromkeys(_variants(row.name, official, row.type)):
            m = matcher.match(text)
            if m["status"] == MATCHED and m["code"] == row.code and m["method"] != "exact":
                ok.append(text)
        out[row.code] = ok
    return out


def _date_texts(seconds: np.ndarray, start: datetime):
    """``start + seconds`` as SurveyMonkey writes dates (``%m/%d/%Y %I:%M:%S %p``), built
    from a vocabulary of days and one of times of day (no per-row formatting)."""
    import pyarrow.compute as pc

    day, second = np.divmod(seconds + (start.hour * 3600 + start.minute * 60), 86400)
    midnight = datetime(start.year, start.month, start.day)
    days = [(midnight + timedelta(days=int(d))).strftime("%m/%d/%Y") for d in range(day.max() + 1)]
    clock = pd.Timestamp("2000-01-01") + pd.to_timedelta(np.arange(86400), unit="s")
    times = list(clock.strftime("%I:%M:%S %p"))
    return pc.binary_join_element_wise(
        _strings(_dictionary(days, day)), _strings(_dictionary(times, second)), " "
    )


def large_export(
    frame: pd.DataFrame,
    instrument: Instrument,
    matcher: CouncilMatcher,
    n: int,
    seed: int = 1,
    dirt: dict | None = None,
):
    """A large synthetic export of ``n`` rows, for benchmarks (vectorised, seeded).

    The rows look like the bundled wave's export (the same columns and answer texts, the
    same kinds of invented names, emails, IP addresses and ids, dates in fieldwork
    order) but follow no published figure: respondents are spread over the frame's
    councils in proportion to seats (with the opt-in bias by council type of
    :data:`RESPONSE_BIAS`), party follows the council's seats (:data:`PARTY_BIAS`), and
    attitudes come from one latent score through the ordinal item model of
    :func:`draw_attitudes`. Council names are typed as the frame name, the official name
    or a variant that ``matcher`` still gives the council (case, "Council" suffixes,
    "LB ...", misspellings: see :func:`council_name_variants`), so that normalised and
    fuzzy matching run. About 1.1% of the rows are dirt of the kinds in
    :data:`LARGE_DIRT` (exact duplicates, earlier resubmissions from the same email
    address, partial and test submissions, Welsh and Scottish councils, names that match
    no council). Every column is drawn as integer codes into a vocabulary with numpy;
    only names, emails, IP addresses and dates are joined, by pyarrow, as text.

    Returns
    -------
    pyarrow.Table
        ``n`` rows in fieldwork order, one column per export column keyed like
        :func:`column_order` (metadata headers, then variable ids): strings, some
        dictionary-encoded; null for a blank.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    dirt = LARGE_DIRT if dirt is None else dirt
    counts = {k: int(round(v * n)) for k, v in dirt.items()}
    n_dup = counts.get("exact_duplicate", 0)
    m = n - n_dup  # distinct submissions; exact duplicates of some are added at the end
    f = frame.reset_index(drop=True)
    codes: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {}

    council, party = _councils_and_parties(rng, f, m)
    vocab["party"], codes["party"] = LARGE_PARTIES, party
    theta = np.array([PARTY_EFFECT[p] for p in vocab["party"]])[party]
    for var, table, effect in (
        ("role", ROLES, ROLE_EFFECT),
        ("age_band", AGES, AGE_EFFECT),
        ("tenure", TENURE, TENURE_EFFECT),
        ("gender", GENDER, None),
    ):
        vocab[var], codes[var] = list(table), _choose(rng, list(table.values()), m)
        if effect is not None:
            theta = theta + np.array([effect[k] for k in table])[codes[var]]
    theta = theta + rng.normal(0, 1, m)

    # attitudes: ordinal items from the latent score; Don't know at random
    likert_text = {v: k for k, v in instrument.likert.items() if v is not None}
    answers = [likert_text[c] for c in range(1, 6)] + ["Don't know"]
    loadings = {i: (BENEFIT_LOADING, 0.6) for i in instrument.benefit_ids} | ITEMS
    for item in instrument.attitude_ids:
        loading, shift = loadings[item]
        code = _ordinal(rng, loading, shift, theta) - 1
        code[rng.random(m) < DONT_KNOW] = 5
        vocab[item], codes[item] = answers, code

    # digital strategy (a council fact seen through respondents), champion, exclusion
    truth = rng.random(len(f)) < 0.32
    strategy = np.where(truth[council] * 2.2 + rng.normal(0, 0.8, m) > 1.2, 0, 1)
    strategy[rng.random(m) < 0.16] = 2
    vocab["has_digital_strategy"], codes["has_digital_strategy"] = (
        ["Yes", "No", "Don't know"],
        strategy,
    )
    vocab["digital_champion"] = list(CHAMPION)
    codes["digital_champion"] = _choose(rng, list(CHAMPION.values()), m)
    exclusion = np.where(rng.random(m) < 1 / (1 + np.exp(-(0.3 - 0.4 * theta))), 0, 1)
    exclusion[rng.random(m) < 0.08] = 2
    vocab["exclusion_major_issue"], codes["exclusion_major_issue"] = (
        ["Yes", "No", "Don't know"],
        exclusion,
    )

    # how the council's name is typed: frame name, official name or a checked variant
    variants = council_name_variants(f, matcher)
    names = f["name"].tolist()
    official = f["official_name"].where(f["official_name"].notna(), f["name"]).tolist()
    n_var = np.array([len(variants[c]) for c in f["code"]])
    start_var = 2 * len(f) + np.concatenate([[0], np.cumsum(n_var)[:-1]])
    typed_vocab = names + official + [v for c in f["code"] for v in variants[c]]
    extra = {name: len(typed_vocab) + i for i, name in enumerate(WELSH_SCOTTISH)}
    typed_vocab += WELSH_SCOTTISH
    extra |= {name: len(typed_vocab) + i for i, name in enumerate(UNMATCHABLE)}
    typed_vocab += UNMATCHABLE + [_TEST_COUNCIL]
    style = _choose(rng, list(LARGE_NAME_STYLE.values()), m)
    typed = np.where(style == 1, len(f) + council, council)
    use = (style == 2) & (n_var[council] > 0)
    pick = (rng.random(m) * np.maximum(n_var[council], 1)).astype(int)
    typed[use] = start_var[council[use]] + pick[use]
    vocab["council_text"], codes["council_text"] = typed_vocab, typed

    # people: invented names, a number and the council's domain make a unique email
    vocab["First Name"] = FIRST + ["Test"]
    vocab["Last Name"] = LAST + ["User"]
    codes["First Name"] = rng.integers(0, len(FIRST), m)
    codes["Last Name"] = rng.integers(0, len(LAST), m)
    email_council, email_number = council.copy(), np.arange(1, m + 1)
    custom = rng.integers(10**5, 10**6, m)
    one_thing = rng.integers(0, len(ONE_THING), m)
    one_thing[rng.random(m) >= 0.4] = -1

    # dates in fieldwork order
    seconds = rng.integers(0, LARGE_FIELDWORK_DAYS * 86400, m)
    duration = rng.integers(4 * 60, 25 * 60, m)

    # dirt, planted on rows chosen at random
    rows = rng.permutation(m)
    cursor = 0

    def take(k):
        nonlocal cursor
        out = rows[cursor : cursor + k]
        cursor += len(out)
        return out

    # resubmissions: an earlier complete submission by the same person, other answers
    resub = take(counts.get("resubmission", 0))
    src = take(len(resub))
    for key in ("First Name", "Last Name", "council_text"):
        codes[key][resub] = codes[key][src]
    email_council[resub], email_number[resub] = email_council[src], email_number[src]
    custom[resub] = custom[src]
    seconds[resub] = (seconds[src] * rng.random(len(resub))).astype(seconds.dtype)
    for item in ("att_big_data", "att_automation", "att_wellbeing", "att_cyber"):
        codes[item][resub] = rng.integers(0, 5, len(resub))
    # partial responses: only the first few questions answered
    closed = ["role", "party", "tenure", "age_band", "gender", *instrument.attitude_ids]
    closed += ["has_digital_strategy", "digital_champion", "exclusion_major_issue"]
    partial = take(counts.get("partial", 0))
    answered = rng.integers(2, 7, len(partial))
    for j, col in enumerate(closed):
        codes[col][partial[answered <= j]] = -1
    one_thing[partial] = -1
    # test submissions: a test name and address, or a test council name
    tests = take(counts.get("test_submission", 0))
    test_person, test_council = tests[0::2], tests[1::2]
    codes["First Name"][test_person] = len(FIRST)
    codes["Last Name"][test_person] = len(LAST)
    codes["council_text"][test_council] = len(typed_vocab) - 1
    # members of Welsh or Scottish councils, and names that match no council
    for kind, texts in (("outside_england", WELSH_SCOTTISH), ("unmatchable", UNMATCHABLE)):
        hit = take(counts.get(kind, 0))
        codes["council_text"][hit] = [extra[t] for t in rng.choice(texts, len(hit))]

    # the export's rows: submissions in time order, exact duplicates after their original
    order = np.argsort(seconds, kind="stable")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    ids = _LARGE_ID0 + np.cumsum(rng.integers(3, 400, m))[rank]
    source = np.concatenate([order, order[np.sort(rng.choice(m, n_dup, replace=False))]])
    dup = np.concatenate([np.zeros(m, dtype=np.int8), np.ones(n_dup, dtype=np.int8)])
    final = np.lexsort((dup, seconds[source]))
    at = source[final]

    def text(values):
        return pc.cast(pa.array(values), pa.string())

    lower = {k: [s.lower() for s in vocab[k]] for k in ("First Name", "Last Name")}
    slugs = [("".join(ch for ch in s.lower() if ch.isalpha())[:14] or "council") for s in names]
    email = pc.binary_join_element_wise(
        _strings(_dictionary(lower["First Name"], codes["First Name"][at])),
        ".",
        _strings(_dictionary(lower["Last Name"], codes["Last Name"][at])),
        text(email_number[at]),
        "@",
        _strings(_dictionary(slugs, email_council[at])),
        ".gov.uk",
        "",
    )
    is_test = np.isin(at, test_person)
    if is_test.any():
        replacement = [f"test{j}@lgiu.org" for j in at[is_test]]
        email = pc.replace_with_mask(email, pa.array(is_test), pa.array(replacement))
    octets = [str(i) for i in range(256)]
    ip = pc.binary_join_element_wise(
        _strings(_dictionary(["81", "86", "92", "109", "151", "212"], rng.integers(0, 6, m)[at])),
        *(_strings(_dictionary(octets, rng.integers(lo, 255, m)[at])) for lo in (1, 0, 1)),
        ".",
    )
    # free text: 40% answer; some answers hold an email, a phone number or a postcode
    chosen = one_thing[at]
    holes = [j for j, t in enumerate(ONE_THING) if "{" in t]
    plain = np.where(np.isin(chosen, holes), -1, chosen)
    free = _strings(_dictionary(ONE_THING, plain))
    phone = rng.integers(100, 999, m)
    postcode = rng.integers(0, 4, m), rng.integers(1, 9, m), rng.integers(0, 3, m)
    fills = {  # rows: of the export; their submissions' details
        "{email}": lambda rows: email.take(pa.array(rows)),
        "{phone}": lambda rows: pc.binary_join_element_wise("07700 900", text(phone[at[rows]]), ""),
        "{postcode}": lambda rows: pc.binary_join_element_wise(
            _strings(_dictionary(["SW1A", "M1", "LS1", "B33"], postcode[0][at[rows]])),
            text(postcode[1][at[rows]]),
            _strings(_dictionary(["AA", "TH", "NX"], postcode[2][at[rows]])),
            "",
        ),
    }
    for j in holes:
        template = ONE_THING[j]
        key = next(k for k in fills if k in template)
        head, tail = template.split(key, 1)
        hit = np.flatnonzero(chosen == j)
        filled = pc.binary_join_element_wise(head, fills[key](hit), tail, "")
        free = pc.replace_with_mask(free, pa.array(chosen == j), filled)

    columns = {
        "Respondent ID": text(ids[at]),
        "Collector ID": _dictionary(["214512345", "214512399"], rng.integers(0, 2, m)[at]),
        "Start Date": _date_texts(seconds[at], LARGE_START),
        "End Date": _date_texts(seconds[at] + duration[at], LARGE_START),
        "IP Address": ip,
        "Email Address": email,
        "Custom Data 1": pc.binary_join_element_wise("LGIU-", text(custom[at]), ""),
        "one_thing": free,
        **{k: _dictionary(vocab[k], codes[k][at]) for k in codes},
    }
    return pa.table({k: columns[k] for k in column_order(instrument)})


def csv_body(table, chunk_rows: int = 250_000):
    """The rows of ``table`` as CSV bytes, in chunks: CRLF line ends and quotes only where
    needed, as :func:`to_csv` (Python's csv module) writes them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def escape(values):
        values = pc.fill_null(values, "")
        needs = pc.match_substring_regex(values, '[",\r\n]')
        if not pc.any(needs).as_py():
            return values
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        return pc.if_else(needs, quoted, values)

    columns = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if pa.types.is_dictionary(col.type):  # escape the vocabulary, not every row
            codes = col.indices
            columns.append((escape(col.dictionary).take(pc.fill_null(codes, 0)), codes))
        else:
            columns.append((escape(col), None))
    for start in range(0, table.num_rows, chunk_rows):
        cells = []
        for values, codes in columns:
            if codes is None:
                cells.append(values.slice(start, chunk_rows))
            else:
                part = codes.slice(start, chunk_rows)
                cells.append(pc.if_else(pc.is_null(part), "", values.slice(start, chunk_rows)))
        lines = pc.binary_join_element_wise(*cells, ",")
        lines = pc.binary_join_element_wise(lines, "", "\r\n")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
        data = lines.buffers()[2]
        yield data.slice(int(offsets[0]), int(offsets[len(lines)] - offsets[0])).to_pybytes()


def write_large_export(
    path,
    n: int,
    seed: int = 1,
    instrument_path="data/raw/2017/questionnaire.yaml",
    frame_path="data/reference/councils_england_2017.csv",
    outside_path="data/reference/councils_outside_england_2017.csv",
    threshold: float = 80.0,
    margin: float = 4.0,
) -> dict:
    """Write a large synthetic export of ``n`` rows (see :func:`large_export`) in the
    bundled wave's format: the same two header rows, read through the same codebook and
    weighted to the same frame (2017). Returns the number of rows and bytes written.

    For benchmarks only (``bench/large_wave.py``): it follows no published figure and is
    never a pipeline input."""
    instrument = load_instrument(instrument_path)
    frame = load_frame(frame_path, 353)
    matcher = CouncilMatcher(
        frame, load_outside_england(outside_path), threshold=threshold, margin=margin
    )
    table = large_export(frame, instrument, matcher, n, seed)
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(_headers(instrument))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(path, "wb") as fh:
        for chunk in [buf.getvalue().encode("utf-8"), *csv_body(table)]:
            fh.write(chunk)
            size += len(chunk)
    return {"rows": table.num_rows, "bytes": size}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="2017")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--out", type=Path, default=Path("data/raw/2017"))
    parser.add_argument(
        "--frame", type=Path, default=Path("data/reference/councils_england_2017.csv")
    )
    parser.add_argument(
        "--outside", type=Path, default=Path("data/reference/councils_outside_england_2017.csv")
    )
    parser.add_argument(
        "--successors", type=Path, default=Path("data/reference/council_successors.csv")
    )
    args = parser.parse_args(argv)
    instrument_path = args.out / "questionnaire.yaml"
    if args.wave == "2019":
        got = build_2019(
            instrument_path,
            args.frame,
            args.outside,
            args.successors,
            args.out / "export.sav",
            seed=args.seed,
        )
        _write_codebook(args.out, spss_codebook(load_instrument(instrument_path), "2019"), "2019")
        print(f"wrote {args.out / 'export.sav'} and codebook.yaml: {got}")
        return
    data = build(instrument_path, args.frame, args.outside, args.seed)
    (args.out / "export.csv").write_bytes(data)
    codebook = codebook_from_instrument(load_instrument(instrument_path), args.wave)
    _write_codebook(args.out, codebook, args.wave)
    print(f"wrote {args.out / 'export.csv'} ({len(data):,} bytes) and codebook.yaml")


def _write_codebook(folder: Path, codebook: dict, wave: str) -> None:
    with open(folder / "codebook.yaml", "w", encoding="utf-8") as fh:
        fh.write(
            f"# Codebook of the {wave} export: header texts -> variable ids, answer\n"
            "# texts -> codes. Written by `python -m councilsurvey.dev.synth`; checked against\n"
            "# workflow/schemas/codebook.schema.yaml.\n"
        )
        yaml.safe_dump(codebook, fh, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    main()
