"""Write the bad-input corpus into ``tests/badinput/files/``.

Every file is derived from the export-format fixtures (``tests/fixtures/formats/``: the
same six respondents in every format, and their codebook) by one small, deliberate
damage; ``cases.yaml`` says how each is run and the exact error (or warning) it must give.

Run ``.venv/bin/python tests/badinput/make_corpus.py`` from the project root. The output
is deterministic: random bytes come from a seeded generator, and the .sav and .xlsx files
have their time stamps fixed as the fixtures' are.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import random
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
OUT = HERE / "files"
sys.path.insert(0, str(ROOT / "workflow"))

#: one free-text answer of 10 MiB (case ``free_text_10mb``)
HUGE = 10 * 1024 * 1024


def _fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _csv(rows, delimiter=",") -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _drop_column(rows, index):
    return [r[:index] + r[index + 1 :] for r in rows]


def build() -> dict[str, bytes]:
    """Relative file name -> content of every corpus file."""
    mf = _fixtures()
    book = mf.fixture_codebook()
    people = mf.respondents()
    sm = mf.surveymonkey_text(book, people)
    lines = sm.split("\r\n")  # ends with "" after the last CRLF
    rows = list(csv.reader(io.StringIO(sm, newline="")))
    head1, head2, keys = mf.surveymonkey_layout(book)
    gender = keys.index("gender")
    files: dict[str, bytes] = {}

    def text(name, value):
        files[name] = value.encode("utf-8")

    text("empty.csv", "")
    text("header_only.csv", "\r\n".join(lines[:2]) + "\r\n")
    text("second_header_row_missing.csv", "\r\n".join([lines[0], *lines[2:]]))
    text("first_header_row_missing.csv", "\r\n".join(lines[1:]))
    text("question_absent.csv", _csv(_drop_column(rows, gender)))
    extra = [rows[0] + ["Any other comments?"], rows[1] + ["Open-Ended Response"]]
    extra += [r + ["None"] for r in rows[2:]]
    text("extra_question.csv", _csv(extra))
    dup = [r[: gender + 1] + [r[gender]] + r[gender + 1 :] for r in rows]
    text("duplicated_header.csv", _csv(dup))
    text("semicolon.csv", _csv(rows, delimiter=";"))
    text("tab.csv", _csv(rows, delimiter="\t"))
    files["utf16.csv"] = sm.encode("utf-16")
    # Windows-1252 punctuation (so detection is tried) and 0x81, which no code page
    # 1252 character has: neither UTF-8 nor Windows-1252
    cp = sm.encode("cp1252")
    files["cp1252_undecodable.csv"] = cp.replace(b"Firstname4", b"First\x81name4")
    files["cp1252_detected.csv"] = (FIXTURES / "surveymonkey_cp1252.csv").read_bytes()
    files["bom.csv"] = (FIXTURES / "surveymonkey_bom.csv").read_bytes()
    last = lines[-2]
    cut = last[: last.index(",Labour,")]
    text("truncated_last_line.csv", "\r\n".join(lines[:-2] + [cut]))
    text(
        "unknown_answer.csv",
        mf.surveymonkey_text(book, [dict(people[0], att_big_data="Agree strongly"), *people[1:]]),
    )
    testers = [dict(p, **{"First Name": "Test"}) for p in people]
    text("all_excluded.csv", mf.surveymonkey_text(book, testers))
    huge = ("Better broadband for every ward. " * (HUGE // 33 + 1))[:HUGE]
    text(
        "free_text_10mb.csv",
        mf.surveymonkey_text(book, [people[0], dict(people[1], one_thing=huge)]),
    )
    # row 5 (the third respondent) opens a quote that never closes
    bad = lines[4].replace(",Firstname3,", ',"Firstname3,')
    text("unterminated_quote.csv", "\r\n".join(lines[:4] + [bad] + lines[5:]))
    # the last row's quoted answer loses its closing quote: the file ends inside it
    assert lines[-2].endswith('"')
    eof = lines[-2][:-1]
    text("unterminated_quote_at_end.csv", "\r\n".join(lines[:-2] + [eof, ""]))
    text("too_many_fields.csv", "\r\n".join(lines[:4] + [lines[4] + ",extra,fields"] + lines[5:]))

    rng = random.Random(20170101)
    for name in ("garbage.csv", "garbage.sav", "garbage.xlsx"):
        files[name] = rng.randbytes(4096)

    qlines = mf.qualtrics_text(book, people).split("\r\n")
    text("qualtrics_no_importid.csv", "\r\n".join(qlines[:2] + qlines[3:]))
    text("qualtrics_header_only.csv", "\r\n".join(qlines[:3]) + "\r\n")

    files["spss_likert_out_of_range.sav"] = _spss_out_of_range(mf)
    files["xlsx_wrong_sheet.xlsx"] = _xlsx_wrong_sheet(mf)
    files["xlsx_empty.xlsx"] = _xlsx_empty(mf)

    cb = mf.codebook_text(book)
    text("codebook_ok.yaml", cb)
    broken = cb.replace("  kind: single_choice\n", "  kind: [single_choice\n", 1)
    text("codebook_invalid.yaml", broken)
    role = cb.index("- id: role\n")
    kind = cb.index("  kind: single_choice\n", role)
    text("codebook_missing_key.yaml", cb[:kind] + cb[kind + len("  kind: single_choice\n") :])

    wave = (ROOT / "data" / "raw" / "2019" / "wave.yaml").read_text(encoding="utf-8")
    up = "../../../../../data/raw/2019/"
    text("waves_missing_file/2019b/wave.yaml", wave.replace("export.sav", "missing.sav"))
    no_frame = wave.replace("frame_year: 2019", "frame_year: 2020")
    for name in ("export.sav", "codebook.yaml", "questionnaire.yaml", "truth.csv"):
        no_frame = no_frame.replace(f": {name}", f": {up}{name}")
    text("waves_no_frame/2020/wave.yaml", no_frame)

    files["responses_fixture.parquet"] = _responses(mf, book)
    return files


def _spss_out_of_range(mf) -> bytes:
    import pyreadstat

    df, meta = pyreadstat.read_sav(
        str(FIXTURES / "spss.sav"), apply_value_formats=False, user_missing=True
    )
    df.loc[2, "att_big_data"] = 7.0  # Likert codes are 1-5 and 9 = Don't know
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bad.sav"
        pyreadstat.write_sav(
            df,
            path,
            column_labels=dict(zip(meta.column_names, meta.column_labels, strict=True)),
            variable_value_labels=meta.variable_value_labels,
            missing_ranges=meta.missing_ranges,
        )
        return mf._fix_sav_timestamp(bytearray(path.read_bytes()))


def _save_xlsx(mf, wb) -> bytes:
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = "make_corpus.py"
    wb.properties.created = mf.FIXED_TIME
    wb.properties.modified = mf.FIXED_TIME
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return mf._fix_zip_times(buf.getvalue())


def _xlsx_wrong_sheet(mf) -> bytes:
    import openpyxl

    wb = openpyxl.load_workbook(FIXTURES / "excel.xlsx")
    wb.active.title = "Export"
    wb.create_sheet("Notes", 0)  # an empty sheet first: the export is on the second
    return _save_xlsx(mf, wb)


def _xlsx_empty(mf) -> bytes:
    import openpyxl

    return _save_xlsx(mf, openpyxl.Workbook())


def _responses(mf, book) -> bytes:
    """The cleaned responses of the six fixture respondents (input of the weight case:
    six people leave most frame categories without a respondent)."""
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.cleaning.matching import CouncilMatcher
    from councilsurvey.inputs.codebook import load_codebook
    from councilsurvey.inputs.export import read_surveymonkey
    from councilsurvey.inputs.frame import load_frame, load_outside_england

    ref = ROOT / "data" / "reference"
    cb = load_codebook(FIXTURES / "codebook.yaml")
    frame = load_frame(ref / "councils_england_2017.csv", 353)
    matcher = CouncilMatcher(
        frame,
        load_outside_england(ref / "councils_outside_england_2017.csv"),
        threshold=80,
        margin=4,
    )
    raw = read_surveymonkey(FIXTURES / "surveymonkey.csv", cb)
    result = clean(raw, cb, frame, matcher, b"badinput-corpus-key", "badinput")
    buf = io.BytesIO()
    result.responses.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


def write_all(outdir=OUT) -> list[Path]:
    outdir = Path(outdir)
    if outdir.exists():
        shutil.rmtree(outdir)
    written = []
    for name, data in sorted(build().items()):
        path = outdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    for path in write_all(argv[0] if argv else OUT):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
