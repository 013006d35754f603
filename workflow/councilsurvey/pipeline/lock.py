"""One run per folder: an operating-system lock held for the whole run.

The Snakefile's ``onstart`` handler (in Snakemake's main process, after the DAG is built
and before the first job starts) and ``make verify`` call :func:`hold`, which takes an
exclusive ``fcntl.flock`` on ``.snakemake/councilsurvey.lock`` and keeps it until the
process ends. A second run in the same folder is refused at once with one line naming
the process that holds the folder (pid, command) and since when.

The kernel releases an ``flock`` when its holder ends, however it ends (SIGKILL, a power
cut ends every holder), so a killed run never leaves a lock behind: unlike Snakemake's
own directory lock (turned off in ``profiles/default``), this lock cannot go stale.
The descriptor is not inherited by the jobs (Python opens files close-on-exec), so an
orphaned job cannot keep a folder locked either.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import sys
import time
from datetime import datetime
from pathlib import Path

from councilsurvey.core.faults import describe

#: the lock file, relative to the folder a run works in
LOCK_FILE = Path(".snakemake") / "councilsurvey.lock"

#: open lock files of this process, by resolved path (held until the process ends)
_HELD: dict[str, int] = {}


class FolderBusy(RuntimeError):
    """Another live process holds the folder's lock.

    Parameters
    ----------
    message : str
        One line: the folder, the holder's pid and command, and since when.
    """


def _command() -> str:
    """This process's command line, shortened to the program's name and arguments."""
    argv = list(sys.argv) or ["?"]
    argv[0] = Path(argv[0]).name
    text = shlex.join(argv)
    return text if len(text) <= 120 else text[:117] + "..."


def holder(path) -> str:
    """What the holder of the lock file ``path`` wrote: ``pid <n> (<command>), since
    <time>``, or that it is not known (the holder has not written it yet)."""
    for _ in range(20):  # the holder writes its line right after taking the lock
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text:
            return text
        time.sleep(0.05)
    return "a process that has not said which (pid unknown)"


def hold(folder=".", what: str | None = None) -> Path:
    """Take the folder's run lock for the rest of this process's life.

    Parameters
    ----------
    folder : str or Path
        The folder a run works in (the lock file is ``<folder>/.snakemake/councilsurvey.lock``).
    what : str, optional
        How this process describes itself in the lock file (default: its command line).

    Returns
    -------
    Path
        The lock file.

    Raises
    ------
    FolderBusy
        If another live process holds the lock: one line naming it.
    """
    path = (Path(folder) / LOCK_FILE).resolve()
    if str(path) in _HELD:  # this process holds it already
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FolderBusy(
            f"{Path(folder).resolve()} is in use by another run: {holder(path)}; "
            "wait for it to finish (or stop it), then rerun"
        ) from None
    _HELD[str(path)] = fd
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    line = f"pid {os.getpid()} ({what or _command()}), since {since}\n"
    try:  # on a full disk the lock still holds; only its description is lost
        os.ftruncate(fd, 0)
        os.pwrite(fd, line.encode(), 0)
    except OSError:
        pass
    return path


def release(folder=".") -> None:
    """Give the folder's lock up before this process ends (tests; ``make verify``)."""
    path = (Path(folder) / LOCK_FILE).resolve()
    fd = _HELD.pop(str(path), None)
    if fd is not None:
        os.close(fd)  # closing the only descriptor releases the flock


#: the folders a run writes to, checked before its first job (see :func:`check_writable`)
OUTPUT_FOLDERS = ("results", "data/processed", "logs", "benchmarks")


def check_writable(folder=".", subfolders=OUTPUT_FOLDERS) -> None:
    """Create and remove a file in each output folder of a run.

    Snakemake creates a job's output folders and removes its old outputs before the job
    starts, and a read-only ``results/`` (or a folder the user may not write to) then
    stops it with a traceback; checked first, it gives one line instead.

    Raises
    ------
    OSError
        Naming the folder that cannot be written (see
        :func:`councilsurvey.core.faults.describe`).
    """
    import tempfile

    for sub in subfolders:
        path = Path(folder) / sub
        try:
            path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".writable.", dir=path)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def onstart(workflow) -> None:
    """The Snakefile's ``onstart`` handler: lock the working folder, or stop the run with
    one line (exit 1) if another run holds it or an output folder cannot be written.

    Only Snakemake's main process locks: a job that Snakemake runs in a subprocess or on
    a cluster node (``--mode subprocess``/``remote``) parses the Snakefile again but is
    part of the run that holds the lock.
    """
    if not workflow.is_main_process:
        return
    try:
        hold(".")
    except FolderBusy as exc:
        print(f"Refused: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    try:
        check_writable(".")
    except OSError as exc:
        print(f"Refused: {describe(exc)}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
