"""The header parser: columns found by their texts, and clear errors for broken files."""

import logging

import pytest

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.export import read_surveymonkey

from .conftest import export_text, header_rows, respondent


def test_reads_variables_and_metadata_by_header_text(write_export, codebook):
    path = write_export([respondent(1), respondent(2, party="Green")])
    raw = read_surveymonkey(path, codebook)
    assert list(raw.data["_row"]) == [3, 4]
    assert list(raw.data["party"]) == ["Labour", "Green"]
    assert raw.data.loc[0, "att_automation"] == "Strongly agree"
    assert raw.data.loc[0, "email"] == "person1@example-council.gov.uk"
    assert raw.headers["att_big_data"].startswith("Big data")
    assert raw.warnings == []


def test_column_order_does_not_matter(write_export, codebook):
    """Swapping two single questions and reversing the matrix statements gives the
    same data: columns are located by text, never by position."""
    records = [respondent(1), respondent(2, att_big_data="Disagree", role="Other")]
    h1, h2 = header_rows()
    n = len(h1)
    order = list(range(n))
    order[10], order[11] = order[11], order[10]  # role <-> party
    matrix = list(range(15, 23))
    order[15:23] = matrix[::-1]
    h1 = list(h1)
    stem = h1[15]
    h1[15] = ""  # the stem must head the first column of the block as exported
    h1[22] = stem
    a = read_surveymonkey(write_export(records, name="a.csv"), codebook).data
    b = read_surveymonkey(
        write_export(text=export_text(records, headers=[h1, h2], order=order), name="b.csv"),
        codebook,
    ).data
    assert a.equals(b[a.columns])


def test_unknown_question_warns_and_continues(write_export, codebook, caplog):
    text = export_text([respondent(1)])
    lines = text.split("\r\n")
    lines[0] += ",Would you take part in a follow-up interview?"
    lines[1] += ",Response"
    lines[2] += ",Yes"
    path = write_export(text="\r\n".join(lines))
    with caplog.at_level(logging.WARNING):
        raw = read_surveymonkey(path, codebook)
    assert len(raw.warnings) == 1 and "not in the codebook" in raw.warnings[0]
    assert len(raw.data) == 1


def test_missing_codebook_question_names_it(write_export, codebook):
    h1, h2 = header_rows()
    keep = [i for i in range(len(h1)) if not h1[i].startswith("What is your age")]
    text = export_text([respondent(1)], order=keep)
    with pytest.raises(InputError) as err:
        read_surveymonkey(write_export(text=text), codebook)
    assert "'age_band' is not in the export" in str(err.value)
    assert err.value.column == "What is your age?"


def test_duplicated_header_is_an_error(write_export, codebook):
    h1, h2 = header_rows()
    order = list(range(len(h1))) + [10]
    with pytest.raises(InputError, match="duplicated column header") as err:
        read_surveymonkey(write_export(text=export_text([respondent(1)], order=order)), codebook)
    assert err.value.row == 2


def test_missing_header_row(write_export, codebook):
    lines = export_text([respondent(1)]).split("\r\n")
    del lines[1]
    with pytest.raises(InputError, match="header rows differ|header") as err:
        read_surveymonkey(write_export(text="\r\n".join(lines)), codebook)
    assert str(err.value.path).endswith("export.csv")


def test_truncated_last_line_names_row(write_export, codebook):
    text = export_text([respondent(1), respondent(2)]).rstrip("\r\n")
    text = text[: text.rfind(",Labour,")]
    with pytest.raises(InputError, match="truncated") as err:
        read_surveymonkey(write_export(text=text), codebook)
    assert err.value.row == 4


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
    ],
)
def test_empty_file(write_export, codebook, data, message):
    with pytest.raises(InputError, match=message):
        read_surveymonkey(write_export(data=data), codebook)


def test_byte_order_mark_is_accepted(write_export, codebook):
    data = b"\xef\xbb\xbf" + export_text([respondent(1)]).encode("utf-8")
    raw = read_surveymonkey(write_export(data=data), codebook)
    assert raw.data.loc[0, "respondent_id"] == "10000000001"


def test_not_utf8_names_row(write_export, codebook):
    text = export_text([respondent(1), respondent(2, one_thing="caf\u00e9 wifi")])
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_surveymonkey(write_export(data=text.encode("cp1252")), codebook)
    assert err.value.row == 4


def test_semicolon_delimited_file_is_refused(write_export, codebook):
    text = export_text([respondent(1)]).replace(",", ";")
    with pytest.raises(InputError):
        read_surveymonkey(write_export(text=text), codebook)


# --- the fast reader (pyarrow) gives what the csv module gives -------------------------


def _both_ways(text):
    """(records by the fast path or None, records or error by the csv module)."""
    from pathlib import Path

    from councilsurvey.inputs import textfile

    fast = textfile.fast_records(Path("x.csv"), text)
    if fast is not None:
        body = fast[len(fast.head) :]
        columns = [body.column(i).to_pylist() for i in range(body.width)]
        fast = fast.head + [list(r) for r in zip(*columns, strict=True)]
    try:
        slow = textfile.parse_records(Path("x.csv"), text)
    except InputError as exc:
        slow = exc
    return fast, slow


@pytest.mark.parametrize(
    "body",
    [
        "a,b\r\nc,d\r\n",
        'a,"b,c"\r\n"",d\r\n',
        'a,"multi\nline ""quoted"" text"\r\nc,d',
        "a,b\n\nc,d\n",  # an empty line: the csv module gives an empty record
        'a,"b"x\r\nc,d\r\n',  # text after a closing quote: an error for the csv module
        'a,"b\r\nc,d\r\n',  # a quote left open
        'a,b"c\r\n"d",e\r',  # a quote inside an unquoted field is text
        "a,b\rc,d\re,f",
        "a,b,c\r\nd,e\r\n",  # a row too wide
        "a,\u00e9\u2003\r\n\u3000x ,\x85\r\n",  # white space str.strip removes
    ],
)
def test_fast_reader_agrees_with_csv_module(body):
    fast, slow = _both_ways("h1,h2\r\n,\r\n" + body)
    if fast is not None:
        assert fast == slow
    else:  # the csv module reads it (or says why not)
        assert isinstance(slow, (list, InputError))


def test_fast_reader_agrees_with_csv_module_on_random_text():
    import random

    rng = random.Random(8)
    pieces = ["a", "b", ",", '"', '""', "\n", "\r", "\r\n", " ", "\u00e9"]
    fast_cases = 0
    for _ in range(3000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        fast, slow = _both_ways("h1,h2\r\n,\r\n" + body)
        if fast is not None:
            fast_cases += 1
            assert fast == slow, repr(body)
    assert fast_cases > 100


def test_large_synthetic_export_reads_the_same_both_ways(tmp_path, codebook, frame, instrument):
    """A generated export of some thousand rows: the fast reader and the csv module give
    the same raw data."""
    import pandas as pd

    from councilsurvey.dev import synth
    from councilsurvey.inputs import export, textfile

    table = synth.large_export(frame, instrument, 3000, seed=5)
    path = tmp_path / "export.csv"
    header = export_text([])
    path.write_bytes(header.encode() + b"".join(synth.csv_body(table)))
    fast = read_surveymonkey(path, codebook)
    text = path.read_text(encoding="utf-8")
    assert isinstance(textfile.read_records(path, None, []), textfile.FastRecords)
    slow = export._surveymonkey(path, textfile.parse_records(path, text), codebook, [])
    pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True)
    assert len(fast.data) == 3000


def test_instrument_questions_are_in_the_export_column_order(instrument, codebook):
    """``question_ids`` name the bundled export's columns after the metadata, in order (a
    tick-all-that-apply question spans a block: its text over the first column, its
    options in header row 2); ``closed_item_ids`` are the codebook's closed variables
    (those the clean stage counts for a partial response), in the same order."""
    h1, h2 = header_rows()
    n_meta = len(instrument.raw["export_metadata"])
    ids = instrument.question_ids
    at = n_meta
    for var_id in ids:
        item = instrument.item(var_id)
        if item.get("type") == "multi_select":
            width = len(item["options"])
            assert h1[at : at + width] == [item["text"]] + [""] * (width - 1)
            assert h2[at : at + width] == item["options"]
            at += width
        else:
            assert item["text"] in (h1[at], h2[at])
            at += 1
    assert at == len(h1)
    closed = instrument.closed_item_ids
    assert sorted(closed) == sorted(v["id"] for v in codebook.variables if v["kind"] != "free_text")
    assert [ids.index(v) for v in closed] == sorted(ids.index(v) for v in closed)
    assert "one_thing" in ids and "one_thing" not in closed
