"""One line for an operating-system fault: which path, what went wrong, what to do.

A full disk, a folder the run may not write to or a read-only file system stops a job
with a traceback from whichever library was writing (pandas, pyarrow, matplotlib,
papermill); :func:`describe` turns the ``OSError`` into a line a user can act on.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

#: what to do, by errno; ``{fs}`` is the mount point holding the path
ADVICE = {
    errno.ENOSPC: "no space left on the file system {fs}; free space there and rerun: "
    "completed outputs are kept",
    errno.EDQUOT: "disk quota exceeded on {fs}; free space (or raise the quota) and rerun: "
    "completed outputs are kept",
    errno.EACCES: "permission denied; make {folder} writable for this user and rerun: "
    "completed outputs are kept",
    errno.EPERM: "operation not permitted; make {folder} writable for this user and rerun: "
    "completed outputs are kept",
    errno.EROFS: "read-only file system {fs}; run from a writable copy (or remount {fs} "
    "read-write) and rerun: completed outputs are kept",
}

#: errors that only writing meets: of a two-path error, the second path is the one at fault
WRITING = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def mount_point(path) -> str:
    """The mount point of the file system that holds ``path`` (or would hold it): the
    longest mount point above it in ``/proc/self/mounts`` (which, unlike
    ``os.path.ismount``, sees bind mounts), else the nearest device boundary."""
    p = Path(os.path.realpath(path))
    try:
        text = Path("/proc/self/mounts").read_text(encoding="utf-8")
    except OSError:
        text = ""
    points = [Path(line.split()[1].replace("\\040", " ")) for line in text.splitlines() if line]
    above = [m for m in points if m == p or m in p.parents]
    if above:
        return str(max(above, key=lambda m: len(m.parts)))
    while not p.exists() and p != p.parent:
        p = p.parent
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return str(p)


def error_code(exc: OSError) -> int | None:
    """``exc.errno``, or the ``[Errno N]`` its text names (pyarrow, papermill)."""
    if exc.errno is not None:
        return exc.errno
    m = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
    return int(m.group(1)) if m else None


def describe(exc: OSError) -> str:
    """One line: the path, the cause and what to do.

    Parameters
    ----------
    exc : OSError
        The error, ideally naming its file (``exc.filename``; of the two paths of a
        copy or a rename, the second for an error that only writing meets).

    Returns
    -------
    str
        e.g. ``results/2017/tables/headlines.csv: no space left on the file system /work;
        free space there and rerun: completed outputs are kept``.
    """
    code = error_code(exc)
    path = exc.filename or exc.filename2
    if code in WRITING and exc.filename2:
        # a copy or a rename names both ends (``shutil.copyfile``: the source, then the
        # destination); only the end being written can be full or read-only
        path = exc.filename2
    where = str(path) if path else "(file not named)"
    cause = os.strerror(code) if code is not None else (exc.strerror or str(exc))
    advice = ADVICE.get(code)
    if advice is None:
        return f"{where}: {cause}; fix the cause and rerun: completed outputs are kept"
    target = Path(path) if path else Path(".")
    folder = target.parent if target.name else target
    return f"{where}: " + advice.format(fs=mount_point(target), folder=folder or ".")
