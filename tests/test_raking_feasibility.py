"""Raking that survives: the feasibility check before raking and the collapse policy,
on waves generated from the bundled 2017 wave and the real 2017 council frame."""

from __future__ import annotations

import logging
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from councilsurvey.core.errors import InputError
from councilsurvey.survey.feasibility import check
from councilsurvey.survey.weighting import filled_seats, weight

CITY, SCILLY = "E09000001", "E06000053"
COLLAPSE_LOG = "councilsurvey.survey.collapsing"


def collapse_lines(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == COLLAPSE_LOG
        and r.getMessage().startswith(("weighting: collapsed", "weighting: dropped"))
    ]


def seats(frame, **where) -> int:
    """Filled seats of the frame's councils with the given column values (or codes)."""
    filled = filled_seats(frame)
    keep = pd.Series(True, index=frame.index)
    for col, value in where.items():
        keep &= frame[col] == value
    return int(filled[frame.loc[keep, "code"]].sum())


def assert_margins_met(res, cfg):
    diag = res.diagnostics.set_index("weight")
    assert bool(diag.at["raked_weight", "converged"])
    assert diag.at["raked_weight", "max_margin_error"] <= float(cfg["tolerance"])
    m = res.margins
    assert np.allclose(m["weighted_share"], m["population_share"], rtol=1e-10)
    assert diag.at["raked_weight", "collapses"] == len(res.collapses)


def test_bundled_wave_needs_no_collapse(result):
    assert result.collapses.empty
    assert (result.diagnostics["margins"] == "type+region+party").all()


def test_city_of_london_without_isles_of_scilly(responses, frame, wcfg, caplog):
    """(a) The 12-in-20 failure: type and region cannot both hold while the City's
    London seats (124 in May 2017) travel with Scilly's 16 South West ones; the policy
    puts each council with its region's neighbour type."""
    wave = responses[responses["code"] != SCILLY]
    with caplog.at_level(logging.WARNING, logger=COLLAPSE_LOG):
        res = weight(wave, frame, wcfg)
    assert_margins_met(res, wcfg)
    got = res.collapses.set_index("into")
    assert set(got.index) == {"london_borough", "unitary"}
    assert (got["from"] == "sui_generis").all()
    city, scilly = seats(frame, code=CITY), seats(frame, code=SCILLY)
    assert got.at["london_borough", "seats"] == city and got.at["unitary", "seats"] == scilly
    assert got.at["london_borough", "respondents"] == (wave["code"] == CITY).sum()
    assert got.at["unitary", "respondents"] == 0
    assert "'sui_generis'" in got.at["london_borough", "reason"]
    assert "region 'London'" in got.at["london_borough", "reason"]
    lines = collapse_lines(caplog)
    assert len(lines) == 2
    assert any("'sui_generis' into 'london_borough'" in line for line in lines)
    cats = res.margins.query("margin == 'type'").set_index("category")["population_seats"]
    assert "sui_generis" not in cats
    assert cats["london_borough"] == seats(frame, type="london_borough") + city


def test_no_sui_generis_member(responses, frame, wcfg, caplog):
    """(b) No City of London and no Isles of Scilly member: an empty category."""
    wave = responses[responses["type"] != "sui_generis"]
    with caplog.at_level(logging.WARNING, logger=COLLAPSE_LOG):
        res = weight(wave, frame, wcfg)
    assert_margins_met(res, wcfg)
    assert set(res.collapses["reason"]) == {"no respondents"}
    assert len(collapse_lines(caplog)) == 2


def test_isles_of_scilly_without_city_of_london(responses, frame, wcfg):
    """Merging sui_generis wholesale into unitary (or into london_borough) fails one of
    the one-member cases; council by council, both work."""
    wave = responses[responses["code"] != CITY]
    res = weight(wave, frame, wcfg)
    assert_margins_met(res, wcfg)
    got = res.collapses.set_index("into")["respondents"]
    assert got["unitary"] == 1 and got["london_borough"] == 0
    for into in ("unitary", "london_borough"):
        whole = dict(wcfg, collapse={"type": {"sui_generis": into}})
        for w in (wave, responses[responses["code"] != SCILLY]):
            if into == "unitary" and w is wave or into == "london_borough" and w is not wave:
                with pytest.raises(InputError, match="cannot all be met"):
                    weight(w, frame, dict(whole, collapse_policy={"enabled": False}))


def test_small_party_confined_to_one_council_type(responses, frame, wcfg, caplog):
    """(c) Green's only respondents are City of London members: Green's seats (164 in
    May 2017) cannot come from type sui_generis (140); Green merges into
    Independent/other."""
    wave = responses[responses["party"] != "Green"].copy()
    city = wave.index[wave["code"] == CITY][:2]
    wave.loc[city, "party"] = "Green"
    with caplog.at_level(logging.WARNING, logger=COLLAPSE_LOG):
        res = weight(wave, frame, wcfg)
    assert_margins_met(res, wcfg)
    row = res.collapses.iloc[0]
    assert (row["margin"], row["from"], row["into"]) == ("party", "Green", "Independent/other")
    assert row["respondents"] == 2 and row["seats"] == int(frame["green"].sum())
    assert "type 'sui_generis'" in row["reason"]
    assert len(res.collapses) == 1 and len(collapse_lines(caplog)) == 1
    # the respondents keep their own party for analysis; raking used the merged one
    assert (res.data.loc[city, "party_group"] == "Green").all()
    cats = res.margins.query("margin == 'party'")["category"]
    assert "Green" not in set(cats)


def test_min_respondents_merges_a_sparse_party(responses, frame, wcfg):
    policy = dict(wcfg["collapse_policy"], min_respondents=8)
    res = weight(responses, frame, dict(wcfg, collapse_policy=policy))
    assert_margins_met(res, wcfg)
    # Green and sui_generis have 6 respondents each, UKIP 9
    assert res.collapses["from"].tolist() == ["sui_generis", "sui_generis", "Green"]
    assert set(res.collapses["reason"]) == {"fewer than 8 respondents"}


def test_truly_infeasible_with_the_policy_off_is_one_clear_line(responses, frame, wcfg):
    """(d) The error names the conflicting margins and categories, with respondents and
    seats, in one line."""
    wave = responses[responses["code"] != SCILLY]
    n_lb = int((wave["type"] == "london_borough").sum())
    n_sg = int((wave["type"] == "sui_generis").sum())
    n_london = int((wave["region"] == "London").sum())
    off = dict(wcfg, collapse_policy={"enabled": False})
    lb, sg = seats(frame, type="london_borough"), seats(frame, type="sui_generis")
    london = seats(frame, region="London")
    with pytest.raises(InputError) as err:
        weight(wave, frame, off, source="responses.parquet")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("responses.parquet, column 'type': raking margins cannot all be met")
    assert (
        f"type 'london_borough' ({n_lb} respondents, {lb:,} seats) and 'sui_generis' "
        f"({n_sg} respondents, {sg:,} seats), {lb + sg:,} seats together: all their "
        f"respondents are in region 'London' ({n_london} respondents, {london:,} seats)"
    ) in text
    assert "weighting.collapse_policy" in text


def test_policy_that_runs_out_names_the_conflict(responses, frame, wcfg):
    wave = responses[responses["code"] != SCILLY]
    policy = {"enabled": True, "merge": {}, "drop_margins": []}
    with pytest.raises(InputError, match="found no merge or margin to drop"):
        weight(wave, frame, dict(wcfg, collapse_policy=policy))


def test_margin_dropped_as_last_resort(responses, frame, wcfg, caplog):
    wave = responses[responses["code"] != SCILLY]
    policy = {"enabled": True, "merge": {}, "drop_margins": ["party", "region"]}
    with caplog.at_level(logging.WARNING, logger=COLLAPSE_LOG):
        res = weight(wave, frame, dict(wcfg, collapse_policy=policy))
    assert_margins_met(res, wcfg)
    # party takes no part in the conflict: region goes
    assert res.collapses[["margin", "into"]].values.tolist() == [["region", "(margin dropped)"]]
    assert (res.diagnostics["margins"] == "type+party").all()
    assert len(collapse_lines(caplog)) == 1


def test_robustness_schemes_use_the_same_policy(responses, frame, wcfg):
    from councilsurvey.analysis.robustness import scheme_weights

    wave = responses[responses["code"] != SCILLY]
    w, converged, calibration = scheme_weights(wave, frame, wcfg, {"margins": ["type", "region"]})
    assert converged and w.sum() == pytest.approx(filled_seats(frame).sum(), rel=1e-12)
    # the categories raked, after the collapse, are what the variance accounts for
    assert "sui_generis" not in set(calibration["calibration_type"])
    off = dict(wcfg, collapse_policy={"enabled": False})
    with pytest.raises(InputError, match="cannot all be met"):
        scheme_weights(wave, frame, off, {"margins": ["type", "region"]})


# --- (e) the check itself, against cases whose answer is known -------------------------


def brute_two_margins(cells, ta, tb) -> bool:
    """Strictly positive weights on the observed cells (a, b) meeting both margins exist
    iff the totals agree and, for every set S of a-categories with neighbours N(S),
    total(S) <= total(N(S)), with equality only when N(S) holds no cell outside S
    (otherwise those cells would have to be zero). Checked on every subset."""
    if abs(sum(ta.values()) - sum(tb.values())) > 1e-9:
        return False
    cats = sorted(ta)
    for size in range(1, len(cats) + 1):
        for s in combinations(cats, size):
            nb = {b for a, b in cells if a in s}
            need, have = sum(ta[a] for a in s), sum(tb[b] for b in nb)
            if need > have + 1e-9:
                return False
            outside = any(b in nb and a not in s for a, b in cells)
            if abs(need - have) <= 1e-9 and outside:
                return False
    return True


def as_cats(cells, repeat=1):
    rows = [(a, b) for a, b in cells for _ in range(repeat)]
    return pd.DataFrame(rows, columns=["type", "region"])


def test_check_known_cases():
    ta = {"x": 3.0, "y": 5.0}
    full = [("x", "p"), ("x", "q"), ("y", "p"), ("y", "q")]
    assert check(
        as_cats(full), {"type": ta, "region": {"p": 4.0, "q": 4.0}}, ["type", "region"]
    ).feasible
    diag = [("x", "p"), ("y", "q")]
    assert check(
        as_cats(diag), {"type": ta, "region": {"p": 3.0, "q": 5.0}}, ["type", "region"]
    ).feasible
    rep = check(as_cats(diag), {"type": ta, "region": {"p": 4.0, "q": 4.0}}, ["type", "region"])
    assert not rep.feasible and rep.conflicts
    # equal totals but a cell forced to zero: not strictly feasible
    tri = [("x", "p"), ("y", "p"), ("y", "q")]
    rep = check(as_cats(tri), {"type": ta, "region": {"p": 3.0, "q": 5.0}}, ["type", "region"])
    assert not rep.feasible and "other type categories" in rep.describe()
    # an empty category
    rep = check(
        as_cats(diag),
        {"type": {**ta, "z": 1.0}, "region": {"p": 4.0, "q": 5.0}},
        ["type", "region"],
    )
    assert not rep.feasible and rep.sparse[0][:3] == ("type", "z", 0)


def test_check_three_margins_conflict():
    """Every pair of margins can be met, all three cannot: cells (a,b,c) with a=b=c or all
    different... here the parity cells of a 2x2x2 table, each pair's totals compatible."""
    cells = [("0", "0", "0"), ("0", "1", "1"), ("1", "0", "1"), ("1", "1", "0")]
    cats = pd.DataFrame(cells, columns=["type", "region", "party_group"])
    half = {"0": 5.0, "1": 5.0}
    ok = check(cats, {"type": half, "region": half, "party": half}, ["type", "region", "party"])
    assert ok.feasible
    # x000 + x011 = 8 (type 0), x000 + x101 = 8 (region 0), x000 + x110 = 2 (party 0):
    # x000 <= 2, so x011 >= 6 and x101 >= 6: type 1 = x101 + x110 >= 6, but region 1 =
    # x011 + x110 = 2: no weights
    eight = {"0": 8.0, "1": 2.0}
    bad = check(
        cats,
        {"type": eight, "region": eight, "party": {"0": 2.0, "1": 8.0}},
        ["type", "region", "party"],
    )
    assert not bad.feasible and bad.miss > 0 and "cannot all be met" not in bad.describe()


@pytest.mark.parametrize("seed", range(40))
def test_check_agrees_with_brute_force_on_two_margins(seed):
    rng = np.random.default_rng(seed)
    na, nb = rng.integers(2, 5), rng.integers(2, 5)
    a = [f"a{i}" for i in range(na)]
    b = [f"b{j}" for j in range(nb)]
    cells = [(x, y) for x in a for y in b if rng.random() < 0.45]
    cells += [(x, b[rng.integers(nb)]) for x in a if not any(c[0] == x for c in cells)]
    cells += [(a[rng.integers(na)], y) for y in b if not any(c[1] == y for c in cells)]
    cells = sorted(set(cells))
    ta = {x: float(rng.integers(1, 6)) for x in a}
    total = sum(ta.values())
    cuts = np.sort(rng.choice(np.arange(1, int(total)), nb - 1, replace=False))
    tb = dict(zip(b, np.diff(np.r_[0, cuts, total]).astype(float), strict=True))
    got = check(as_cats(cells, 2), {"type": ta, "region": tb}, ["type", "region"]).feasible
    assert got == brute_two_margins(cells, ta, tb)


def test_twenty_waves_drawn_as_real_ones_all_weight(responses, frame, wcfg):
    """The issue's 20 plausible new waves: councils respond with a probability that
    depends on their type and region (the two sui_generis councils, with 16 and 125
    seats, often missing), then every respondent of a responding council answers. Before
    the feasibility check and collapse policy, 13 of 20 such waves stopped at weighting;
    now every one is weighted with its margins met, and those that needed it say so."""
    rng = np.random.default_rng(2017)
    councils = responses.drop_duplicates("code").set_index("code")
    sui_generis = (councils["type"].astype(str) == "sui_generis").to_numpy(dtype=float)
    london = (councils["region"].astype(str) == "London").to_numpy(dtype=float)
    p = 0.8 - 0.3 * sui_generis - 0.1 * london
    collapsed = 0
    for _ in range(20):
        kept = councils.index[rng.random(len(councils)) < p]
        wave = responses[responses["code"].isin(kept)]
        res = weight(wave, frame, wcfg)
        assert_margins_met(res, wcfg)
        collapsed += not res.collapses.empty
    print(f"{collapsed} of 20 waves needed a collapse")
    assert 0 < collapsed < 20  # some waves needed a collapse, not all
