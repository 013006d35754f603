"""Atomic, deterministic writers: a killed run never leaves a half-written file at a final
path, and the same table always gives the same bytes. CSV text that a spreadsheet would
run as a formula is neutralised.

A temporary file is named ``.<stem>.<host>-<pid>-<random><suffix>`` beside its final path:
the process that writes it is in its name, so a later writer removes it only once that
process has ended (a temporary of a live run, even another run's, is never touched).
"""

from __future__ import annotations

import errno
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from councilsurvey.core.faults import error_code

if TYPE_CHECKING:  # pandas loads where a table is written, not in every job that logs
    import pandas as pd


def _owner_tag() -> str:
    """``<host>-<pid>`` of this process (no dots or dashes from the host name)."""
    host = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname().split(".")[0]) or "host"
    return f"{host}-{os.getpid()}"


def _alive(pid: int) -> bool:
    """True if process ``pid`` exists on this machine (signal 0 checks, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def stale_temporaries(path) -> list[Path]:
    """Temporaries of ``path`` left by writers that have ended (killed, or out of space).

    Parameters
    ----------
    path : str or Path
        A final path.

    Returns
    -------
    list of Path
        Files ``.<stem>.<host>-<pid>-<random><suffix>`` beside ``path`` whose writer ran on
        this machine and is no longer alive. Temporaries of live processes, and of
        processes on other machines (a cluster's shared file system), are left alone.
    """
    path = Path(path)
    host = _owner_tag().rsplit("-", 1)[0]
    pattern = re.compile(
        rf"\.{re.escape(path.stem)}\.(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[^.]+"
        rf"{re.escape(path.suffix)}"
    )
    stale = []
    if not path.parent.is_dir():
        return stale
    for cand in path.parent.glob(f".{path.stem}.*{path.suffix}"):
        m = pattern.fullmatch(cand.name)
        if m and m["host"] == host and not _alive(int(m["pid"])):
            stale.append(cand)
    return stale


def atomic_path(path) -> Path:
    """A temporary path beside ``path`` (same file system, so a rename is atomic), named
    after this process; temporaries of ``path`` left by ended writers are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporaries(path):
        stale.unlink(missing_ok=True)  # left by a run that was killed while writing
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.stem}.{_owner_tag()}-", suffix=path.suffix, dir=path.parent
        )
    except OSError as exc:  # name the file the user knows, not the temporary
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


def with_path(exc: OSError, path) -> OSError:
    """``exc`` with ``path`` as its file name if it names none (a failed ``write`` or
    ``close`` of a full disk does not say which file it was writing)."""
    if getattr(exc, "filename", None):
        return exc
    code = error_code(exc)  # pyarrow and others put "[errno 28]" in the text only
    if code is None:
        return exc
    return OSError(code, os.strerror(code) if code in errno.errorcode else str(exc), str(path))


@contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Write to a temporary beside ``path`` and rename it into place on success.

    On any failure (a full disk, an interrupt) the temporary is removed and nothing is
    left at ``path``; an ``OSError`` that names no file is re-raised naming ``path``.

    Parameters
    ----------
    path : str or Path
        The final path.

    Yields
    ------
    Path
        The temporary path to write.
    """
    path = Path(path)
    tmp = atomic_path(path)
    try:
        yield tmp
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise with_path(exc, path) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: a text cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) with an apostrophe (OWASP's CSV-injection advice).
    Numbers, including negative ones, are left alone."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (
            pd.api.types.is_object_dtype(s.dtype)
            or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        values = s.astype(object)
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
        if risky.any():
            out[col] = values.where(~risky, "'" + values.astype(str))
    return out


def write_csv(df: pd.DataFrame, path) -> None:
    """Write a CSV deterministically (``\\n`` line ends, fixed float format), atomically,
    with formula-like text neutralised (see :func:`neutralise_formulas`)."""
    with atomic_write(path) as tmp:
        neutralise_formulas(df).to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")


def write_parquet(df: pd.DataFrame, path) -> None:
    """Write a parquet file deterministically and atomically."""
    with atomic_write(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def write_text(text: str, path) -> None:
    """Write UTF-8 text (``\\n`` line ends as given) atomically."""
    with atomic_write(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
