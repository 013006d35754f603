"""Wave discovery (data/raw/<wave>/wave.yaml), frames per year and the successor map."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.fieldwork import successors_as_of
from councilsurvey.inputs.frame import load_frame, load_outside_england
from councilsurvey.pipeline.paths import (
    discover_waves,
    frame_of,
    load_config,
    raw_inputs,
    wave_info,
)

from .conftest import OUTSIDE, ROOT

RAW = ROOT / "data" / "raw"


@pytest.fixture
def cfg():
    return load_config(ROOT / "config.yaml")


@pytest.fixture
def raw(tmp_path):
    root = tmp_path / "raw"
    shutil.copytree(RAW, root)
    return root


def test_bundled_waves_are_discovered(cfg):
    assert discover_waves(cfg, RAW) == ["2017", "2019"]
    info = wave_info(cfg, "2019", RAW)
    assert info["format"] == "spss" and info["frame_year"] == 2019
    assert info["export"].endswith("data/raw/2019/export.sav")
    assert info["fieldwork"] == {"start": "2019-10-14", "end": "2019-12-06"}


def test_2017_wave_is_weighted_to_the_frame_at_its_fieldwork(cfg):
    """The 2017 report was published on 2017-04-20, before the May 2017 elections: the
    wave states only that, and is weighted to the 2016 frame (same councils, seats as
    between the May 2016 and May 2017 elections)."""
    info = wave_info(cfg, "2017", RAW)
    assert info["frame_year"] == 2016
    assert info["fieldwork"]["end_before"] == "2017-04-20"
    assert "start" not in info["fieldwork"] and "not published" in info["fieldwork"]["note"]
    entry = frame_of(cfg, "2017")
    assert entry["path"] == "data/reference/councils_england_2016.csv"
    assert ROOT / entry["path"] in {ROOT / p for p in raw_inputs(cfg, "2017")}
    f16 = load_frame(ROOT / entry["path"], entry["n_councils"])
    f17 = load_frame(ROOT / "data/reference/councils_england_2017.csv", 353)
    assert list(f16["code"]) == list(f17["code"])  # the same councils, in the same order
    assert (f16["seats"] - f16["vacant"]).sum() == 17892
    assert f16["ukip"].sum() == 437 and f17["ukip"].sum() == 302


def test_shared_frame_copy_is_byte_identical():
    shared = Path("/work/shared/reference/councils_england_2016.csv")
    if not shared.is_file():
        pytest.skip("the shared reference folder is not on this machine")
    assert (ROOT / "data/reference/councils_england_2016.csv").read_bytes() == shared.read_bytes()


def test_a_copied_wave_folder_is_picked_up(cfg, raw):
    shutil.copytree(raw / "2019", raw / "2021-pilot")
    assert discover_waves(cfg, raw) == ["2017", "2019", "2021-pilot"]
    assert discover_waves(dict(cfg, waves=["2017"]), raw) == ["2017"]


def test_codebook_may_point_at_another_wave(cfg, raw):
    (raw / "2017b").mkdir()
    shutil.copy(raw / "2017" / "export.csv", raw / "2017b" / "export.csv")
    doc = yaml.safe_load((raw / "2017" / "wave.yaml").read_text())
    doc.update(codebook="../2017/codebook.yaml", questionnaire="../2017/questionnaire.yaml")
    doc.pop("published")
    doc.pop("truth", None)  # the generator's truth is the bundled wave's own
    (raw / "2017b" / "wave.yaml").write_text(yaml.safe_dump(doc))
    info = wave_info(cfg, "2017b", raw)
    assert info["codebook"].endswith("raw/2017/codebook.yaml")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"export": "missing.csv"}, "export file 'missing.csv' does not exist"),
        ({"frame_year": 2020}, "frame year 2020 has no council frame in config.yaml"),
        ({"format": "sas"}, "'sas' is not one of"),
        ({"fieldwork": {"start": "2019"}}, "'end' is a required property"),
        ({"fieldwork": {"end": "2019-12-06"}}, "'start' is a required property"),
        ({"fieldwork": {"end_before": "2019-12-06"}}, "'note' is a required property"),
        ({"fieldwork": {"end_before": "soon", "note": "x"}}, "'soon' does not match"),
        ({"fieldwork": {"end_before": "2019-12-06", "note": ""}}, "should be non-empty"),
        ({"fieldwork": {"before": "2019-12-06", "note": "x"}}, "fieldwork: unknown key 'before'"),
        ({"fieldwork": "autumn 2019"}, "'autumn 2019' is not of type 'object'"),
        (
            {"fieldwork": {"end_before": "2019-02-30", "note": "x"}},
            "column 'fieldwork': fieldwork end_before '2019-02-30' is not a date",
        ),
        (
            {"fieldwork": {"start": "2019-12-06", "end": "2019-10-14"}},
            "column 'fieldwork': fieldwork start 2019-12-06 is after its end 2019-10-14",
        ),
        (
            {
                "fieldwork": {
                    "start": "2019-10-14",
                    "end": "2019-12-06",
                    "end_before": "2020-01-01",
                    "note": "both",
                }
            },
            "column 'fieldwork': fieldwork gives both exact dates",
        ),
    ],
)
def test_bad_wave_yaml_names_the_file(cfg, raw, change, message):
    path = raw / "2019" / "wave.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.update(change)
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match=message) as err:
        discover_waves(cfg, raw)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)  # one line


@pytest.mark.parametrize(
    "fieldwork",
    [
        {"end_before": "2019-12-20", "note": "dates not published"},
        {"start": "2019-10-14", "end": "2019-10-14", "note": "one day"},
    ],
)
def test_wave_yaml_accepts_both_fieldwork_forms(cfg, raw, fieldwork):
    path = raw / "2019" / "wave.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["fieldwork"] = fieldwork
    path.write_text(yaml.safe_dump(doc))
    assert wave_info(cfg, "2019", raw)["fieldwork"] == fieldwork


def test_listed_wave_without_folder(cfg, raw):
    with pytest.raises(InputError, match="config.yaml lists this wave"):
        discover_waves(dict(cfg, waves=["2017", "2025"]), raw)


def test_frames_per_year(cfg):
    assert frame_of(cfg, "2017")["n_councils"] == 353
    assert frame_of(cfg, "2019")["n_councils"] == 343
    for year, n in [(2019, 343), (2021, 333), (2023, 317)]:
        frame = load_frame(ROOT / f"data/reference/councils_england_{year}.csv", n)
        assert len(frame) == n
    assert "data/raw/2019/wave.yaml" in raw_inputs(cfg, "2019")


@pytest.fixture(scope="module")
def successors():
    return pd.read_csv(ROOT / "data/reference/council_successors.csv", dtype=str)


def matcher_for(year, n, successors, as_of):
    frame = load_frame(ROOT / f"data/reference/councils_england_{year}.csv", n)
    return CouncilMatcher(
        frame,
        load_outside_england(OUTSIDE),
        threshold=80,
        margin=4,
        successors=successors,
        as_of=as_of,
    )


def test_abolished_council_is_matched_to_its_successor(successors):
    m = matcher_for(2019, 343, successors, "2019-10-14")
    got = m.match("Poole Borough Council")
    assert (got["status"], got["method"], got["code"]) == ("matched", "successor", "E06000058")
    assert "abolished on 2019-04-01" in got["note"]
    assert m.match("Waveney")["code"] == "E07000244"  # East Suffolk
    assert m.match("Dorset")["method"] == "exact"  # the new Dorset Council keeps the name


def test_successor_chains_and_splits(successors):
    m = matcher_for(2023, 317, successors, "2023-10-01")
    assert m.match("Taunton Deane")["code"] == "E06000066"  # -> SW&T (2019) -> Somerset (2023)
    split = m.match("Northamptonshire")
    assert split["status"] == "ambiguous"
    assert set(split["candidates"].split(";")) == {"E06000061", "E06000062"}


def test_successors_only_apply_after_abolition(successors):
    frame = load_frame(ROOT / "data/reference/councils_england_2017.csv", 353)
    m = CouncilMatcher(
        frame,
        load_outside_england(OUTSIDE),
        threshold=80,
        margin=4,
        successors=successors,
        as_of="2016-10-17",
    )
    assert m.match("Poole")["code"] == "E06000029"  # still in force in 2016


def test_successor_date_bound_of_each_fieldwork_form(cfg):
    assert successors_as_of({"start": "2019-10-14", "end": "2019-12-06"}) == "2019-10-14"
    # known only to have ended before a date: the day before is the latest it could run
    assert successors_as_of({"end_before": "2017-04-20", "note": "x"}) == "2017-04-19"
    assert successors_as_of({"end_before": "2020-03-01", "note": "x"}) == "2020-02-29"
    assert successors_as_of(wave_info(cfg, "2017", RAW)["fieldwork"]) == "2017-04-19"


@pytest.mark.parametrize("end_before, successor", [("2019-04-01", False), ("2019-04-02", True)])
def test_end_before_bounds_successor_matching(successors, end_before, successor):
    """Waveney was abolished on 2019-04-01 (East Suffolk took over). Fieldwork that ended
    before 2019-04-01 cannot have followed it, so "Waveney" is not East Suffolk (without
    the successor map it is a fuzzy near miss); fieldwork that ended before 2019-04-02 may
    have, so it is."""
    as_of = successors_as_of({"end_before": end_before, "note": "dates not published"})
    got = matcher_for(2019, 343, successors, as_of).match("Waveney")
    if successor:
        assert (got["status"], got["method"], got["code"]) == ("matched", "successor", "E07000244")
        assert "abolished on 2019-04-01" in got["note"]
    else:
        assert got["method"] != "successor" and got["code"] != "E07000244"


def test_2017_wave_matches_councils_of_its_own_frame(cfg, successors):
    """With the 2017 wave's bound (before 2017-04-20) and its 2016 frame, councils
    abolished from 2019 on keep their own code: no successor applies yet."""
    entry = frame_of(cfg, "2017")
    as_of = successors_as_of(wave_info(cfg, "2017", RAW)["fieldwork"])
    frame = load_frame(ROOT / entry["path"], entry["n_councils"])
    m = CouncilMatcher(
        frame,
        load_outside_england(OUTSIDE),
        threshold=80,
        margin=4,
        successors=successors,
        as_of=as_of,
    )
    for name, code in [
        ("Poole", "E06000029"),
        ("Waveney", "E07000206"),
        ("Northamptonshire", "E10000021"),
    ]:
        got = m.match(name)
        assert (got["status"], got["method"], got["code"]) == ("matched", "exact", code)
