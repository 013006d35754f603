"""Bring your own export: ``councilsurvey codebook draft`` then ``councilsurvey read``, run
as a user runs them (``python -m councilsurvey``), on exports of every shape the survey
tools write, made here with each tool's own conventions; spreadsheet damage stopped at
validate_raw; codebook mistakes as one line, never a traceback."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from councilsurvey.cleaning.clean import recode
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import load_codebook
from councilsurvey.inputs.export import read_export
from councilsurvey.pipeline.prepare import clean_wave, validate_raw

from .conftest import FRAME, OUTSIDE, ROOT, WAVE

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
ENV = {"PYTHONPATH": str(ROOT / "workflow"), "PATH": "/usr/bin:/bin"}


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "councilsurvey", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
    )


def draft_and_read(export: Path, tmp_path: Path, *extra) -> tuple[dict, dict]:
    """Draft a codebook, read the export through it unedited: (codebook, summary)."""
    book = tmp_path / "codebook.yaml"
    done = cli("codebook", "draft", export, "-o", book, *extra)
    assert done.returncode == 0, done.stderr
    read = cli("read", export, "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    return yaml.safe_load(book.read_text()), json.loads(read.stdout)


def by_id(summary: dict) -> dict:
    return {v["id"]: v for v in summary["variables"]}


def test_pyproject_declares_the_command():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["scripts"]["councilsurvey"] == "councilsurvey.pipeline.cli:main"
    help_text = cli("--help").stdout
    for sub in ("codebook", "read", "verify", "diff"):
        assert sub in help_text


def test_diff_and_verify_are_subcommands():
    assert "--tol" in cli("diff", "--help").stdout
    assert "--bundle" in cli("verify", "--help").stdout
    done = cli("diff", "/nonexistent/a", "/nonexistent/b")
    assert done.returncode == 2 and "does not exist" in done.stderr


# --------------------------------------------------------------- the bundled 2017 wave


def _scale_in_words(var) -> bool:
    """An ordered scale without numbers in its answers ("Very negative" ... "Very
    positive"): the questionnaire says it is ordered, which a draft cannot guess."""
    return bool(var.get("ordered")) and not any(
        ch.isdigit() for answer in var.get("values", {}) for ch in answer
    )


def test_draft_of_the_2017_export_matches_the_hand_written_codebook(tmp_path):
    draft, summary = draft_and_read(WAVE / "export.csv", tmp_path)
    hand = yaml.safe_load((WAVE / "codebook.yaml").read_text())
    assert draft["metadata"] == hand["metadata"]
    assert draft["date_format"] == hand["date_format"]
    drafted = {(v["header"], v.get("subheader")): v for v in draft["variables"]}
    assert len(drafted) == len(hand["variables"])
    for var in hand["variables"]:
        got = drafted[(var["header"], var.get("subheader"))]
        assert got["kind"] == var["kind"], var["id"]
        if var["kind"] == "multi_select":  # its options, and "choose up to three" read
            assert got["options"] == var["options"], var["id"]
            assert got.get("max_choices") == var.get("max_choices"), var["id"]
            continue
        assert got.get("ordered") == var.get("ordered") or _scale_in_words(var), var["id"]
        assert got.get("values", {}).items() <= var.get("values", {}).items(), var["id"]
        if var.get("ordered") and not _scale_in_words(var):  # in the questionnaire's order
            assert list(got["values"]) == [k for k in var["values"] if k in got["values"]]
    export = pd.read_csv(WAVE / "export.csv", skiprows=[1], dtype=str, keep_default_na=False)
    assert summary["rows"] == len(export)
    gender = by_id(summary)["gender"]["counts"]
    assert gender == dict(Counter(v for v in export["What is your gender?"] if v))


def test_draft_of_the_2019_sav_matches_the_hand_written_codebook(tmp_path):
    """The bundled SPSS wave: variable names, labels and value labels give the
    hand-written codebook's kinds, order and answer maps exactly."""
    draft, summary = draft_and_read(ROOT / "data" / "raw" / "2019" / "export.sav", tmp_path)
    hand = yaml.safe_load((ROOT / "data" / "raw" / "2019" / "codebook.yaml").read_text())
    assert [(m["names"], m["role"]) for m in draft["metadata"]] == [
        (m["names"], m["role"]) for m in hand["metadata"]
    ]

    def column(v):  # a multi-select question: its first option's variable
        return v["column"] if "column" in v else v["options"][0]["column"]

    drafted = {column(v): v for v in draft["variables"]}
    assert len(drafted) == len(hand["variables"])
    for var in hand["variables"]:
        got = drafted[column(var)]
        if var["kind"] == "multi_select":  # the id is drafted from the labels' words
            assert got["kind"] == "multi_select"
            assert got["options"] == var["options"], var["id"]
            assert got.get("max_choices") == var.get("max_choices"), var["id"]
            continue
        assert (got["id"], got["kind"]) == (var["id"], var["kind"])
        assert got.get("ordered") == var.get("ordered") or _scale_in_words(var), var["id"]
        assert list(got.get("values", {}).items()) == list(var.get("values", {}).items())
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, _ = pyreadstat.read_sav(str(ROOT / "data" / "raw" / "2019" / "export.sav"))
    assert summary["rows"] == len(frame)


# --------------------------------------------------------------- SurveyMonkey variants


def _surveymonkey_export(path: Path, n: int = 40, ids: bool = True) -> list[list[str]]:
    """A SurveyMonkey export with a spanned Likert block holding N/A cells, a
    multi-select block, a ranking matrix, a contact-information block of sub-fields and
    an open question, written with CRLF line ends."""
    rng = random.Random(17)
    stem = "How far do you agree or disagree with the following statements?"
    head1 = [
        "Start Date",
        "End Date",
        "What is your gender?",
        stem,
        "",
        "",
        "Which of these do you use?",
        "",
        "Please rank these priorities",
        "",
        "",
        "Your contact details",
        "",
        "Anything else?",
    ]
    head2 = [
        "",
        "",
        "Response",
        "Services are good",
        "Staff are helpful",
        "It is easy",
        "Email",
        "Phone",
        "Housing",
        "Transport",
        "Health",
        "Name",
        "Town",
        "Open-Ended Response",
    ]
    if ids:
        head1, head2 = ["Respondent ID", *head1], ["", *head2]
    rows = []
    for i in range(n):
        ranks = rng.sample(["1", "2", "3"], 3)
        row = [
            f"10/{1 + i % 28:02d}/2024 09:{i % 60:02d}:00 AM",
            f"10/{1 + i % 28:02d}/2024 10:{i % 60:02d}:00 AM",
            rng.choice(["Female", "Male", "Prefer not to say"]),
            *(rng.choice(AGREE + ["N/A", ""]) for _ in range(3)),
            rng.choice(["Email", ""]),
            rng.choice(["Phone", ""]),
            *ranks,
            f"Person {i}",
            rng.choice(["Leeds", "York", "Hull", "Bath", "Ely", "Wells"]) + f" {i}",
            rng.choice(["", f"comment {i}"]),
        ]
        rows.append(([str(110000000000 + i)] if ids else []) + row)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows([head1, head2, *rows])
    return rows


def test_surveymonkey_variants_draft_and_read(tmp_path):
    export = tmp_path / "export.csv"
    rows = _surveymonkey_export(export)
    assert b"\r\n" in export.read_bytes()
    draft, summary = draft_and_read(export, tmp_path)
    assert summary["rows"] == len(rows) == 40
    kinds = {(v["header"], v.get("subheader")): v for v in draft["variables"]}
    stem = "How far do you agree or disagree with the following statements?"
    likert = kinds[(stem, "Services are good")]
    assert likert["kind"] == "likert"
    assert likert["values"]["Strongly agree"] == 5 and likert["values"]["N/A"] is None
    multi = kinds[("Which of these do you use?", None)]  # a multi-select block
    assert multi["kind"] == "multi_select"
    assert multi["options"] == [{"text": "Email"}, {"text": "Phone"}]
    assert kinds[("Your contact details", "Town")]["kind"] == "free_text"
    assert kinds[("Anything else?", "Open-Ended Response")]["kind"] == "free_text"
    counts = by_id(summary)
    services = next(v for v in summary["variables"] if v["column"] == "Services are good")
    assert services["counts"] == dict(Counter(r[4] for r in rows if r[4]))
    ranks = [v for v in summary["variables"] if v["column"] == "Housing"][0]
    assert ranks["counts"] == dict(Counter(r[9] for r in rows))
    assert sum(counts[v]["answered"] for v in counts) > 0


def test_xlsx_reads_as_the_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    export = tmp_path / "export.csv"
    rows = _surveymonkey_export(export)
    book = openpyxl.Workbook()
    with open(export, newline="", encoding="utf-8") as fh:
        for rec in csv.reader(fh):
            book.active.append([int(c) if c.isdigit() else (c or None) for c in rec])
    book.save(tmp_path / "export.xlsx")
    draft, summary = draft_and_read(tmp_path / "export.xlsx", tmp_path)
    (tmp_path / "csv").mkdir()
    _, from_csv = draft_and_read(export, tmp_path / "csv")
    assert summary["rows"] == from_csv["rows"] == len(rows)
    assert [v["counts"] for v in summary["variables"] if "counts" in v] == [
        v["counts"] for v in from_csv["variables"] if "counts" in v
    ]


def test_export_without_respondent_id_is_numbered_at_clean(tmp_path):
    export = tmp_path / "export.csv"
    _surveymonkey_export(export, ids=False)
    draft, summary = draft_and_read(export, tmp_path)
    assert "respondent_id" not in summary["metadata"]
    assert any("no respondent ID" in w for w in summary["warnings"])
    assert "# CHECK: no respondent ID column" in (tmp_path / "codebook.yaml").read_text()


def test_clean_numbers_rows_without_respondent_id(tmp_path):
    """The bundled export without its Respondent ID column: the clean stage identifies
    every respondent by raw row number and says so in the cleaning log."""
    records = list(csv.reader(open(WAVE / "export.csv", newline="", encoding="utf-8")))
    (tmp_path / "export.csv").write_text(
        "".join(",".join(f'"{c}"' for c in r[1:]) + "\n" for r in records), encoding="utf-8"
    )
    hand = yaml.safe_load((WAVE / "codebook.yaml").read_text())
    hand["metadata"] = [m for m in hand["metadata"] if m["role"] != "respondent_id"]
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(hand))
    from councilsurvey.pipeline.paths import load_config

    out = {k: tmp_path / f"{k}.csv" for k in ("cleaning_log", "matches", "summary")}
    clean_wave(
        export=tmp_path / "export.csv",
        codebook=tmp_path / "codebook.yaml",
        frame=FRAME,
        n_councils=353,
        outside=OUTSIDE,
        key_file=tmp_path / "key",
        wave="t",
        cleaning=load_config(ROOT / "config.yaml")["cleaning"],
        responses=tmp_path / "responses.parquet",
        **out,
    )
    log = pd.read_csv(out["cleaning_log"])
    responses = pd.read_parquet(tmp_path / "responses.parquet")
    numbered = log[log["action"] == "numbered"]
    assert len(numbered) == len(responses) > 0
    assert set(numbered["reason"]) == {"no_respondent_id"}
    assert responses["respondent_id"].is_unique


# --------------------------------------------------------------- Qualtrics variants


def _qualtrics(path: Path, third_row, body, names=None, texts=None):
    names = names or ["StartDate", "EndDate", "ResponseId", "Q1", "Q2_1", "Q2_2"]
    texts = texts or [
        "Start Date",
        "End Date",
        "Response ID",
        "What is your gender?",
        "Agreement - Services are good",
        "Agreement - Staff are helpful",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        rows = [names, texts] + ([third_row] if third_row else []) + body
        csv.writer(fh).writerows(rows)


def _body(n, likert, rng):
    return [
        [
            f"2024-10-{1 + i % 28:02d} 09:00:00",
            f"2024-10-{1 + i % 28:02d} 09:20:00",
            f"R_{i:04d}",
            rng.choice(["Female", "Male"]),
            rng.choice(likert),
            rng.choice(likert),
        ]
        for i in range(n)
    ]


@pytest.mark.parametrize("form", ["json", "single_quote"])
def test_qualtrics_label_exports(tmp_path, form):
    rng = random.Random(3)
    quote = '"' if form == "json" else "'"
    third = [
        f"{{{quote}ImportId{quote}: {quote}{x}{quote}}}"
        for x in ("startDate", "endDate", "_recordId", "QID1", "QID2_1", "QID2_2")
    ]
    body = _body(30, AGREE + ["Don't know"], rng)
    _qualtrics(tmp_path / "export.csv", third, body)
    draft, summary = draft_and_read(tmp_path / "export.csv", tmp_path)
    assert draft["format"] == "qualtrics" and summary["rows"] == 30
    assert draft["date_format"] == "%Y-%m-%d %H:%M:%S"
    q2 = by_id(summary)
    item = next(v for v in q2.values() if v["column"] == "Q2_1")
    assert item["kind"] == "likert"
    assert item["counts"] == dict(Counter(r[4] for r in body))


def test_qualtrics_numeric_export_with_qsf(tmp_path):
    """Recode values stored in the reverse order (1 = Strongly agree): through the .qsf,
    "Strongly agree" is still 5."""
    rng = random.Random(5)
    third = [
        json.dumps({"ImportId": x})
        for x in ("startDate", "endDate", "_recordId", "QID1", "QID2_1", "QID2_2")
    ]
    body = _body(25, ["1", "2", "3", "4", "5"], rng)
    for r in body:
        r[3] = rng.choice(["1", "2"])
    _qualtrics(tmp_path / "export.csv", third, body)
    qsf = {
        "SurveyElements": [
            {
                "Element": "SQ",
                "Payload": {
                    "DataExportTag": "Q1",
                    "QuestionType": "MC",
                    "Choices": {"1": {"Display": "Female"}, "2": {"Display": "Male"}},
                },
            },
            {
                "Element": "SQ",
                "Payload": {
                    "DataExportTag": "Q2",
                    "QuestionType": "Matrix",
                    "Choices": {"1": {"Display": "Services are good"}, "2": {"Display": "Staff"}},
                    "Answers": {
                        str(i): {"Display": label}
                        for i, label in enumerate(reversed(AGREE), start=1)
                    },
                },
            },
        ]
    }
    (tmp_path / "survey.qsf").write_text(json.dumps(qsf))
    draft, summary = draft_and_read(
        tmp_path / "export.csv", tmp_path, "--qsf", tmp_path / "survey.qsf"
    )
    item = next(v for v in draft["variables"] if v["column"] == "Q2_1")
    assert item["kind"] == "likert" and item["codes"][1] == 5 and item["codes"][5] == 1
    gender = next(v for v in draft["variables"] if v["column"] == "Q1")
    assert gender["codes"] == {1: "Female", 2: "Male"}
    counts = next(v for v in summary["variables"] if v["column"] == "Q1")["counts"]
    assert counts == dict(Counter(r[3] for r in body))


def test_legacy_qualtrics_export(tmp_path):
    rng = random.Random(9)
    names = ["V1", "V2", "V3", "V8", "V9", "Q1", "Q2_1"]
    texts = [
        "ResponseID",
        "ResponseSet",
        "Name",
        "StartDate",
        "EndDate",
        "What is your gender?",
        "Services are good",
    ]
    body = [
        [
            f"R_{i}",
            "Default",
            "Anonymous",
            "2015-03-02 10:00:00",
            "2015-03-02 10:09:00",
            rng.choice(["Female", "Male"]),
            rng.choice(AGREE),
        ]
        for i in range(12)
    ]
    _qualtrics(tmp_path / "export.csv", None, body, names, texts)
    draft, summary = draft_and_read(tmp_path / "export.csv", tmp_path)
    assert draft["format"] == "qualtrics" and summary["rows"] == 12
    roles = {m["role"] for m in draft["metadata"]}
    assert {"respondent_id", "start_date", "end_date"} <= roles
    book = load_codebook(tmp_path / "codebook.yaml")
    raw = read_export(tmp_path / "export.csv", book)
    assert list(raw.data["_row"])[:2] == [3, 4]
    assert list(raw.data["respondent_id"]) == [r[0] for r in body]


# --------------------------------------------------------------- SPSS


def _sav(path, reversed_labels=True):
    pyreadstat = pytest.importorskip("pyreadstat")
    codes = [1, 2, 3, 4, 5, 9, 1, 1, 5, 9, 2, 3]
    frame = pd.DataFrame(
        {
            "gender": [1.0, 2.0] * 6,
            "att1": [float(c) for c in codes],
            "att2": [float(c) for c in [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 1, 2]],
        }
    )
    labels = dict(enumerate(reversed(AGREE) if reversed_labels else AGREE, start=1))
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=["Gender", "Services are good", "Staff are helpful"],
        variable_value_labels={
            "gender": {1.0: "Female", 2.0: "Male"},
            "att1": {**labels, 9: "Not answered"},
        },
        missing_ranges={"att1": [9]},
    )
    return codes


def test_spss_reversed_labels_and_declared_missing(tmp_path):
    codes = _sav(tmp_path / "export.sav")
    draft, summary = draft_and_read(tmp_path / "export.sav", tmp_path)
    assert summary["rows"] == 12
    att1 = next(v for v in draft["variables"] if v["column"] == "att1")
    assert att1["kind"] == "likert" and att1["values"]["Strongly agree"] == 5
    assert "Not answered" not in att1["values"]
    att2 = next(v for v in draft["variables"] if v["column"] == "att2")
    assert att2["codes"] == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}  # unlabelled: a CHECK, codes
    book = load_codebook(tmp_path / "codebook.yaml")
    coded = recode(read_export(tmp_path / "export.sav", book), book)
    expected = [None if c == 9 else 6 - c for c in codes]  # 1 = Strongly agree -> 5
    assert [None if pd.isna(v) else int(v) for v in coded[att1["id"]]] == expected
    assert "no respondent ID" in " ".join(summary["warnings"])


def test_spss_codes_map_under_integer_keys(tmp_path):
    """`1: 5` keys (an SPSS user's natural way) map the unlabelled codes of att2."""
    _sav(tmp_path / "export.sav")
    cli("codebook", "draft", tmp_path / "export.sav", "-o", tmp_path / "codebook.yaml")
    text = (tmp_path / "codebook.yaml").read_text()
    book = yaml.safe_load(text)
    att2 = next(v for v in book["variables"] if v["column"] == "att2")
    att2.pop("codes")
    att2["values"] = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(book, sort_keys=False))
    loaded = load_codebook(tmp_path / "codebook.yaml")
    coded = recode(read_export(tmp_path / "export.sav", loaded), loaded)
    assert list(coded[att2["id"]]) == [5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 5, 4]


# --------------------------------------------------------------- damage and mistakes


def _damaged(tmp_path, change) -> Path:
    records = list(csv.reader(open(WAVE / "export.csv", newline="", encoding="utf-8")))
    for rec in records[2:]:
        change(rec)
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(records)
    return path


def _sci(rec):
    rec[0] = f"{float(rec[0]):.2E}"


def _hashes(rec):
    rec[2] = "##########"


def _serial(rec):
    rec[2] = "42643.10069"


def _day_first(rec):
    rec[2] = pd.Timestamp(rec[2]).strftime("%d/%m/%Y %H:%M")
    rec[3] = pd.Timestamp(rec[3]).strftime("%d/%m/%Y %H:%M")


@pytest.mark.parametrize(
    "change, says",
    [
        (_sci, "in scientific notation: the export was opened and saved in a spreadsheet"),
        (_hashes, "is shown as '#####': the export was opened and saved in a spreadsheet"),
        (_serial, "is a spreadsheet serial number"),
        (_day_first, "does not fit the codebook's date_format"),
    ],
)
def test_spreadsheet_damage_fails_at_validate_raw(tmp_path, change, says):
    export = _damaged(tmp_path, change)
    with pytest.raises(InputError, match=says) as err:
        validate_raw(
            export=export,
            codebook=WAVE / "codebook.yaml",
            frame=FRAME,
            n_councils=353,
            outside=OUTSIDE,
            report=tmp_path / "r.json",
            wave="2017",
        )
    assert err.value.row == 3 and err.value.column is not None
    done = cli("read", export, "--codebook", WAVE / "codebook.yaml")
    assert done.returncode == 1 and says.split(":")[0] in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_day_first_dates_name_the_format_they_fit(tmp_path):
    export = _damaged(tmp_path, _day_first)
    done = cli("read", export, "--codebook", WAVE / "codebook.yaml")
    assert "(the dates fit '%d/%m/%Y %H:%M'" in done.stderr


def test_header_differing_only_in_spacing_is_suggested(tmp_path):
    text = (WAVE / "export.csv").read_text(encoding="utf-8")
    (tmp_path / "export.csv").write_text(
        text.replace("What is your gender?", "What is your gender ?", 1)
    )
    done = cli("read", tmp_path / "export.csv", "--codebook", WAVE / "codebook.yaml")
    assert done.returncode == 1
    assert (
        "(column 15, 'What is your gender ?' / Response, differs from it only in white "
        "space or case" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1


MISTAKES = {
    "yes_unquoted": ("values:\n    Yes: Yes\n    No: No\n", None),
    "integer_keys_likert": ("values: {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}\n", None),
    "values_not_a_mapping": ("values: Yes\n", "must be a mapping"),
    "likert_out_of_range": ("values: {Strongly agree: 7}\n", "7 is greater than"),
    "code_text_keys_for_labels": ("values: {'1': Female, '2': Male}\n", "not a known answer"),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_codebook_mistakes_are_one_line(tmp_path, case):
    """Each codebook mistake: one line naming the file, or (where the YAML meant what
    the user meant) a clean read; never a traceback."""
    body, says = MISTAKES[case]
    kind = "likert" if "likert" in case else "single_choice"
    rng = random.Random(1)
    rows = [
        [str(i), rng.choice(["Yes", "No"]), rng.choice(["1", "2", "3", "4", "5"])]
        for i in range(10)
    ]
    column = "likert" if kind == "likert" else "answer"
    with open(tmp_path / "export.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["Respondent ID", "Q", "L"], ["", "Response", "Response"], *rows])
    header = "L" if kind == "likert" else "Q"
    extra = "" if kind == "likert" else "  ordered: false\n"
    (tmp_path / "codebook.yaml").write_text(
        "wave: x\nmetadata:\n- header: Respondent ID\n  role: respondent_id\nvariables:\n"
        f"- id: {column}\n  header: {header}\n  subheader: Response\n  kind: {kind}\n{extra}"
        + "  "
        + body.replace("\n    ", "\n    ")
    )
    done = cli("read", tmp_path / "export.csv", "--codebook", tmp_path / "codebook.yaml")
    assert "Traceback" not in done.stderr
    if says is None:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 1 and says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def _rounded(rec):
    rec[0] = str(int(rec[0]) // 10**6 * 10**6)


def test_ids_rounded_into_duplicates_fail_at_validate_raw(tmp_path):
    export = _damaged(tmp_path, _rounded)
    with pytest.raises(InputError, match="repeated on rows with different answers") as err:
        validate_raw(export=export, codebook=WAVE / "codebook.yaml", frame=FRAME,
                     n_councils=353, outside=OUTSIDE, report=tmp_path / "r.json",
                     wave="2017")  # fmt: skip
    assert err.value.column == "Respondent ID"


BROKEN = {
    "not_a_mapping": "- just\n- a list\n",
    "yaml_syntax": "wave: x\nvariables: [\n",
    "values_null": "wave: x\nmetadata: []\nvariables:\n- {id: q, header: Q, subheader: R, "
    "kind: single_choice, values: null}\n",
    "unknown_kind": "wave: x\nmetadata: []\nvariables:\n- {id: q, header: Q, subheader: R, "
    "kind: multi}\n",
    "no_variables": "wave: x\nmetadata: []\nvariables: []\n",
    "bad_id": "wave: x\nmetadata: []\nvariables:\n- {id: Q 1, header: Q, subheader: R, "
    "kind: free_text}\n",
    "codes_not_numbers": "wave: x\nmetadata: []\nvariables:\n- {id: q, column: Q, "
    "kind: likert, codes: {a: 1}}\n",
    "duplicate_id": "wave: x\nmetadata: []\nvariables:\n"
    "- {id: q, header: What is your gender?, subheader: Response, kind: free_text}\n"
    "- {id: q, header: What is your current role on the council?, subheader: Response, "
    "kind: free_text}\n",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_codebooks_are_one_line(tmp_path, case):
    (tmp_path / "codebook.yaml").write_text(BROKEN[case])
    done = cli("read", WAVE / "export.csv", "--codebook", tmp_path / "codebook.yaml")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(tmp_path / "codebook.yaml") in done.stderr


def test_a_column_two_variables_would_share_is_refused(tmp_path):
    """Two variables of one id, or an id that is a multi-select option's column: one line
    naming both entries, not an export read with one of the two columns lost."""
    path = tmp_path / "codebook.yaml"
    path.write_text(BROKEN["duplicate_id"])
    with pytest.raises(InputError, match=r"variables.1 \(q\): column 'q' is already variables.0's"):
        load_codebook(path)
    path.write_text(
        "wave: x\nmetadata: []\nvariables:\n"
        "- {id: tools, header: Which tools?, kind: multi_select, options: [{text: Email},"
        " {text: Chat}]}\n"
        "- {id: tools__chat, column: tools_chat, kind: free_text}\n"
    )
    with pytest.raises(InputError) as err:
        load_codebook(path)
    assert str(err.value) == (
        f"{path}: variables.1 (tools__chat): column 'tools__chat' is already variables.0's "
        "(a column of 'tools'): each variable needs an id of its own"
    )


def test_spss_unlabelled_declared_missing_and_code_text_keys(tmp_path):
    """An unlabelled declared missing code (9) is missing, not an error; keys written as
    code text ("1": Female) map the codes of a labelled variable."""
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"att": [1.0, 5.0, 9.0, 2.0], "sex": [1.0, 2.0, 2.0, 1.0]})
    pyreadstat.write_sav(
        frame, str(tmp_path / "x.sav"),
        variable_value_labels={"att": dict(enumerate(AGREE, start=1)),
                               "sex": {1.0: "Female", 2.0: "Male"}},
        missing_ranges={"att": [{"lo": 8.0, "hi": 9.0}]},
    )  # fmt: skip
    (tmp_path / "codebook.yaml").write_text(
        "wave: x\nmetadata: []\nvariables:\n"
        "- {id: att, column: att, kind: likert, values: {Strongly disagree: 1, Disagree: 2,"
        " Neither agree nor disagree: 3, Agree: 4, Strongly agree: 5}}\n"
        "- {id: sex, column: sex, kind: single_choice, values: {'1': Female, '2': Male}}\n"
    )
    book = load_codebook(tmp_path / "codebook.yaml")
    coded = recode(read_export(tmp_path / "x.sav", book), book)
    assert [None if pd.isna(v) else int(v) for v in coded["att"]] == [1, 5, None, 2]
    assert list(coded["sex"]) == ["Female", "Male", "Male", "Female"]
