"""Multi-select, numeric and date questions: from export texts to typed columns.

A multi-select question ("tick all that apply", or "choose up to N" with the codebook's
``max_choices``) has one export column per option (see
:func:`councilsurvey.inputs.codebook.option_targets`) and becomes one nullable boolean
column per option, ``<id>__<option id>`` (e.g. ``digital_champion__cabinet_member``).

Numbers and dates
    A numeric answer is a number ("1,250" with thousands separators is 1250; "3,5" is
    refused rather than guessed); a date is read with the variable's ``date_format``.
Ticks
    A cell is ticked when it holds the option's text (SurveyMonkey, Qualtrics label
    exports) or 1 (Qualtrics numeric exports, SPSS), or reads yes / selected / checked /
    true; it is not ticked when blank, 0, no / not selected / unchecked / false. Any other
    text stops the run with one line naming file, row and column.
Skipped
    A respondent who ticked no option at all skipped the question: every option column
    is missing (NA), never False. An export cannot tell "none of these applies" from "did
    not answer" unless the questionnaire offers a "none" option; when the codebook
    declares one (``none: true``), ticking it is the answer "none" (False elsewhere), and
    ticking nothing is still a skip. This keeps a question's base the respondents who
    answered it, as a published percentage of a tick-all question is.
Over the limit
    In a "choose up to N" question a respondent who ticked more than N options did not
    follow the instruction, and which N they would have chosen is unknown: the answer is
    set to missing in every option column and the clean stage logs the row, the question
    and the count (:func:`check_choices`). Ticking "none" with another option is
    contradictory and treated alike. Nothing is kept silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook, option_targets
from councilsurvey.inputs.columns import ROW, RawExport, norm_text

TICKED = frozenset({"1", "yes", "selected", "checked", "true"})
UNTICKED = frozenset({"0", "no", "not selected", "unchecked", "false"})


def option_columns(var: dict) -> list[str]:
    """The cleaned columns of a variable: one per option of a multi-select question."""
    return [target for target, _ in option_targets(var)]


def _cell_error(raw: RawExport, data, index, column, message) -> InputError:
    return InputError(raw.path, message, row=int(data.at[index, ROW]), column=raw.headers[column])


def recode_other(raw: RawExport, codebook: Codebook, out: pd.DataFrame) -> pd.DataFrame:
    """Recode ``out`` (the export's texts) in place for the multi-select, numeric and date
    variables of ``codebook`` and return it.

    Raises
    ------
    InputError
        For a cell that is no tick, number or date, naming file, row and column.
    """
    for var in codebook.variables:
        if var["kind"] == "multi_select":
            _recode_multi(raw, var, out)
        elif var["kind"] == "numeric":
            values = out[var["id"]]
            # thousands separators ("1,250") only: "3,5" (a decimal comma) is refused
            grouped = values.str.fullmatch(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?").fillna(False)
            plain = values.where(~grouped, values.str.replace(",", "", regex=False))
            parsed = pd.to_numeric(plain, errors="coerce")
            _refuse(raw, out, var["id"], values.notna() & parsed.isna(), "a number")
            out[var["id"]] = pd.array(parsed, dtype="Float64")
        elif var["kind"] == "date":
            fmt = var.get("date_format", codebook.date_format)
            values = out[var["id"]]
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
            _refuse(raw, out, var["id"], values.notna() & parsed.isna(), f"a date ({fmt!r})")
            out[var["id"]] = parsed.astype("datetime64[ns]")
    return out


def _refuse(raw, out, column, bad: pd.Series, what: str) -> None:
    if bad.any():
        i = bad[bad].index[0]
        raise _cell_error(raw, out, i, column, f"answer {out.at[i, column]!r} is not {what}")


def _recode_multi(raw: RawExport, var: dict, out: pd.DataFrame) -> None:
    targets = option_targets(var)
    ticks = {}
    for target, loc in targets:
        texts = out[target]
        # each distinct text is normalised once (a million rows hold a handful of them);
        # an option nobody ticked is read as an all-null column: every code is -1
        codes, uniques = pd.factorize(texts)
        keys = [norm_text(u) for u in uniques]
        tick = TICKED | {norm_text(loc["subheader"])}
        given = codes >= 0
        ticked = np.zeros(len(texts), dtype=bool)
        known = np.zeros(len(texts), dtype=bool)
        if keys:
            ticked[given] = np.array([k in tick for k in keys])[codes[given]]
            known[given] = np.array([k in tick or k in UNTICKED for k in keys])[codes[given]]
        bad = given & ~known
        if bad.any():
            i = texts.index[np.flatnonzero(bad)[0]]
            message = (
                f"answer {texts[i]!r} is not a tick of option {loc['subheader']!r} of "
                f"{var['id']!r} (expected the option's text or 1 when ticked; blank or 0 when not)"
            )
            raise _cell_error(raw, out, i, target, message)
        ticks[target] = ticked
    any_ticked = np.logical_or.reduce(list(ticks.values()))
    for target, ticked in ticks.items():
        out[target] = pd.array(np.where(any_ticked, ticked, None), dtype="boolean")


def answered(raw: RawExport, data: pd.DataFrame, codebook: Codebook) -> tuple[pd.Series, int]:
    """How many closed questions (every kind but free text) each row answered, and how
    many there are: a multi-select question counts once, answered when an option was
    ticked; another question when its cell is not blank (Don't know counts)."""
    count = pd.Series(0, index=data.index)
    closed = [v for v in codebook.variables if v["kind"] != "free_text"]
    for var in closed:
        if var["kind"] == "multi_select":
            count += data[option_columns(var)[0]].notna().to_numpy(dtype=int)
        else:
            count += raw.data[var["id"]].notna().to_numpy(dtype=int)
    return count, len(closed)


def check_choices(kept: pd.DataFrame, codebook: Codebook) -> list[pd.DataFrame]:
    """Set to missing, in place, every multi-select answer of ``kept`` with more than the
    question's ``max_choices`` options ticked, or its "none" option with another one; one
    cleaning-log entry (action ``set_missing``) per such row and question.

    Returns
    -------
    list of DataFrame
        The log entries (raw_row, action, reason, detail); empty if there are none.
    """
    entries = []
    for var in codebook.variables:
        if var["kind"] != "multi_select":
            continue
        cols = option_columns(var)
        n = kept[cols].fillna(False).astype(bool).sum(axis=1)
        limit = var.get("max_choices")
        over = n > limit if limit else pd.Series(False, index=kept.index)
        nones = [c for c, opt in zip(cols, var["options"], strict=True) if opt.get("none")]
        both = (n > 1) & kept[nones].fillna(False).astype(bool).any(axis=1)
        for mask, reason, detail in (
            (over, "over_max_choices", f"options ticked, at most {limit} allowed"),
            (both & ~over, "none_with_other", "options ticked, one of them 'none'"),
        ):
            if mask.any():
                entries.append(
                    pd.DataFrame(
                        {
                            "raw_row": kept.loc[mask, ROW].astype(int).to_numpy(),
                            "action": "set_missing",
                            "reason": reason,
                            "detail": [f"{var['id']}: {k} {detail}" for k in n[mask]],
                        }
                    )
                )
                kept.loc[mask, cols] = pd.NA
    return entries
