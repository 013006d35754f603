"""A quiet terminal for a Snakemake run: one line per finished job.

With the default profile's ``quiet: [rules, host]`` Snakemake still prints three lines
per job (a timestamp, ``Finished jobid: N (Rule: r)`` and ``K of M steps done``) and two
per scheduling round (``Select jobs to execute...``, ``Execute N jobs...``).
:func:`compact_progress` installs a filter on Snakemake's logger that folds them into
one line, ``[hh:mm:ss] K of M steps (P%) done: r``; errors, warnings and the logs of
failed jobs pass unchanged. Nothing here imports Snakemake: events are told apart by
name.
"""

from __future__ import annotations

import logging
import re
import time

#: scheduler chatter dropped from the terminal (and from Snakemake's log file)
_ROUNDS = re.compile(r"^(Select jobs to execute\.\.\.|Execute \d+ jobs\.\.\.)$")
_RULE = re.compile(r"\(Rule: ([^)]+)\)")


def _event(record: logging.LogRecord) -> str:
    event = getattr(record, "event", None)
    return str(getattr(event, "name", event or "")).upper()


class CompactProgress(logging.Filter):
    """Fold a finished job's lines into its progress line (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        event = _event(record)
        if event == "JOB_FINISHED":
            found = _RULE.search(str(record.msg))
            self.finished.append(found.group(1) if found else "")
            return False
        if event == "JOB_STARTED" or (
            not event and record.levelno == logging.INFO and _ROUNDS.match(str(record.msg))
        ):
            return False
        if event == "PROGRESS" and hasattr(record, "done"):
            done, total = int(record.done), int(record.total)
            rule = self.finished.pop(0) if self.finished else ""
            pct = f"{100 * done / total:.0f}%" if total else "100%"
            record.msg = f"[{time.strftime('%H:%M:%S')}] {done} of {total} steps ({pct}) done" + (
                f": {rule}" if rule else ""
            )
            record.args = ()
            record.event = None
        return True


def compact_progress(logger_name: str = "snakemake.logging") -> None:
    """Install :class:`CompactProgress` on Snakemake's logger (once per process)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, CompactProgress) for f in logger.filters):
        logger.addFilter(CompactProgress())
