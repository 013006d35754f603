"""Atomic, deterministic writers: a killed run never leaves a half-written file at a final
path, and the same table always gives the same bytes. CSV text that a spreadsheet would
run as a formula is neutralised."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


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
