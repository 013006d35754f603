"""A wave's fieldwork period as ``wave.yaml`` states it, and the dates derived from it.

A wave states its fieldwork in one of two forms (``workflow/schemas/wave.schema.yaml``):

``{start: YYYY-MM-DD, end: YYYY-MM-DD}``
    the exact first and last days of fieldwork (an optional ``note`` may say more);
``{end_before: YYYY-MM-DD, note: ...}``
    the exact dates were not published; all that is known is that fieldwork ended before
    ``end_before`` (for example the day the results were published), and ``note`` says so.

The schema checks the shape of either form; :func:`check_fieldwork` checks what a schema
cannot (real calendar dates, start not after end, not both forms at once).
"""

from __future__ import annotations

import datetime as dt

from councilsurvey.core.errors import InputError

#: keys of the two forms
EXACT = ("start", "end")
BOUND = ("end_before",)


def _date(fieldwork: dict, key: str, source) -> dt.date:
    value = str(fieldwork[key])
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(
            source, f"fieldwork {key} {value!r} is not a date ({exc})", column="fieldwork"
        ) from None


def check_fieldwork(fieldwork: dict, source) -> dict:
    """Check a schema-valid ``fieldwork`` mapping beyond what the schema can.

    Parameters
    ----------
    fieldwork : dict
        The ``fieldwork`` value of a ``wave.yaml`` that passed the wave schema.
    source : str or Path
        The ``wave.yaml`` it came from (named in the error).

    Returns
    -------
    dict
        ``fieldwork`` unchanged.

    Raises
    ------
    InputError
        One line naming ``source`` and column ``fieldwork``: both forms given at once, a
        date that is not a calendar date (e.g. 2017-02-30), or a start after the end.
    """
    exact = [k for k in EXACT if k in fieldwork]
    if exact and "end_before" in fieldwork:
        raise InputError(
            source,
            "fieldwork gives both exact dates (start, end) and end_before: give the exact "
            "dates if they are known, otherwise only end_before and a note",
            column="fieldwork",
        )
    dates = {k: _date(fieldwork, k, source) for k in (*EXACT, *BOUND) if k in fieldwork}
    if "start" in dates and dates["start"] > dates["end"]:
        raise InputError(
            source,
            f"fieldwork start {dates['start']} is after its end {dates['end']}",
            column="fieldwork",
        )
    return fieldwork


def successors_as_of(fieldwork: dict) -> str:
    """The last day a council's abolition counts as "before fieldwork", as an ISO date.

    A respondent naming a council abolished on or before this day is matched to its
    successor (:class:`councilsurvey.cleaning.matching.CouncilMatcher`, ``as_of``).

    Parameters
    ----------
    fieldwork : dict
        A checked ``fieldwork`` mapping (:func:`check_fieldwork`).

    Returns
    -------
    str
        ``start`` for exact dates. For ``end_before`` the day before it: the latest day
        fieldwork could have been running, so every council that may have been abolished
        before fieldwork counts (a council still in the wave's frame is never replaced by
        its successor, whatever the date).

    Examples
    --------
    >>> successors_as_of({"start": "2019-10-14", "end": "2019-12-06"})
    '2019-10-14'
    >>> successors_as_of({"end_before": "2017-04-20", "note": "not published"})
    '2017-04-19'
    """
    if "start" in fieldwork:
        return str(fieldwork["start"])
    end_before = dt.date.fromisoformat(str(fieldwork["end_before"]))
    return (end_before - dt.timedelta(days=1)).isoformat()
