"""A quiet terminal (issue 19 item 5): one line per finished job, library INFO only in the
job's log file, the default profile's settings."""

import logging
import subprocess
import sys
from pathlib import Path

import yaml
from snakemake_interface_logger_plugins.common import LogEvent

from councilsurvey.pipeline.terminal import CompactProgress

ROOT = Path(__file__).resolve().parents[1]


def record(msg, **extra):
    rec = logging.LogRecord("snakemake.logging", logging.INFO, __file__, 1, msg, (), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_finished_job_is_one_progress_line_naming_its_rule():
    f = CompactProgress()
    assert not f.filter(record("Select jobs to execute..."))
    assert not f.filter(record("Execute 2 jobs...", event=LogEvent.JOB_STARTED, jobs=[1, 2]))
    assert not f.filter(
        record("Finished jobid: 7 (Rule: weight)", event=LogEvent.JOB_FINISHED, job_id=7)
    )
    progress = record(None, event=LogEvent.PROGRESS, done=3, total=83)
    assert f.filter(progress)
    assert progress.event is None
    assert progress.getMessage().endswith("3 of 83 steps (4%) done: weight")
    warning = record("MissingOutputException", event=None)
    warning.levelno = logging.ERROR
    assert f.filter(warning)  # errors pass


def test_library_info_goes_to_the_log_file_only(tmp_path):
    log_file = tmp_path / "job.log"
    code = (
        "import logging, warnings\n"
        "from councilsurvey.pipeline.runner import setup_logging\n"
        f"setup_logging({str(log_file)!r})\n"
        "logging.getLogger('svy.core.warnings').info('[WEIGHT_ADJ_AUDIT] raked')\n"
        "logging.getLogger('councilsurvey.x').info('stage detail')\n"
        "logging.getLogger('councilsurvey.x').warning('a councilsurvey warning')\n"
        "warnings.warn('kernel running over TCP without encryption')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "WEIGHT_ADJ_AUDIT" not in proc.stderr
    assert "stage detail" not in proc.stderr
    assert "TCP" not in proc.stderr
    assert "a councilsurvey warning" in proc.stderr
    text = log_file.read_text(encoding="utf-8")
    for line in ("WEIGHT_ADJ_AUDIT", "stage detail", "a councilsurvey warning", "TCP"):
        assert line in text


def test_the_default_profile_is_quiet_and_shows_failed_logs():
    profile = yaml.safe_load((ROOT / "profiles/default/config.yaml").read_text())
    assert "rules" in profile["quiet"]
    assert profile["show-failed-logs"] is True
    assert "compact_progress()" in (ROOT / "workflow/rules/common.smk").read_text()
