"""The synthetic wave's generator: seeded, documented, and still the bundled file."""

from councilsurvey.dev import synth

from .conftest import FRAME, OUTSIDE, WAVE


def test_generator_reproduces_bundled_export_byte_for_byte():
    data = synth.build(WAVE / "questionnaire.yaml", FRAME, OUTSIDE, seed=2017)
    assert data == (WAVE / "export.csv").read_bytes()


def test_bias_against_the_frame(synth_frame):
    """Opt-in bias the weighting stage must correct: London over-represented and
    districts under-represented relative to their share of seats."""
    import pandas as pd

    from councilsurvey.inputs.codebook import codebook_from_instrument  # noqa: F401

    raw = pd.read_csv(WAVE / "export.csv", header=None, skiprows=2, dtype=str)
    assert len(raw) > 808  # dirt included
    seats = synth_frame.groupby("region")["seats"].sum() / synth_frame["seats"].sum()
    assert seats["London"] < 0.12


def test_different_seed_gives_different_data_with_same_published_figures(
    instrument, synth_frame, matcher
):
    data = synth.to_csv(
        *synth.generate(synth_frame, matcher.outside, instrument, 7, matcher), instrument
    )
    assert data != (WAVE / "export.csv").read_bytes()
    got = synth.check(data, instrument, synth_frame, matcher)
    assert (got["respondents"], got["councils"], got["enthusiasts"], got["sceptics"]) == (
        808,
        278,
        373,
        118,
    )


# --- large waves for benchmarks --------------------------------------------------------


def test_large_export_is_seeded_and_shaped_like_the_bundled_export(
    instrument, synth_frame, matcher
):
    import csv
    import io

    table = synth.large_export(synth_frame, instrument, matcher, 5000, seed=3)
    assert table.num_rows == 5000
    assert table.column_names == synth.column_order(instrument)
    again = synth.large_export(synth_frame, instrument, matcher, 5000, seed=3)
    assert again.equals(table)
    assert not synth.large_export(synth_frame, instrument, matcher, 5000, seed=4).equals(table)
    rows = table.to_pylist()
    # answers are the instrument's texts; metadata look like the export's
    likert = set(instrument.likert)
    assert {r["att_big_data"] for r in rows} <= likert | {None}
    assert {r["party"] for r in rows} <= set(instrument.options("party")) | {None}
    assert all(r["Email Address"].count("@") == 1 for r in rows)
    assert all(len(r["IP Address"].split(".")) == 4 for r in rows)
    starts = [r["Start Date"] for r in rows]
    assert all(len(s) == 22 and s[-2:] in ("AM", "PM") for s in starts)
    # the body is the CSV Python's csv module writes
    body = b"".join(synth.csv_body(table, chunk_rows=1234)).decode()
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in r.values()] for r in rows]
    )
    assert body == buf.getvalue()


def test_large_export_types_council_names_as_people_do(instrument, synth_frame, matcher):
    from collections import Counter

    table = synth.large_export(synth_frame, instrument, matcher, 20_000, seed=5)
    typed = Counter(t for t in table.column("council_text").to_pylist() if t)
    methods = Counter()
    for text, n in typed.items():
        methods[matcher.match(text)["method"]] += n
    assert methods["exact"] > 0.7 * 20_000
    assert methods["normalised"] > 1000 and methods["fuzzy"] > 200
    assert any(t in typed for t in synth.WELSH_SCOTTISH)
    ids = table.column("Respondent ID").to_pylist()
    assert len(set(ids)) == len(ids) - round(synth.LARGE_DIRT["exact_duplicate"] * 20_000)


def test_large_responses(synth_frame):
    r = synth.large_responses(synth_frame, 50_000, seed=2)
    assert len(r) == 50_000 and r["respondent_id"].is_unique
    assert set(r["code"]) <= set(synth_frame["code"])
    assert set(r["party"].cat.categories) == set(synth.LARGE_PARTIES)
    by_code = synth_frame.set_index("code")
    assert (r["type"] == r["code"].map(by_code["type"])).all()
