"""Measures of a published claim on a wave's data (:mod:`councilsurvey.analysis.claims`).

A claim's ``measure:`` (published.yaml) names what it counts: a share of councillors who
gave an answer (single- or multi-choice), a segment's share, the respondents or the
councils. :func:`measure` computes it on the wave's data: the unweighted value on the
published basis, its base and, for a share of councillors, the design-based weighted
estimate. :class:`Shares` gathers every claim's indicator and estimates all their weighted
shares from one svy sample of the wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from councilsurvey.inputs.codebook import Codebook, option_targets
from councilsurvey.inputs.columns import norm_text
from councilsurvey.inputs.instrument import NON_SUBSTANTIVE
from councilsurvey.inputs.labels import SEGMENT_WORDS

if TYPE_CHECKING:  # the design stack (svy, polars) is loaded where a claim is measured
    from councilsurvey.survey.design import SurveyDesign


class Unavailable(Exception):
    """A measure the wave's data cannot give (its message says why, for ``note``)."""


@dataclass
class Measured:
    """One measure on a wave's data: the unweighted value, its base and, for a share of
    councillors, the weighted estimate (``weighted`` is None otherwise)."""

    reproduced: float
    n_basis: int | None
    weighted: dict | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def _find_option(var: dict, answer: str) -> str:
    wanted = norm_text(answer)
    for (column, _), opt in zip(option_targets(var), var["options"], strict=True):
        if norm_text(str(opt["text"])) == wanted:
            return column
    known = "; ".join(str(o["text"]) for o in var["options"])
    raise Unavailable(
        f"{answer!r} is not an option of {var['id']} in this wave's codebook (options: {known})"
    )


def answer_indicator(data: pd.DataFrame, codebook: Codebook, question: str, answers) -> pd.Series:
    """Whether each respondent gave any of ``answers`` to ``question``; missing outside
    the question's base (see the module docstring, Bases).

    Parameters
    ----------
    data : DataFrame
        Cleaned (or weighted) responses.
    codebook : Codebook
        The wave's codebook: a question's kind, answer texts -> codes, options -> columns.
    question : str
        Variable id.
    answers : list of str
        Answer (option) texts as the questionnaire words them.

    Returns
    -------
    Series
        Nullable boolean, indexed like ``data``.

    Raises
    ------
    Unavailable
        When the question is not in the wave's codebook or data, or an answer is not one
        of its answers.
    """
    try:
        var = codebook.variable(question)
    except KeyError:
        raise Unavailable(f"question {question!r} is not in this wave's data") from None
    kind = var.get("kind")
    if kind == "multi_select":
        columns = [c for c, _ in option_targets(var)]
        if any(c not in data.columns for c in columns):
            raise Unavailable(f"question {question!r} is not in this wave's data")
        chosen = [_find_option(var, a) for a in answers]
        answered = data[columns].notna().any(axis=1)
        hit = data[chosen].fillna(False).astype(bool).any(axis=1)
        return hit.astype("boolean").where(answered, pd.NA)
    if kind not in ("likert", "single_choice"):
        raise Unavailable(f"question {question!r} ({kind}) has no answers to count")
    if question not in data.columns:
        raise Unavailable(f"question {question!r} is not in this wave's data")
    lookup = {norm_text(str(k)): v for k, v in var["values"].items()}
    missing = [a for a in answers if norm_text(a) not in lookup]
    if missing:
        known = "; ".join(str(k) for k in var["values"])
        raise Unavailable(
            f"{missing[0]!r} is not an answer to {question} in this wave's codebook "
            f"(answers: {known})"
        )
    counted = {lookup[norm_text(a)] for a in answers} - {None}
    set_aside = {
        v for k, v in var["values"].items() if str(k) in NON_SUBSTANTIVE and v is not None
    } - counted
    values = data[question].astype(object)
    answered = values.notna() & ~values.isin(list(set_aside))
    hit = values.isin(list(counted))
    return hit.astype("boolean").where(answered, pd.NA)


class Shares:
    """Weighted shares of a wave's indicators, estimated from one svy sample.

    Each share is :func:`councilsurvey.survey.estimation.share`'s, number for number: the
    share of the category "yes" of the indicator (True -> "yes", False -> "no", missing
    left out of the base but kept in the design), by svy's ``prop`` with the design's
    PSUs, calibration, level and domain. What differs is the work: ``share`` converts the
    design's columns to polars and builds an svy sample for every indicator, while here
    every indicator of the wave is a column ``_flag_<i>`` of one sample, built once
    (:meth:`compute`), and each share reads its own column (svy checks and selects only
    the columns an estimate uses, so the other indicators do not change it).

    Parameters
    ----------
    design : SurveyDesign
        The wave's design.
    """

    def __init__(self, design: SurveyDesign):
        self.design = design
        self._flags: list[pd.Series] = []
        self._done: list[dict | None] | None = None

    def add(self, indicator: pd.Series) -> int:
        """Register a nullable-boolean ``indicator`` (indexed like the design's data);
        returns its key for :meth:`get`."""
        if self._done is not None:
            raise RuntimeError("Shares.add after compute")
        self._flags.append(indicator)
        return len(self._flags) - 1

    def compute(self) -> None:
        """Estimate every registered share (an indicator nobody answers has none)."""
        from councilsurvey.analysis.sampled import sampled
        from councilsurvey.survey.estimation import estimate_record, proportions

        flags = {
            f"_flag_{i}": f.map({True: "yes", False: "no"}, na_action="ignore").astype(object)
            for i, f in enumerate(self._flags)
        }
        answered = {k: v for k, v in flags.items() if v.notna().any()}
        self._done = [None] * len(flags)
        if not answered:
            return
        design = sampled(self.design.select([]).assign(**answered), answered)
        for name in answered:
            res = proportions(design, name).set_index("category")
            n = int(res["n"].sum())
            row = res.loc["yes"] if "yes" in res.index else None
            self._done[int(name.removeprefix("_flag_"))] = estimate_record(n, row, design.level)

    def get(self, key: int) -> dict | None:
        """The :func:`~councilsurvey.survey.estimation.estimate_record` of an indicator
        (None where nobody has it)."""
        if self._done is None:
            self.compute()
        return self._done[key]


@dataclass
class _Pending:
    """A measure whose weighted share waits for :meth:`Shares.compute`."""

    measured: Measured
    shares: Shares
    key: int

    def resolve(self) -> Measured:
        self.measured.weighted = self.shares.get(self.key)
        return self.measured


def _share_of(design: SurveyDesign, indicator: pd.Series, shares: Shares | None) -> Measured:
    base = indicator.notna()
    n = int(base.sum())
    repro = float(indicator[base].astype(bool).mean()) if n else np.nan
    if not n:
        return Measured(repro, n, None)
    return _weighted(Measured(repro, n), design, indicator, shares)


def _weighted(got: Measured, design, indicator: pd.Series, shares: Shares | None):
    """``got`` with its weighted share: now (no ``shares``) or once ``shares`` are
    computed (a :class:`_Pending`)."""
    if shares is None:
        from councilsurvey.survey import estimation as est

        got.weighted = est.share(design, indicator)
        return got
    return _Pending(got, shares, shares.add(indicator))


def measure(
    measure: dict, design: SurveyDesign, frame: pd.DataFrame, codebook, shares=None
) -> Measured:
    """Compute one ``measure`` of ``published.yaml`` on a wave (module docstring).

    With ``shares`` (a :class:`Shares` of the design), a measure with a weighted share
    returns a :class:`_Pending` whose ``resolve()`` gives the :class:`Measured` once the
    shares are computed, so that every claim's share comes from one svy sample.

    Raises
    ------
    Unavailable
        When the wave's data cannot give it.
    """
    data = design.data
    if measure.get("count") == "respondents":
        return Measured(float(len(data)), len(data))
    if measure.get("count") == "councils":
        return Measured(float(data["code"].nunique()), len(data))
    if measure.get("coverage") == "councils":
        got = data["code"].nunique()
        return Measured(got / len(frame), len(frame), note=f"{got} of {len(frame)} councils")
    if measure.get("count") == "segment":
        if "segment_rule" not in data.columns:
            raise Unavailable("the wave's data have no default-rule segments")
        name = measure["segment"]
        seg = data["segment_rule"].astype("string")
        hit = seg.eq(name).fillna(False).astype("boolean")  # no segment: not in this one
        words = SEGMENT_WORDS.get(name, name).lower()
        got = Measured(
            float(hit.sum()),
            len(data),
            extra={"weighted_measure": f"weighted share of {words} among all councillors"},
        )
        return _weighted(got, design, hit, shares)
    if codebook is None:
        raise Unavailable("no codebook: answers cannot be read")
    ind = answer_indicator(data, codebook, measure["question"], list(measure["answers"]))
    return _share_of(design, ind, shares)
