"""Tidy test tables: the one layout of every table of statistical tests, and the Holm
adjustment of their p-values.

A tidy test table (:func:`tidy`) is a DataFrame with exactly the columns of
:data:`TEST_COLUMNS`, in this order:

``test``
    Name of the test (e.g. ``"Pearson chi-square"``, ``"Rao-Scott F"``).
``variables``
    What was tested: ``"segment x party_group"`` for an association,
    ``"att_cyber: enthusiast vs sceptic"`` for a pairwise comparison,
    ``"enthusiast ~ party_group[Labour]"`` for a regression term.
``statistic``
    The test statistic (chi-square, F, H, U, z or t).
``df``
    Degrees of freedom. A float when the test has one (``NaN`` when its reference
    distribution has none, e.g. a Wald z or Mann-Whitney U); a string ``"df1, df2"``
    (each rounded to two decimals) for an F test with two (Rao-Scott). A column holding
    both kinds has object dtype.
``p``
    Unadjusted p-value.
``p_adjusted``
    Holm-adjusted p-value within the family stated in each function's docstring
    (``NaN`` for rows outside every family, e.g. regression intercepts).
``effect_size``, ``effect_measure``
    The effect size and what it is (Cramér's V, epsilon-squared, rank-biserial
    correlation, odds ratio).
``n``
    Respondents in the test.
``weighted``
    True for design-based (survey-weighted) tests, False for unweighted ones.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

#: columns of every tidy test table, in order
TEST_COLUMNS = [
    "test",
    "variables",
    "statistic",
    "df",
    "p",
    "p_adjusted",
    "effect_size",
    "effect_measure",
    "n",
    "weighted",
]


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels' ``multipletests(method="holm")``): the
    ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1``, made
    non-decreasing and capped at 1. ``NaN`` entries stay ``NaN`` and are left out of the
    family (``m`` counts the others).

    statsmodels runs a full ``gc.collect()`` inside its Holm branch, which costs about
    0.15 s in a process that has imported matplotlib and scipy: the objects alive at the
    call are frozen first (:func:`gc.freeze`), so the collection only walks what the
    call made, and unfrozen afterwards (unless the caller had frozen objects itself, whose
    freeze is left alone). The p-values are the same either way."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            out[ok] = multipletests(p[ok], method="holm")[1]
        finally:
            if freeze:
                gc.unfreeze()
    return out


def holm_within(table: pd.DataFrame, family: str, among: pd.Series | None = None) -> pd.DataFrame:
    """Fill a tidy test table's ``p_adjusted`` by Holm's method within families.

    A family is the rows sharing a value of the column ``family`` (e.g. ``weighted``:
    the unweighted tests form one family, the weighted another); each family's p-values
    are adjusted together with :func:`holm`, independently of the other families.

    Parameters
    ----------
    table : DataFrame
        Tidy test table (:func:`tidy`); changed in place and returned.
    family : str
        Column whose values define the families.
    among : Series of bool, optional
        Rows that take part (default: all); the others, e.g. a model's intercept, keep
        their ``p_adjusted`` (NaN in a fresh table) and do not count in any family.

    Returns
    -------
    DataFrame
        ``table``, with ``p_adjusted`` filled.
    """
    if among is None:
        among = pd.Series(True, index=table.index)
    for value in table[family].unique():
        mask = (table[family] == value) & among
        table.loc[mask, "p_adjusted"] = holm(table.loc[mask, "p"])
    return table


def tidy(rows: list[dict]) -> pd.DataFrame:
    """A tidy test table with :data:`TEST_COLUMNS` (empty rows give an empty table)."""
    out = pd.DataFrame(rows, columns=TEST_COLUMNS)
    for col in ["statistic", "p", "p_adjusted", "effect_size"]:
        out[col] = out[col].astype(float)
    out["n"] = out["n"].astype(int)
    out["weighted"] = out["weighted"].astype(bool)
    if all(isinstance(v, (float, int, np.floating, np.integer)) for v in out["df"]):
        out["df"] = out["df"].astype(float)
    else:
        out["df"] = out["df"].astype(object)
    return out.reset_index(drop=True)
