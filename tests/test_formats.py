"""Export formats: SurveyMonkey CSV (UTF-8, BOM, Windows-1252), Qualtrics CSV, SPSS .sav and
.xlsx all read into the same RawExport and clean to the same responses."""

from __future__ import annotations

import inspect
import logging

import pandas as pd
import pyreadstat
import pytest
import yaml

from councilsurvey.cleaning.clean import clean, recode
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import codebook_from_instrument, load_codebook
from councilsurvey.inputs.export import (
    ROW,
    detect_format,
    read_export,
    read_qualtrics,
    read_spss,
    read_surveymonkey,
    read_xlsx,
)

from .conftest import ROOT, WAVE, load_fixture_maker

FIXTURES = ROOT / "tests" / "fixtures" / "formats"
KEY = b"format-fixture-key"

#: fixture -> (detected format, reader, first _row)
CASES = {
    "surveymonkey.csv": ("surveymonkey", read_surveymonkey, 3),
    "surveymonkey_bom.csv": ("surveymonkey", read_surveymonkey, 3),
    "surveymonkey_cp1252.csv": ("surveymonkey", read_surveymonkey, 3),
    "qualtrics.csv": ("qualtrics", read_qualtrics, 4),
    "spss.sav": ("spss", read_spss, 1),
    "excel.xlsx": ("xlsx", read_xlsx, 3),
}


@pytest.fixture(scope="module")
def fx_codebook():
    return load_codebook(FIXTURES / "codebook.yaml")


@pytest.fixture(scope="module")
def reference(fx_codebook):
    return read_surveymonkey(FIXTURES / "surveymonkey.csv", fx_codebook)


@pytest.fixture(scope="module")
def reference_clean(reference, fx_codebook, frame, matcher):
    return clean(reference, fx_codebook, frame, matcher, KEY, "fixture")


def test_read_export_signature():
    params = list(inspect.signature(read_export).parameters)
    assert params == ["path", "codebook", "format", "encoding"]


def test_reference_holds_the_awkward_cases(reference):
    d = reference.data
    assert len(d) == 6
    assert d.loc[0, "one_thing"] == "Councillors\u2019 digital skills training"
    assert "\u00a3" in d.loc[1, "one_thing"]
    assert d.loc[1, "council_text"] == "LB Camden"
    assert d.loc[1, "att_big_data"] == "Don't know"
    assert pd.isna(d.loc[2, "party"])
    assert all(str(d[c].dtype) == "string" for c in d.columns if c != ROW)


@pytest.mark.parametrize("name", list(CASES))
def test_every_format_reads_the_same_data(name, fx_codebook, reference):
    fmt, reader, first_row = CASES[name]
    raw = reader(FIXTURES / name, fx_codebook)
    assert list(raw.data.columns) == list(reference.data.columns)
    assert list(raw.data[ROW]) == list(range(first_row, first_row + 6))
    pd.testing.assert_frame_equal(raw.data.drop(columns=ROW), reference.data.drop(columns=ROW))
    assert set(raw.headers) == set(reference.headers)
    # through read_export, detected and declared, the same again
    for given in (None, fmt):
        again = read_export(FIXTURES / name, fx_codebook, format=given)
        pd.testing.assert_frame_equal(again.data, raw.data)
        assert again.headers == raw.headers


@pytest.mark.parametrize("name", list(CASES))
def test_every_format_cleans_to_identical_responses(
    name, fx_codebook, frame, matcher, reference_clean
):
    raw = read_export(FIXTURES / name, fx_codebook)
    result = clean(raw, fx_codebook, frame, matcher, KEY, "fixture")
    pd.testing.assert_frame_equal(result.responses, reference_clean.responses)
    assert len(result.responses) == 6
    assert list(result.log["reason"]) == list(reference_clean.log["reason"])


def test_reference_cleaning_keeps_dont_know_missing_and_repairs_names(reference_clean):
    r = reference_clean.responses
    assert r["att_wellbeing"].isna().all()  # Don't know: missing, never 3
    assert int(r["att_big_data"].isna().sum()) == 1
    assert set(reference_clean.log["reason"]) == {"council_name_variant"}
    assert r["one_thing"].dropna().str.contains("\u00a3").any()


@pytest.mark.parametrize("name", list(CASES))
def test_detection_picks_the_reader(name):
    assert detect_format(FIXTURES / name) == CASES[name][0]


def test_headers_name_the_columns_as_the_export_does(fx_codebook):
    q = read_qualtrics(FIXTURES / "qualtrics.csv", fx_codebook)
    assert q.headers["respondent_id"] == "ResponseId"
    assert q.headers["att_skills"] == "att_skills"
    s = read_spss(FIXTURES / "spss.sav", fx_codebook)
    assert s.headers["email"] == "email"
    x = read_xlsx(FIXTURES / "excel.xlsx", fx_codebook)
    assert x.headers["att_skills"].startswith("Councillors have the skills")


def test_cp1252_is_detected_with_a_warning(fx_codebook, reference, caplog):
    path = FIXTURES / "surveymonkey_cp1252.csv"
    with caplog.at_level(logging.WARNING, logger="councilsurvey.inputs"):
        raw = read_export(path, fx_codebook)
    assert any("read as Windows-1252" in m for m in caplog.messages)
    assert any("read as Windows-1252" in w for w in raw.warnings)
    assert raw.data.loc[0, "one_thing"] == "Councillors\u2019 digital skills training"
    pd.testing.assert_frame_equal(raw.data, reference.data)


def test_cp1252_declared_reads_without_the_detection_warning(fx_codebook, reference):
    raw = read_export(FIXTURES / "surveymonkey_cp1252.csv", fx_codebook, encoding="cp1252")
    assert not any("Windows-1252" in w for w in raw.warnings)
    pd.testing.assert_frame_equal(raw.data, reference.data)
    same = read_export(FIXTURES / "surveymonkey_cp1252.csv", fx_codebook, encoding="windows-1252")
    pd.testing.assert_frame_equal(same.data, reference.data)


def test_utf8_declared_refuses_cp1252(fx_codebook):
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_export(FIXTURES / "surveymonkey_cp1252.csv", fx_codebook, encoding="utf-8")
    assert err.value.row == 3


def test_unsupported_encoding_is_refused(fx_codebook):
    with pytest.raises(InputError, match="not supported"):
        read_export(FIXTURES / "surveymonkey.csv", fx_codebook, encoding="latin-1")
    with pytest.raises(InputError, match="unknown encoding"):
        read_export(FIXTURES / "surveymonkey.csv", fx_codebook, encoding="no-such-codec")


def test_byte_order_mark_is_accepted(fx_codebook, reference):
    assert (FIXTURES / "surveymonkey_bom.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    raw = read_export(FIXTURES / "surveymonkey_bom.csv", fx_codebook)
    pd.testing.assert_frame_equal(raw.data, reference.data)
    assert raw.warnings == [
        w.replace("surveymonkey.csv", "surveymonkey_bom.csv") for w in reference.warnings
    ]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le"])
@pytest.mark.parametrize("fmt", [None, "surveymonkey"])
def test_utf16_is_refused(tmp_path, fx_codebook, codec, fmt):
    text = (FIXTURES / "surveymonkey.csv").read_text(encoding="utf-8")
    data = text.encode(codec)
    if codec != "utf-16":
        data = ("\ufeff".encode(codec)) + data  # BOM FE FF / FF FE
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match="UTF-16 text: re-save the export as UTF-8") as err:
        read_export(path, fx_codebook, format=fmt)
    assert err.value.path == path


def test_utf16_without_bom_is_refused(tmp_path, fx_codebook):
    path = tmp_path / "export.csv"
    path.write_bytes(
        (FIXTURES / "surveymonkey.csv").read_text(encoding="utf-8").encode("utf-16-le")
    )
    with pytest.raises(InputError, match="UTF-16"):
        read_export(path, fx_codebook)


def test_other_bytes_keep_the_not_utf8_error(tmp_path, fx_codebook):
    """Latin letters alone (no Windows-1252 punctuation) are not taken for cp1252."""
    text = (FIXTURES / "surveymonkey.csv").read_text(encoding="utf-8")
    text = text.replace("\u2019", "'").replace("\u00a3", "GBP").replace("\u2013", "-")
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("Rother", "Roth\u00e9r")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_export(path, fx_codebook)
    assert err.value.row == 5


def _rewrite_sav(src, dst, change):
    df, meta = pyreadstat.read_sav(str(src), apply_value_formats=False, user_missing=True)
    change(df)
    pyreadstat.write_sav(
        df,
        dst,
        column_labels=dict(zip(meta.column_names, meta.column_labels, strict=True)),
        variable_value_labels=meta.variable_value_labels,
    )


def test_spss_code_without_label_names_case_and_variable(tmp_path, fx_codebook):
    path = tmp_path / "bad.sav"
    _rewrite_sav(FIXTURES / "spss.sav", path, lambda df: df.__setitem__("att_skills", 7.0))
    with pytest.raises(InputError, match="code 7 has no value label") as err:
        read_spss(path, fx_codebook)
    assert err.value.row == 1
    assert err.value.column == "att_skills"
    assert str(err.value.path) == str(path)
    assert '9 = "Don\'t know"' in str(err.value)


def test_spss_error_row_is_the_case_number(tmp_path, fx_codebook):
    def change(df):
        df.loc[3, "role"] = 42.0

    path = tmp_path / "bad.sav"
    _rewrite_sav(FIXTURES / "spss.sav", path, change)
    with pytest.raises(InputError, match="code 42") as err:
        read_export(path, fx_codebook)
    assert (err.value.row, err.value.column) == (4, "role")


def test_spss_recode_errors_name_the_variable(tmp_path, fx_codebook):
    """A label the codebook does not know is reported by recode with case and variable."""
    df, meta = pyreadstat.read_sav(
        str(FIXTURES / "spss.sav"), apply_value_formats=False, user_missing=True
    )
    labels = dict(meta.variable_value_labels)
    labels["party"] = {**labels["party"], 2.0: "Labour Co-op"}
    path = tmp_path / "relabelled.sav"
    pyreadstat.write_sav(df, path, variable_value_labels=labels)
    raw = read_spss(path, fx_codebook)
    with pytest.raises(InputError, match="Labour Co-op") as err:
        recode(raw, fx_codebook)
    assert (err.value.row, err.value.column) == (1, "party")


def test_unreadable_binary_files_name_the_file(tmp_path, fx_codebook):
    for name in ("broken.sav", "broken.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"this is not what the extension says\r\n")
        with pytest.raises(InputError, match="not a readable") as err:
            read_export(path, fx_codebook)
        assert err.value.path == path


def test_unknown_or_undetectable_format_is_refused(tmp_path, fx_codebook):
    path = tmp_path / "export.txt"
    path.write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the export format") as err:
        read_export(path, fx_codebook)
    assert err.value.path == path
    with pytest.raises(InputError, match="unknown export format"):
        read_export(FIXTURES / "surveymonkey.csv", fx_codebook, format="stata")


def test_qualtrics_without_import_id_row_is_refused(tmp_path, fx_codebook):
    lines = (FIXTURES / "qualtrics.csv").read_bytes().split(b"\r\n")
    del lines[2]
    path = tmp_path / "qualtrics.csv"
    path.write_bytes(b"\r\n".join(lines))
    message = r"expected three header rows .* is the ImportId row missing\?"
    with pytest.raises(InputError, match=message):
        read_qualtrics(path, fx_codebook)
    with pytest.raises(InputError, match=message):
        read_export(path, fx_codebook, format="qualtrics")
    assert detect_format(path) == "surveymonkey"  # without it, nothing says Qualtrics


def test_qualtrics_missing_column_names_it(tmp_path, fx_codebook):
    text = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "qualtrics.csv"
    path.write_text(text.replace('"att_cyber"', '"Q7_6"', 1), encoding="utf-8")
    with pytest.raises(InputError, match="'att_cyber' is not in the export") as err:
        read_export(path, fx_codebook)
    assert err.value.column == "att_cyber"


def test_qualtrics_data_row_numbers(tmp_path, fx_codebook):
    text = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "qualtrics.csv"
    path.write_text(text.replace('"Green"', '"Purple"'), encoding="utf-8")
    with pytest.raises(InputError, match="Purple") as err:
        recode(read_export(path, fx_codebook), fx_codebook)
    assert (err.value.row, err.value.column) == (5, "party")


def _codebook_file(tmp_path, mutate):
    data = yaml.safe_load((FIXTURES / "codebook.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _drop(d, *keys):
    for k in keys:
        d.pop(k, None)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda cb: _drop(cb["variables"][1], "header", "subheader", "column"),
            r"variables\.1: 'header' is a required property",
        ),
        (
            lambda cb: _drop(cb["variables"][1], "subheader", "column"),
            r"'subheader' is a dependency of 'header'",
        ),
        (
            lambda cb: _drop(cb["metadata"][0], "header", "names"),
            r"metadata\.0: 'header' is a required property",
        ),
        (lambda cb: cb["metadata"][0].update(names=[]), r"metadata\.0\.names"),
        (lambda cb: cb.update(format="stata"), r"'stata' is not one of"),
    ],
    ids=[
        "variable-no-locator",
        "header-without-subheader",
        "metadata-no-locator",
        "no-names",
        "fmt",
    ],
)
def test_codebook_without_locator_is_refused_by_schema(tmp_path, mutate, message):
    with pytest.raises(InputError, match=message):
        load_codebook(_codebook_file(tmp_path, mutate))


@pytest.mark.parametrize("fmt", ["surveymonkey", "qualtrics", "spss", "xlsx"])
def test_codebook_format_is_optional_and_may_name_any_format(tmp_path, fmt):
    load_codebook(_codebook_file(tmp_path, lambda cb: cb.update(format=fmt)))


def test_column_only_codebook_reads_named_formats_and_says_why_not_surveymonkey(
    tmp_path, fx_codebook, reference
):
    def strip(cb):
        for var in cb["variables"]:
            _drop(var, "header", "subheader")
        for meta in cb["metadata"]:
            _drop(meta, "header")

    book = load_codebook(_codebook_file(tmp_path, strip))
    raw = read_export(FIXTURES / "spss.sav", book)
    pd.testing.assert_frame_equal(raw.data.drop(columns=ROW), reference.data.drop(columns=ROW))
    with pytest.raises(InputError, match="no header/subheader") as err:
        read_export(FIXTURES / "surveymonkey.csv", book)
    assert err.value.path == book.path


def test_bundled_codebook_stays_valid_and_generated_unchanged(instrument):
    load_codebook(WAVE / "codebook.yaml")
    text = (WAVE / "codebook.yaml").read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    made = codebook_from_instrument(instrument, "2017")
    assert yaml.safe_dump(made, sort_keys=False, allow_unicode=True, width=100) == body


def test_fixtures_are_reproduced_byte_for_byte():
    built = load_fixture_maker().build()
    assert set(built) == {p.name for p in FIXTURES.iterdir() if p.is_file() and p.suffix != ".py"}
    for name, data in built.items():
        assert data == (FIXTURES / name).read_bytes(), name


def test_mixed_utf8_and_cp1252_is_not_taken_for_cp1252(tmp_path, fx_codebook):
    """UTF-8 curly quotes in one row and a Windows-1252 pound sign in another: reading it
    as Windows-1252 would garble the UTF-8 part, so the not-UTF-8 error stands."""
    text = (FIXTURES / "surveymonkey.csv").read_text(encoding="utf-8")
    head, sep, tail = text.partition("A \u00a350k")
    path = tmp_path / "export.csv"
    path.write_bytes(head.encode("utf-8") + "A \u00a350k".encode("cp1252") + tail.encode("utf-8"))
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_export(path, fx_codebook)
    assert err.value.row == 4
