"""Run a pipeline step from Snakemake or from the command line.

Scripts in ``workflow/scripts/`` are thin: they read the ``snakemake`` object (or, run by
hand, command-line arguments) and call the library through :func:`run_step`, which
logs to the rule's log file and turns an :class:`~councilsurvey.errors.InputError` into
one clear line on stderr and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import InputError


def setup_logging(log_file=None) -> None:
    """Log to stderr and, if given, to ``log_file``."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def run_step(func: Callable[[], None], log_file=None) -> None:
    """Call ``func``; on bad input print one line naming file, row and column, exit 1."""
    setup_logging(log_file)
    try:
        func()
    except InputError as exc:
        logging.getLogger("councilsurvey").error("%s", exc)
        sys.exit(1)


def script_main(stage: str, func: Callable[..., None], smk=None) -> None:
    """Entry point of a ``workflow/scripts`` script.

    Under Snakemake, ``func`` gets the rule's named inputs, outputs and params and the
    ``wave`` wildcard (those its signature names); run by hand
    (``python workflow/scripts/<stage>.py <wave>``) it gets the same paths from
    ``config.yaml`` through :func:`councilsurvey.config.wave_paths`.
    """
    if smk is not None:
        args = {
            **dict(smk.input.items()),
            **dict(smk.output.items()),
            **dict(smk.wildcards.items()),
            **dict(smk.params.items()),
        }
        log_file = smk.log[0]
    else:
        from .config import wave_paths

        args, log_file = wave_paths(sys.argv[1] if len(sys.argv) > 1 else "2017", stage)
    wanted = inspect.signature(func).parameters
    run_step(lambda: func(**{k: v for k, v in args.items() if k in wanted}), log_file)


def atomic_path(path) -> Path:
    """A temporary path beside ``path`` (same file system, so a rename is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.stem}.*{path.suffix}"):
        stale.unlink(missing_ok=True)  # left by a run that was killed while writing
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


#: a text cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) with an apostrophe (OWASP's CSV-injection advice).
    Numbers, including negative ones, are left alone."""
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
    tmp = atomic_path(path)
    neutralise_formulas(df).to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")
    tmp.replace(path)


def write_parquet(df: pd.DataFrame, path) -> None:
    """Write a parquet file deterministically and atomically."""
    tmp = atomic_path(path)
    df.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    tmp.replace(path)
