"""`make verify` shows progress and warns about a bundle made from a dirty tree (issue 19
item 9). The full re-execution is tested in test_pipeline.py; here a bundle and its
re-executed copy are real folders made on the spot."""

import json
import sys

import pytest

from councilsurvey.pipeline import verify as v
from councilsurvey.publish.bundle import write_manifest


def make_bundle(folder, dirty):
    folder.mkdir(parents=True)
    (folder / "claims.csv").write_text("claim_id,status\nn,PASS\n")
    (folder / "provenance.json").write_text(
        json.dumps({"raw_inputs": {}, "git": {"commit": "0123456789abcdef", "dirty": dirty}})
    )
    write_manifest(folder)
    return folder


@pytest.mark.parametrize("dirty", [True, False])
def test_verify_warns_when_the_bundle_came_from_a_dirty_tree(tmp_path, capsys, dirty):
    bundle = make_bundle(tmp_path / "repo/results/bundles/s-2017-v1", dirty)
    rerun = tmp_path / "rerun"
    make_bundle(rerun / "results/bundles/s-2017-v1", dirty)
    code = v.verify([bundle], tmp_path / "repo", rerun_root=rerun)
    out = capsys.readouterr().out
    assert code == 0 and out.rstrip().endswith("VERIFIED")
    assert (
        "WARNING: s-2017-v1 was made from a working tree with uncommitted changes" in out
    ) is dirty
    if dirty:
        assert "0123456789ab" in out


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
