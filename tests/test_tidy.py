"""Tidy test tables: the Holm adjustment against its definition and against the
implementation it replaced (pingouin), and the table's layout."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from statsmodels.stats.multitest import multipletests

from councilsurvey.analysis import tidy


def test_holm_by_its_definition():
    """The i-th smallest of m p-values times m - i + 1, made non-decreasing, capped at 1;
    missing values are outside the family (m = 4 here)."""
    got = tidy.holm([0.01, 0.04, np.nan, 0.03, 0.2])
    # sorted: 0.01 * 4 = 0.04; 0.03 * 3 = 0.09; 0.04 * 2 = 0.08 -> 0.09; 0.2 * 1 = 0.2
    np.testing.assert_allclose(got, [0.04, 0.09, np.nan, 0.09, 0.2], rtol=1e-15)
    np.testing.assert_array_equal(tidy.holm([0.6, 0.7]), [1.0, 1.0])  # 1.2 capped at 1
    assert np.isnan(tidy.holm([np.nan, np.nan])).all()
    assert tidy.holm([]).shape == (0,)


def test_holm_is_what_pingouin_gave_to_the_last_bit():
    """The adjustment used to be pingouin's multicomp: statsmodels gives the same floats."""
    rng = np.random.default_rng(2017)
    for size in (1, 2, 5, 12, 40):
        p = rng.uniform(0, 0.2, size) ** 2
        p[::3] = p[0]  # ties
        if size > 2:
            p[1] = np.nan
        ok = ~np.isnan(p)
        old = np.full(size, np.nan)
        old[ok] = pg.multicomp(p[ok], method="holm")[1]
        np.testing.assert_array_equal(tidy.holm(p), old)
        np.testing.assert_array_equal(tidy.holm(p)[ok], multipletests(p[ok], method="holm")[1])


def test_holm_leaves_the_garbage_collector_as_it_found_it():
    """The freeze around statsmodels' gc.collect() is undone, and a caller's own freeze
    is kept."""
    import gc

    assert gc.get_freeze_count() == 0
    tidy.holm([0.01, 0.2])
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        np.testing.assert_allclose(tidy.holm([0.01, 0.2]), [0.02, 0.2], rtol=1e-15)
        assert gc.get_freeze_count() > 0  # an unfreeze would have emptied it
    finally:
        gc.unfreeze()


def test_tidy_table_types():
    rows = [
        {"test": "t", "variables": "a", "statistic": 1, "df": 2, "p": 0.5, "n": 3},
        {"test": "t", "variables": "b", "statistic": 2, "df": "1.00, 2.00", "p": 0.1, "n": 4},
    ]
    for r in rows:
        r.update(p_adjusted=np.nan, effect_size=0.1, effect_measure="m", weighted=True)
    out = tidy.tidy(rows)
    assert list(out.columns) == tidy.TEST_COLUMNS
    assert out["df"].dtype == object and out["n"].dtype == int
    assert tidy.tidy(rows[:1])["df"].dtype == float
    assert tidy.tidy([]).columns.tolist() == tidy.TEST_COLUMNS
    pd.testing.assert_series_equal(out["weighted"], pd.Series([True, True], name="weighted"))


@pytest.mark.parametrize("p", [[0.5], [0.0, 1.0]])
def test_holm_keeps_the_bounds(p):
    assert np.all((tidy.holm(p) >= p) & (tidy.holm(p) <= 1))
