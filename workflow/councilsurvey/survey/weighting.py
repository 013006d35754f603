"""Weights: council coverage base weights raked to the council frame.

Each respondent first stands for the filled seats of their council
(``base_weight = filled seats of council / respondents from that council``). The base
weights are then raked (iterative proportional fitting, the sweep of ``svy``'s raking
done in numpy on the table of raking cells) so that the weighted
totals equal the frame's filled seats on each configured margin: by default council
``type``, ``region`` and ``party`` (Conservative, Labour, Liberal Democrat, Green, UKIP,
Independent/other). Optionally, weights above a multiple of the median are trimmed and
the weights re-raked, in cycles, until both the cap and the margins hold.

Before raking, :mod:`councilsurvey.survey.feasibility` checks that the respondents can meet
every margin at once (no empty category, no categories confined within others with fewer
seats); if they cannot, the configured collapse policy merges categories (or, as the last
resort, drops a margin) and records what it did (:attr:`WeightingResult.collapses`).

The population is the frame's *filled* seats (``seats - vacant``): vacancies have no
party, and every margin must describe the same population. Final weights therefore
sum to the frame's filled seats (17,892 in the 2016 frame the 2017 wave is weighted to).
These are seats, not people: a councillor on both a county and a district council fills
two seats.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.inputs.frame import PARTY_COLUMNS
from councilsurvey.survey.cells import Cells as _Cells
from councilsurvey.survey.collapsing import collapse_table, make_feasible
from councilsurvey.survey.design import CALIBRATION_PREFIX, CALIBRATION_WEIGHT

log = logging.getLogger(__name__)

#: frame party column -> label of the party margin's category
PARTY_LABELS = {
    "con": "Conservative",
    "lab": "Labour",
    "ld": "Liberal Democrat",
    "green": "Green",
    "ukip": "UKIP",
    "ind_other": "Independent/other",
}
MARGIN_COLUMN = {"type": "type", "region": "region", "party": "party_group"}


@dataclass
class WeightingResult:
    """Weights and their diagnostics.

    Attributes
    ----------
    data : DataFrame
        The input responses plus ``party_group``, ``base_weight``, ``raked_weight``
        (before trimming) and ``weight`` (final), and the record of the final raking
        that the variance accounts for (:meth:`SurveyDesign.of_wave`):
        ``calibration_weight`` (the weights it started from: the base weights, or the
        trimmed ones) and ``calibration_<margin column>`` (the category each respondent
        was raked to, after any collapsing).
    margins : DataFrame
        margin, category, population_seats, population_share, respondents,
        unweighted_share, base_weighted_share, weighted_share.
    diagnostics : DataFrame
        One row per weight (base, raked, final): n, sum, min, median, max, Kish design
        effect, effective sample size, iterations, converged, trimmed.
    trimming : dict
        What trimming changed (empty when trimming is off).
    collapses : DataFrame
        What the collapse policy merged or dropped to make the margins feasible:
        margin, from, into, reason, respondents, seats (no rows when nothing was).
    """

    data: pd.DataFrame
    margins: pd.DataFrame
    diagnostics: pd.DataFrame
    trimming: dict = field(default_factory=dict)
    collapses: pd.DataFrame = field(default_factory=lambda: collapse_table([]))


def filled_seats(frame: pd.DataFrame) -> pd.Series:
    """Filled seats (seats less vacancies) per council code."""
    return (frame["seats"] - frame["vacant"]).set_axis(frame["code"])


def population_totals(
    frame: pd.DataFrame, margins: list[str], collapse: dict | None = None
) -> dict[str, dict[str, float]]:
    """Filled seats of the frame by category of each margin."""
    collapse = collapse or {}
    filled = frame["seats"] - frame["vacant"]
    totals = {}
    for margin in margins:
        if margin == "party":
            sums = frame[PARTY_COLUMNS].sum()
            merged = collapse.get(margin, {})
            totals[margin] = {}
            for c in PARTY_COLUMNS:
                label = merged.get(PARTY_LABELS[c], PARTY_LABELS[c])
                totals[margin][label] = totals[margin].get(label, 0.0) + float(sums[c])
        elif margin in frame:
            cats = frame[margin].replace(collapse.get(margin, {}))
            totals[margin] = {str(k): float(v) for k, v in filled.groupby(cats).sum().items()}
        else:
            raise ValueError(f"unknown weighting margin {margin!r}")
    return totals


def kish_deff(w: np.ndarray) -> float:
    """Kish's design effect due to unequal weights, ``n * sum(w^2) / sum(w)^2``."""
    w = np.asarray(w, dtype=float)
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2)


def base_weights(responses: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Filled seats of the respondent's council / respondents from that council."""
    seats = responses["code"].map(filled_seats(frame))
    per_council = responses.groupby("code")["code"].transform("size")
    return (seats / per_council).astype(float).rename("base_weight")


def margin_categories(
    responses: pd.DataFrame, margins: list[str], party_groups: dict, collapse: dict | None, source
) -> pd.DataFrame:
    """The respondents' category on each margin (``party_group`` for party)."""
    collapse = collapse or {}
    out = pd.DataFrame(index=responses.index)
    for margin in margins:
        col = MARGIN_COLUMN.get(margin, margin)
        if margin == "party":
            party = responses["party"].astype("string")
            unknown = sorted(set(party.dropna().unique()) - set(party_groups))
            if unknown:
                raise InputError(
                    source,
                    f"party {unknown[0]!r} has no group in config.yaml weighting.party_groups",
                    column="party",
                )
            values = party.map({p: PARTY_LABELS[g] for p, g in party_groups.items()})
            values = values.replace(collapse.get(margin, {}))
        else:
            values = responses[margin].astype("string").replace(collapse.get(margin, {}))
        missing = values.isna()
        if missing.any():
            first = responses.loc[missing, "respondent_id"].iloc[0]
            raise InputError(
                source,
                f"{int(missing.sum())} respondent(s) have no {margin!r}; "
                "raking needs every respondent's category (first: respondent "
                f"{first})",
                column=MARGIN_COLUMN.get(margin, margin),
            )
        out[col] = values.astype(str)
    return out


def check_margins(cats: pd.DataFrame, totals: dict, source) -> None:
    """Every respondent category must be in the frame: raise :class:`InputError`
    otherwise. (Frame categories without respondents, and other margins that cannot all
    be met, are found by :func:`councilsurvey.survey.feasibility.check`.)"""
    for margin, pop in totals.items():
        col = MARGIN_COLUMN.get(margin, margin)
        seen = set(cats[col].unique())
        absent = sorted(seen - set(pop))
        if absent:
            raise InputError(
                source,
                f"margin {margin!r}: respondents' category {absent[0]!r} "
                "is not in the council frame",
                column=col,
            )


def _sample(df: pd.DataFrame, wgt: str):
    import polars as pl
    import svy

    return svy.Sample(pl.from_pandas(df), svy.Design(psu="code", wgt=wgt))


def rake(
    df: pd.DataFrame,
    weight: str,
    controls: dict,
    tol: float,
    max_iter: int,
    trim_cap: float | None = None,
    trim_cycles: int = 100,
) -> tuple[np.ndarray, bool]:
    """Rake ``df[weight]`` to ``controls`` (svy's raking); optionally trim-and-rake.

    Raking is done on the table of raking cells (see :class:`_Cells`), trimming on the
    respondents' weights. Returns the weights and whether every margin is met within
    ``tol``.
    """
    w, converged, _ = _rake(_Cells(df, controls), df, weight, tol, max_iter, trim_cap, trim_cycles)
    return w, converged


def _rake(cells, df, weight, tol, max_iter, trim_cap=None, trim_cycles=100):
    """Weights, whether every margin is met, and the weights the final raking started
    from (None where svy's own trim-and-rake cycle on the respondents was used)."""
    w0 = df[weight].to_numpy().astype(float)
    prior, raked = w0, None
    if trim_cap is None:
        w, raked = cells.raked(w0, tol, max_iter)
    else:
        found = cells.trim_rake(w0, float(trim_cap), tol, max_iter, trim_cycles)
        if found is None:
            prior = None
            w = rake_respondents(df, weight, cells.controls, tol, max_iter, trim_cap, trim_cycles)
        else:
            w, prior, raked = found
    # every margin met, summed by respondent (decided from the raked cell totals where
    # their rounding cannot change the answer)
    return w, cells.meets(w, tol, raked), prior


def rake_respondents(
    df: pd.DataFrame,
    weight: str,
    controls: dict,
    tol: float,
    max_iter: int,
    trim_cap: float | None = None,
    trim_cycles: int = 100,
) -> np.ndarray:
    """Rake (and trim) every respondent with svy, rather than the table of cells.

    svy's raking with councils ``code`` as PSUs, ``on_nonconvergence="ignore"``; with a
    ``trim_cap`` each cycle also caps the weights at ``trim_cap`` times their median and
    rakes again, for at most ``trim_cycles`` cycles. Slow on large data: the weight stage
    rakes the table of cells, and uses this only where svy finds the trimming cap
    infeasible (which svy's own cycle tolerates); the tests use it as the reference the
    cells must reproduce.

    Parameters
    ----------
    df : DataFrame
        Respondents with the margins' columns, ``code`` and ``weight``.
    weight : str
        Column of the starting weights.
    controls : dict
        Margin column -> {category: population total}.
    tol, max_iter : float, int
        svy's convergence tolerance and iteration limit.
    trim_cap : float, optional
        Upper cap on the weights, as a multiple of their median; None: no trimming.
    trim_cycles : int
        Most trim-and-rake cycles.

    Returns
    -------
    ndarray
        The raked weights, in the order of ``df``.
    """
    import svy

    trimming = None
    if trim_cap is not None:
        trimming = svy.TrimConfig(upper=svy.Threshold("median", trim_cap), max_iter=trim_cycles)
    raked = _sample(df, weight).weighting.rake(
        controls=controls,
        wgt_name="_raked",
        tol=tol,
        max_iter=max_iter,
        on_nonconvergence="ignore",
        trimming=trimming,
    )
    return raked.data["_raked"].to_numpy().astype(float)


def max_margin_error(df: pd.DataFrame, w: np.ndarray, controls: dict) -> float:
    """Largest relative difference between weighted and population totals."""
    err = 0.0
    for col, pop in controls.items():
        got = pd.Series(w, index=df.index).groupby(df[col].to_numpy()).sum()
        for cat, target in pop.items():
            err = max(err, abs(got.get(cat, 0.0) - target) / target)
    return err


def iterations_needed(df, weight, controls, tol, max_iter) -> int:
    """The fewest raking sweeps that bring every margin within ``tol`` (counted on the
    table of raking cells)."""
    return _Cells(df, controls).iterations(df[weight].to_numpy().astype(float), tol, max_iter)


def weight(
    responses: pd.DataFrame,
    frame: pd.DataFrame,
    cfg: dict,
    source="responses",
    subsamples=None,
) -> WeightingResult:
    """Compute base, raked and final weights.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (``code``, ``type``, ``region``, ``party``, ``respondent_id``).
    frame : DataFrame
        The wave's council frame.
    cfg : dict
        ``config.yaml`` ``weighting``: ``margins``, ``party_groups``, ``collapse``,
        ``collapse_policy`` (see :func:`councilsurvey.survey.collapsing.make_feasible`),
        ``tolerance``, ``max_iter``, ``trim`` (cap as a multiple of the median weight,
        or null), ``trim_max_cycles``.
    source : str or Path
        Named in error messages.
    subsamples : list of (str, ndarray of bool), optional
        The respondents each replicate of a replicate-weight variance keeps
        (:func:`councilsurvey.survey.replicates.replicate_members`): the margins are
        made feasible for every replicate too, so that each can be raked again.

    Returns
    -------
    WeightingResult
    """
    margins = list(cfg["margins"])
    collapse = cfg.get("collapse") or {}
    tol, max_iter = float(cfg["tolerance"]), int(cfg["max_iter"])
    totals = population_totals(frame, margins, collapse)
    cats = margin_categories(responses, margins, cfg["party_groups"], collapse, source)
    check_margins(cats, totals, source)
    # feasibility check and, where it fails, the collapse policy: the categories and
    # margins actually raked
    feasible = make_feasible(
        cats, totals, margins, frame, responses["code"], cfg, source, subsamples
    )
    cats, totals, margins = feasible.cats, feasible.totals, feasible.margins

    data = responses.copy()
    if "party_group" in cats:  # the respondent's own party group, not a merged one
        own = {p: PARTY_LABELS[g] for p, g in cfg["party_groups"].items()}
        data["party_group"] = responses["party"].astype("string").map(own).astype(str)
    data["base_weight"] = base_weights(responses, frame)
    # the raking frame: council (PSU), each margin's category (collapsed), base weight
    work = cats.assign(code=responses["code"].astype(str), base_weight=data["base_weight"])
    controls = {MARGIN_COLUMN.get(m, m): totals[m] for m in margins}

    cells = _Cells(work, controls)
    raked, converged, prior = _rake(cells, work, "base_weight", tol, max_iter)
    if not converged:
        err = cells.error(raked)
        raise InputError(
            source,
            f"raking did not converge within {max_iter} iterations "
            f"(largest relative margin error {err:.3g}): these respondents "
            "cannot be weighted to every margin at once; collapse sparse "
            "categories (config.yaml weighting.collapse) or drop a margin",
        )
    iters = cells.iterations(work["base_weight"].to_numpy().astype(float), tol, max_iter)
    data["raked_weight"] = raked
    final, trim_converged, trim_info = raked, converged, {}
    trimmed = 0
    if cfg.get("trim") is not None:
        cap = float(cfg["trim"])
        limit = cap * float(np.median(raked))
        trimmed = int(np.sum(raked > limit * (1 + 1e-12)))
        final, trim_converged, prior = _rake(
            cells,
            work,
            "base_weight",
            tol,
            max_iter,
            trim_cap=cap,
            trim_cycles=int(cfg.get("trim_max_cycles", 100)),
        )
        trim_info = {
            "cap_multiple_of_median": cap,
            "cap_before": limit,
            "cap_after": cap * float(np.median(final)),
            "weights_above_cap_before": trimmed,
            "weights_above_cap_after": int(np.sum(final > cap * np.median(final) * (1 + 1e-6))),
            "max_weight_before": float(raked.max()),
            "max_weight_after": float(final.max()),
            "deff_kish_before": kish_deff(raked),
            "deff_kish_after": kish_deff(final),
            "converged": bool(trim_converged),
        }
        log.info(
            "trimming at %.1f x median: %d weight(s) were above the cap; Kish deff %.3f -> %.3f",
            cap,
            trimmed,
            trim_info["deff_kish_before"],
            trim_info["deff_kish_after"],
        )
    data["weight"] = final
    if prior is not None:  # what the variance needs to account for the raking
        data[CALIBRATION_WEIGHT] = prior
        for col in controls:
            data[CALIBRATION_PREFIX + col] = work[col].array  # as is: no copy to objects

    # trimmed: the sweeps of the last raking, from the trimmed weights it started from
    # (svy's own trim-and-rake cycle, used where the cells' is infeasible, reports none)
    final_iters = iters
    if trim_info and prior is not None:
        final_iters = cells.iterations(np.asarray(prior, dtype=float), tol, max_iter)
    rows = []
    for name, w, its, conv, trim_n in [
        ("base_weight", data["base_weight"].to_numpy(), 0, True, 0),
        ("raked_weight", raked, iters, converged, 0),
        ("weight", final, final_iters, trim_converged, trimmed),
    ]:
        deff = kish_deff(w)
        rows.append(
            {
                "weight": name,
                "n": len(w),
                "sum": float(np.sum(w)),
                "min": float(np.min(w)),
                "median": float(np.median(w)),
                "max": float(np.max(w)),
                "deff_kish": deff,
                "n_effective": len(w) / deff,
                "iterations": its,
                "converged": bool(conv),
                "trimmed": trim_n,
                "max_margin_error": cells.error(w),
            }
        )
    diagnostics = pd.DataFrame(rows)
    diagnostics["margins"] = "+".join(margins)
    diagnostics["collapses"] = len(feasible.collapses)
    work["weight"] = final
    return WeightingResult(
        data,
        margin_table(work, totals, cells),
        diagnostics,
        trim_info,
        collapse_table(feasible.collapses),
    )


def margin_table(data: pd.DataFrame, totals: dict, cells: _Cells | None = None) -> pd.DataFrame:
    """Population, unweighted, base-weighted and weighted shares on every margin.

    Parameters
    ----------
    data : DataFrame
        The raking frame: each margin's column, ``base_weight`` and ``weight``.
    totals : dict
        Margin -> {category: population seats}.
    cells : Cells, optional
        The raking cells of ``data``: their codes group the respondents by category
        (the same compensated sums, in row order, as grouping by the column, without
        hashing its strings again); without them, the columns are grouped.

    Returns
    -------
    DataFrame
        margin, category, population_seats, population_share, respondents,
        unweighted_share, base_weighted_share, weighted_share.
    """
    coded = {}
    if cells is not None:
        for col, codes, grouper, levels in zip(
            cells.columns, cells.codes, cells._groupers, cells.levels, strict=True
        ):
            coded[col] = (codes, grouper, levels)
    base_total, weight_total = data["base_weight"].sum(), data["weight"].sum()
    rows = []
    for margin, pop in totals.items():
        col = MARGIN_COLUMN.get(margin, margin)
        total = sum(pop.values())
        if col in coded:
            codes, grouper, levels = coded[col]
            index = pd.Index(levels, dtype=object)
            n = pd.Series(np.bincount(codes, minlength=len(levels)), index=index)
            bw = data["base_weight"].groupby(grouper, observed=False).sum().set_axis(index)
            w = data["weight"].groupby(grouper, observed=False).sum().set_axis(index)
        else:
            n = data.groupby(col).size()
            bw = data.groupby(col)["base_weight"].sum()
            w = data.groupby(col)["weight"].sum()
        for cat in sorted(pop):
            rows.append(
                {
                    "margin": margin,
                    "category": cat,
                    "population_seats": pop[cat],
                    "population_share": pop[cat] / total,
                    "respondents": int(n.get(cat, 0)),
                    "unweighted_share": n.get(cat, 0) / len(data),
                    "base_weighted_share": bw.get(cat, 0.0) / base_total,
                    "weighted_share": w.get(cat, 0.0) / weight_total,
                }
            )
    return pd.DataFrame(rows)
