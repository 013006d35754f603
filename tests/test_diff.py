"""Bundle diff: cell-by-cell comparison of two bundles' tables, claims and files."""

import math
import subprocess
import sys

import pandas as pd
import pytest

from councilsurvey.publish import bundle as bd
from councilsurvey.publish import diff as d

CLAIMS_HEADER = (
    "claim_id,text,kind,basis,published,reproduced,n_basis,weighted,weighted_lci,"
    "weighted_uci,weighted_measure,tolerance,status,note\n"
)
HEADLINES = (
    "indicator,category,basis,n,unweighted,weighted\n"
    "wellbeing_positive,Agree,respondents,786,0.639949,0.629282\n"
    "digital_strategy,Yes,respondents,677,0.332349,0.336155\n"
)


def write_bundle(folder, segments, claims, svg, extra=None):
    (folder / "tables").mkdir(parents=True)
    (folder / "figures").mkdir()
    (folder / "tables" / "segments.csv").write_text(segments)
    (folder / "tables" / "headlines.csv").write_text(HEADLINES)
    (folder / "claims.csv").write_text(CLAIMS_HEADER + claims)
    (folder / "figures" / "shares.svg").write_text(svg)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    bd.write_manifest(folder)
    return folder


@pytest.fixture
def bundles(tmp_path):
    a = write_bundle(
        tmp_path / "a",
        "segment,n,weighted_share\nenthusiast,373,0.457772\nsceptic,118,0.147952\n",
        "n_respondents,808 councillors,count,respondents,808,808,808,,,,,0,PASS,\n"
        "coverage,79% of councils,proportion,councils,0.79,0.787535,353,,,,,0.005,PASS,x\n",
        "<svg>a</svg>",
    )
    b = write_bundle(
        tmp_path / "b",
        # weighted_share of enthusiasts changes; sceptic's share moves within tolerance;
        # a row is added
        "segment,n,weighted_share\nenthusiast,373,0.470112\nsceptic,118,0.1479520000000001\n"
        "middle,305,0.378449\n",
        "n_respondents,808 councillors,count,respondents,808,808,808,,,,,0,PASS,\n"
        "coverage,79% of councils,proportion,councils,0.79,0.771,353,,,,,0.005,FAIL,x\n",
        "<svg>b</svg>",
        extra={"notes.txt": "only in B\n"},
    )
    return a, b


def test_diff_bundles_finds_exactly_the_changes(bundles):
    a, b = bundles
    result = d.diff_bundles(a, b)
    changes = result["changes"]
    assert list(changes.columns) == d.COLUMNS
    got = changes[["file", "key", "column", "kind", "a", "b"]].values.tolist()
    assert got == [
        ["claims.csv", "coverage", "reproduced", "numeric", "0.787535", "0.771"],
        ["claims.csv", "coverage", "status", "text", "PASS", "FAIL"],
        ["figures/shares.svg", "", "", "changed", "", ""],
        ["notes.txt", "", "", "file only in B", "", ""],
        ["tables/segments.csv", "enthusiast", "weighted_share", "numeric", "0.457772", "0.470112"],
        ["tables/segments.csv", "middle", "", "row only in B", "", ""],
    ]
    share = changes[changes["column"] == "weighted_share"].iloc[0]
    assert share.abs_change == pytest.approx(0.01234)
    assert share.rel_change_pct == pytest.approx(0.01234 / 0.457772 * 100)
    assert math.isnan(changes[changes["kind"] == "text"].iloc[0].abs_change)

    assert result["tables"] == {
        "claims.csv": ["claim_id"],
        "tables/headlines.csv": ["indicator"],
        "tables/segments.csv": ["segment"],
    }
    claims = result["claims"]
    assert claims[["claim_id", "status_a", "status_b", "reproduced_a", "reproduced_b"]].to_dict(
        "records"
    ) == [
        {
            "claim_id": "coverage",
            "status_a": "PASS",
            "status_b": "FAIL",
            "reproduced_a": "0.787535",
            "reproduced_b": "0.771",
        }
    ]
    assert result["summary"] == {
        "tables": 3,
        "cells_changed": 3,
        "claims_status_changed": 1,
        "claims_reproduced_changed": 1,
        "rows_only_a": 0,
        "rows_only_b": 1,
        "files_only_a": 0,
        "files_only_b": 1,
        "files_changed": 1,
    }


def test_identical_bundles_and_tolerance(bundles):
    a, b = bundles
    assert d.diff_bundles(a, a)["changes"].empty
    # a looser tolerance hides the numeric changes, never the text ones
    loose = d.diff_bundles(a, b, tol=0.1)["changes"]
    assert set(loose["kind"]) == {"text", "changed", "file only in B", "row only in B"}
    everything = d.diff_bundles(a, b, include_unchanged=True)["changes"]
    unchanged = everything[everything["kind"] == "unchanged"]
    assert ["tables/segments.csv", "sceptic", "weighted_share"] in unchanged[
        ["file", "key", "column"]
    ].values.tolist()


def test_key_rule():
    t = pd.DataFrame(
        {"test": ["chi", "chi"], "variables": ["x", "y"], "stat": ["1.5", "2"], "note": ["a", "b"]}
    )
    assert d.key_columns(t, t) == ["test", "variables"]
    # keys not unique: fall back to row position
    dup = pd.DataFrame({"g": ["a", "a"], "v": ["1", "2"]})
    assert d.key_columns(dup, dup) == []
    _, rows = d.diff_tables(dup, dup.assign(v=["1", "3"]), "t.csv")
    assert [(r["key"], r["column"], r["a"], r["b"]) for r in rows] == [("row 2", "v", "2", "3")]
    # columns only in one version are listed, and never used as key
    _, rows = d.diff_tables(dup.assign(w="x"), dup.assign(z="1"), "t.csv")
    assert [(r["column"], r["kind"]) for r in rows] == [
        ("w", "column only in A"),
        ("z", "column only in B"),
    ]


def test_printed_report(bundles):
    a, b = bundles
    text = d.format_report(d.diff_bundles(a, b), a, b)
    lines = text.splitlines()
    assert "tables/segments.csv  (key: segment)" in lines
    assert "enthusiast  weighted_share   0.457772  0.470112  +0.01234  +2.69567%" in lines, text
    assert "middle      (row only in B)" in lines
    assert "coverage  PASS      FAIL          0.787535         0.771  -0.016535" in lines, text
    assert "figures/shares.svg  changed" in lines
    assert "notes.txt           file only in B" in lines
    assert "tables/headlines.csv" not in text
    assert lines[-1].startswith(
        "Summary: 3 tables compared, 3 cells changed, 1 claim changed status, "
    )


def test_cli_exit_codes_and_csv(bundles, tmp_path):
    a, b = bundles
    out = tmp_path / "out" / "changes.csv"
    missing = tmp_path / "nope"
    run = [sys.executable, "-m", "councilsurvey.publish.diff"]
    # both CLI runs at once: each spends about a second importing pandas
    ok, bad = (
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in ([*run, str(a), str(b), "--csv", str(out)], [*run, str(a), str(missing)])
    )
    stdout, stderr = ok.communicate(timeout=60)
    assert ok.returncode == 0, stderr
    assert "1 claim changed status" in stdout
    assert len(pd.read_csv(out)) == 6

    stdout, stderr = bad.communicate(timeout=60)
    assert bad.returncode == 2
    assert stderr.strip() == (
        f"python -m councilsurvey.publish.diff: error: bundle folder {missing} does not exist"
    )

    with pytest.raises(SystemExit) as exc:  # argparse: a missing argument
        d.main([str(a)])
    assert exc.value.code == 2
    assert d.main([str(a), str(b), "--tol", "-1"]) == 2
