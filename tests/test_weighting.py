"""Weights: base weights, raking to the frame, trimming, and clear errors."""

import numpy as np
import pandas as pd
import pytest

from councilsurvey.core.errors import InputError
from councilsurvey.survey.weighting import (
    MARGIN_COLUMN,
    base_weights,
    kish_deff,
    population_totals,
    rake_respondents,
    weight,
)


def ipf(df, w, controls, sweeps=20000):
    """A plain iterative proportional fitting, written independently of svy."""
    w = w.astype(float).copy()
    margins = []
    for col, pop in controls.items():
        cats, codes = np.unique(df[col].to_numpy(), return_inverse=True)
        margins.append((codes, np.array([pop[c] for c in cats])))
    for _ in range(sweeps):
        for codes, target in margins:
            w *= (target / np.bincount(codes, weights=w))[codes]
    return w


def test_base_weight_is_council_seats_over_respondents(responses, frame):
    bw = base_weights(responses, frame)
    f = frame.set_index("code")
    code = responses["code"].iloc[0]
    n = (responses["code"] == code).sum()
    assert bw.iloc[0] == pytest.approx((f.at[code, "seats"] - f.at[code, "vacant"]) / n)
    covered = frame[frame["code"].isin(responses["code"])]
    assert bw.sum() == pytest.approx((covered["seats"] - covered["vacant"]).sum())


def test_raked_weights_meet_every_margin(result, frame, wcfg):
    d = result.data
    totals = population_totals(frame, wcfg["margins"])
    # the 2016 frame's filled seats (17,893 seats, Dacorum's one vacancy): the 2017 wave is
    # weighted to the councils at its fieldwork, before the May 2017 elections
    assert d["weight"].sum() == pytest.approx(17892, rel=1e-12)
    assert d["weight"].sum() == pytest.approx((frame["seats"] - frame["vacant"]).sum())
    for margin, pop in totals.items():
        got = d.groupby(MARGIN_COLUMN[margin])["raked_weight"].sum()
        for cat, target in pop.items():
            assert got[cat] == pytest.approx(target, rel=1e-11), (margin, cat)
    m = result.margins
    assert np.allclose(m["weighted_share"], m["population_share"], rtol=1e-10)
    assert (m.groupby("margin")["population_share"].sum().round(12) == 1).all()


def test_raking_agrees_with_an_independent_ipf(result, wcfg, frame):
    d = result.data
    df = d[["type", "region", "party_group"]].reset_index(drop=True)
    totals = population_totals(frame, wcfg["margins"])
    controls = {MARGIN_COLUMN[m]: v for m, v in totals.items()}
    ours = d["raked_weight"].to_numpy()
    theirs = ipf(df, d["base_weight"].to_numpy(), controls, sweeps=4000)
    assert np.max(np.abs(ours / theirs - 1)) < 1e-8


def test_bundled_wave_is_weighted_to_its_fieldwork_frame(responses, wcfg):
    """The 2017 wave resolves, through its wave.yaml and config.yaml, to the 2016 frame,
    and raking to that frame converges and meets its margins (UKIP's 437 seats of 2016,
    not the 302 left after the May 2017 elections)."""
    from councilsurvey.inputs.frame import load_frame
    from councilsurvey.pipeline.paths import frame_of, load_config

    from .conftest import ROOT, WAVE_FRAME

    entry = frame_of(load_config(ROOT / "config.yaml"), "2017")
    assert entry == {"path": "data/reference/councils_england_2016.csv", "n_councils": 353}
    assert (ROOT / entry["path"]).resolve() == WAVE_FRAME.resolve()
    frame = load_frame(ROOT / entry["path"], entry["n_councils"])
    res = weight(responses, frame, wcfg)
    diag = res.diagnostics.set_index("weight")
    assert bool(diag.at["raked_weight", "converged"])
    assert diag.at["raked_weight", "max_margin_error"] <= wcfg["tolerance"]
    d = res.data
    assert d["weight"].sum() == pytest.approx(17892, rel=1e-12)
    party = d.groupby("party_group", observed=True)["weight"].sum()
    assert party["UKIP"] == pytest.approx(437, rel=1e-10)
    assert party["Conservative"] == pytest.approx(8420, rel=1e-10)
    county = d.loc[d["type"] == "county", "weight"].sum()
    assert county == pytest.approx(1811, rel=1e-10)


def test_diagnostics(result):
    diag = result.diagnostics.set_index("weight")
    w = result.data["weight"].to_numpy()
    assert diag.at["weight", "deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert diag.at["weight", "n_effective"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert bool(diag.at["raked_weight", "converged"])
    assert 0 < diag.at["raked_weight", "iterations"] < 10000
    assert diag.at["raked_weight", "max_margin_error"] <= 1e-12
    assert diag.at["base_weight", "deff_kish"] < diag.at["weight", "deff_kish"]


def test_trimmed_weight_reports_whole_iterations(responses, frame, wcfg):
    """Issue 19: with trimming on, the final weight's sweeps were <NA> and the column float."""
    diag = weight(responses, frame, dict(wcfg, trim=3.0)).diagnostics
    assert diag["iterations"].dtype.kind == "i"
    its = diag.set_index("weight")["iterations"]
    assert 0 < its["weight"] < wcfg["max_iter"]


def test_trimming_caps_and_rerakes(responses, frame, wcfg):
    cfg = dict(wcfg, trim=3.0)
    res = weight(responses, frame, cfg)
    w = res.data["weight"].to_numpy()
    assert w.max() <= 3.0 * np.median(w) * (1 + 1e-6)
    assert res.trimming["weights_above_cap_before"] > 0
    assert res.trimming["deff_kish_after"] < res.trimming["deff_kish_before"]
    assert np.allclose(res.margins["weighted_share"], res.margins["population_share"], rtol=1e-9)
    assert not np.allclose(res.data["raked_weight"], w)


def test_kish_deff_of_equal_weights_is_one():
    assert kish_deff(np.full(10, 3.0)) == pytest.approx(1.0)


def test_empty_frame_category_is_a_clear_error(responses, frame, wcfg):
    few = responses[responses["type"] != "sui_generis"]
    off = dict(wcfg, collapse_policy={"enabled": False})
    # 141 filled seats in the 2016 frame (125 City of London, 16 Isles of Scilly)
    with pytest.raises(InputError, match="'sui_generis' has 141 seats .* no respondents"):
        weight(few, frame, off, source="responses.parquet")
    collapse = {"type": {"sui_generis": "london_borough"}}
    res = weight(few, frame, dict(wcfg, margins=["type", "party"], collapse=collapse))
    assert res.margins.query("margin == 'type'")["category"].tolist() == [
        "county",
        "district",
        "london_borough",
        "metropolitan",
        "unitary",
    ]


def test_respondent_category_absent_from_frame(responses, frame, wcfg):
    bad = responses.copy()
    bad["region"] = bad["region"].astype(object)
    bad.loc[bad.index[0], "region"] = "Wales"
    with pytest.raises(InputError, match="'Wales' is not in the council frame") as err:
        weight(bad, frame, wcfg, source="responses.parquet")
    assert err.value.column == "region"


def test_unmapped_party_and_missing_party(responses, frame, wcfg):
    groups = {k: v for k, v in wcfg["party_groups"].items() if k != "Green"}
    with pytest.raises(InputError, match="'Green' has no group"):
        weight(responses, frame, dict(wcfg, party_groups=groups))
    bad = responses.copy()
    bad.loc[bad.index[3], "party"] = pd.NA
    with pytest.raises(InputError, match="1 respondent\\(s\\) have no 'party'"):
        weight(bad, frame, wcfg)


def test_infeasible_margins_are_a_clear_error(responses, frame, wcfg):
    """Without the City of London's respondents, no weights meet type, region and party at
    once: with the collapse policy off, the feasibility check says so before raking."""
    few = responses[responses["type"] != "sui_generis"]
    cfg = dict(
        wcfg,
        collapse={"type": {"sui_generis": "london_borough"}},
        collapse_policy={"enabled": False},
    )
    with pytest.raises(
        InputError, match="type 'london_borough' .* all its respondents are in region 'London'"
    ):
        weight(few, frame, cfg, source="responses.parquet")


def test_raking_that_does_not_converge_is_a_clear_error(responses, frame, wcfg):
    with pytest.raises(InputError, match="raking did not converge within 3 iterations"):
        weight(responses, frame, dict(wcfg, max_iter=3), source="responses.parquet")


# --- raking on the table of cells equals svy raking every respondent --------------------
# (rake_respondents: how the weight stage raked before it raked the table of cells)


def iterations_by_respondent(df, weight, controls, tol, max_iter):
    from councilsurvey.survey.weighting import max_margin_error

    def ok(n):
        w = rake_respondents(df, weight, controls, tol, n)
        return max_margin_error(df, w, controls) <= tol

    lo, hi = 0, max_iter
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def raking_frame(responses, frame, wcfg):
    from councilsurvey.survey.weighting import margin_categories

    cats = margin_categories(responses, wcfg["margins"], wcfg["party_groups"], None, "r")
    work = cats.assign(
        code=responses["code"].astype(str), base_weight=base_weights(responses, frame)
    )
    totals = population_totals(frame, wcfg["margins"])
    return work, {MARGIN_COLUMN[m]: totals[m] for m in wcfg["margins"]}


def rel_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1)))


# caps of the robustness grid; a 2x cap cannot be met on the 2016 frame's margins (100
# trim-and-rake cycles end near 2.43x the median), so it tests no attainable cap
@pytest.mark.parametrize("trim", [None, 3.0, 5.0])
def test_cells_equal_raking_every_respondent(responses, frame, wcfg, trim):
    from councilsurvey.survey.weighting import rake

    work, controls = raking_frame(responses, frame, wcfg)
    tol, max_iter = float(wcfg["tolerance"]), int(wcfg["max_iter"])
    ours, ok = rake(work, "base_weight", controls, tol, max_iter, trim_cap=trim)
    theirs = rake_respondents(work, "base_weight", controls, tol, max_iter, trim_cap=trim)
    assert ok
    assert rel_diff(ours, theirs) < 1e-12
    if trim is not None:  # trimming changed something, and the cap holds
        assert not np.allclose(ours, rake(work, "base_weight", controls, tol, max_iter)[0])
        assert ours.max() <= trim * np.median(ours) * (1 + 1e-9)


def test_iterations_counted_on_cells_as_on_respondents(responses, frame, wcfg, result):
    from councilsurvey.survey.weighting import iterations_needed

    work, controls = raking_frame(responses, frame, wcfg)
    tol, max_iter = float(wcfg["tolerance"]), int(wcfg["max_iter"])
    ours = iterations_needed(work, "base_weight", controls, tol, max_iter)
    assert ours == iterations_by_respondent(work, "base_weight", controls, tol, max_iter)
    assert result.diagnostics.set_index("weight").at["raked_weight", "iterations"] == ours


def random_wave(n, seed):
    """Respondents with three margins, repeated base weights within cells and targets
    that some sparse categories make slow to reach."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "code": rng.integers(0, 60, n).astype(str),
            "a": rng.choice(list("abcd"), n, p=[0.5, 0.3, 0.15, 0.05]),
            "b": rng.choice(list("pqrstu"), n),
            "c": rng.choice(list("xyz"), n, p=[0.7, 0.25, 0.05]),
        }
    )
    df["w"] = rng.choice([1.0, 2.5, 4.0, 7.25, 30.0], n) * (1 + df["code"].astype(int) / 100)
    total = 10_000.0
    controls = {
        "a": dict(zip("abcd", np.array([0.3, 0.3, 0.3, 0.1]) * total, strict=True)),
        "b": dict(zip("pqrstu", np.full(6, total / 6), strict=True)),
        "c": dict(zip("xyz", np.array([0.5, 0.3, 0.2]) * total, strict=True)),
    }
    return df, controls


@pytest.mark.parametrize("trim", [None, 4.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_cells_equal_raking_every_respondent_on_random_data(seed, trim):
    from councilsurvey.survey.weighting import iterations_needed, max_margin_error, rake

    df, controls = random_wave(3000, seed)
    ours, ok = rake(df, "w", controls, 1e-12, 5000, trim_cap=trim)
    theirs = rake_respondents(df, "w", controls, 1e-12, 5000, trim_cap=trim)
    assert ok and max_margin_error(df, ours, controls) <= 1e-12
    assert rel_diff(ours, theirs) < 1e-12
    if trim is None:
        assert iterations_needed(df, "w", controls, 1e-12, 5000) == iterations_by_respondent(
            df, "w", controls, 1e-12, 5000
        )


def test_infeasible_trimming_cap_falls_back_to_svy_on_every_respondent():
    """A cap below the mean weight: svy's trim refuses it, its trim-and-rake cycle goes on
    regardless; the weight stage then does what the cycle does."""
    from councilsurvey.survey.weighting import rake

    df, controls = random_wave(500, 3)
    ours, _ = rake(df, "w", controls, 1e-12, 5000, trim_cap=0.5, trim_cycles=5)
    theirs = rake_respondents(df, "w", controls, 1e-12, 5000, trim_cap=0.5, trim_cycles=5)
    assert rel_diff(ours, theirs) == 0


def svy_rake_cells(cells, start, tol, max_iter):
    """svy's own raking (``Sample.weighting.rake``) of a table of cell totals."""
    import polars as pl
    import svy

    sample = svy.Sample(pl.from_pandas(cells.table.assign(_w=start)), svy.Design(wgt="_w"))
    raked = sample.weighting.rake(
        controls=cells.controls,
        wgt_name="_raked",
        tol=tol,
        max_iter=max_iter,
        on_nonconvergence="ignore",
    )
    return raked.data["_raked"].to_numpy().astype(float)


@pytest.mark.parametrize("max_iter", [1, 7, 300, 10_000])
@pytest.mark.parametrize("wave", ["bundled", "random"])
def test_numpy_sweeps_equal_svys_raking_bit_for_bit(responses, frame, wcfg, wave, max_iter):
    """The numpy sweep (count_sweeps), the compiled kernel the weight stage calls (sweeps)
    and svy's public raking give the same cell totals, to the last bit, stopped early or
    run to convergence; and the sweeps counted are the fewest that meet the tolerance."""
    from councilsurvey.survey.cells import Cells

    if wave == "bundled":
        work, controls = raking_frame(responses, frame, wcfg)
        weights = work["base_weight"].to_numpy()
    else:
        work, controls = random_wave(3000, 1)
        weights = work["w"].to_numpy()
    tol = float(wcfg["tolerance"])
    cells = Cells(work, controls)
    start = cells.totals(weights)
    theirs = svy_rake_cells(cells, start, tol, max_iter)
    ours, first = cells.count_sweeps(start, tol, max_iter)
    assert np.array_equal(ours, theirs)
    assert np.array_equal(cells.sweeps(start, tol, max_iter), theirs)
    if first is not None:  # the fewest: one sweep less misses the tolerance
        assert cells.cell_error(cells.count_sweeps(start, tol, first)[0]) <= tol
        assert first == 1 or cells.cell_error(cells.count_sweeps(start, tol, first - 1)[0]) > tol
    assert (first is not None) == (cells.cell_error(ours) <= tol)
