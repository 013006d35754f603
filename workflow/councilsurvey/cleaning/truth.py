"""Council-matching accuracy against a synthetic wave's known truth.

A synthetic wave's generator knows, for every submission it wrote, which English council
the submitter sits on (if any), how the council's name was typed and what cleaning should
do with the submission. It writes this to ``truth.csv`` (named by ``truth:`` in the wave's
``wave.yaml``), with one row per respondent id of the export. An id the export repeats
(an exact duplicate) is listed either once, and that listing is the truth of every row
with the id, or as often as the export has it, and its k-th listing is the truth of its
k-th row. Columns:

``respondent_id``
    the export's respondent id, as text (the raw row number when the export has no id
    column, as the clean stage numbers such rows);
``council_code``
    frame code of the English council the submitter sits on and answers about; empty when
    there is none (a Welsh or Scottish council, an officer, a test, an invented council);
``noise``
    how the council's name was typed (exact, case, suffix, prefix, abbreviation, typo, ...);
``fate``
    the outcome the generator intended: ``respondent`` or a designed exclusion (duplicate,
    resubmission, partial, test, outside_england, unmatchable, blank_council, twin_hatted,
    officer, speeder, ...).

The accuracy is measured over the submissions that **reached the council-matching step**:
those not already excluded as tests, exact duplicates, partial responses, speeders or
superseded resubmissions (the earlier steps never look at the council's name). Each such
submission is in exactly one of four outcomes:

``right``
    matched to the council of its truth;
``wrong``
    matched to a council, but either to another council than its truth or while its truth
    has no English council (this must be 0: a wrong match puts a councillor's answers on
    the wrong council, which weighting cannot undo);
``excluded``
    its truth names an English council, but cleaning excluded it (officer, blank,
    ambiguous, unmatched, outside England): recall lost, never a wrong answer;
``correctly_rejected``
    its truth has no English council and cleaning did not match it to one.

Submissions excluded before the matching step are outcome ``not_reached``: they count in
the per-noise table but in none of the four.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from councilsurvey.core.errors import InputError

TRUTH_COLUMNS = ["respondent_id", "council_code", "noise", "fate"]
OUTCOMES = ["right", "wrong", "excluded", "correctly_rejected"]
NOT_REACHED = "not_reached"
#: columns of council_matching_accuracy.csv (counts only: no ids, no typed names)
ACCURACY_COLUMNS = ["noise", "fate", "result", "outcome", "rows"]


def load_truth(path, frame_codes) -> pd.DataFrame:
    """Read and check a wave's ``truth.csv``.

    Parameters
    ----------
    path : str or Path
    frame_codes : iterable of str
        Codes of the wave's council frame: every non-empty ``council_code`` must be one.

    Returns
    -------
    DataFrame
        The four columns as text (empty ``council_code`` is ``""``), with ``_truth_row``
        (the file's line number) and ``_occurrence`` (0 for an id's first listing, 1 for
        its second, ...).

    Raises
    ------
    InputError
        A missing column, an empty respondent id, or a council code that is not in the
        frame, naming the file, row and column.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the truth file: {exc}".splitlines()[0]) from None
    missing = [c for c in TRUTH_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)} (a truth file has columns "
            f"{', '.join(TRUTH_COLUMNS)})",
        )
    table = table[TRUTH_COLUMNS].apply(lambda s: s.str.strip())
    table["_truth_row"] = range(2, len(table) + 2)  # line 1 is the header
    blank = table["respondent_id"] == ""
    if blank.any():
        row = int(table.loc[blank, "_truth_row"].iloc[0])
        raise InputError(path, "respondent_id is empty", row=row, column="respondent_id")
    table["_occurrence"] = table.groupby("respondent_id").cumcount()
    codes = set(frame_codes)
    unknown = (table["council_code"] != "") & ~table["council_code"].isin(codes)
    if unknown.any():
        first = table[unknown].iloc[0]
        raise InputError(
            path,
            f"council_code {first['council_code']!r} is not a council of the wave's frame "
            "(leave it empty for a submitter with no English council)",
            row=int(first["_truth_row"]),
            column="council_code",
        )
    return table


def join_truth(truth: pd.DataFrame, ids: pd.Series, rows: pd.Series, truth_path, export_path):
    """The truth of every export row, in the export's order.

    Parameters
    ----------
    truth : DataFrame
        From :func:`load_truth`.
    ids : Series
        Each export row's raw respondent id (text).
    rows : Series
        Each export row's spreadsheet row number (for the error message).

    Returns
    -------
    DataFrame
        ``council_code``, ``noise``, ``fate`` of every export row, on ``ids``'s index: the
        k-th export row with an id takes the id's k-th truth listing (its only listing
        when the truth lists it once).

    Raises
    ------
    InputError
        A truth listing with no export row (an id not in the export, or listed more often
        than the export has it), naming the truth file's row; or an export row with no
        truth listing, naming the export's row.
    """
    export = pd.DataFrame({"respondent_id": ids.astype(str).to_numpy(), "_row": rows.to_numpy()})
    export["_occurrence"] = export.groupby("respondent_id").cumcount()
    # an id listed once stands for every row with the id
    listed = truth["respondent_id"].value_counts()
    once = export["respondent_id"].map(listed).eq(1).to_numpy()
    export.loc[once, "_occurrence"] = 0
    export_keys = export.drop_duplicates(["respondent_id", "_occurrence"])
    joined = export_keys.merge(
        truth, on=["respondent_id", "_occurrence"], how="outer", indicator=True, sort=False
    )
    extra = joined[joined["_merge"] == "right_only"]
    if len(extra):
        first = extra.sort_values("_truth_row").iloc[0]
        rid = first["respondent_id"]
        times = int((export["respondent_id"] == rid).sum())
        why = (
            f"is not in the export {Path(export_path).name}"
            if times == 0
            else f"is listed more often than the export {Path(export_path).name} has it "
            f"({times} row(s))"
        )
        raise InputError(
            truth_path,
            f"respondent_id {rid!r} {why}",
            row=int(first["_truth_row"]),
            column="respondent_id",
        )
    missing = joined[joined["_merge"] == "left_only"]
    if len(missing):
        first = missing.sort_values("_row").iloc[0]
        raise InputError(
            export_path,
            f"respondent id {first['respondent_id']!r} is not listed in the truth file "
            f"{Path(truth_path).name}"
            + (" (as often as the export has it)" if first["_occurrence"] else ""),
            row=int(first["_row"]),
        )
    both = joined.set_index(["respondent_id", "_occurrence"])
    key = pd.MultiIndex.from_frame(export[["respondent_id", "_occurrence"]])
    out = both.loc[key, ["council_code", "noise", "fate"]]
    out.index = ids.index
    return out


def outcomes(true_code: pd.Series, matched_code: pd.Series, reached: pd.Series) -> pd.Series:
    """Each submission's outcome (see the module's description).

    Parameters
    ----------
    true_code : Series
        The truth's council code ("" for none).
    matched_code : Series
        The code cleaning kept the submission under (missing when excluded).
    reached : Series of bool
        Whether the submission reached the council-matching step.
    """
    truth = true_code.fillna("").astype(str)
    matched = matched_code.notna()
    got = matched_code.astype("string").fillna("")
    out = pd.Series(NOT_REACHED, index=true_code.index, dtype=object)
    has = truth != ""
    out[reached & matched & has & (got == truth)] = "right"
    out[reached & matched & (~has | (got != truth))] = "wrong"
    out[reached & ~matched & has] = "excluded"
    out[reached & ~matched & ~has] = "correctly_rejected"
    return out


def accuracy_rows(outcome: pd.Series) -> list[tuple[str, int]]:
    """The cleaning summary's rows: submissions that reached matching, and each outcome."""
    counts = outcome.value_counts()
    rows = [("match_submissions", int((outcome != NOT_REACHED).sum()))]
    rows += [(f"match_{o}", int(counts.get(o, 0))) for o in OUTCOMES]
    return rows


def accuracy_table(truth: pd.DataFrame, result: pd.Series, outcome: pd.Series) -> pd.DataFrame:
    """Counts of submissions by noise kind, intended fate, actual result (``respondent`` or
    the exclusion reason) and outcome: no ids, no typed names."""
    table = pd.DataFrame(
        {
            "noise": truth["noise"].to_numpy(),
            "fate": truth["fate"].to_numpy(),
            "result": result.to_numpy(),
            "outcome": outcome.to_numpy(),
        }
    )
    counts = table.groupby(ACCURACY_COLUMNS[:-1], dropna=False).size().rename("rows")
    return (
        counts.reset_index()
        .sort_values(ACCURACY_COLUMNS[:-1], kind="stable")
        .reset_index(drop=True)
    )


def empty_accuracy_table() -> pd.DataFrame:
    """The table of a wave without truth: its columns, no rows."""
    return pd.DataFrame(columns=ACCURACY_COLUMNS)
