"""Errors raised for bad input, always naming the file and, where they apply, row and column."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A problem with an input file that the user must fix.

    Parameters
    ----------
    path : str or Path
        The offending file.
    message : str
        What is wrong, in one line.
    row : int, optional
        Row number as a spreadsheet shows it (1-based, header rows included).
    column : str, optional
        Column header (or variable id) concerned.
    """

    def __init__(self, path, message: str, row: int | None = None, column: str | None = None):
        self.path = Path(path)
        self.row = row
        self.column = column
        self.reason = message
        where = [str(self.path)]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class DesignError(ValueError):
    """A survey design that cannot give valid estimates: missing, zero or negative
    weights, missing cluster ids, a stratum with one PSU under ``lonely_psu: fail``.

    Parameters
    ----------
    message : str
        What is wrong, in one line, naming the column and the first offending row.
    """
