"""Raking on the table of cells (``survey/cells.py``) against svy and pandas.

The weight stage rakes the cells' total weights, not the respondents. These tests hold
it to independent references on the bundled waves' own raking frames (2017 and 2019, as
the weight stage collapses them): svy's public raking of the same cells and svy's raking
of every respondent (converged, stopped by the iteration limit, and trimmed); pandas'
factorising and compensated sums by group, which the cells' faster versions must equal
bit for bit; and :meth:`Cells.meets`, which decides convergence from the cell totals,
against summing every respondent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from councilsurvey.survey.cells import Cells, factorize
from councilsurvey.survey.design import CALIBRATION_PREFIX, CALIBRATION_WEIGHT
from councilsurvey.survey.weighting import MARGIN_COLUMN, rake, rake_respondents, weight

from .test_weighting import svy_rake_cells

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wave_2019(wcfg):
    """The bundled 2019 wave (SPSS export), cleaned with a fixed key, and its frame."""
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.cleaning.matching import CouncilMatcher
    from councilsurvey.inputs.codebook import load_codebook
    from councilsurvey.inputs.export import read_export
    from councilsurvey.inputs.fieldwork import successors_as_of
    from councilsurvey.inputs.frame import load_frame, load_outside_england
    from councilsurvey.pipeline.paths import load_config

    cfg = load_config(ROOT / "config.yaml")
    raw_dir = ROOT / "data" / "raw" / "2019"
    codebook = load_codebook(raw_dir / "codebook.yaml")
    raw = read_export(raw_dir / "export.sav", codebook, format="spss")
    frame_cfg = cfg["frames"][2019]
    frame = load_frame(ROOT / frame_cfg["path"], int(frame_cfg["n_councils"]))
    matcher = CouncilMatcher(
        frame,
        load_outside_england(ROOT / cfg["outside_england"]),
        threshold=cfg["cleaning"]["fuzzy_threshold"],
        margin=cfg["cleaning"]["ambiguity_margin"],
        successors=pd.read_csv(ROOT / cfg["successors"], dtype=str),
        as_of=successors_as_of({"start": "2019-10-14", "end": "2019-12-06"}),
    )
    responses = clean(raw, codebook, frame, matcher, b"w", "2019").responses
    return responses, frame


def raking_frame(result):
    """The frame a weighting result was raked on: each respondent's (collapsed) category
    on every margin, the weights the raking started from, and the margins' totals."""
    cols = [c for c in result.data if c.startswith(CALIBRATION_PREFIX) and c != CALIBRATION_WEIGHT]
    work = pd.DataFrame(
        {c[len(CALIBRATION_PREFIX) :]: result.data[c].astype(str) for c in cols}
    ).assign(code=result.data["code"].astype(str), w=result.data["base_weight"].to_numpy())
    controls = {}
    for margin, rows in result.margins.groupby("margin", sort=False):
        totals = dict(zip(rows["category"], rows["population_seats"].astype(float), strict=True))
        controls[MARGIN_COLUMN.get(margin, margin)] = totals
    return work, controls


@pytest.fixture(scope="module", params=["2017", "2019"])
def wave(request, responses, frame, wcfg):
    """(raking frame, controls) of a bundled wave, as the weight stage rakes it."""
    if request.param == "2017":
        return raking_frame(weight(responses, frame, wcfg))
    responses_2019, frame_2019 = request.getfixturevalue("wave_2019")
    return raking_frame(weight(responses_2019, frame_2019, wcfg))


@pytest.mark.parametrize("max_iter", [3, 10_000])
def test_cells_raked_as_svy_rakes_them(wave, wcfg, max_iter):
    """The numpy sweep and the sweep the weight stage runs give svy's public raking of the
    same cells bit for bit, stopped by the iteration limit (3 sweeps) or converged."""
    work, controls = wave
    tol = float(wcfg["tolerance"])
    cells = Cells(work, controls)
    start = cells.totals(work["w"].to_numpy())
    theirs = svy_rake_cells(cells, start, tol, max_iter)
    assert np.array_equal(cells.count_sweeps(start, tol, max_iter)[0], theirs)
    assert np.array_equal(cells.sweeps(start, tol, max_iter), theirs)
    assert (cells.cell_error(theirs) <= tol) == (max_iter == 10_000)


@pytest.mark.parametrize("trim", [None, 3.0])
@pytest.mark.parametrize("max_iter", [3, 10_000])
def test_weights_equal_svy_raking_every_respondent(wave, wcfg, trim, max_iter):
    """Respondents' weights from the cells equal svy's raking of every respondent to
    1e-12, converged or not, and both report the same convergence. Trimmed, to ten times
    the tolerance: every raking in the trim-and-rake cycle stops once the margins are
    within the tolerance, a point that rounding (cells or respondents) moves by up to
    about the tolerance, and the next trimming starts from there. 2019's margins cannot
    meet a 3x cap (the largest weight stays near 6x the median), so all 100 cycles run:
    1.4e-12 apart (as before the cells' sums were made faster; 2017, whose cap holds: 3e-13)."""
    work, controls = wave
    tol = float(wcfg["tolerance"])
    ours, ok = rake(work, "w", controls, tol, max_iter, trim_cap=trim)
    theirs = rake_respondents(work, "w", controls, tol, max_iter, trim_cap=trim)
    assert float(np.max(np.abs(ours / theirs - 1))) < (1e-12 if trim is None else 10 * tol)
    assert ok == (Cells(work, controls).error(theirs) <= tol)
    assert ok == (max_iter == 10_000)
    if trim is not None:  # trimming changed the weights
        assert not np.allclose(ours, rake(work, "w", controls, tol, max_iter)[0])


def mixed_strings():
    """Strings whose sorted order is not their order of appearance: capitals, accents,
    a prefix of another, digits, an empty string."""
    values = ["b", "B", "é", "e", "ab", "a", "", "Z", "10", "9", "ä", "b"]
    return [values[i] for i in np.random.default_rng(3).integers(0, len(values), 500)]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: pd.Series(mixed_strings(), dtype="str"), id="arrow-strings"),
        pytest.param(
            lambda: pd.Series(
                pd.arrays.ArrowStringArray(
                    pa.chunked_array([mixed_strings()[:200], mixed_strings()[200:]])
                )
            ),
            id="arrow-chunks",
        ),
        pytest.param(lambda: pd.Series(mixed_strings(), dtype=object), id="object"),
        pytest.param(
            lambda: pd.Series(
                pd.Categorical(mixed_strings(), categories=sorted(set(mixed_strings()))[::-1])
            ),
            id="categorical-reversed",
        ),
        pytest.param(lambda: pd.Series(["b", None, "a", "b"], dtype="str"), id="missing"),
        pytest.param(lambda: pd.Series([3, 1, 2, 3]), id="integers"),
        pytest.param(lambda: pd.Series([], dtype="str"), id="empty"),
    ],
)
def test_factorize_equals_pandas(make):
    """Codes and levels as ``pd.factorize(sort=True)`` gives them (a categorical's levels
    sorted, not in its categories' order)."""
    values = make()
    codes, levels = factorize(values)
    plain = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    want_codes, want_levels = pd.factorize(plain, sort=True)
    assert np.array_equal(codes, want_codes)
    assert list(levels) == list(want_levels)


def test_factorize_equals_pandas_on_the_raking_frames(wave):
    work, controls = wave
    for col in [*controls, "code"]:
        codes, levels = factorize(work[col])
        want_codes, want_levels = pd.factorize(work[col], sort=True)
        assert np.array_equal(codes, want_codes) and list(levels) == list(want_levels)


def test_sums_equal_pandas_sums_by_respondent(wave, wcfg):
    """The cells' totals and the margin error are pandas' compensated sums grouped by the
    respondents' cell and category codes, to the last bit."""
    work, controls = wave
    cells = Cells(work, controls)
    w = rake(work, "w", controls, float(wcfg["tolerance"]), 7)[0]
    s = pd.Series(w)
    assert np.array_equal(cells.totals(w), s.groupby(cells.cell).sum().to_numpy())
    err = 0.0
    for col, pop in controls.items():
        got = s.groupby(work[col].to_numpy()).sum()
        err = max(err, *(abs(got.get(cat, 0.0) - target) / target for cat, target in pop.items()))
    assert cells.error(w) == err


@pytest.mark.parametrize("max_iter", [1, 3, 40, 10_000])
@pytest.mark.parametrize("trim", [None, 3.0])
def test_meets_answers_as_summing_every_respondent(wave, wcfg, max_iter, trim):
    """``meets`` (from the raked cell totals) says what ``error(w) <= tol`` says, for
    tolerances around the weights' error on either side; and the two errors are as close
    as the rounding bound it relies on says."""
    work, controls = wave
    tol = float(wcfg["tolerance"])
    cells = Cells(work, controls)
    w0 = work["w"].to_numpy()
    if trim is None:
        w, raked = cells.raked(w0, tol, max_iter)
    else:
        w, _, raked = cells.trim_rake(w0, trim, tol, max_iter, 100)
    exact, from_cells = cells.error(w), cells._exact_cell_error(raked)
    unit = np.finfo(float).eps / 2
    bound = (8 * unit + len(w) * unit**2) * (1 + from_cells) ** 2 + 4 * unit * from_cells
    assert abs(exact - from_cells) <= bound
    for t in [
        tol,
        0.0,
        exact,
        np.nextafter(exact, 0),
        np.nextafter(exact, 1),
        from_cells,
        exact * (1 - 1e-12),
        exact * (1 + 1e-12),
        exact * (1 - 1e-9),
        exact * (1 + 1e-9),
        exact * 2,
        exact / 2,
    ]:
        assert cells.meets(w, t, raked) == (exact <= t)
        assert cells.meets(w, t) == (exact <= t)


def test_a_respondent_without_a_category_is_refused():
    """A missing category is an error, not a code that could name another cell."""
    df = pd.DataFrame({"a": pd.Series(["x", "y", None], dtype="str"), "b": ["p", "q", "q"]})
    with pytest.raises(ValueError, match="raking margin a: a respondent has no category"):
        Cells(df, {"a": {"x": 1.0, "y": 2.0}, "b": {"p": 1.0, "q": 2.0}})
