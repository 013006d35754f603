"""Stage ``weight``: coverage base weights raked to the council frame's filled seats, with
the margins table and figure and the weight diagnostics."""

from __future__ import annotations

import json
import logging

from councilsurvey.core.writers import write_csv, write_parquet, write_text
from councilsurvey.inputs.frame import load_frame

log = logging.getLogger("councilsurvey")


def weight_wave(
    responses,
    frame,
    n_councils,
    weighting,
    wave,
    synthetic,
    weighted,
    margins,
    diagnostics,
    trimming,
    margins_figure,
    collapses=None,
    variance=None,
) -> None:
    """The weight stage for one wave: see :mod:`councilsurvey.survey.weighting`; with
    ``variance.method`` jackknife or bootstrap, also the replicate weights, each
    re-raked (:mod:`councilsurvey.survey.replicates`)."""
    import pandas as pd

    from councilsurvey.core.statement import data_statement
    from councilsurvey.report.figures import margins_figure as plot_margins
    from councilsurvey.survey.weighting import weight

    data = pd.read_parquet(responses)
    fr = load_frame(frame, n_councils, validate=False)  # checked by validate_raw
    method = (variance or {}).get("method", "linearisation")
    members = None
    if method != "linearisation":
        from councilsurvey.survey.replicates import replicate_members, replicate_weights

        # every replicate must be able to meet the margins it is raked to again
        members = replicate_members(
            data["code"],
            method,
            replicates=int(variance.get("replicates", 200)),
            seed=int(variance.get("seed", 2017)),
        )
    result = weight(data, fr, weighting, source=responses, subsamples=members)
    if method != "linearisation":
        reps = replicate_weights(
            result.data,
            method,
            replicates=int(variance.get("replicates", 200)),
            seed=int(variance.get("seed", 2017)),
            tol=float(weighting["tolerance"]),
            max_iter=int(weighting["max_iter"]),
            trim=weighting.get("trim"),
            trim_cycles=int(weighting.get("trim_max_cycles", 100)),
        )
        result.data = pd.concat([result.data, reps], axis=1)
    write_parquet(result.data, weighted)
    from councilsurvey.inputs.labels import ReaderLabels

    write_csv(ReaderLabels().labelled(result.margins), margins)  # margins in words
    write_csv(result.diagnostics, diagnostics)
    if collapses is not None:
        write_csv(result.collapses, collapses)
    write_text(
        json.dumps(result.trimming or {"trimming": "off"}, indent=2, sort_keys=True) + "\n",
        trimming,
    )
    plot_margins(
        result.margins,
        margins_figure,
        f"Wave {wave}: respondents against the council frame, by raked margin",
        data_statement(synthetic),
    )
    d = result.diagnostics.set_index("weight").loc["weight"]
    log.info(
        "wave %s: weights sum to %.0f seats; Kish deff %.3f, effective n %.1f; "
        "%s iterations, converged=%s, largest margin error %.3g; margins %s, %d collapse(s)",
        wave,
        d["sum"],
        d["deff_kish"],
        d["n_effective"],
        d["iterations"],
        d["converged"],
        d["max_margin_error"],
        d["margins"],
        len(result.collapses),
    )
