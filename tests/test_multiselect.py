"""Multi-select questions in every export format: the bundled 2017 export's first rows
with two multi-select questions added ("tick all that apply", and "choose up to three"),
written here as each survey tool writes them (SurveyMonkey CSV and xlsx: a block of
columns, option texts in header row 2 and in ticked cells; Qualtrics: ``Q5_1 ... Q5_n``,
option text or 1 when ticked; SPSS: one 0/1 variable per option, 1 labelled with the
option's text). Each is read and cleaned into one boolean column per option; the counts
are checked against the ticks written, the over-three and skipped rows included."""

from __future__ import annotations

import copy
import csv
import json
import random

import pandas as pd
import pytest
import yaml

from councilsurvey.cleaning.clean import clean
from councilsurvey.inputs.codebook import load_codebook, option_slug
from councilsurvey.inputs.export import read_export

from .conftest import WAVE

N = 80
CHAMPION = (
    "Who, if anyone, is the digital champion in your council? (Tick all that apply)",
    ["A cabinet member", "A CIO or senior director", "The chief executive", "The mayor"],
)
CHALLENGES = (
    "What are the three biggest challenges to digital transformation in your area? "
    "(Choose up to three)",
    ["Digital exclusion", "Service design", "Connectivity", "Cyber security", "Skills"],
)
#: data rows (0-based) that tick nothing (skipped) and that tick four challenges
SKIPPED = set(range(0, N, 9))
OVER = set(range(4, N, 11)) - SKIPPED


def _ticks() -> dict[str, list[list[bool]]]:
    """Per question, per data row, per option: ticked?"""
    rng = random.Random(15)
    out = {"digital_champion": [], "top_challenges": []}
    for i in range(N):
        champ = [rng.random() < 0.4 for _ in CHAMPION[1]]
        if i in SKIPPED:
            champ = [False] * len(champ)
        elif not any(champ):
            champ[i % len(champ)] = True
        k = 0 if i in SKIPPED else 4 if i in OVER else rng.randint(1, 3)
        chosen = set(rng.sample(range(len(CHALLENGES[1])), k))
        out["digital_champion"].append(champ)
        out["top_challenges"].append([j in chosen for j in range(len(CHALLENGES[1]))])
    return out


def _base():
    """The bundled export's first rows and its codebook, without its own multi-select
    blocks (the test writes its two questions in each tool's shape)."""
    records = list(csv.reader(open(WAVE / "export.csv", newline="", encoding="utf-8")))
    book = yaml.safe_load((WAVE / "codebook.yaml").read_text())
    drop = []
    for var in book["variables"]:
        if var["kind"] == "multi_select":
            start = records[0].index(var["header"])
            drop += range(start, start + len(var["options"]))
    book["variables"] = [v for v in book["variables"] if v["kind"] != "multi_select"]
    records = [[c for i, c in enumerate(rec) if i not in set(drop)] for rec in records]
    return records[:2], records[2 : 2 + N], book


def _codebook(book: dict, tmp_path, columns: bool) -> dict:
    book = copy.deepcopy(book)
    # the 2017 single-choice digital_champion becomes tick-all (its column is left unread)
    book["variables"] = [v for v in book["variables"] if v["id"] != "digital_champion"]
    for var in book["variables"]:
        if columns:
            var["column"] = var["id"]
    for meta in book["metadata"]:
        if columns:
            meta["names"] = [meta["header"], meta["role"]]
    for n, (var_id, (text, options)) in enumerate(
        [("digital_champion", CHAMPION), ("top_challenges", CHALLENGES)], start=5
    ):
        var = {"id": var_id, "header": text, "kind": "multi_select"}
        var["options"] = [
            {"text": o, **({"column": f"Q{n}_{k}"} if columns else {})}
            for k, o in enumerate(options, start=1)
        ]
        if var_id == "top_challenges":
            var["max_choices"] = 3
        book["variables"].append(var)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(book, sort_keys=False), encoding="utf-8")
    return path


def _surveymonkey_records(tmp_path):
    head, body, book = _base()
    ticks = _ticks()
    head1, head2 = list(head[0]), list(head[1])
    rows = [list(r) for r in body]
    for var_id, (text, options) in (("digital_champion", CHAMPION), ("top_challenges", CHALLENGES)):
        head1 += [text] + [""] * (len(options) - 1)
        head2 += options
        for row, t in zip(rows, ticks[var_id], strict=True):
            row += [o if on else "" for o, on in zip(options, t, strict=True)]
    return [head1, head2, *rows], _codebook(book, tmp_path, columns=False)


def _write_csv(path, records):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(records)


def make_surveymonkey(tmp_path):
    records, book = _surveymonkey_records(tmp_path)
    _write_csv(tmp_path / "export.csv", records)
    return tmp_path / "export.csv", book, 3


def make_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    records, book = _surveymonkey_records(tmp_path)
    wb = openpyxl.Workbook()
    for rec in records:
        wb.active.append([int(c) if c.isdigit() else (c or None) for c in rec])
    wb.save(tmp_path / "export.xlsx")
    return tmp_path / "export.xlsx", book, 3


def _by_name(tmp_path, numeric: bool):
    """Column names (metadata by role, variables by id, options Q5_k / Q6_k) and the
    body's texts (option cells: its text, or 1, when ticked)."""
    head, body, book = _base()
    ticks = _ticks()
    path = _codebook(book, tmp_path, columns=True)
    names = [m["role"] for m in book["metadata"]] + [v["id"] for v in book["variables"]]
    assert len(names) == len(head[0])
    rows = [list(r) for r in body]
    for n, (var_id, (_, options)) in enumerate(
        [("digital_champion", CHAMPION), ("top_challenges", CHALLENGES)], start=5
    ):
        names += [f"Q{n}_{k}" for k in range(1, len(options) + 1)]
        for row, t in zip(rows, ticks[var_id], strict=True):
            row += [("1" if numeric else o) if on else "" for o, on in zip(options, t, strict=True)]
    return names, rows, path


def _qualtrics(tmp_path, numeric):
    names, rows, book = _by_name(tmp_path, numeric)
    import_ids = [json.dumps({"ImportId": n}) for n in names]
    _write_csv(tmp_path / "export.csv", [names, names, import_ids, *rows])
    return tmp_path / "export.csv", book, 4


def make_qualtrics_labels(tmp_path):
    return _qualtrics(tmp_path, numeric=False)


def make_qualtrics_numeric(tmp_path):
    return _qualtrics(tmp_path, numeric=True)


def make_spss(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    names, rows, book = _by_name(tmp_path, numeric=True)
    frame = pd.DataFrame(rows, columns=names)
    labels = {}
    for name in names:
        if name.startswith("Q5_") or name.startswith("Q6_"):
            frame[name] = frame[name].replace("", "0").astype(float)
            options = (CHAMPION if name.startswith("Q5_") else CHALLENGES)[1]
            labels[name] = {1.0: options[int(name.split("_")[1]) - 1], 0.0: "Not selected"}
    pyreadstat.write_sav(frame, str(tmp_path / "export.sav"), variable_value_labels=labels)
    return tmp_path / "export.sav", book, 1


MAKERS = [
    make_surveymonkey,
    make_xlsx,
    make_qualtrics_labels,
    make_qualtrics_numeric,
    make_spss,
]


def test_option_slug_is_deterministic():
    assert option_slug("A cabinet member") == "a_cabinet_member"
    assert option_slug("A CIO or senior director") == "a_cio_or_senior_director"
    assert option_slug("  Keeping pace -- with change!  ") == "keeping_pace_with_change"
    assert option_slug("Café & bars") == "cafe_and_bars"


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__[5:])
def test_multi_select_read_and_cleaned_in_every_format(make, tmp_path, frame, matcher):
    export, book_path, first_row = make(tmp_path)
    book = load_codebook(book_path)
    raw = read_export(export, book)
    result = clean(raw, book, frame, matcher, b"w", "t")
    responses, log = result.responses, result.log
    excluded = set(log.loc[log["action"] == "excluded", "raw_row"])
    kept = [i for i in range(N) if i + first_row not in excluded]
    assert 20 < len(kept) == len(responses)
    over = log[log["reason"] == "over_max_choices"]
    # every kept row with four challenges ticked is logged (row, variable, count) ...
    assert sorted(over["raw_row"]) == sorted(i + first_row for i in kept if i in OVER)
    assert len(over) > 0
    assert set(over["detail"]) == {"top_challenges: 4 options ticked, at most 3 allowed"}
    assert set(over["action"]) == {"set_missing"}
    ticks = _ticks()
    for var_id, (_, options) in (("digital_champion", CHAMPION), ("top_challenges", CHALLENGES)):
        cols = [f"{var_id}__{option_slug(o)}" for o in options]
        assert all(responses[c].dtype == "boolean" for c in cols)
        # ... and set to missing, as is a skipped question: missing, never False
        void = SKIPPED | (OVER if var_id == "top_challenges" else set())
        n_void = sum(1 for i in kept if i in void)
        assert n_void > 0
        for c in cols:
            assert int(responses[c].isna().sum()) == n_void
        answered = [i for i in kept if i not in void]
        for k, c in enumerate(cols):
            expected = sum(ticks[var_id][i][k] for i in answered)
            assert int(responses[c].sum()) == expected
            assert int((responses[c] == False).sum()) == len(answered) - expected  # noqa: E712
    # no respondent's answered question is all False
    champ = responses[[c for c in responses if c.startswith("digital_champion__")]]
    assert not (champ.notna().all(axis=1) & ~champ.fillna(False).any(axis=1)).any()


def test_an_option_nobody_ticked_is_read_as_unticked(tmp_path, frame, matcher):
    """An export where no one ticked "The mayor" (its column blank in every row, read as
    a column of nulls) cleans: the option is False for those who answered, NA for those
    who skipped, and the other options are as written."""
    records, book_path = _surveymonkey_records(tmp_path)
    head1, head2 = records[0], records[1]
    start = head1.index(CHAMPION[0])
    mayor = start + CHAMPION[1].index("The mayor")
    assert head2[mayor] == "The mayor"
    for row in records[2:]:
        row[mayor] = ""
    _write_csv(tmp_path / "export.csv", records)
    book = load_codebook(book_path)
    result = clean(read_export(tmp_path / "export.csv", book), book, frame, matcher, b"w", "t")
    r = result.responses
    cols = [f"digital_champion__{option_slug(o)}" for o in CHAMPION[1]]
    answered = r[cols].notna().all(axis=1)
    assert answered.sum() > 20
    assert (r.loc[answered, "digital_champion__the_mayor"] == False).all()  # noqa: E712
    assert r.loc[~answered, cols].isna().all().all()


def test_none_option_with_another_is_logged_and_missing(tmp_path, frame, matcher):
    export, book_path, first_row = make_surveymonkey(tmp_path)
    book = yaml.safe_load(book_path.read_text())
    champ = next(v for v in book["variables"] if v["id"] == "digital_champion")
    champ["options"][-1]["none"] = True  # "The mayor" read as a "none" option
    book_path.write_text(yaml.safe_dump(book, sort_keys=False))
    cb = load_codebook(book_path)
    result = clean(read_export(export, cb), cb, frame, matcher, b"w", "t")
    log = result.log
    hit = log[log["reason"] == "none_with_other"]
    excluded = set(log.loc[log["action"] == "excluded", "raw_row"])
    ticks = _ticks()["digital_champion"]
    expected = [
        i + first_row
        for i in range(N)
        if i + first_row not in excluded and ticks[i][-1] and sum(ticks[i]) > 1
    ]
    assert sorted(hit["raw_row"]) == expected and expected


def test_an_unknown_tick_is_one_line(tmp_path):
    records, book = _surveymonkey_records(tmp_path)
    col = records[1].index("Connectivity")
    records[5][col] = "Maybe"
    _write_csv(tmp_path / "export.csv", records)
    cb = load_codebook(book)
    from councilsurvey.cleaning.clean import recode
    from councilsurvey.core.errors import InputError

    with pytest.raises(InputError) as err:
        recode(read_export(tmp_path / "export.csv", cb), cb)
    message = str(err.value)
    assert "'Maybe'" in message and "row 6" in message and "Connectivity" in message


def test_codebook_refuses_options_that_collide_and_an_impossible_limit(tmp_path):
    from councilsurvey.core.errors import InputError

    _, _, base = _base()
    path = _codebook(base, tmp_path, columns=False)
    book = yaml.safe_load(path.read_text())
    var = book["variables"][-1]
    var["options"].append({"text": "skills!"})
    path.write_text(yaml.safe_dump(book, sort_keys=False))
    with pytest.raises(InputError, match="both become column 'top_challenges__skills'"):
        load_codebook(path)
    var["options"].pop()
    var["max_choices"] = 9
    path.write_text(yaml.safe_dump(book, sort_keys=False))
    with pytest.raises(InputError, match="max_choices 9 exceeds its 5 options"):
        load_codebook(path)


def test_bundled_codebooks_read_the_questionnaires_multi_select_questions():
    """The bundled waves ask the instrument's tick-all-that-apply questions (issue 15):
    each codebook has them with the questionnaire's options and ``max_choices``."""
    from councilsurvey.inputs.instrument import load_instrument

    for wave in ("2017", "2019"):
        folder = WAVE.parent / wave
        book = load_codebook(folder / "codebook.yaml")
        multi = {v["id"]: v for v in book.variables if v["kind"] == "multi_select"}
        items = load_instrument(folder / "questionnaire.yaml").multi_select_items
        assert (
            set(multi)
            == {i["id"] for i in items}
            == {
                "digital_champion",
                "impact_areas",
                "top_challenges",
            }
        )
        for item in items:
            var = multi[item["id"]]
            assert [o["text"] for o in var["options"]] == item["options"]
            assert var.get("max_choices") == item.get("max_choices")


def _cli(*args):
    from .test_byoe import cli

    return cli(*args)


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__[5:])
def test_draft_then_read_unedited(make, tmp_path):
    """`councilsurvey codebook draft` recognises both multi-select questions (with their
    options, and a CHECK for max_choices); `councilsurvey read` through the unedited
    draft reports every option's ticks."""
    export, _, _ = make(tmp_path)
    book = tmp_path / "drafted.yaml"
    done = _cli("codebook", "draft", export, "-o", book)
    assert done.returncode == 0, done.stderr
    text = book.read_text()
    drafted = [v for v in yaml.safe_load(text)["variables"] if v["kind"] == "multi_select"]
    assert [len(v["options"]) for v in drafted] == [len(CHAMPION[1]), len(CHALLENGES[1])]
    assert text.count("# CHECK: multi-select") == 2
    if make in (make_surveymonkey, make_xlsx):  # "(Choose up to three)" in the header
        assert "max_choices" not in drafted[0] and drafted[1]["max_choices"] == 3
    read = _cli("read", export, "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    summary = json.loads(read.stdout)
    assert summary["rows"] == N
    got = [v for v in summary["variables"] if v["kind"] == "multi_select"]
    ticks = _ticks()
    for var, entry, var_id in zip(
        got, drafted, ("digital_champion", "top_challenges"), strict=True
    ):
        expected = [sum(t[k] for t in ticks[var_id]) for k in range(len(ticks[var_id][0]))]
        assert [var["counts"][o["text"]] for o in entry["options"]] == expected
        assert var["missing"] == len(SKIPPED)
    if "numeric" not in make.__name__ and "spss" not in make.__name__:
        names = [v["text"] for v in drafted[0]["options"]]
        assert names == CHAMPION[1]


def test_a_please_specify_column_drafts_as_free_text_beside_its_question(tmp_path):
    """SurveyMonkey ends a block with "Other (please specify)", whose cells hold what the
    respondent typed: the draft keeps the question a multi-select of its other options
    and drafts that column as free text, named after the question and marked CHECK; the
    unedited draft reads the export with every option's ticks."""
    records, _ = _surveymonkey_records(tmp_path)
    head1, head2 = records[0], records[1]
    at = max(i for i, h in enumerate(head2) if h == CHAMPION[1][-1]) + 1
    head1.insert(at, "")
    head2.insert(at, "Other (please specify)")
    typed = ["", "", "our chief executive", "", "nobody, really", "the leader's office"]
    for i, row in enumerate(records[2:]):
        row.insert(at, typed[i % len(typed)])
    _write_csv(tmp_path / "export.csv", records)
    book = tmp_path / "drafted.yaml"
    done = _cli("codebook", "draft", tmp_path / "export.csv", "-o", book)
    assert done.returncode == 0, done.stderr
    text = book.read_text()
    variables = yaml.safe_load(text)["variables"]
    multi = [v for v in variables if v["kind"] == "multi_select"]
    assert [o["text"] for o in multi[0]["options"]] == CHAMPION[1]
    other = [v for v in variables if v.get("subheader") == "Other (please specify)"]
    assert other == [
        {
            "id": f"{multi[0]['id']}_other",
            "header": CHAMPION[0],
            "subheader": "Other (please specify)",
            "kind": "free_text",
        }
    ]
    assert "# CHECK: typed answers of an option ('please specify'" in text
    read = _cli("read", tmp_path / "export.csv", "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    summary = json.loads(read.stdout)
    champion = next(v for v in summary["variables"] if v["id"] == multi[0]["id"])
    ticks = _ticks()["digital_champion"]
    assert [champion["counts"][o] for o in CHAMPION[1]] == [
        sum(t[k] for t in ticks) for k in range(len(CHAMPION[1]))
    ]
    answered = next(v for v in summary["variables"] if v["id"] == other[0]["id"])
    assert answered["kind"] == "free_text"


@pytest.mark.parametrize("numeric", [False, True], ids=["labels", "numeric"])
def test_a_qualtrics_text_entry_column_drafts_as_free_text_beside_its_question(tmp_path, numeric):
    """Qualtrics exports an "Other (please specify)" option as its tick column ``Q5_5``
    and a text-entry column ``Q5_5_TEXT``: the tick is an option of the multi-select, the
    typed answers a free-text ``<question id>_other`` (with a CHECK), however few."""
    names, rows, _ = _by_name(tmp_path, numeric)
    question = CHAMPION[0]
    texts = [
        f"{question} - Selected Choice - {CHAMPION[1][int(n.split('_')[1]) - 1]}"
        if n.startswith("Q5_")
        else n
        for n in names
    ]
    at = names.index(f"Q5_{len(CHAMPION[1])}") + 1
    names[at:at] = ["Q5_5", "Q5_5_TEXT"]
    texts[at:at] = [
        f"{question} - Selected Choice - Other (please specify)",
        f"{question} - Other (please specify) - Text",
    ]
    typed = ["", "our chief executive", "", "", "nobody, really"]
    for i, row in enumerate(rows):
        answer = typed[i % len(typed)]
        tick = ("1" if numeric else "Other (please specify)") if answer else ""
        row[at:at] = [tick, answer]
    import_ids = [json.dumps({"ImportId": n}) for n in names]
    _write_csv(tmp_path / "export.csv", [names, texts, import_ids, *rows])
    book = tmp_path / "drafted.yaml"
    done = _cli("codebook", "draft", tmp_path / "export.csv", "-o", book)
    assert done.returncode == 0, done.stderr
    text = book.read_text()
    variables = yaml.safe_load(text)["variables"]
    champion = next(v for v in variables if v["kind"] == "multi_select")
    assert [o["column"] for o in champion["options"]] == [f"Q5_{k}" for k in range(1, 6)]
    assert [o["text"] for o in champion["options"]] == [*CHAMPION[1], "Other (please specify)"]
    other = [v for v in variables if v.get("column") == "Q5_5_TEXT"]
    assert other == [{"id": f"{champion['id']}_other", "column": "Q5_5_TEXT", "kind": "free_text"}]
    assert "# CHECK: typed answers of an option ('please specify', a text entry)" in text
    read = _cli("read", tmp_path / "export.csv", "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    summary = json.loads(read.stdout)
    ticks = next(v for v in summary["variables"] if v["id"] == champion["id"])["counts"]
    assert ticks["Other (please specify)"] == sum(1 for i in range(len(rows)) if typed[i % 5])


def test_numeric_and_date_questions_draft_and_clean(tmp_path):
    """Numbers and dates get kinds of their own: drafted as numeric / date (with the
    detected format), read as Float64 and datetime."""
    rows = [
        ["Start Date", "How many residents?", "When did you start?"],
        ["", "Response", "Response"],
    ]
    for i in range(30):
        rows.append(
            [
                f"10/{1 + i % 28:02d}/2024 09:00:00 AM",
                str(1000 + 7 * i),
                f"2016-05-{1 + i % 28:02d}",
            ]
        )
    rows[5][1] = ""
    _write_csv(tmp_path / "export.csv", rows)
    book = tmp_path / "drafted.yaml"
    assert _cli("codebook", "draft", tmp_path / "export.csv", "-o", book).returncode == 0
    drafted = {v["header"]: v for v in yaml.safe_load(book.read_text())["variables"]}
    assert drafted["How many residents?"]["kind"] == "numeric"
    assert drafted["When did you start?"] == {
        **drafted["When did you start?"],
        "kind": "date",
        "date_format": "%Y-%m-%d",
    }
    from councilsurvey.cleaning.clean import recode

    cb = load_codebook(book)
    coded = recode(read_export(tmp_path / "export.csv", cb), cb)
    numbers = coded[drafted["How many residents?"]["id"]]
    assert str(numbers.dtype) == "Float64" and numbers.isna().sum() == 1
    assert numbers.sum() == sum(1000 + 7 * i for i in range(30) if i != 3)
    dates = coded[drafted["When did you start?"]["id"]]
    assert dates.min() == pd.Timestamp("2016-05-01") and dates.notna().all()


def test_qualtrics_numeric_export_options_from_the_qsf(tmp_path):
    """A numeric Qualtrics export (1 or blank) names no option: the .qsf's multiple-answer
    selector (MAVR / MAHR) marks the question and gives the option texts."""
    export, _, _ = make_qualtrics_numeric(tmp_path)
    elements = [
        {
            "Element": "SQ",
            "Payload": {
                "DataExportTag": tag,
                "QuestionType": "MC",
                "Selector": selector,
                "Choices": {str(k): {"Display": o} for k, o in enumerate(options, start=1)},
            },
        }
        for tag, selector, (_, options) in (("Q5", "MAVR", CHAMPION), ("Q6", "MAHR", CHALLENGES))
    ]
    (tmp_path / "survey.qsf").write_text(json.dumps({"SurveyElements": elements}))
    book = tmp_path / "drafted.yaml"
    done = _cli("codebook", "draft", export, "--qsf", tmp_path / "survey.qsf", "-o", book)
    assert done.returncode == 0, done.stderr
    drafted = [
        v for v in yaml.safe_load(book.read_text())["variables"] if v["kind"] == "multi_select"
    ]
    assert [[o["text"] for o in v["options"]] for v in drafted] == [CHAMPION[1], CHALLENGES[1]]
    assert [o["column"] for o in drafted[0]["options"]] == ["Q5_1", "Q5_2", "Q5_3", "Q5_4"]
    read = _cli("read", export, "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    champ = next(v for v in json.loads(read.stdout)["variables"] if v["kind"] == "multi_select")
    ticks = _ticks()["digital_champion"]
    assert champ["counts"] == {o: sum(t[k] for t in ticks) for k, o in enumerate(CHAMPION[1])}


def test_spss_group_by_label_stem(tmp_path):
    """SPSS 0/1 variables without a shared name stem, labelled "Champion: <option>", with
    1 labelled "Yes": one multi-select question whose options come from the labels."""
    pyreadstat = pytest.importorskip("pyreadstat")
    ticks = _ticks()["digital_champion"]
    names = ["dc_cab", "dc_cio", "dc_ceo", "dc_mayor"]
    frame = pd.DataFrame(
        {n: [float(t[k]) for t in ticks] for k, n in enumerate(names)} | {"age": [40.0] * N}
    )
    pyreadstat.write_sav(
        frame,
        str(tmp_path / "export.sav"),
        column_labels=[f"Champion: {o}" for o in CHAMPION[1]] + ["Age"],
        variable_value_labels={n: {1.0: "Yes", 0.0: "No"} for n in names},
    )
    book = tmp_path / "drafted.yaml"
    assert _cli("codebook", "draft", tmp_path / "export.sav", "-o", book).returncode == 0
    drafted = yaml.safe_load(book.read_text())["variables"]
    assert [v["kind"] for v in drafted] == ["multi_select", "numeric"]
    assert [o["text"] for o in drafted[0]["options"]] == CHAMPION[1]
    read = _cli("read", tmp_path / "export.sav", "--codebook", book, "--json")
    assert read.returncode == 0, read.stderr
    champ = json.loads(read.stdout)["variables"][0]
    assert champ["counts"] == {o: sum(t[k] for t in ticks) for k, o in enumerate(CHAMPION[1])}
    assert champ["missing"] == len(SKIPPED)


def test_numeric_and_date_columns_pass_the_cleaned_data_schema(tmp_path, frame, matcher):
    records, book_path = _surveymonkey_records(tmp_path)
    records[0] += ["How many residents?", "When were you first elected?"]
    records[1] += ["Response", "Response"]
    for i, row in enumerate(records[2:]):
        row += [str(100 + i) if i % 4 else "", f"05/{1 + i % 9:02d}/2014"]
    _write_csv(tmp_path / "export.csv", records)
    book = yaml.safe_load(book_path.read_text())
    book["variables"] += [
        {"id": "residents", "header": "How many residents?", "subheader": "Response"}
        | {"kind": "numeric"},
        {"id": "elected", "header": "When were you first elected?", "subheader": "Response"}
        | {"kind": "date", "date_format": "%m/%d/%Y"},
    ]
    book_path.write_text(yaml.safe_dump(book, sort_keys=False))
    cb = load_codebook(book_path)
    responses = clean(read_export(tmp_path / "export.csv", cb), cb, frame, matcher, b"w", "t")
    responses = responses.responses
    assert str(responses["residents"].dtype) == "Float64"
    assert str(responses["elected"].dtype) == "datetime64[ns]"
    assert responses["elected"].dt.year.eq(2014).all()
    assert 0 < responses["residents"].isna().sum() < len(responses)
    assert set(responses["residents"].dropna()) <= {float(100 + i) for i in range(N)}


def test_thousands_separators_read_and_decimal_commas_refused(tmp_path):
    from councilsurvey.cleaning.clean import recode
    from councilsurvey.core.errors import InputError

    book = tmp_path / "codebook.yaml"
    book.write_text(
        "wave: t\nmetadata: []\nvariables:\n"
        "- {id: residents, header: How many?, subheader: Response, kind: numeric}\n"
    )
    cb = load_codebook(book)
    _write_csv(
        tmp_path / "e.csv", [["How many?", "x"], ["Response", ""], ["1,250", "a"], ["7", "b"]]
    )
    coded = recode(read_export(tmp_path / "e.csv", cb), cb)
    assert list(coded["residents"]) == [1250.0, 7.0]
    _write_csv(tmp_path / "e.csv", [["How many?", "x"], ["Response", ""], ["3,5", "a"]])
    with pytest.raises(
        InputError, match=r"row 3, column 'How many\?': answer '3,5' is not a number"
    ):
        recode(read_export(tmp_path / "e.csv", cb), cb)
