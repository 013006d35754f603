"""The published-claims check: every figure the report published against the pipeline.

Each claim of ``data/raw/<wave>/published.yaml`` (checked against
``workflow/schemas/published.schema.yaml``) is recomputed, unweighted and on the stated
basis, by the function registered for its id in :data:`CLAIMS`; a weighted estimate with
its confidence interval (from the wave's
:class:`~councilsurvey.survey.design.SurveyDesign`: councils as clusters, at the design's
level, 95% in the pipeline) is added for context where one makes sense. Status: a
``count`` or ``proportion`` PASSes within ``tolerance`` of the published value; an
``upper_bound`` PASSes at or below ``value + tolerance``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml, validate
from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "published.schema.yaml"
COLUMNS = [
    "claim_id",
    "text",
    "kind",
    "basis",
    "published",
    "reproduced",
    "n_basis",
    "weighted",
    "weighted_lci",
    "weighted_uci",
    "weighted_measure",
    "tolerance",
    "status",
    "note",
]
LEADER_OR_CEO = ["The leader of the council", "The chief executive"]


def _weighted(design: SurveyDesign, indicator: pd.Series) -> dict:
    s = est.share(design, indicator)
    return {
        "weighted": s["weighted"],
        "weighted_lci": s["lci"],
        "weighted_uci": s["uci"],
        "weighted_measure": f"weighted share of councillors ({design.level:.0%} CI)",
        "n_basis": s["n"],
    }


def _count(value, n_basis=None, **extra) -> dict:
    return {"reproduced": float(value), "n_basis": n_basis, **extra}


def _segment_count(name: str) -> Callable:
    def fn(design, frame):
        seg = design.data["segment_rule"].astype(str)
        return _count(
            (seg == name).sum(),
            len(design.data),
            **{k: v for k, v in _weighted(design, seg == name).items() if k != "n_basis"},
            note=f"weighted: share of {name}s among all councillors",
        )

    return fn


def _share_claim(column: str, positive, among=None, note="") -> Callable:
    def fn(design, frame):
        values = design.data[column]
        answered = values.notna() if among is None else values.astype("string").isin(among)
        if pd.api.types.is_numeric_dtype(values.dtype) and not isinstance(positive, list):
            hit = values >= positive
        else:
            hit = values.astype("string").isin(positive)
        indicator = hit.astype("boolean").where(answered, pd.NA)
        n = int(answered.sum())
        repro = float(indicator[answered].astype(bool).mean()) if n else np.nan
        return {"reproduced": repro, **_weighted(design, indicator), "note": note}

    return fn


#: claim id -> function(design, frame) returning reproduced value and context
CLAIMS: dict[str, Callable] = {
    "n_respondents": lambda d, f: _count(len(d.data), len(d.data)),
    "n_councils": lambda d, f: _count(d.data["code"].nunique(), len(d.data)),
    "council_coverage": lambda d, f: _count(
        d.data["code"].nunique() / len(f),
        len(f),
        note=f"{d.data['code'].nunique()} of {len(f)} councils",
    ),
    "n_enthusiasts": _segment_count("enthusiast"),
    "n_sceptics": _segment_count("sceptic"),
    "wellbeing_positive": _share_claim(
        "att_wellbeing", 4, note="Agree or Strongly agree; Don't know excluded"
    ),
    "digital_strategy": _share_claim(
        "has_digital_strategy",
        ["Yes"],
        among=["Yes", "No"],
        note="Yes among Yes/No; Don't know excluded",
    ),
    "champion_leader_or_ceo": _share_claim(
        "digital_champion",
        LEADER_OR_CEO,
        note="interpretation: the report's 'few' is read as at most 10%; base: everyone who "
        "answered, Don't know included",
    ),
}


def load_claims(path) -> list[dict]:
    """Read and schema-check ``published.yaml``; every claim id must be known."""
    doc = load_yaml(path)
    validate(doc, SCHEMA, path)
    for claim in doc["claims"]:
        if claim["id"] not in CLAIMS:
            raise InputError(
                path,
                f"claim {claim['id']!r} has no computation in "
                f"councilsurvey.analysis.claims.CLAIMS (known: {', '.join(CLAIMS)})",
            )
    return doc["claims"]


def status(kind: str, published: float, reproduced: float, tolerance: float) -> str:
    """PASS or FAIL of one claim."""
    if reproduced is None or np.isnan(reproduced):
        return "FAIL"
    if kind == "upper_bound":
        ok = reproduced <= published + tolerance + 1e-12
    elif kind == "lower_bound":
        ok = reproduced >= published - tolerance - 1e-12
    else:
        ok = abs(reproduced - published) <= tolerance + 1e-12
    return "PASS" if ok else "FAIL"


def check_claims(design: SurveyDesign, claims: list[dict], frame: pd.DataFrame) -> pd.DataFrame:
    """Recompute every claim.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with ``segment_rule`` (the default rule's segment), and their
        design (the weighted context is estimated with it, at its level).
    claims : list of dict
        From :func:`load_claims`.
    frame : DataFrame
        The wave's council frame.

    Returns
    -------
    DataFrame
        One row per claim with the columns of :data:`COLUMNS`.
    """
    rows = []
    for claim in claims:
        got = CLAIMS[claim["id"]](design, frame)
        row = {
            "claim_id": claim["id"],
            "text": claim["text"],
            "kind": claim["kind"],
            "basis": claim["basis"],
            "published": float(claim["value"]),
            "tolerance": float(claim["tolerance"]),
            **got,
        }
        row["status"] = status(claim["kind"], row["published"], row["reproduced"], row["tolerance"])
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS if not rows else None)
    for col in COLUMNS:
        if col not in out:
            out[col] = np.nan if col not in ("note", "weighted_measure") else ""
    out["note"] = out["note"].fillna("")
    out["weighted_measure"] = out["weighted_measure"].fillna("")
    return out[COLUMNS]
