"""The clean stage on small hand-made exports: exclusions, repairs, pseudonyms."""

import pandas as pd
import pytest

from councilsurvey.cleaning.clean import clean
from councilsurvey.cleaning.pseudonym import pseudonymise
from councilsurvey.cleaning.redact import redact
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.export import read_surveymonkey
from councilsurvey.inputs.instrument import load_instrument

from .conftest import WAVE, respondent

#: a partial response: of the closed questions only the first two (role, party) and the
#: last answered
PARTIAL = dict.fromkeys(load_instrument(WAVE / "questionnaire.yaml").closed_item_ids[2:-1], "")


def run(write_export, codebook, frame, matcher, records, key=b"k"):
    raw = read_surveymonkey(write_export(records), codebook)
    return clean(raw, codebook, frame, matcher, key, "t")


def reasons(result):
    return dict(zip(result.log["raw_row"], result.log["reason"], strict=True))


def test_each_exclusion_and_repair(write_export, codebook, frame, matcher):
    records = [
        respondent(1),  # row 3 kept
        respondent(1),  # row 4 duplicate
        respondent(2, **{"First Name": "Test"}),  # row 5 test
        respondent(3, **PARTIAL),  # row 6 partial
        respondent(4, council_text="Cardiff Council"),  # row 7 Wales
        respondent(5, council_text="Kingston"),  # row 8 ambiguous
        respondent(6, council_text="Borsetshire"),  # row 9 unmatched
        respondent(7, council_text="LB Camden"),  # row 10 repaired
        respondent(8, council_text="Test Valley"),  # row 11 kept
        respondent(9, **{"Email Address": "test.account@lgiu.org"}),  # row 12 test
    ]
    result = run(write_export, codebook, frame, matcher, records)
    assert reasons(result) == {
        4: "exact_duplicate",
        5: "test_submission",
        6: "partial",
        7: "outside_england",
        8: "council_ambiguous",
        9: "council_unmatched",
        10: "council_name_variant",
        12: "test_submission",
    }
    assert result.log.set_index("raw_row").at[10, "action"] == "repaired"
    assert result.log.set_index("raw_row").at[4, "detail"] == "same as row 3"
    r = result.responses
    assert len(r) == 3
    assert sorted(r["code"]) == ["E07000093", "E09000007", "E09000007"]
    assert set(r.loc[r["code"] == "E09000007", "type"]) == {"london_borough"}


def test_resubmission_keeps_latest_complete(write_export, codebook, frame, matcher):
    email = "jo.bloggs@camden.gov.uk"
    records = [
        respondent(
            1,
            **{"Email Address": email, "End Date": "11/01/2016 10:00:00 AM"},
            att_big_data="Disagree",
        ),  # row 3
        respondent(
            2,
            **{"Email Address": email.upper(), "End Date": "11/20/2016 09:00:00 AM"},
            att_big_data="Strongly agree",
        ),  # row 4
        respondent(
            3,
            **{"Email Address": "sam@x.gov.uk", "End Date": "11/01/2016 10:00:00 AM"},
            party="Green",
        ),  # row 5
        respondent(
            4, **{"Email Address": "sam@x.gov.uk", "End Date": "11/09/2016 10:00:00 AM"}, **PARTIAL
        ),  # row 6
    ]
    result = run(write_export, codebook, frame, matcher, records)
    assert reasons(result) == {3: "resubmission", 6: "partial"}
    assert "row 4" in result.log.set_index("raw_row").at[3, "detail"]
    r = result.responses
    assert sorted(r["att_big_data"].tolist()) == [4, 5]
    assert "Green" in set(r["party"])


def test_partial_threshold_is_half_the_closed_items(write_export, codebook, frame, matcher):
    closed = [v["id"] for v in codebook.variables if v["kind"] != "free_text"]
    assert len(closed) == 19  # a multi-select question counts once
    half = -(-len(closed) // 2)  # 10 of 19 answered: not partial; 9 of 19: partial
    single = [v["id"] for v in codebook.variables if v["kind"] in ("single_choice", "likert")]
    assert closed[: len(closed) - half + 1] == single[: len(closed) - half + 1]
    blank_ok = dict.fromkeys(closed[: len(closed) - half], "")
    blank_partial = dict.fromkeys(closed[: len(closed) - half + 1], "")
    result = run(
        write_export,
        codebook,
        frame,
        matcher,
        [respondent(1, **blank_ok), respondent(2, **blank_partial)],
    )
    assert reasons(result) == {4: "partial"}


def test_no_personal_data_in_outputs(write_export, codebook, frame, matcher):
    rec = respondent(1, one_thing="Email me at jo@camden.gov.uk or ring 020 7946 0958")
    result = run(write_export, codebook, frame, matcher, [rec])
    r = result.responses
    assert not {
        "email",
        "first_name",
        "last_name",
        "ip_address",
        "collector_id",
        "custom",
        "start_date",
        "end_date",
        "council_text",
    } & set(r.columns)
    flat = r.to_csv(index=False)
    for value in [
        rec["Email Address"],
        rec["IP Address"],
        rec["First Name"],
        rec["Respondent ID"],
        "jo@camden.gov.uk",
        "7946",
    ]:
        assert value not in flat
    assert r.loc[0, "one_thing"] == "Email me at [email] or ring [phone]"


def test_pseudonym_is_keyed(write_export, codebook, frame, matcher):
    a = run(write_export, codebook, frame, matcher, [respondent(1)], key=b"one")
    b = run(write_export, codebook, frame, matcher, [respondent(1)], key=b"one")
    c = run(write_export, codebook, frame, matcher, [respondent(1)], key=b"two")
    assert a.responses["respondent_id"][0] == b.responses["respondent_id"][0]
    assert a.responses["respondent_id"][0] != c.responses["respondent_id"][0]
    assert a.responses["respondent_id"][0] == pseudonymise("10000000001", b"one", "wave t")


def test_every_row_excluded_is_a_clear_error(write_export, codebook, frame, matcher):
    with pytest.raises(InputError, match="every row was excluded"):
        run(
            write_export,
            codebook,
            frame,
            matcher,
            [respondent(1, council_text="Cardiff"), respondent(2, **PARTIAL)],
        )


def test_summary_counts(write_export, codebook, frame, matcher):
    records = [respondent(1), respondent(1), respondent(2, council_text="Kent")]
    s = run(write_export, codebook, frame, matcher, records).summary.set_index("metric")["value"]
    assert s["raw_rows"] == 3 and s["excluded_exact_duplicate"] == 1
    assert s["respondents"] == 2 and s["councils"] == 2
    assert s["council_coverage"] == pytest.approx(2 / 353, abs=1e-6)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("see https://www.example.org/x for more", "see [url] for more"),
        ("our hub at SW1A 1AA is busy", "our hub at [postcode] is busy"),
        ("call +44 7700 900123", "call [phone]"),
        ("from 192.168.1.20 yesterday", "from [ip] yesterday"),
        ("nothing to hide", "nothing to hide"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redact_series_keeps_missing():
    from councilsurvey.cleaning.redact import redact_series

    out = redact_series(pd.Series(["a@b.co", None], dtype="string"))
    assert out[0] == "[email]" and pd.isna(out[1])


def test_planted_identifiers_reach_no_output(write_export, codebook, frame, matcher):
    """Identifiers planted in every column that takes free input (metadata, council name,
    open answer) appear in none of the clean stage's outputs."""
    planted = {
        "Respondent ID": "99887766554",
        "Collector ID": "314159265",
        "IP Address": "203.0.113.77",
        "Email Address": "zebedee.quixote@example.org",
        "First Name": "Zebedee",
        "Last Name": "Quixote",
        "Custom Data 1": "CRM-ZQ-4242",
    }
    secrets = [
        *planted.values(),
        "07700 900461",
        "quixote.private@example.net",
        "203.0.113.99",
        "SW1A 1AA",
    ]
    records = [
        respondent(
            1,
            **planted,
            one_thing="Ring me on 07700 900461 or quixote.private@example.net, SW1A 1AA",
        ),
        respondent(2, council_text="quixote.private@example.net"),  # unmatched
        respondent(3, council_text="Camden (203.0.113.99)"),  # matched fuzzily?
        respondent(4, party="Green"),
    ]
    result = run(write_export, codebook, frame, matcher, records)
    blob = "\n".join(
        t.to_csv(index=False)
        for t in (result.responses, result.log, result.matches, result.summary)
    )
    leaked = [s for s in secrets if s in blob]
    assert not leaked
    assert "[email]" in blob and "[phone]" in blob


# --- the vectorised helpers give what the per-row code gave ---------------------------


def _texts(n=4000, seed=3):
    import random

    rng = random.Random(seed)
    pieces = ["test", "Test", "TESTING", "dummy", "atest", "tests", "x", " ", "@", ".", "1", "é"]
    pieces += ["ſ", "K", "0", "www.", "http://", "-", "9"]
    out = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(n)]
    return pd.Series(out + [None, "", "a@b.co", "SW1A 1AA", "x" * 2500], dtype="string")


def test_marker_search_agrees_with_the_regular_expression_on_every_row():
    import re

    from councilsurvey.cleaning.clean import DEFAULT_TEST_MARKERS, _has_marker

    values = _texts()
    pattern = re.compile(r"(?<![a-z])(test|testing|dummy)(?![a-z])", re.I)
    expected = values.fillna("").map(lambda s: bool(pattern.search(s)))
    got = _has_marker(values, DEFAULT_TEST_MARKERS)
    assert got.tolist() == expected.astype(bool).tolist()
    assert got.any() and not got.all()


def test_redact_series_agrees_with_redact_on_every_row():
    from councilsurvey.cleaning.redact import redact_series

    values = _texts()
    expected = values.map(redact, na_action="ignore").astype("string")
    pd.testing.assert_series_equal(redact_series(values), expected)


def test_pseudonymise_all_gives_the_same_ids():
    from councilsurvey.cleaning.pseudonym import pseudonymise_all

    values = pd.Series(["10512345001", "7", None, "é"], dtype="string")
    for key in (b"k", b"x" * 64, b"y" * 65, "clé".encode()):
        got = pseudonymise_all(values, key, "wave 2017")
        assert got == [pseudonymise(str(v), key, "wave 2017") for v in values.astype(object)]


@pytest.mark.parametrize(
    "text",
    [
        "11/14/2016 10:23:45 AM",
        "02/29/2016 12:00:00 AM",
        "12/31/2016 12:59:59 PM",
        "02/29/2017 10:00:00 AM",  # no such day: pandas refuses, pyarrow would roll over
        "04/31/2016 01:00:00 PM",
        "2/3/2016 10:00:00 AM",  # not padded: pandas reads it, the fast path leaves it
        "11/14/2016  10:23:45 AM",
        "11/14/201610:23:45 AM",
        "11/14/2016 10:23:45 am",
    ],
)
def test_fast_dates_read_what_pandas_reads_or_leave_it_to_pandas(text):
    from councilsurvey.cleaning.clean import _fast_dates

    fmt = "%m/%d/%Y %I:%M:%S %p"
    values = pd.Series([text, None], dtype="string")
    fast = _fast_dates(values, fmt)
    slow = pd.to_datetime(values, format=fmt, errors="coerce")
    if fast is not None:
        assert fast.isna().tolist() == slow.isna().tolist()
        assert fast[0] == slow[0]


def test_clean_of_a_large_synthetic_export(tmp_path, codebook, frame, matcher, instrument):
    """A generated export of a few thousand rows: every kind of dirt is excluded, names
    typed as variants and misspellings are repaired, nobody is left unlogged."""
    from councilsurvey.dev import synth

    path = tmp_path / "export.csv"
    synth.write_large_export(path, 20_000, seed=4)
    raw = read_surveymonkey(path, codebook)
    res = clean(raw, codebook, frame, matcher, b"k", "large")
    s = dict(zip(res.summary["metric"], res.summary["value"], strict=True))
    assert s["raw_rows"] == 20_000
    for reason in ("exact_duplicate", "resubmission", "partial", "outside_england"):
        assert s[f"excluded_{reason}"] > 0, reason
    assert s["respondents"] + s["excluded_total"] == 20_000
    assert s["respondents"] > 19_500
    methods = res.matches.drop_duplicates("typed")["method"].value_counts()
    assert methods["fuzzy"] > 0 and methods["normalised"] > 0
    assert (res.log["reason"] == "council_name_variant").sum() > 1000
    assert res.responses["respondent_id"].is_unique
