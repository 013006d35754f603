"""`make verify` shows progress and checks, before re-executing anything, that this
checkout's code is the code the bundle was made with (issues 19 and 20: a bundle records
its code by checksum, not by git commit). The full re-execution is tested in
test_pipeline.py; here a bundle and its re-executed copy are real folders made on the
spot, in a repository holding real code files."""

import json
import shutil
import sys

import pytest

from councilsurvey.core.fingerprint import code_digest
from councilsurvey.pipeline import verify as v
from councilsurvey.publish.bundle import write_manifest

from .conftest import ROOT


def make_repo(root):
    """A repository with the project's own Snakefile and one rule file."""
    (root / "workflow/rules").mkdir(parents=True)
    shutil.copy2(ROOT / "Snakefile", root / "Snakefile")
    shutil.copy2(ROOT / "workflow/rules/bundle.smk", root / "workflow/rules/bundle.smk")
    return root


def make_bundle(folder, code):
    folder.mkdir(parents=True)
    (folder / "claims.csv").write_text("claim_id,status\nn,PASS\n")
    (folder / "provenance.json").write_text(json.dumps({"raw_inputs": {}, "code": {"files": code}}))
    write_manifest(folder)
    return folder


def test_verify_passes_when_the_code_is_the_bundle_s(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    bundle = make_bundle(repo / "results/bundles/s-2017-v1", code_digest(repo))
    rerun = tmp_path / "rerun"
    make_bundle(rerun / "results/bundles/s-2017-v1", code_digest(repo))
    code = v.verify([bundle], repo, rerun_root=rerun)
    out = capsys.readouterr().out
    assert code == 0 and out.rstrip().endswith("VERIFIED"), out


@pytest.mark.parametrize("change", ["edited", "deleted", "added"])
def test_verify_stops_at_once_when_the_code_differs(tmp_path, capsys, change):
    repo = make_repo(tmp_path / "repo")
    bundle = make_bundle(repo / "results/bundles/s-2017-v1", code_digest(repo))
    rule = repo / "workflow/rules/bundle.smk"
    if change == "edited":
        rule.write_text(rule.read_text() + "\n# a comment\n")
    elif change == "deleted":
        rule.unlink()
    else:
        (repo / "workflow/rules/extra.smk").write_text("# new\n")
    code = v.verify([bundle], repo, rerun_root=tmp_path / "never-used")
    out = capsys.readouterr().out
    assert code == 1
    words = {"edited": "differs from the one", "deleted": "is missing", "added": "is new"}
    name = "extra.smk" if change == "added" else "bundle.smk"
    assert f"FAIL: code file workflow/rules/{name} {words[change]}" in out, out
    assert "is not the code the bundle was made with" in out
    assert "Re-executing" not in out


def test_progress_lines_are_shown_as_they_come(tmp_path, capsys):
    code = (
        "import sys\n"
        "print('Building DAG of jobs...', file=sys.stderr)\n"
        "print('[10:00:00] 1 of 2 steps (50%) done: clean', file=sys.stderr)\n"
        "print('[10:00:01] 2 of 2 steps (100%) done: weight')\n"
        "sys.exit(3)\n"
    )
    returncode, output = v.run_with_progress([sys.executable, "-c", code], tmp_path)
    shown = capsys.readouterr().out.splitlines()
    assert returncode == 3
    assert shown == [
        "  [10:00:00] 1 of 2 steps (50%) done: clean",
        "  [10:00:01] 2 of 2 steps (100%) done: weight",
    ]
    assert "Building DAG of jobs" in output
