"""Versions per bundle (issue 19, item 4): a bundle's version ends in the fingerprint of
what it is made from, so the same inputs give the same folder, a changed analytic choice a
new version of the bundles it touches, and adding a wave a new trends bundle only. The
fingerprints are computed on a copy of the repository, as the Snakefile computes them."""

from __future__ import annotations

import shutil

import pytest
import yaml

from councilsurvey.core import fingerprint as fp
from councilsurvey.pipeline import paths

from .conftest import ROOT

SKIP = shutil.ignore_patterns(".git", ".venv", "results", "processed", "logs", ".snakemake*")
BUNDLES = ("2017", "2019", "trends")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A copy of the repository's code, configuration and raw inputs, as the working
    directory."""
    dest = tmp_path / "repo"
    shutil.copytree(ROOT, dest, ignore=SKIP)
    monkeypatch.chdir(dest)
    paths._FINGERPRINTS.clear()
    yield dest
    paths._FINGERPRINTS.clear()


def fingerprints(cfg=None) -> dict[str, str]:
    cfg = cfg or paths.load_config("config.yaml")
    paths._FINGERPRINTS.clear()
    return {b: paths.bundle_fingerprint(cfg, b) for b in BUNDLES}


def test_same_inputs_same_versions_and_comments_do_not_count(repo):
    before = fingerprints()
    assert len(set(before.values())) == 3
    assert all(len(v) == fp.LENGTH for v in before.values())
    config = repo / "config.yaml"
    text = config.read_text()
    # a comment and another key order: the same parsed configuration
    cfg = yaml.safe_load(text)
    config.write_text("# a comment\n" + yaml.safe_dump(dict(reversed(list(cfg.items())))))
    assert fingerprints() == before
    name = paths.bundle_dir(paths.load_config("config.yaml"), "2017")
    assert name.endswith(f"-2017-v{cfg['bundle']['version']}-{before['2017']}")


def test_a_changed_choice_makes_new_versions_of_the_bundles_it_touches(repo):
    before = fingerprints()
    cfg = paths.load_config("config.yaml")
    cfg["weighting"]["trim"] = 5
    after = fingerprints(cfg)
    assert all(after[b] != before[b] for b in BUNDLES)


def test_adding_a_wave_makes_a_new_trends_bundle_only(repo):
    before = fingerprints()
    shutil.copytree(repo / "data/raw/2019", repo / "data/raw/2021")
    wave = yaml.safe_load((repo / "data/raw/2021/wave.yaml").read_text())
    wave["title"] = "a third wave"
    wave["frame_year"] = 2021
    (repo / "data/raw/2021/wave.yaml").write_text(yaml.safe_dump(wave))
    assert paths.discover_waves(paths.load_config("config.yaml")) == ["2017", "2019", "2021"]
    after = fingerprints()
    assert after["2017"] == before["2017"] and after["2019"] == before["2019"]
    assert after["trends"] != before["trends"]


def test_validation_for_another_wave_leaves_a_wave_s_version(repo):
    before = fingerprints()
    cfg = paths.load_config("config.yaml")
    cfg["validation"]["waves"] = [*cfg["validation"]["waves"], "2019"]
    after = fingerprints(cfg)
    assert after["2017"] == before["2017"]
    assert after["2019"] != before["2019"]


@pytest.mark.parametrize(
    ("path", "changes"),
    [
        ("workflow/councilsurvey/survey/weighting.py", True),
        ("notebooks/attitudes.ipynb", True),
        ("requirements.lock", True),
        ("workflow/councilsurvey/dev/synth/cli.py", False),  # no rule runs the generator
        ("README.md", False),
        ("tests/test_fingerprint.py", False),
    ],
)
def test_code_counts_and_what_no_rule_runs_does_not(repo, path, changes):
    before = fingerprints()
    target = repo / path
    target.write_bytes(target.read_bytes() + b"\n")
    after = fingerprints()
    assert (after != before) is changes
    if changes:
        assert all(after[b] != before[b] for b in BUNDLES)


def test_a_raw_input_counts_for_its_own_wave(repo):
    before = fingerprints()
    export = repo / "data/raw/2017/export.csv"
    export.write_bytes(export.read_bytes() + b"\n")
    after = fingerprints()
    assert after["2017"] != before["2017"] and after["trends"] != before["trends"]
    assert after["2019"] == before["2019"]


def test_a_bundle_asked_for_under_an_old_fingerprint_is_refused(repo):
    from councilsurvey.core.errors import InputError

    cfg = paths.load_config("config.yaml")
    now = paths.bundle_fingerprint(cfg, "2017")
    assert paths.current_fingerprint(cfg, "2017", now) == []
    with pytest.raises(InputError, match="is not what the current inputs"):
        paths.current_fingerprint(cfg, "2017", "0123456789")
