"""The default segmentation rule of the report.

Enthusiasts agree (4 or 5) with all three benefit items; sceptics disagree (1 or 2)
with at least two of them; everyone else with at least two benefit items answered is in
the middle; respondents with fewer than two answered are unclassified.
"""

from __future__ import annotations

import pandas as pd

SEGMENTS = ["enthusiast", "middle", "sceptic", "unclassified"]


def classify(
    data: pd.DataFrame,
    benefit_items: list[str],
    agree_codes=(4, 5),
    disagree_codes=(1, 2),
    min_disagree: int = 2,
    min_answered: int = 2,
    min_agree: int | None = None,
) -> pd.Series:
    """Assign every respondent to a segment.

    Parameters
    ----------
    data : DataFrame
        Cleaned responses with the benefit items as nullable integer columns.
    benefit_items : list of str
        The items that define the segments.
    agree_codes, disagree_codes : sequence of int
        Codes that count as agreeing / disagreeing.
    min_disagree : int
        Disagreements that make a sceptic.
    min_answered : int
        Answered benefit items needed to be classified at all.
    min_agree : int, optional
        Agreements that make an enthusiast; default all of ``benefit_items`` (the
        report's rule). Enthusiasm wins when both thresholds are met.

    Returns
    -------
    Series
        Categorical with categories :data:`SEGMENTS`, indexed like ``data``.
    """
    items = data[benefit_items]
    answered = items.notna().sum(axis=1)
    agree = items.isin(list(agree_codes)).sum(axis=1)
    disagree = items.isin(list(disagree_codes)).sum(axis=1)
    seg = pd.Series("middle", index=data.index, dtype=object)
    seg[disagree >= min_disagree] = "sceptic"
    need = len(benefit_items) if min_agree is None else int(min_agree)
    seg[agree >= need] = "enthusiast"
    seg[answered < min_answered] = "unclassified"
    return pd.Series(pd.Categorical(seg, categories=SEGMENTS), index=data.index, name="segment")


def read_segmented(weighted, segments, column="segment") -> pd.DataFrame:
    """The weighted responses of a wave with one column of its segments file joined on.

    Parameters
    ----------
    weighted : str or Path
        ``weighted.parquet`` of the wave: one row per respondent, with ``respondent_id``.
    segments : str or Path
        ``segments.parquet`` of the wave: ``respondent_id`` and the segment columns
        (``segment_rule``, ``segment_latent``, ``segment``).
    column : str or list of str
        The segment column (or columns) to join.

    Returns
    -------
    DataFrame
        ``weighted`` in its own row order with ``column`` added: a left join on
        ``respondent_id``, so a respondent missing from ``segments`` gets a missing
        segment.

    Raises
    ------
    pandas.errors.MergeError
        If a respondent id occurs twice in either file (the join must be one to one).
    """
    data = pd.read_parquet(weighted)
    columns = [column] if isinstance(column, str) else list(column)
    seg = pd.read_parquet(segments)[["respondent_id", *columns]]
    return data.merge(seg, on="respondent_id", how="left", validate="one_to_one")
