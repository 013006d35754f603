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
    frame = pl.DataFrame(
        {"code": data["code"].astype(str).to_numpy(), "base_weight": data["base_weight"]}
    )
    sample = svy.Sample(frame, svy.Design(psu="code", wgt="base_weight"))
    if method == "jackknife":
        reps = sample.weighting.create_jk_wgts(rep_prefix="_rep_")
    else:
        reps = sample.weighting.create_bs_wgts(n_reps=replicates, rep_prefix="_rep_", rstate=seed)
    n_reps = reps.design.rep_wgts.n_reps
    start = reps.data.select([f"_rep_{r}" for r in range(1, n_reps + 1)]).to_numpy()
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
            "%s: %d of %d replicates could not be raked to every margin (a replicate "
            "without any respondent of a category); their last iterate is kept",
            method,
            failed,
            n_reps,
        )
    log.info("%s: %d replicate weights, each re-raked to the wave's margins", method, n_reps)
    return pd.DataFrame(out, columns=names, index=data.index)
