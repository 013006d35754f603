"""Wave discovery (data/raw/<wave>/wave.yaml), frames per year and the successor map."""

import shutil

import pandas as pd
import pytest
import yaml

from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.core.errors import InputError
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
