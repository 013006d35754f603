"""The collapse policy: what to merge (or drop) when the margins cannot all be met.

:func:`make_feasible` applies the collapse policy (``config.yaml`` ``weighting.
collapse_policy``) when the check fails, one step at a time and checking again after
each, until the margins are feasible:

1. a sparse category merges into its first listed neighbour (``merge``);
2. otherwise the listed merges are tried one at a time, categories named in a conflict
   first (fewest respondents first), then in the order of the configuration; the first
   that makes the margins feasible is kept, or else the one that most reduces the
   closest fit's miss;
3. otherwise, as the last resort, a margin is dropped, the first in ``drop_margins``
   that takes part in the conflict.

A category of a council margin (type, region) merges *council by council*: each council
of the category goes to the first listed neighbour that the frame has in the council's
own region (for type; its own type, for region), or else to the first listed neighbour.
``sui_generis: [london_borough, unitary]`` thus puts the City of London (London) with the
London boroughs and the Isles of Scilly (South West) with the unitaries: no new cell
(a unitary in London) is created that a wave without a City of London member could not
fill. Party categories merge as labels. Every merge and drop is recorded
(:class:`Collapse`) and logged in one line.

With replicate-weight variance (``variance.method`` jackknife or bootstrap) every
replicate's respondents must meet the margins too, since each replicate is raked again
to the same totals; the check then covers the whole sample and every replicate, and a
collapse a replicate needed names that replicate in its reason. In England's 2016 frame
the only two ``sui_generis`` councils lie in different regions, so a jackknife replicate
without either confines the other's respondents to one region: the policy merges
``sui_generis`` for the wave and all its replicates.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.survey.feasibility import COLUMN, COUNCIL_MARGINS, Report, _n, _seats, check

log = logging.getLogger(__name__)


@dataclass
class Collapse:
    """One merge (or margin dropped) of the collapse policy."""

    margin: str
    source: str
    into: str
    reason: str
    respondents: int
    seats: float

    def as_row(self) -> dict:
        """The record for the collapse table: the reason without respondent counts of
        single categories (the table is published; its ``respondents`` column is
        disclosure-controlled, free text would not be)."""
        return {
            "margin": self.margin,
            "from": self.source,
            "into": self.into,
            "reason": re.sub(r"\d+ respondents?, ", "", self.reason),
            "respondents": self.respondents,
            "seats": self.seats,
        }


#: columns of the collapse table (:func:`collapse_table`)
COLLAPSE_COLUMNS = ["margin", "from", "into", "reason", "respondents", "seats"]


def collapse_table(collapses: list[Collapse]) -> pd.DataFrame:
    """The collapses as a table (no rows when nothing was collapsed)."""
    return pd.DataFrame([c.as_row() for c in collapses], columns=COLLAPSE_COLUMNS)


@dataclass
class Resolution:
    """The margins made feasible: categories (respondents), totals, margins kept, and
    what was collapsed to get there."""

    cats: pd.DataFrame
    totals: dict
    margins: list[str]
    collapses: list[Collapse]
    report: Report


class _State:
    """Categories of respondents and councils, and population totals, as merged so far."""

    def __init__(self, cats, totals, margins, councils, codes):
        self.cats = cats
        self.totals = totals
        self.margins = margins
        self.councils = councils  # frame: code, type, region, filled (categories merged)
        self.codes = codes  # respondents' council codes

    def copy(self):
        return _State(
            self.cats.copy(),
            {m: dict(v) for m, v in self.totals.items()},
            list(self.margins),
            self.councils.copy(),
            self.codes,
        )

    def merge(self, margin: str, source: str, into: list[str], reason: str) -> list[Collapse]:
        """Merge ``source`` of ``margin`` into its neighbours; the records."""
        present = [c for c in into if c in self.totals[margin] and c != source]
        col = COLUMN.get(margin, margin)
        moved = self.cats[col] == source
        if margin not in COUNCIL_MARGINS:
            target = present[0]
            rows = [(target, int(moved.sum()), self.totals[margin][source])]
            self.cats.loc[moved, col] = target
        else:
            other = COUNCIL_MARGINS[margin]
            fr = self.councils
            of_source = fr[margin] == source

            def pick(value):
                for c in present:
                    if ((fr[margin] == c) & (fr[other] == value)).any():
                        return c
                return present[0]

            target = fr.loc[of_source, other].map(pick)
            fr.loc[of_source, margin] = target
            by_code = dict(zip(fr.loc[of_source, "code"], target, strict=True))
            new = self.codes[moved].map(by_code).fillna(present[0])
            self.cats.loc[moved, col] = new.to_numpy()
            seats = fr.loc[of_source, "filled"].groupby(target).sum()
            rows = [(c, int((new == c).sum()), float(seats[c])) for c in dict.fromkeys(target)]
        del self.totals[margin][source]
        for c, _, s in rows:
            self.totals[margin][c] = self.totals[margin][c] + s
        return [Collapse(margin, source, c, reason, k, s) for c, k, s in rows]

    def drop(self, margin: str, reason: str) -> Collapse:
        seats = float(sum(self.totals.pop(margin).values()))
        self.margins.remove(margin)
        n = len(self.cats)
        return Collapse(margin, "(all categories)", "(margin dropped)", reason, n, seats)


def _policy(cfg: dict) -> dict:
    pol = cfg.get("collapse_policy") or {}
    return {
        "enabled": bool(pol.get("enabled", False)),
        "min_respondents": int(pol.get("min_respondents", 1)),
        "merge": pol.get("merge") or {},
        "drop_margins": list(pol.get("drop_margins") or []),
    }


def make_feasible(
    cats: pd.DataFrame,
    totals: dict,
    margins: list[str],
    frame: pd.DataFrame,
    codes: pd.Series,
    cfg: dict,
    source="responses",
    subsamples=None,
) -> Resolution:
    """Check the margins (:func:`check`); if they fail, apply the collapse policy.

    With ``subsamples`` (the respondents each replicate of a replicate-weight variance
    keeps, :func:`councilsurvey.survey.replicates.replicate_members`) the margins must
    also be feasible for every replicate's respondents, since each replicate is raked
    again to the same totals; the first replicate that fails is the conflict the policy
    resolves, and its description is in the collapse's reason.

    Parameters
    ----------
    cats : DataFrame
        Respondents' categories on each margin (explicit ``collapse`` already applied).
    totals : dict
        Margin -> {category: population seats} (explicit ``collapse`` applied).
    margins : list of str
        Margins to rake.
    frame : DataFrame
        The council frame (``code``, ``type``, ``region``, ``seats``, ``vacant``).
    codes : Series
        The respondents' council codes, aligned with ``cats``.
    cfg : dict
        ``config.yaml`` ``weighting``: ``collapse`` (explicit merges, applied to the
        frame's councils here too) and ``collapse_policy`` (``enabled``,
        ``min_respondents``, ``merge``: margin -> {category: [neighbours, in order]},
        ``drop_margins``: margins that may be dropped, in order).
    source : str or Path
        Named in the error message.
    subsamples : list of (str, ndarray of bool), optional
        Each replicate's description and its mask over the respondents.

    Returns
    -------
    Resolution

    Raises
    ------
    InputError
        The margins cannot all be met and the policy is off, or it runs out of merges
        and margins to drop: one line naming the conflicting margins and categories
        with their respondents and seats.
    """
    pol = _policy(cfg)
    state = _State(
        cats.copy(),
        {m: dict(totals[m]) for m in margins},
        list(margins),
        _councils(frame, cfg.get("collapse") or {}),
        pd.Series(codes.astype(str).to_numpy(), index=cats.index),
    )
    minimum = pol["min_respondents"]

    def checker(st: _State) -> Report:
        report = check(st.cats, st.totals, st.margins, minimum)
        if not report.feasible:
            return report
        for label, kept in subsamples or ():
            sub = check(st.cats[kept], st.totals, st.margins, minimum)
            if not sub.feasible:
                sub.replicate = label
                return sub
        return report

    report = checker(state)
    if report.feasible:
        return Resolution(state.cats, state.totals, state.margins, [], report)
    if not pol["enabled"]:
        raise InputError(source, _message(report, policy=False), column=_column(report))
    log.warning("weighting: the margins cannot all be met as configured: %s", report.describe())
    collapses: list[Collapse] = []
    while not report.feasible:
        step = _next_step(state, report, pol, checker)
        if step is None:
            raise InputError(source, _message(report, policy=True), column=_column(report))
        state, done, report = step
        for c in done:
            if c.into == "(margin dropped)":
                log.warning("weighting: dropped margin %s: %s", c.margin, c.reason)
                continue
            log.warning(
                "weighting: collapsed %s %r into %r (%s, %s): %s",
                c.margin,
                c.source,
                c.into,
                _n(c.respondents),
                _seats(c.seats),
                c.reason,
            )
        collapses += done
    return Resolution(state.cats, state.totals, state.margins, collapses, report)


def _councils(frame: pd.DataFrame, collapse: dict) -> pd.DataFrame:
    out = frame[["code", "type", "region"]].astype(str).copy()
    for m in COUNCIL_MARGINS:
        out[m] = out[m].replace(collapse.get(m, {}))
    out["filled"] = (frame["seats"] - frame["vacant"]).astype(float).to_numpy()
    return out.reset_index(drop=True)


def _column(report: Report) -> str | None:
    """The respondents' column of the first margin the failure names."""
    named = report.involved()
    return COLUMN.get(named[0][0], named[0][0]) if named else None


def _message(report: Report, policy: bool) -> str:
    fix = (
        "the collapse policy (config.yaml weighting.collapse_policy) found no merge or "
        "margin to drop that resolves it; list a neighbour for these categories "
        "(collapse_policy.merge) or collapse them (weighting.collapse)"
        if policy
        else "collapse these categories (config.yaml weighting.collapse) or enable "
        "weighting.collapse_policy"
    )
    return f"raking margins cannot all be met: {report.describe()}; {fix}"


def _next_step(state: _State, report: Report, pol: dict, checker):
    """One step of the policy: (new state, its collapses, its check), or None.
    ``checker`` checks a state (the whole sample, then every replicate's)."""
    merges = pol["merge"]

    def options():
        named = {}
        for m, cat, k, *_ in report.sparse:
            named.setdefault((m, cat), k)
        for _, cats, _ in report.conflicts:
            for m, cat in cats:
                n = int((state.cats[COLUMN.get(m, m)] == cat).sum())
                named.setdefault((m, cat), n)
        listed = [
            (m, cat)
            for m in state.margins
            for cat in merges.get(m, {})
            if cat in state.totals[m]
            and any(c in state.totals[m] and c != cat for c in merges[m][cat])
        ]
        first = sorted((k for k in listed if k in named), key=lambda k: named[k])
        return first + [k for k in listed if k not in named]

    # 1. a sparse category with a listed neighbour
    listed = options()
    for m, cat, *_, why in report.sparse:
        if (m, cat) in listed:
            trial = state.copy()
            done = trial.merge(m, cat, merges[m][cat], _in(report, why))
            return trial, done, checker(trial)
    # 2. a listed merge: the first that makes the margins feasible, or the best
    best = None
    for m, cat in options():
        trial = state.copy()
        why = _reason(report, m, cat)
        done = trial.merge(m, cat, merges[m][cat], why)
        after = checker(trial)
        if after.feasible:
            return trial, done, after
        score = (len(after.sparse), after.miss)
        if score < (len(report.sparse), report.miss) and (best is None or score < best[0]):
            best = (score, (trial, done, after))
    if best is not None:
        return best[1]
    # 3. drop a margin, the first listed that takes part in the conflict
    involved = {m for m, _ in report.involved()}
    for m in pol["drop_margins"]:
        if m in state.margins and m in involved and len(state.margins) > 1:
            trial = state.copy()
            done = [trial.drop(m, f"last resort: {report.describe()}")]
            return trial, done, checker(trial)
    return None


def _in(report: Report, why: str) -> str:
    """The reason, naming the replicate whose respondents fail (if one does)."""
    return f"in {report.replicate}: {why}" if report.replicate else why


def _reason(report: Report, margin: str, cat: str) -> str:
    for _, cats, text in report.conflicts:
        if (margin, cat) in cats:
            return _in(report, f"conflict: {text}")
    return f"conflict: {report.describe()}"
