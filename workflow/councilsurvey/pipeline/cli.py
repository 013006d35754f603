"""The ``councilsurvey`` console command (also ``python -m councilsurvey``).

Subcommands
-----------
``codebook draft EXPORT [--format F] [--qsf FILE] [--encoding E] -o CODEBOOK``
    Draft a commented codebook from an export (:mod:`councilsurvey.inputs.draft`).
``read EXPORT --codebook CODEBOOK [--format F] [--encoding E] [--json]``
    Validate and read an export through a codebook without running the pipeline: rows,
    variables, answer counts per variable (ticks per option of a multi-select question),
    warnings. Bad input: exit 1 and one line
    naming file, row and column.
``verify ...``
    Re-execute the pipeline and check the bundles (:mod:`councilsurvey.pipeline.verify`).
``diff A B ...``
    Compare two bundles' tables (:mod:`councilsurvey.publish.diff`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from councilsurvey.core.errors import InputError

FORMATS = ("surveymonkey", "qualtrics", "spss", "xlsx")


def read_summary(export, codebook, format=None, encoding=None) -> dict:
    """Read ``export`` through ``codebook`` as ``validate_raw`` does (schema, columns,
    spreadsheet damage, dates, answers) and summarise it.

    Returns
    -------
    dict
        ``file``, ``rows``, ``variables`` (id, kind, column, answered, missing and
        ``counts``: answer text -> rows), ``warnings``.
    """
    from councilsurvey.cleaning.clean import recode
    from councilsurvey.inputs.codebook import load_codebook
    from councilsurvey.inputs.damage import check_damage
    from councilsurvey.inputs.export import read_export

    cb = load_codebook(codebook)
    raw = read_export(export, cb, format=format or cb.format, encoding=encoding)
    check_damage(raw, cb)
    coded = recode(raw, cb)
    warnings = list(raw.warnings)
    if "respondent_id" not in raw.data:
        warnings.append(
            f"{export}: no respondent ID column: the clean stage numbers the rows "
            "(and says so in the cleaning log)"
        )
    variables = []
    for var in cb.variables:
        if var["kind"] == "multi_select":
            variables.append(_multi_summary(var, raw, coded))
            continue
        values = raw.data[var["id"]]
        counts = values.value_counts(sort=False)
        entry = {
            "id": var["id"],
            "kind": var["kind"],
            "column": raw.headers[var["id"]],
            "answered": int(values.notna().sum()),
            "missing": int(values.isna().sum()),
        }
        if var["kind"] != "free_text":
            entry["counts"] = {str(k): int(n) for k, n in counts.items()}
        variables.append(entry)
    return {
        "file": str(export),
        "rows": len(raw.data),
        "metadata": [m["role"] for m in cb.metadata if m["role"] in raw.data],
        "variables": variables,
        "warnings": warnings,
    }


def _multi_summary(var, raw, coded) -> dict:
    """A multi-select question: respondents who ticked an option (answered), who ticked
    none (missing: skipped), and ``counts``: option text -> rows that ticked it."""
    from councilsurvey.inputs.codebook import option_targets

    targets = option_targets(var)
    first = coded[targets[0][0]]
    return {
        "id": var["id"],
        "kind": var["kind"],
        "column": raw.headers[targets[0][0]],
        "answered": int(first.notna().sum()),
        "missing": int(first.isna().sum()),
        "counts": {loc["subheader"]: int(coded[t].fillna(False).sum()) for t, loc in targets},
    }


def _print_summary(summary: dict) -> None:
    print(f"{summary['file']}: {summary['rows']} rows, {len(summary['variables'])} variables")
    for var in summary["variables"]:
        print(
            f"  {var['id']} ({var['kind']}, {var['column'][:50]!r}): "
            f"{var['answered']} answered, {var['missing']} missing"
        )
        for text, n in var.get("counts", {}).items():
            print(f"      {n:6d}  {text}")
    for w in summary["warnings"]:
        print(f"warning: {w}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="councilsurvey",
        description="Draft codebooks, read exports, verify and compare results bundles.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cb = sub.add_parser("codebook", help="codebook tools").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    draft = cb.add_parser("draft", help="draft a codebook from an export")
    draft.add_argument("export", metavar="EXPORT", type=Path)
    draft.add_argument("--format", choices=FORMATS)
    draft.add_argument("--qsf", type=Path, help="the Qualtrics survey file (.qsf)")
    draft.add_argument("--encoding", help="of a CSV export: utf-8 or cp1252")
    draft.add_argument("--wave", help="wave id (default: the export's folder name)")
    draft.add_argument("-o", "--output", type=Path, required=True, metavar="CODEBOOK")
    read = sub.add_parser("read", help="validate and read an export through its codebook")
    read.add_argument("export", metavar="EXPORT", type=Path)
    read.add_argument("--codebook", type=Path, required=True)
    read.add_argument("--format", choices=FORMATS)
    read.add_argument("--encoding", help="of a CSV export: utf-8 or cp1252")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("verify", help="re-execute the pipeline and check the bundles", add_help=False)
    sub.add_parser("diff", help="compare two bundles' tables cell by cell", add_help=False)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "verify":
        from councilsurvey.pipeline.verify import main as verify_main

        return verify_main(argv[1:], prog="councilsurvey verify")
    if argv and argv[0] == "diff":
        from councilsurvey.publish.diff import main as diff_main

        return diff_main(argv[1:], prog="councilsurvey diff")
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "codebook":
            from councilsurvey.core.writers import write_text
            from councilsurvey.inputs.draft import draft_codebook

            text = draft_codebook(args.export, args.format, args.qsf, args.encoding, wave=args.wave)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            write_text(text, args.output)
            checks = text.count("# CHECK:")
            print(f"wrote {args.output}: review its {checks} CHECK line(s)")
            return 0
        summary = read_summary(args.export, args.codebook, args.format, args.encoding)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    else:
        _print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
