"""Large synthetic waves for benchmarks: a vectorised, seeded export of any number of rows
(:func:`large_export`, :func:`write_large_export`) and respondents as weighting sees them
(:func:`large_responses`). They look like the bundled wave but follow no published figure,
and are never a pipeline input.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from councilsurvey.dev.synth.exports import (
    column_order,
    csv_body,
    header_rows,
    likert_texts,
    option_key,
)
from councilsurvey.dev.synth.noise import NameTyper, typo, variants
from councilsurvey.dev.synth.population import (
    AGE_EFFECT,
    AGES,
    BENEFIT_LOADING,
    DONT_KNOW,
    GENDER,
    ITEMS,
    MULTI_EXTRA,
    PARTY_BIAS,
    PARTY_EFFECT,
    PUBLISHED,
    RESPONSE_BIAS,
    RESUBMITTED_ITEMS,
    ROLE_EFFECT,
    ROLES,
    TENURE,
    TENURE_EFFECT,
    ordinal,
)
from councilsurvey.dev.synth.texts import (
    FIRST,
    LAST,
    ONE_THING,
    TEST_COUNCIL,
    UNMATCHABLE,
    WELSH_SCOTTISH,
    load_reference,
)
from councilsurvey.inputs.instrument import Instrument

#: shares of the rows of a large wave that are dirt of each kind (the rest are clean)
LARGE_DIRT = {
    "exact_duplicate": 0.002,
    "resubmission": 0.002,
    "partial": 0.005,
    "test_submission": 0.0002,
    "outside_england": 0.0005,
    "unmatchable": 0.0005,
}
#: how the clean rows type their council: frame name, official name, a variant
LARGE_NAME_STYLE = {"name": 0.70, "official": 0.15, "variant": 0.15}
LARGE_START = datetime(2016, 10, 17, 9, 0, 0)
LARGE_FIELDWORK_DAYS = 53
_LARGE_ID0 = 10_512_345_000


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


def council_variants(frame: pd.DataFrame, seed: int = 0) -> dict[str, list[str]]:
    """Per council code: ways of typing its name other than the frame's and the official
    name (the noise model's suffixes, prefixes, abbreviations and punctuation, its case
    changes, and two seeded typos: see :mod:`~councilsurvey.dev.synth.noise`)."""
    rng = np.random.default_rng(seed)
    typer = NameTyper(frame)
    out = {}
    for _, row in frame.iterrows():
        found = [v for vs in variants(row).values() for v in vs]
        found += [str(row["name"]).lower(), str(row["name"]).upper()]
        if not typer._marked(str(row["name"])) and len(str(row["name"])) > 7:
            for _ in range(2):
                t = typo(rng, str(row["name"]).split(",")[0])
                if t.casefold() not in typer.names:
                    found.append(t)
        out[row["code"]] = list(dict.fromkeys(found))
    return out


def large_export(
    frame: pd.DataFrame,
    instrument: Instrument,
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
    or a variant of the generator's noise model (case, "Council" suffixes, "LB ...",
    abbreviations, misspellings: see :func:`council_variants`), so that normalised and
    fuzzy matching run; answers to tick-all-that-apply questions tick each option
    independently (at most ``max_choices``). About 1.1% of the rows are dirt of the kinds in
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
    likert_text = likert_texts(instrument)
    answers = [likert_text[c] for c in range(1, 6)] + ["Don't know"]
    loadings = {i: (BENEFIT_LOADING, 0.6) for i in instrument.benefit_ids} | ITEMS
    for item in instrument.attitude_ids:
        loading, shift = loadings[item]
        code = ordinal(rng, loading, shift, theta) - 1
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
    for item in instrument.choice_items:  # overall impact: ordinal from the latent score
        if item["id"] == "overall_impact":
            code = ordinal(rng, 0.8, 0.9, theta) - 1
            code[rng.random(m) < 0.05] = 5
            vocab[item["id"]], codes[item["id"]] = list(item["options"]), code
    for item in instrument.multi_select_items:  # each option ticked independently
        shares = PUBLISHED["multi"].get(item["id"], {}) | {
            o: p for o, (p, _) in MULTI_EXTRA.get(item["id"], {}).items()
        }
        tick = np.column_stack([rng.random(m) < shares.get(o, 0.1) for o in item["options"]])
        limit = item.get("max_choices")
        if limit:
            tick &= np.cumsum(tick, axis=1) <= limit
        for j, option in enumerate(item["options"]):
            key = option_key(item["id"], option)
            vocab[key], codes[key] = [option], np.where(tick[:, j], 0, -1)
    exclusion = np.where(rng.random(m) < 1 / (1 + np.exp(-(0.3 - 0.4 * theta))), 0, 1)
    exclusion[rng.random(m) < 0.08] = 2
    vocab["exclusion_major_issue"], codes["exclusion_major_issue"] = (
        ["Yes", "No", "Don't know"],
        exclusion,
    )

    # how the council's name is typed: frame name, official name or a checked variant
    variants = council_variants(f, seed)
    names = f["name"].tolist()
    official = f["official_name"].where(f["official_name"].notna(), f["name"]).tolist()
    n_var = np.array([len(variants[c]) for c in f["code"]])
    start_var = 2 * len(f) + np.concatenate([[0], np.cumsum(n_var)[:-1]])
    typed_vocab = names + official + [v for c in f["code"] for v in variants[c]]
    extra = {name: len(typed_vocab) + i for i, name in enumerate(WELSH_SCOTTISH)}
    typed_vocab += WELSH_SCOTTISH
    extra |= {name: len(typed_vocab) + i for i, name in enumerate(UNMATCHABLE)}
    typed_vocab += UNMATCHABLE + [TEST_COUNCIL]
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
    for item in RESUBMITTED_ITEMS:
        codes[item][resub] = rng.integers(0, 5, len(resub))
    # partial responses: only the first few questions answered
    closed = instrument.closed_item_ids
    partial = take(counts.get("partial", 0))
    answered = rng.integers(2, 7, len(partial))
    for j, col in enumerate(closed):
        item = instrument.item(col)
        keys = [col]
        if item.get("type") == "multi_select":
            keys = [option_key(col, o) for o in item["options"]]
        for key in keys:
            codes[key][partial[answered <= j]] = -1
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


def write_large_export(
    path,
    n: int,
    seed: int = 1,
    instrument_path="data/raw/2017/questionnaire.yaml",
    frame_path="data/reference/councils_england_2017.csv",
    outside_path="data/reference/councils_outside_england_2017.csv",
) -> dict:
    """Write a large synthetic export of ``n`` rows (see :func:`large_export`) in the
    bundled wave's format: the same two header rows, read through the same codebook and
    weighted to the same frame (2017). Returns the number of rows and bytes written.

    For benchmarks only (``bench/large_wave.py``): it follows no published figure and is
    never a pipeline input."""
    instrument, frame, _ = load_reference(instrument_path, frame_path, 353, outside_path)
    table = large_export(frame, instrument, n, seed)
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(header_rows(instrument))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(path, "wb") as fh:
        for chunk in [buf.getvalue().encode("utf-8"), *csv_body(table)]:
            fh.write(chunk)
            size += len(chunk)
    return {"rows": table.num_rows, "bytes": size}
