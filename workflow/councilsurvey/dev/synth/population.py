"""Drawing the synthetic respondents: councils, profiles, attitudes and the answers to the
strategy and impact questions.

The published figures of the 2017 report (:data:`PUBLISHED`) are the targets; the
tables below set the opt-in biases (councils by type, respondents by party and role)
and the effects of party, role, age and tenure on one latent attitude to technology,
from which every attitude item is drawn through an ordinal item model (:func:`ordinal`).
A published share is reached *by construction*, never by checking: the respondents are
ranked by a propensity (the latent attitude plus noise) and exactly the target number
of those answering is given the counted answer (:func:`exact_share`,
:func:`draw_multi`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from councilsurvey.inputs.instrument import Instrument

PUBLISHED = {
    "respondents": 808,
    "councils": 278,
    "enthusiasts": 373,
    "sceptics": 118,
    "wellbeing_positive": 0.64,
    "digital_strategy": 0.333,
    "big_data_positive": 0.70,
    "automation_positive": 0.62,
    "impact_positive": 0.70,
    # tick all that apply / choose up to three: shares of those who ticked any option
    "multi": {
        "digital_champion": {
            "A cabinet member": 0.49,
            "A chief information officer or senior director": 0.40,
            "The chief executive": 0.26,
            "The mayor": 0.20,
        },
        "impact_areas": {
            "Increasing the use of online services": 0.83,
            "Savings": 0.76,
            "Information sharing": 0.70,
            "Customer satisfaction": 0.62,
        },
        "top_challenges": {
            "Digital exclusion": 0.57,
            "Service design": 0.47,
            "Connectivity": 0.44,
            "Cyber security": 0.38,
            "Keeping pace with change": 0.33,
        },
    },
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
#: multi-select options without a published share: probability of a tick among those who
#: answer (before capacity), and how the latent attitude moves it (logit slope)
MULTI_EXTRA = {
    "digital_champion": {"The leader of the council": (0.12, 0.3)},
    "impact_areas": {"Staff productivity": (0.45, 0.5), "Other": (0.05, 0.0)},
    "top_challenges": {
        "Funding": (0.55, -0.2),
        "Skills": (0.35, -0.3),
        "Leadership": (0.15, -0.2),
        "Other": (0.04, 0.0),
    },
}
#: exclusive answers ("Nobody", "Don't know", "None yet") given to those who ticked no
#: other option, with their relative weights
MULTI_EXCLUSIVE = {
    "digital_champion": {"Nobody": 0.45, "Don't know": 0.55},
    "impact_areas": {"None yet": 1.0},
    "top_challenges": {},
}
#: logit slope of each published option's tick on the latent attitude (enthusiasts name
#: more champions and more areas of impact; sceptics name more challenges of exclusion
#: and security)
MULTI_LOADING = {
    "A cabinet member": 0.4,
    "A chief information officer or senior director": 0.3,
    "The chief executive": 0.2,
    "The mayor": 0.1,
    "Increasing the use of online services": 0.6,
    "Savings": 0.6,
    "Information sharing": 0.7,
    "Customer satisfaction": 0.7,
    "Digital exclusion": -0.5,
    "Service design": 0.3,
    "Connectivity": -0.1,
    "Cyber security": -0.4,
    "Keeping pace with change": 0.2,
}
#: share of respondents who skip each multi-select question (tick nothing)
MULTI_SKIP = 0.03
#: how many challenges those answering "choose up to three" pick: 1, 2 or 3
CHALLENGE_COUNT = {1: 0.08, 2: 0.17, 3: 0.75}
IMPACT_LEVELS = ["Very negative", "Negative", "Neither positive nor negative"]
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
#: the attitude items a resubmission answers anew (the rest as the later submission)
RESUBMITTED_ITEMS = ("att_big_data", "att_automation", "att_wellbeing", "att_cyber")


def _pick(rng, table: dict, size=None):
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def ordinal(rng, loading, shift, theta):
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
        vals = ordinal(rng, loading, shift, theta + theta_shift).astype(float)
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
        vals = ordinal(rng, BENEFIT_LOADING, 0.6, np.full(3, theta)).astype(float)
        vals[rng.random(3) < DONT_KNOW] = np.nan
        answered = np.sum(~np.isnan(vals))
        agree = np.sum(vals >= 4)
        disagree = np.sum(vals <= 2)
        if answered >= 2 and agree < 3 and disagree < 2:
            return vals


def draw_strategy(
    rng, df: pd.DataFrame, strategy_share: float = PUBLISHED["digital_strategy"]
) -> pd.DataFrame:
    """Digital strategy (a council fact seen through respondents; exactly
    ``strategy_share`` of those answering Yes or No say Yes) and digital exclusion."""
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
    p_ex = 1 / (1 + np.exp(-(0.3 - 0.4 * out["theta"].to_numpy())))
    ex = np.where(rng.random(n) < p_ex, "Yes", "No").astype(object)
    ex[rng.random(n) < 0.08] = "Don't know"
    out["exclusion_major_issue"] = ex
    return out


def exact_share(rng, answering: np.ndarray, propensity: np.ndarray, share: float) -> np.ndarray:
    """Which rows give the counted answer: exactly ``round(share * answering.sum())`` of
    the ``answering`` rows, those with the highest ``propensity`` (plus a little noise,
    so that the answer is likely, not certain, for a high propensity)."""
    idx = np.flatnonzero(answering)
    k = int(round(share * len(idx)))
    noisy = propensity[idx] + rng.normal(0, 0.3, len(idx))
    out = np.zeros(len(answering), dtype=bool)
    out[idx[np.argsort(-noisy, kind="stable")[:k]]] = True
    return out


def adjust_benefits(rng, df: pd.DataFrame, instrument: Instrument, targets: dict) -> pd.DataFrame:
    """Bring the agree shares of ``att_big_data`` and ``att_automation`` to their targets
    (``big_data_positive``, ``automation_positive``: of those answering) without moving
    anyone between segments.

    Only the middle segment is changed, and only answered items: a middle respondent
    keeps at least two of the three benefit items answered, fewer than three agreeing and
    fewer than two disagreeing, so the segment rule of the questionnaire still puts them
    in the middle. Agreement is given to the middle respondents with the highest latent
    attitude, taken from those with the lowest.
    """
    out = df.copy()
    benefit = instrument.benefit_ids
    middle = (out["segment_truth"] == "middle").to_numpy()
    theta = out["theta"].to_numpy() + rng.normal(0, 0.4, len(out))
    for item, key in (
        ("att_big_data", "big_data_positive"),
        ("att_automation", "automation_positive"),
    ):
        if key not in targets:
            continue
        vals = out[item].to_numpy(dtype=float).copy()
        answered = ~np.isnan(vals)
        goal = int(round(targets[key] * answered.sum()))
        others = [b for b in benefit if b != item]
        other_agree = (out[others].to_numpy(dtype=float) >= 4).sum(axis=1)
        have = int((vals >= 4).sum())
        if have < goal:  # give agreement: middle, answered, not agreeing, others not both agree
            can = np.flatnonzero(middle & answered & (vals < 4) & (other_agree < 2))
            pick = can[np.argsort(-theta[can], kind="stable")][: goal - have]
            vals[pick] = np.where(rng.random(len(pick)) < 0.25, 5.0, 4.0)
        elif have > goal:  # take agreement away: to "neither"
            can = np.flatnonzero(middle & (vals >= 4))
            pick = can[np.argsort(theta[can], kind="stable")][: have - goal]
            vals[pick] = 3.0
        if int((vals >= 4).sum()) != goal:
            raise RuntimeError(f"synth: cannot reach the {item} target {targets[key]}")
        out[item] = vals
    return out


def draw_impact(rng, df: pd.DataFrame, share: float, dont_know: float = 0.05) -> pd.Series:
    """``overall_impact``: exactly ``share`` of those answering (Don't know excluded) say
    Positive or Very positive, ranked by the latent attitude; the rest spread over
    Neither, Negative and Very negative, the lowest attitudes most negative."""
    n = len(df)
    theta = df["theta"].to_numpy()
    dk = rng.random(n) < dont_know
    positive = exact_share(rng, ~dk, theta, share)
    answer = np.full(n, "Don't know", dtype=object)
    prop = theta + rng.normal(0, 0.5, n)
    pos = np.flatnonzero(positive)
    top = pos[prop[pos] > np.quantile(prop[pos], 0.7)] if len(pos) else pos
    answer[pos] = "Positive"
    answer[top] = "Very positive"
    rest = np.flatnonzero(~dk & ~positive)
    if len(rest):
        cut = np.quantile(prop[rest], [0.08, 0.35])
        answer[rest] = np.where(
            prop[rest] < cut[0],
            IMPACT_LEVELS[0],
            np.where(prop[rest] < cut[1], IMPACT_LEVELS[1], IMPACT_LEVELS[2]),
        )
    return pd.Series(answer, index=df.index)


def _gumbel_top(rng, rows: np.ndarray, logit: np.ndarray, k: int) -> np.ndarray:
    """``k`` of ``rows`` drawn without replacement with weights ``exp(logit)``."""
    if k > len(rows):
        raise RuntimeError(f"synth: {k} ticks asked of {len(rows)} rows with room")
    keys = logit + rng.gumbel(size=len(rows))
    return rows[np.argsort(-keys, kind="stable")[:k]]


def draw_multi(
    rng,
    df: pd.DataFrame,
    item: dict,
    shares: dict,
    skip: np.ndarray,
) -> pd.DataFrame:
    """The ticks of a tick-all-that-apply question ``item`` (one boolean column per option,
    all False for a respondent who skipped it: rows of ``skip``).

    Each published option (``shares``: option -> share of those answering, i.e. who
    ticked at least one option) is given to exactly ``round(share * answering)`` rows,
    drawn with weights rising (or falling) with the latent attitude
    (:data:`MULTI_LOADING`) and, for a "choose up to N" question (``max_choices``), only
    among rows with room left (each row wants 1 to N: :data:`CHALLENGE_COUNT`); the other
    options are ticked at random (:data:`MULTI_EXTRA`), within the room left. A row left
    with no tick gets one exclusive answer ("Nobody", "Don't know", "None yet") or, if
    the question has none, one of its other options, so that every answering row ticked
    something and the denominators are what the shares were computed on.
    """
    var = item["id"]
    options = list(item["options"])
    n = len(df)
    theta = df["theta"].to_numpy()
    ticks = pd.DataFrame(False, index=df.index, columns=options)
    answering = np.flatnonzero(~skip)
    limit = item.get("max_choices")
    room = np.full(n, len(options))
    if limit:
        room = _pick(rng, CHALLENGE_COUNT, n).astype(int)
    room[skip] = 0
    for option, share in shares.items():
        k = int(round(share * len(answering)))
        rows = np.flatnonzero(room > 0)
        logit = MULTI_LOADING.get(option, 0.0) * theta[rows] + np.log(room[rows])
        hit = _gumbel_top(rng, rows, logit, k)
        ticks.loc[ticks.index[hit], option] = True
        room[hit] -= 1
    for option, (p, slope) in MULTI_EXTRA.get(var, {}).items():
        logit = np.log(p / (1 - p)) + slope * theta
        hit = (room > 0) & (rng.random(n) < 1 / (1 + np.exp(-logit)))
        ticks.loc[hit, option] = True
        room[hit] -= 1
    none = np.flatnonzero(~skip & ~ticks.to_numpy().any(axis=1))
    exclusive = MULTI_EXCLUSIVE.get(var) or {
        o: 1.0 for o in MULTI_EXTRA.get(var, {}) if o != "Other"
    }
    for row in none:
        ticks.iloc[row, options.index(str(_pick(rng, exclusive)))] = True
    return ticks
