"""Compare two results bundles table by table, cell by cell (like ``dvc metrics diff``).

``make diff A=<bundle> B=<bundle>`` (or ``python -m councilsurvey.publish.diff A B``) reads every
CSV file present in both bundles (``tables/*.csv``, ``claims.csv``, ``data_dictionary.csv``),
aligns their rows and lists each cell that differs: numeric cells with the absolute and
relative change, text cells with the old and new text. Rows, columns and files present in
only one bundle are listed, and so are other files whose SHA-256 differs (taken from
``MANIFEST.sha256`` when both bundles record the file, computed otherwise; a manifest is
trusted as written, so check a doubtful bundle with ``make verify``). Claims get a
section of their own: claims whose status changed (e.g. PASS -> FAIL) and claims whose
reproduced value changed.

Row alignment (the key rule)
----------------------------
The key of a table is a prefix of its *leading non-numeric columns*: the columns, in file
order, before the first column whose non-blank values all parse as numbers in both bundles
(columns present in only one bundle are ignored). The key is the shortest such prefix whose
values are unique in A and unique in B, e.g. ``segment``; ``indicator, category``;
``test, variables``; ``margin, category``; ``claim_id``; ``metric``;
``rule_segment, latent_class``. If no prefix is unique (or the table starts with a numeric
column) rows are aligned by position and the key reads ``row 1``, ``row 2``, ...

Cells are compared as numbers when both parse as numbers (equal when
``abs(b - a) <= tol``, default 1e-12, NaN equals NaN) and as text otherwise (a blank cell
becoming a number is a text change); a CSV file that does not parse is compared by
checksum like any other file. Printed numbers have at most 6 significant digits;
``--csv`` writes the long table of changes with the exact cell texts.

The exit status is 0 whenever the comparison ran, whatever it found, and 2 for bad
arguments (e.g. a bundle folder that does not exist).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from councilsurvey.publish.bundle import MANIFEST, files_of, read_manifest, sha256

DEFAULT_TOL = 1e-12
KEY_SEP = " | "
#: columns of the long table of changes
COLUMNS = ["file", "key", "column", "kind", "a", "b", "abs_change", "rel_change_pct"]
#: widest a printed cell may be before it is cut short with an ellipsis
MAX_WIDTH = 48

#: kinds of change, as they appear in the ``kind`` column
NUMERIC, TEXT, UNCHANGED = "numeric", "text", "unchanged"
ROW_ONLY_A, ROW_ONLY_B = "row only in A", "row only in B"
COL_ONLY_A, COL_ONLY_B = "column only in A", "column only in B"
FILE_ONLY_A, FILE_ONLY_B, FILE_CHANGED = "file only in A", "file only in B", "changed"


def _number(text: str) -> float | None:
    """``text`` as a float, or None when it is blank or not a number."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _is_numeric_column(*columns: pd.Series) -> bool:
    """True when every non-blank value of every series parses as a number."""
    for col in columns:
        for value in col:
            if value.strip() and _number(value) is None:
                return False
    return True


def key_columns(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """The key of two versions of a table (see the module docstring); [] means position."""
    common = [c for c in a.columns if c in b.columns]
    leading = []
    for col in common:
        if _is_numeric_column(a[col], b[col]):
            break
        leading.append(col)
    for k in range(1, len(leading) + 1):
        cols = leading[:k]
        if not a.duplicated(cols).any() and not b.duplicated(cols).any():
            return cols
    return []


def _keys(table: pd.DataFrame, cols: list[str]) -> list[str]:
    if not cols:
        return [f"row {i + 1}" for i in range(len(table))]
    return [KEY_SEP.join(row) for row in table[cols].itertuples(index=False, name=None)]


def _read(path: Path) -> pd.DataFrame:
    # every cell as its exact text, blanks as "", so nothing is lost to parsing
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _read_pair(a: Path, b: Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Both versions of a CSV file, or None when either does not parse as a table."""
    try:
        return _read(a), _read(b)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return None


def compare_cells(a: str, b: str, tol: float = DEFAULT_TOL) -> dict | None:
    """The change from cell text ``a`` to ``b``, or None when they are equal."""
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        if (math.isnan(x) and math.isnan(y)) or x == y or abs(y - x) <= tol:
            return None
        change = y - x
        rel = change / abs(x) * 100 if x != 0 and math.isfinite(x) else math.nan
        return {"kind": NUMERIC, "abs_change": change, "rel_change_pct": rel}
    if a == b:
        return None
    return {"kind": TEXT, "abs_change": math.nan, "rel_change_pct": math.nan}


def diff_tables(
    a: pd.DataFrame,
    b: pd.DataFrame,
    name: str,
    tol: float = DEFAULT_TOL,
    include_unchanged: bool = False,
) -> tuple[list[str], list[dict]]:
    """Key columns and the changes (rows of the long table) between two versions of a table."""
    cols = key_columns(a, b)
    ka, kb = _keys(a, cols), _keys(b, cols)
    pos_b = {k: i for i, k in enumerate(kb)}
    set_a = set(ka)
    out = []

    def row(key, column, kind, va="", vb="", change=math.nan, rel=math.nan):
        out.append(
            {
                "file": name,
                "key": key,
                "column": column,
                "kind": kind,
                "a": va,
                "b": vb,
                "abs_change": change,
                "rel_change_pct": rel,
            }
        )

    out_cols = [c for c in a.columns if c not in b.columns]
    in_cols = [c for c in b.columns if c not in a.columns]
    for c in out_cols:
        row("", c, COL_ONLY_A)
    for c in in_cols:
        row("", c, COL_ONLY_B)
    common = [c for c in a.columns if c in b.columns and c not in cols]
    for i, key in enumerate(ka):
        j = pos_b.get(key)
        if j is None:
            row(key, "", ROW_ONLY_A)
            continue
        for c in common:
            va, vb = a.iat[i, a.columns.get_loc(c)], b.iat[j, b.columns.get_loc(c)]
            change = compare_cells(va, vb, tol)
            if change is not None:
                row(key, c, change["kind"], va, vb, change["abs_change"], change["rel_change_pct"])
            elif include_unchanged:
                row(key, c, UNCHANGED, va, vb)
    for key in kb:
        if key not in set_a:
            row(key, "", ROW_ONLY_B)
    return cols, out


def _digests(folder: Path) -> dict[str, str]:
    manifest = folder / MANIFEST
    return read_manifest(manifest) if manifest.is_file() else {}


def diff_claims(a: pd.DataFrame, b: pd.DataFrame, tol: float = DEFAULT_TOL) -> pd.DataFrame:
    """Claims (in both versions) whose status or reproduced value changed."""
    cols = ["claim_id", "status_a", "status_b", "reproduced_a", "reproduced_b"]
    cols += ["status_changed", "reproduced_changed", "abs_change", "rel_change_pct"]
    need = {"claim_id", "status", "reproduced"}
    if not need <= set(a.columns) or not need <= set(b.columns):
        return pd.DataFrame(columns=cols)
    a, b = a.drop_duplicates("claim_id"), b.drop_duplicates("claim_id")
    merged = a.merge(b, on="claim_id", suffixes=("_a", "_b"))
    rows = []
    for r in merged.itertuples(index=False):
        status = r.status_a != r.status_b
        change = compare_cells(r.reproduced_a, r.reproduced_b, tol)
        if status or change is not None:
            rows.append(
                {
                    "claim_id": r.claim_id,
                    "status_a": r.status_a,
                    "status_b": r.status_b,
                    "reproduced_a": r.reproduced_a,
                    "reproduced_b": r.reproduced_b,
                    "status_changed": status,
                    "reproduced_changed": change is not None,
                    "abs_change": change["abs_change"] if change else math.nan,
                    "rel_change_pct": change["rel_change_pct"] if change else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def diff_bundles(a, b, tol: float = DEFAULT_TOL, include_unchanged: bool = False) -> dict:
    """Compare two bundle folders.

    Returns
    -------
    dict
        ``changes``: long table (DataFrame, columns ``COLUMNS``) of every change: cells
        (kind ``numeric``/``text``), rows and columns only in A or B, files only in A or B
        and other files that changed (``key`` and ``column`` blank), in file order;
        ``tables``: CSV file -> key columns ([] = by row position) of every table compared;
        ``claims``: DataFrame of claims whose status or reproduced value changed;
        ``summary``: counts (``tables``, ``cells_changed``, ``claims_status_changed``,
        ``claims_reproduced_changed``, ``rows_only_a``, ``rows_only_b``, ``files_only_a``,
        ``files_only_b``, ``files_changed``).
    """
    a, b = Path(a), Path(b)
    fa = [f for f in files_of(a) if f != MANIFEST]
    fb = [f for f in files_of(b) if f != MANIFEST]
    da, db = _digests(a), _digests(b)
    changes: list[dict] = []
    tables: dict[str, list[str]] = {}
    claims = diff_claims(pd.DataFrame(), pd.DataFrame())

    def blank(name, kind):
        return dict.fromkeys(COLUMNS, "") | {
            "file": name,
            "kind": kind,
            "abs_change": math.nan,
            "rel_change_pct": math.nan,
        }

    set_b = set(fb)
    for name in sorted(set(fa) | set_b):
        if name not in set_b:
            changes.append(blank(name, FILE_ONLY_A))
        elif name not in fa:
            changes.append(blank(name, FILE_ONLY_B))
        elif name.endswith(".csv") and (pair := _read_pair(a / name, b / name)) is not None:
            ta, tb = pair
            tables[name], rows = diff_tables(ta, tb, name, tol, include_unchanged)
            changes += rows
            if name == "claims.csv":
                claims = diff_claims(ta, tb, tol)
        else:  # not a CSV, or a CSV that does not parse: compare checksums
            ha = da[name] if name in da and name in db else sha256(a / name)
            hb = db[name] if name in da and name in db else sha256(b / name)
            if ha != hb:
                changes.append(blank(name, FILE_CHANGED))
    frame = pd.DataFrame(changes, columns=COLUMNS)
    kinds = frame["kind"].value_counts()
    summary = {
        "tables": len(tables),
        "cells_changed": int(kinds.get(NUMERIC, 0) + kinds.get(TEXT, 0)),
        "claims_status_changed": int(claims["status_changed"].sum()),
        "claims_reproduced_changed": int(claims["reproduced_changed"].sum()),
        "rows_only_a": int(kinds.get(ROW_ONLY_A, 0)),
        "rows_only_b": int(kinds.get(ROW_ONLY_B, 0)),
        "files_only_a": int(kinds.get(FILE_ONLY_A, 0)),
        "files_only_b": int(kinds.get(FILE_ONLY_B, 0)),
        "files_changed": int(kinds.get(FILE_CHANGED, 0)),
    }
    return {"changes": frame, "tables": tables, "claims": claims, "summary": summary}


# ---------------------------------------------------------------------------- printing


def fmt_number(x: float, sign: bool = False) -> str:
    """At most 6 significant digits; blank for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:+.6g}" if sign else f"{x:.6g}"


def _cell(text: str, numeric: bool) -> str:
    if numeric:
        return fmt_number(_number(text))
    return "(blank)" if text == "" else text


def _cut(text: str, width: int = MAX_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """Fixed-width text table; columns in ``right`` are right-aligned."""
    rows = [[_cut(str(c)) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells):
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_report(result: dict, a, b) -> str:
    """The printed report: one table per file with changes, claims, files, summary."""
    frame, tables, claims, s = (
        result["changes"],
        result["tables"],
        result["claims"],
        result["summary"],
    )
    out = [f"A: {a}", f"B: {b}", ""]
    header = ["key", "column", "A", "B", "change", "change %"]
    for name, key in tables.items():
        sub = frame[frame["file"] == name]
        if sub.empty:
            continue
        out.append(f"{name}  (key: {', '.join(key) if key else 'row position'})")
        rows = []
        for r in sub.itertuples(index=False):
            if r.kind in (ROW_ONLY_A, ROW_ONLY_B):
                rows.append([r.key, f"({r.kind})", "", "", "", ""])
            elif r.kind in (COL_ONLY_A, COL_ONLY_B):
                rows.append(["", f"{r.column} ({r.kind})", "", "", "", ""])
            else:
                num = r.kind == NUMERIC or (
                    r.kind == UNCHANGED and None not in (_number(r.a), _number(r.b))
                )
                change = fmt_number(r.abs_change, sign=True) if r.kind == NUMERIC else r.kind
                rel = fmt_number(r.rel_change_pct, sign=True)
                rows.append(
                    [r.key, r.column, _cell(r.a, num), _cell(r.b, num), change, rel and rel + "%"]
                )
        out += _table(header, rows, right={2, 3, 4, 5})
        out.append("")
    if not claims.empty:
        out.append("claims  (status or reproduced value changed)")
        rows = [
            [
                r.claim_id,
                r.status_a,
                r.status_b,
                _cell(r.reproduced_a, _number(r.reproduced_a) is not None),
                _cell(r.reproduced_b, _number(r.reproduced_b) is not None),
                fmt_number(r.abs_change, sign=True),
            ]
            for r in claims.itertuples(index=False)
        ]
        out += _table(
            ["claim_id", "status A", "status B", "reproduced A", "reproduced B", "change"],
            rows,
            right={3, 4, 5},
        )
        out.append("")
    files = frame[frame["kind"].isin([FILE_ONLY_A, FILE_ONLY_B, FILE_CHANGED])]
    if not files.empty:
        out.append("files")
        out += _table(["file", "change"], files[["file", "kind"]].values.tolist())
        out.append("")
    out.append(
        f"Summary: {_plural(s['tables'], 'table')} compared, "
        f"{_plural(s['cells_changed'], 'cell')} changed, "
        f"{_plural(s['claims_status_changed'], 'claim')} changed status, "
        f"{_plural(s['claims_reproduced_changed'], 'claim')} changed reproduced value; "
        f"rows only in A/B: {s['rows_only_a']}/{s['rows_only_b']}; "
        f"files only in A/B: {s['files_only_a']}/{s['files_only_b']}; "
        f"other files changed: {s['files_changed']}"
    )
    return "\n".join(out)


def main(argv=None, prog: str = "python -m councilsurvey.publish.diff") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Compare two results bundles' tables cell by cell (exit 0 whatever differs).",
    )
    parser.add_argument("a", metavar="A", help="old bundle folder")
    parser.add_argument("b", metavar="B", help="new bundle folder")
    parser.add_argument(
        "--tol",
        type=float,
        default=DEFAULT_TOL,
        help=f"absolute tolerance below which numbers count as equal (default {DEFAULT_TOL:g})",
    )
    parser.add_argument("--csv", metavar="PATH", help="also write the long table of changes")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--only-changed",
        dest="all",
        action="store_false",
        default=False,
        help="list changed cells only (default)",
    )
    mode.add_argument("--all", dest="all", action="store_true", help="list unchanged cells too")
    args = parser.parse_args(argv)
    if not math.isfinite(args.tol) or args.tol < 0:
        print(f"{parser.prog}: error: --tol must be a number >= 0, not {args.tol}", file=sys.stderr)
        return 2
    for folder in (args.a, args.b):
        if not Path(folder).is_dir():
            what = "is not a folder" if Path(folder).exists() else "does not exist"
            print(f"{parser.prog}: error: bundle folder {folder} {what}", file=sys.stderr)
            return 2
    result = diff_bundles(args.a, args.b, args.tol, include_unchanged=args.all)
    print(format_report(result, args.a, args.b))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        result["changes"].to_csv(args.csv, index=False)
        print(f"wrote {len(result['changes'])} rows to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
