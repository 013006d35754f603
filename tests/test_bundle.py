"""Bundles: manifest, deterministic zip, immutability, report normalisation, dictionary."""

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from councilsurvey.publish import bundle as b


def make_bundle(folder, extra=""):
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "segments.csv").write_text("segment,n\nenthusiast,373\n" + extra)
    (folder / "README.md").write_text("# bundle\n")
    b.write_manifest(folder)
    return folder


def test_manifest_lists_every_other_file_in_sha256sum_format(tmp_path):
    folder = make_bundle(tmp_path / "x")
    manifest = b.read_manifest(folder / b.MANIFEST)
    assert set(manifest) == {"README.md", "tables/segments.csv"}
    digest = hashlib.sha256((folder / "README.md").read_bytes()).hexdigest()
    assert manifest["README.md"] == digest
    assert (folder / b.MANIFEST).read_text().splitlines()[0] == f"{digest}  README.md"


def test_zip_is_deterministic(tmp_path):
    a = make_bundle(tmp_path / "a" / "name")
    c = make_bundle(tmp_path / "c" / "name")
    b.write_zip(a, tmp_path / "a.zip")
    b.write_zip(c, tmp_path / "c.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "c.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
        assert names == sorted(names) and all(n.startswith("name/") for n in names)
        assert {i.date_time for i in zf.infolist()} == {b.ZIP_DATE}


def test_publish_is_a_noop_for_identical_content_and_refuses_changes(tmp_path):
    bundles = tmp_path / "bundles"
    final, zip_path = bundles / "s-2017-v1", bundles / "s-2017-v1.zip"
    assert b.publish(make_bundle(bundles / ".staging-1"), final, zip_path) == "published"
    zip_bytes = zip_path.read_bytes()
    assert b.publish(make_bundle(bundles / ".staging-2"), final, zip_path) == "unchanged"
    assert zip_path.read_bytes() == zip_bytes
    with pytest.raises(b.BundleExists, match="tables/segments.csv \\(changed\\)") as err:
        b.publish(make_bundle(bundles / ".staging-3", extra="sceptic,118\n"), final, zip_path)
    assert "new bundle.version" in str(err.value)
    assert (final / "tables" / "segments.csv").read_text().count("\n") == 2  # untouched
    assert not (bundles / ".staging-3").exists()


def test_publish_into_the_empty_folder_snakemake_makes_for_the_manifest(tmp_path):
    """Snakemake creates the folder of a declared output before the job: an empty folder
    without a manifest is not a published bundle; one holding files is refused."""
    bundles = tmp_path / "bundles"
    final, zip_path = bundles / "s-2017-v1", bundles / "s-2017-v1.zip"
    final.mkdir(parents=True)
    assert b.publish(make_bundle(bundles / ".st1"), final, zip_path) == "published"
    assert (final / b.MANIFEST).exists()
    other, other_zip = bundles / "s-2019-v1", bundles / "s-2019-v1.zip"
    other.mkdir()
    (other / "stray.csv").write_text("x\n")
    with pytest.raises(b.BundleExists, match="not a complete bundle"):
        b.publish(make_bundle(bundles / ".st2"), other, other_zip)
    assert (other / "stray.csv").exists() and not (bundles / ".st2").exists()


def test_zip_changed_by_hand_is_refused(tmp_path):
    bundles = tmp_path / "bundles"
    final, zip_path = bundles / "s", bundles / "s.zip"
    b.publish(make_bundle(bundles / ".st1"), final, zip_path)
    zip_path.write_bytes(b"tampered")
    with pytest.raises(b.BundleExists, match="changed by hand"):
        b.publish(make_bundle(bundles / ".st2"), final, zip_path)


def test_normalise_report_removes_timings_and_sorts_tables():
    html = (
        '<script id="results">\n    var results = {"b.png": {"size": "1 KB"}, "a.png": {}};\n'
        '    </script>\n    var x = {"runtime": 16.78, "starttime": "2026-11-25T06:51:09.1"};\n'
        '    var categories = {"C": {"Other": ["z.png", "a.png"]}};\n'
    )
    out = b.normalise_report(html)
    assert '"runtime": 0' in out and "2026-11-25" not in out
    assert 'var results = {"a.png": {}, "b.png": {"size": "1 KB"}};' in out
    assert '["a.png", "z.png"]' in out
    assert b.normalise_report(out) == out


def test_data_dictionary_requires_every_column(tmp_path):
    good = tmp_path / "segments.csv"
    pd.DataFrame({"segment": ["x"], "n": [1]}).to_csv(good, index=False)
    dd = b.data_dictionary({"tables/segments.csv": good})
    assert list(dd["column"]) == ["segment", "n"] and dd["description"].str.len().min() > 3
    bad = tmp_path / "headlines.csv"
    pd.DataFrame({"indicator": ["x"], "mystery": [1]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="'mystery' of headlines.csv is not described"):
        b.data_dictionary({"tables/headlines.csv": bad})


# --- the report (councilsurvey.pipeline.bundling) ---------------------------------------

LIBRARY = Path(__file__).resolve().parents[1] / "workflow"


def python(*args, cwd=None, seed=None):
    """Run this interpreter with the library importable and PYTHONHASHSEED as given."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = os.pathsep.join([str(LIBRARY), env.get("PYTHONPATH", "")])
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_report_is_the_same_whatever_the_string_hashing(tmp_path):
    """The bundle job makes Snakemake's report in its own process, whose string hashing
    is not fixed: the rule graph's job for ``make`` (two jobs in one level, one after
    ``x``, one after ``y``) is the one with the first outputs in every process, and the
    report, normalised as the bundle keeps it, does not depend on the hash seed."""
    (tmp_path / "Snakefile").write_text(
        "rule all:\n"
        "    input: expand('out/{w}.txt', w=['b', 'a'])\n"
        "rule x:\n"
        "    output: 'in/x.txt'\n"
        "    shell: 'echo x > {output}'\n"
        "rule y:\n"
        "    output: 'in/y.txt'\n"
        "    shell: 'echo y > {output}'\n"
        "rule make:\n"
        "    input: lambda wc: 'in/x.txt' if wc.w == 'a' else 'in/y.txt'\n"
        "    output: report('out/{w}.txt', category='Tables')\n"
        "    shell: 'cat {input} > {output}'\n"
    )
    subprocess.run(
        [str(Path(sys.executable).with_name("snakemake")), "--cores", "1", "--quiet"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    call = (
        "from snakemake.report import rulegraph_spec as spec\n"
        "from councilsurvey.pipeline.bundling import snakemake_report as r\n"
        "original = spec.get_representatives\n"
        "r({}, {!r})\n"
        "assert spec.get_representatives is original\n"
    )
    targets = ["out/b.txt", "out/a.txt"]
    for seed in ("0", "1", "2", None):
        python("-c", call.format(targets, f"{seed}.html"), cwd=tmp_path, seed=seed)
    # as the bundle keeps it: runtimes, times and table order normalised
    reports = {
        b.normalise_report((tmp_path / f"{seed}.html").read_text(encoding="utf-8"))
        for seed in ("0", "1", "2", None)
    }
    assert len(reports) == 1
    report = reports.pop()
    assert "out/a.txt" in report
    graph = json.loads(re.search(r"var rulegraph_spec = (.*);", report).group(1))
    links = {
        (e["sourcerule"], e["targetrule"])
        for data in graph["data"]
        if data["name"].startswith("link-data")
        for e in data["values"]
    }
    assert ("x", "make") in links and ("y", "make") not in links


def test_report_reads_conda_environments_with_libyaml_as_pyyaml_does():
    import yaml

    from councilsurvey.pipeline.bundling import _libyaml_full_loader

    text = (LIBRARY.parent / "envs/councilsurvey.yaml").read_text(encoding="utf-8")
    original = yaml.Loader
    with _libyaml_full_loader():
        fast = yaml.load(text, Loader=yaml.Loader)  # noqa: S506  (what Snakemake calls)
    assert yaml.Loader is original
    assert fast == yaml.load(text, Loader=yaml.Loader) and fast["dependencies"]  # noqa: S506
