"""Replicate weights that repeat the weighting in every replicate.

An alternative to linearisation through the raking (:mod:`councilsurvey.survey.design`),
chosen in ``config.yaml`` ``variance.method``:

- ``jackknife``: delete-one-council jackknife (JK1, R's ``as.svrepdesign(type="JK1")``):
  replicate *r* drops council *r* and multiplies the base weights of the others by
  ``n / (n - 1)``, for ``n`` responding councils; variance
  ``(n - 1) / n * sum((theta_r - mean theta)^2)``.
- ``bootstrap``: Rao-Wu rescaling bootstrap of councils (``n - 1`` of ``n`` drawn with
  replacement in each replicate; R's ``as.svrepdesign(type="subbootstrap")``), with a
  fixed seed; variance ``sum((theta_r - mean theta)^2) / (R - 1)``.

Each replicate's base weights are then raked again to the same population totals (the
categories actually raked, after any collapse, and the totals the final weights meet),
and trimmed and re-raked when the weights were, so that every replicate goes through the
whole weighting: the spread of the replicate estimates then includes what the raking does,
as R's ``rake()`` of a replicate design does. The replicate weights are columns
``replicate_<method>_<r>`` of the weighted data; :meth:`SurveyDesign.of_wave` finds them.

Re-raking a replicate is possible only if its councils can meet every margin at once.
Deleting one council can make margins that the whole sample meets conflict: in England's
2016 frame the only two ``sui_generis`` councils are the City of London (region London)
and the Isles of Scilly (South West), so a replicate without one of them has its
``sui_generis`` respondents confined to one region, and no weights meet both the type
and the region totals. The weight stage therefore checks every replicate's councils
(:func:`replicate_members`) before raking and applies the collapse policy until each
replicate can be raked (:func:`councilsurvey.survey.collapsing.make_feasible`); the
wave's own weights use the same collapsed margins, so each replicate repeats the
wave's estimator.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import polars as pl
import svy

from councilsurvey.survey.design import CALIBRATION_PREFIX, CALIBRATION_WEIGHT, REPLICATE_PREFIX
from councilsurvey.survey.weighting import _Cells, _rake

log = logging.getLogger(__name__)

METHODS = ("linearisation", "jackknife", "bootstrap")


def _draws(codes: pd.Series, base_weight, method: str, replicates: int, seed: int):
    """svy's replicate base weights: array (respondents x replicates)."""
    frame = pl.DataFrame(
        {"code": codes.astype(str).to_numpy(), "base_weight": np.asarray(base_weight, float)}
    )
    sample = svy.Sample(frame, svy.Design(psu="code", wgt="base_weight"))
    if method == "jackknife":
        reps = sample.weighting.create_jk_wgts(rep_prefix="_rep_")
    else:
        reps = sample.weighting.create_bs_wgts(n_reps=replicates, rep_prefix="_rep_", rstate=seed)
    n_reps = reps.design.rep_wgts.n_reps
    return reps.data.select([f"_rep_{r}" for r in range(1, n_reps + 1)]).to_numpy()


def replicate_members(
    codes: pd.Series, method: str, replicates: int = 200, seed: int = 2017
) -> list[tuple[str, np.ndarray]]:
    """Which respondents each replicate keeps (a positive replicate base weight).

    The draws are those :func:`replicate_weights` makes for the same councils, method,
    number and seed (they do not depend on the base weights), so the weight stage can
    check, before raking, that every replicate's councils can meet the margins.

    Parameters
    ----------
    codes : Series
        The respondents' council codes (the PSUs), in the weighted data's order.
    method, replicates, seed
        As for :func:`replicate_weights`.

    Returns
    -------
    list of (str, ndarray of bool)
        Each replicate's description (``jackknife replicate 45 (without council
        E06000053)``; ``bootstrap replicate 7 (12 councils not drawn)``) and its mask over
        the respondents.
    """
    if method not in ("jackknife", "bootstrap"):
        raise ValueError(f"replicate method {method!r} is not jackknife or bootstrap")
    draws = _draws(codes, np.ones(len(codes)), method, replicates, seed)
    code = codes.astype(str).to_numpy()
    out = []
    for r in range(draws.shape[1]):
        kept = draws[:, r] > 0
        gone = sorted(set(code[~kept]))
        if method == "jackknife":
            what = f"without council {gone[0]}" if len(gone) == 1 else f"without {gone}"
        else:
            what = f"{len(gone)} councils not drawn"
        out.append((f"{method} replicate {r + 1} ({what})", kept))
    return out


def replicate_weights(
    data: pd.DataFrame,
    method: str,
    replicates: int = 200,
    seed: int = 2017,
    tol: float = 1e-12,
    max_iter: int = 10000,
    trim: float | None = None,
    trim_cycles: int = 100,
) -> pd.DataFrame:
    """Replicate weights of a weighted wave, each re-raked as the wave's weights were.

    Parameters
    ----------
    data : DataFrame
        The weight stage's data (:func:`councilsurvey.survey.weighting.weight`):
        ``code`` (councils: the PSUs), ``base_weight``, ``weight`` and the raking's
        record ``calibration_<margin>`` (absent: the weights were not raked, and the
        replicates are the base weights').
    method : str
        ``jackknife`` or ``bootstrap``.
    replicates : int
        Bootstrap replicates (the jackknife has one per council).
    seed : int
        Seed of the bootstrap draws.
    tol, max_iter : float, int
        Raking tolerance and sweeps, as for the wave's weights.
    trim : float or None
        Cap as a multiple of the median when the wave's weights were trimmed.
    trim_cycles : int
        Most trim-and-rake cycles.

    Returns
    -------
    DataFrame
        Columns ``replicate_<method>_1`` ... in the order of ``data``.
    """
    if method not in ("jackknife", "bootstrap"):
        raise ValueError(f"replicate method {method!r} is not jackknife or bootstrap")
    start = _draws(data["code"], data["base_weight"], method, replicates, seed)
    n_reps = start.shape[1]
    margins = [
        c for c in data.columns if c.startswith(CALIBRATION_PREFIX) and c != CALIBRATION_WEIGHT
    ]
    names = [f"{REPLICATE_PREFIX}{method}_{r}" for r in range(1, n_reps + 1)]
    if not margins:
        return pd.DataFrame(start, columns=names, index=data.index)
    work = pd.DataFrame({m: data[m].astype(str).to_numpy() for m in margins})
    controls = {
        m: {str(k): float(v) for k, v in data.groupby(m)["weight"].sum().items()} for m in margins
    }
    cells = _Cells(work, controls)
    out = np.empty_like(start)
    failed = 0
    for r in range(n_reps):
        work["_start"] = start[:, r]
        w, converged, _ = _rake(cells, work, "_start", tol, max_iter, trim, trim_cycles)
        failed += not converged
        out[:, r] = w
    if failed:
        log.warning(
            "%s: %d of %d replicates could not be raked to every margin within the "
            "tolerance; their last iterate is kept",
            method,
            failed,
            n_reps,
        )
    log.info("%s: %d replicate weights, each re-raked to the wave's margins", method, n_reps)
    return pd.DataFrame(out, columns=names, index=data.index)
