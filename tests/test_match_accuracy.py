"""Council-matching accuracy against a truth file, and the exclusions the truth's fates
name (speeders, officers, blank councils), on small exports built here."""

from __future__ import annotations

import csv

import pytest

from councilsurvey.cleaning.clean import clean
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.export import read_surveymonkey

from .conftest import respondent


def write_truth(path, rows, columns=("respondent_id", "council_code", "noise", "fate")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)
    return path


def rid(n: int) -> str:
    """The respondent id conftest.respondent gives respondent ``n``."""
    return str(10_000_000_000 + n)


def run(write_export, codebook, frame, matcher, records, **kw):
    raw = read_surveymonkey(write_export(records), codebook)
    return clean(raw, codebook, frame, matcher, b"k", "t", **kw)


def metrics(result) -> dict:
    return dict(zip(result.summary["metric"], result.summary["value"], strict=True))


def reasons(result) -> dict:
    excluded = result.log[result.log["action"] == "excluded"]
    return dict(zip(excluded["raw_row"], excluded["reason"], strict=True))


@pytest.fixture
def accuracy_case(write_export, codebook, frame, matcher, tmp_path):
    """Ten submissions and their truth. Row numbers are spreadsheet rows (3 = first)."""
    records = [
        respondent(1, council_text="Camden"),  # row 3: right
        respondent(2, council_text="LB Camden"),  # row 4: right (prefix)
        respondent(3, council_text="Kent"),  # row 5: truth deliberately says Dover: wrong
        respondent(4, council_text="Cardiff Council"),  # row 6: Wales, rejected
        respondent(5, council_text="Borsetshire"),  # row 7: invention, rejected
        respondent(6, council_text="Kingston"),  # row 8: ambiguous, truth Kingston upon
        #                                          Thames: excluded (recall lost)
        respondent(7, council_text="Kent", **{"First Name": "Test"}),  # row 9: test
        respondent(8, council_text="Test Valley"),  # row 10: truth empty: wrong
        respondent(9, council_text="Council officer - Leeds"),  # row 11: officer
        respondent(10, council_text=""),  # row 12: blank, truth Hart: excluded
    ]
    truth = write_truth(
        tmp_path / "truth.csv",
        [
            (rid(1), "E09000007", "exact", "respondent"),
            (rid(2), "E09000007", "prefix", "respondent"),
            (rid(3), "E07000108", "exact", "respondent"),  # wrong on purpose: Dover
            (rid(4), "", "exact", "outside_england"),
            (rid(5), "", "invention", "unmatchable"),
            (rid(6), "E09000021", "suffix", "respondent"),
            (rid(7), "E10000016", "exact", "test"),
            (rid(8), "", "exact", "respondent"),  # wrong on purpose: no English council
            (rid(9), "", "officer", "officer"),
            (rid(10), "E07000089", "blank", "blank_council"),
        ],
    )
    return run(write_export, codebook, frame, matcher, records, truth=truth)


def test_accuracy_rows_count_each_outcome(accuracy_case):
    s = metrics(accuracy_case)
    # 9 reached matching (the test submission did not)
    assert s["match_submissions"] == 9
    assert s["match_right"] == 2
    assert s["match_wrong"] == 2  # Kent vs Dover, and Test Valley with no true council
    assert s["match_excluded"] == 2  # Kingston (ambiguous), blank
    assert s["match_correctly_rejected"] == 3  # Cardiff, Borsetshire, the officer
    assert (
        s["match_right"] + s["match_wrong"] + s["match_excluded"] + s["match_correctly_rejected"]
        == s["match_submissions"]
    )
    assert reasons(accuracy_case) == {
        6: "outside_england",
        7: "council_unmatched",
        8: "council_ambiguous",
        9: "test_submission",
        11: "officer",
        12: "council_blank",
    }


def test_accuracy_table_by_noise_has_no_personal_data(accuracy_case):
    table = accuracy_case.accuracy
    assert list(table.columns) == ["noise", "fate", "result", "outcome", "rows"]
    assert table["rows"].sum() == 10
    got = {(r.noise, r.fate, r.result, r.outcome): r.rows for r in table.itertuples()}
    assert got[("prefix", "respondent", "respondent", "right")] == 1
    assert got[("exact", "test", "test_submission", "not_reached")] == 1
    assert got[("officer", "officer", "officer", "correctly_rejected")] == 1
    assert got[("blank", "blank_council", "council_blank", "excluded")] == 1
    by_outcome = table.groupby("outcome")["rows"].sum().to_dict()
    assert by_outcome == {
        "right": 2,
        "wrong": 2,
        "excluded": 2,
        "correctly_rejected": 3,
        "not_reached": 1,
    }
    flat = table.to_csv(index=False)
    for secret in (rid(1), "Camden", "Leeds", "Borsetshire"):
        assert secret not in flat


def test_no_truth_no_accuracy_rows(write_export, codebook, frame, matcher):
    result = run(write_export, codebook, frame, matcher, [respondent(1)])
    assert not any(m.startswith("match_") for m in result.summary["metric"])
    assert result.accuracy.empty


def test_truth_missing_column_is_one_clear_error(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(
        tmp_path / "truth.csv",
        [(rid(1), "E09000007", "exact")],
        columns=("respondent_id", "council_code", "noise"),
    )
    with pytest.raises(InputError, match=r"truth\.csv: missing column\(s\) fate"):
        run(write_export, codebook, frame, matcher, [respondent(1)], truth=truth)


def test_truth_id_not_in_export_names_the_row(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(
        tmp_path / "truth.csv",
        [(rid(1), "E09000007", "exact", "respondent"), ("999", "", "exact", "respondent")],
    )
    with pytest.raises(
        InputError, match=r"truth\.csv, row 3, column 'respondent_id': respondent_id '999' is not"
    ):
        run(write_export, codebook, frame, matcher, [respondent(1)], truth=truth)


def test_export_row_missing_from_truth(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(tmp_path / "truth.csv", [(rid(1), "E09000007", "exact", "respondent")])
    with pytest.raises(InputError, match=r"export\.csv, row 4: respondent id .* not listed"):
        run(write_export, codebook, frame, matcher, [respondent(1), respondent(2)], truth=truth)


def test_truth_code_not_in_frame(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(tmp_path / "truth.csv", [(rid(1), "W06000015", "exact", "respondent")])
    with pytest.raises(InputError, match=r"row 2, column 'council_code'.*not a council"):
        run(write_export, codebook, frame, matcher, [respondent(1)], truth=truth)


def test_speeders_excluded_and_timestamps_checked(write_export, codebook, frame, matcher):
    records = [
        respondent(1),  # 15 minutes: kept
        respondent(2, **{"End Date": "11/03/2016 10:01:30 AM"}),  # 90 seconds: speeder
        respondent(3, **{"End Date": "11/04/2016 10:02:00 AM"}),  # exactly 2 minutes: kept
        respondent(4, **{"End Date": "11/05/2016 09:00:00 AM"}),  # end before start: kept
    ]
    result = run(write_export, codebook, frame, matcher, records)
    assert reasons(result) == {4: "speeder"}
    assert "1.5 minutes" in result.log.set_index("raw_row").at[4, "detail"]
    assert metrics(result)["excluded_speeder"] == 1
    relaxed = run(write_export, codebook, frame, matcher, records, min_duration_minutes=1)
    assert reasons(relaxed) == {}


def test_export_without_timestamps_skips_the_speeder_rule(
    write_export, codebook, frame, matcher, caplog
):
    import dataclasses

    raw = read_surveymonkey(
        write_export([respondent(1, **{"End Date": "11/02/2016 10:00:30 AM"})]), codebook
    )
    raw = dataclasses.replace(raw, data=raw.data.drop(columns=["start_date"]))
    with caplog.at_level("INFO"):
        result = clean(raw, codebook, frame, matcher, b"k", "t")
    assert len(result.responses) == 1
    assert sum("speeder rule is skipped" in r.message for r in caplog.records) == 1


@pytest.mark.parametrize(
    "answer",
    [
        "Head of digital, Camden Council (officer)",
        "I am an officer not a councillor",
        "Council officer - Leeds",
        "Camden - not an elected member",
    ],
)
def test_officers_excluded(write_export, codebook, frame, matcher, answer):
    result = run(
        write_export, codebook, frame, matcher, [respondent(1), respondent(2, council_text=answer)]
    )
    assert reasons(result) == {4: "officer"}


def test_officer_markers_configurable(write_export, codebook, frame, matcher):
    records = [respondent(1), respondent(2, council_text="Camden (clerk)")]
    assert "officer" not in reasons(run(write_export, codebook, frame, matcher, records)).values()
    got = run(write_export, codebook, frame, matcher, records, officer_markers=["clerk"])
    assert reasons(got) == {4: "officer"}


def test_blank_council_has_its_own_reason(write_export, codebook, frame, matcher):
    records = [respondent(1), respondent(2, council_text="   ")]
    assert reasons(run(write_export, codebook, frame, matcher, records)) == {4: "council_blank"}


def test_written_summary_ends_with_the_accuracy_counts(accuracy_case, tmp_path):
    from councilsurvey.core.writers import write_csv

    write_csv(accuracy_case.summary, tmp_path / "summary.csv")
    lines = (tmp_path / "summary.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "metric,value"
    assert lines[-5:] == [
        "match_submissions,9",
        "match_right,2",
        "match_wrong,2",
        "match_excluded,2",
        "match_correctly_rejected,3",
    ]


def test_repeated_id_takes_its_listings_in_order(write_export, codebook, frame, matcher, tmp_path):
    """An exact duplicate repeats the respondent id: its k-th listing in the truth is the
    truth of its k-th row in the export."""
    truth = write_truth(
        tmp_path / "truth.csv",
        [
            (rid(1), "E09000007", "exact", "respondent"),
            (rid(1), "E09000007", "exact", "duplicate"),
            (rid(2), "E10000016", "suffix", "respondent"),
        ],
    )
    records = [respondent(1), respondent(1), respondent(2, council_text="Kent County Council")]
    result = run(write_export, codebook, frame, matcher, records, truth=truth)
    got = result.accuracy.groupby(["fate", "result", "outcome"])["rows"].sum().to_dict()
    assert got == {
        ("respondent", "respondent", "right"): 2,
        ("duplicate", "exact_duplicate", "not_reached"): 1,
    }


def test_id_listed_more_often_than_exported(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(
        tmp_path / "truth.csv",
        [(rid(1), "E09000007", "exact", "respondent"), (rid(1), "E09000007", "exact", "duplicate")],
    )
    with pytest.raises(InputError, match=r"truth\.csv, row 3, .*listed more often than"):
        run(write_export, codebook, frame, matcher, [respondent(1)], truth=truth)


def test_wave_yaml_names_an_optional_truth_file(tmp_path):
    """``truth:`` is resolved like the export; a wave without it has no truth input, and a
    truth file that does not exist is one line naming wave.yaml."""
    import shutil

    import yaml

    from councilsurvey.pipeline.paths import load_config, wave_info

    from .conftest import ROOT

    cfg = load_config(ROOT / "config.yaml")
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "2017", raw / "2017")
    path = raw / "2017" / "wave.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.pop("truth", None)
    path.write_text(yaml.safe_dump(doc))
    assert "truth" not in wave_info(cfg, "2017", raw)
    path.write_text(yaml.safe_dump({**doc, "truth": "truth_of_2017.csv"}))
    with pytest.raises(InputError, match=r"wave\.yaml, column 'truth': truth file 'truth_of_2017"):
        wave_info(cfg, "2017", raw)
    write_truth(raw / "2017" / "truth_of_2017.csv", [])
    got = wave_info(cfg, "2017", raw)["truth"]
    assert got == (raw / "2017" / "truth_of_2017.csv").as_posix()


def test_shipped_officer_markers_are_the_defaults():
    from councilsurvey.cleaning.clean import DEFAULT_OFFICER_MARKERS
    from councilsurvey.pipeline.paths import load_config

    from .conftest import ROOT

    assert load_config(ROOT / "config.yaml")["cleaning"]["officer_markers"] == (
        DEFAULT_OFFICER_MARKERS
    )


def test_a_councillor_saying_what_they_are_not_is_no_officer(
    write_export, codebook, frame, matcher
):
    records = [respondent(1), respondent(2, council_text="Kent CC, not a member of the cabinet")]
    assert "officer" not in reasons(run(write_export, codebook, frame, matcher, records)).values()


def test_id_listed_once_stands_for_its_duplicates(write_export, codebook, frame, matcher, tmp_path):
    truth = write_truth(
        tmp_path / "truth.csv",
        [
            (rid(1), "E09000007", "exact", "respondent"),
            (rid(2), "E10000016", "exact", "respondent"),
        ],
    )
    records = [respondent(1), respondent(1), respondent(2, council_text="Kent")]
    result = run(write_export, codebook, frame, matcher, records, truth=truth)
    got = result.accuracy.groupby(["result", "outcome"])["rows"].sum().to_dict()
    assert got == {("respondent", "right"): 2, ("exact_duplicate", "not_reached"): 1}
