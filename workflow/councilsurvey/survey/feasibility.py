"""Can the respondents be raked to every margin at once? And if not, what to collapse.

Raking (iterative proportional fitting) scales the weights of the respondents who share a
*cell*, a combination of categories on every margin, by one factor. It can meet every
margin total only if some **strictly positive** weights on the cells that respondents
occupy add up to every margin total: a transportation (flow) feasibility problem on the
observed cells. When none exists raking never converges (a margin error stays at, say,
16/1,988 after 10,000 sweeps) or, with an empty category, cannot start.

:func:`check` decides this exactly, before raking, with one linear programme (HiGHS,
:func:`scipy.optimize.linprog`): maximise ``t`` subject to every margin total and every
observed cell at least ``t``; the margins are feasible iff ``t > 0``. When they are not,
it names the conflict for the log and the error message:

* *sparse* categories: seats in the frame but fewer respondents than
  ``min_respondents`` (none, by default), or respondents but no seats;
* *confined* categories: for each pair of margins and each set of one or two categories
  of one margin, the categories of the other margin their respondents lie in. If those
  have fewer seats than the set (or exactly as many, while also holding other
  respondents, whose weights would have to be zero) no weights meet both margins, e.g.
  type ``london_borough`` + ``sui_generis`` (1,988 seats) whose respondents all lie in
  region ``London`` (1,972 seats) when the wave has a City of London member but no Isles
  of Scilly member;
* otherwise (a conflict among three margins) the categories that the closest fit misses,
  from a second, elastic programme (least total absolute miss in seats).

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
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from councilsurvey.core.errors import InputError

log = logging.getLogger(__name__)

#: margin -> the respondents' column that holds its category
COLUMN = {"type": "type", "region": "region", "party": "party_group"}
#: council margins, each with the other council attribute its merges are matched on
COUNCIL_MARGINS = {"type": "region", "region": "type"}
#: a cell share below this (of the population) counts as zero
POSITIVE = 1e-9


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
class Report:
    """Outcome of :func:`check`.

    Attributes
    ----------
    feasible : bool
        Whether strictly positive cell weights meet every margin.
    sparse : list of (margin, category, respondents, seats, why)
        Categories that fail ``min_respondents`` (or have respondents but no seats).
    conflicts : list of (margins, categories, text)
        Confined categories whose totals conflict (pairs of margins).
    misses : dict
        (margin, category) -> seats by which the closest fit misses its total.
    min_cell_share : float
        The largest achievable smallest cell weight, as a share of the population
        (0 when infeasible).
    """

    feasible: bool
    sparse: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    misses: dict = field(default_factory=dict)
    min_cell_share: float = 0.0

    @property
    def miss(self) -> float:
        """Total seats the closest fit misses (0 when the margins can be met)."""
        return float(sum(self.misses.values()))

    def involved(self) -> list[tuple[str, str]]:
        """(margin, category) named by the failure, in order of mention."""
        out = [(m, c) for m, c, *_ in self.sparse]
        for _, cats, _ in self.conflicts:
            out += cats
        out += list(self.misses)
        return list(dict.fromkeys(out))

    def describe(self) -> str:
        """The failure in one line."""
        if self.feasible:
            return "every margin can be met"
        parts = [
            f"{m} {c!r} has {_seats(s)} in the frame but {why}" + (f" ({_n(k)})" if k else "")
            for m, c, k, s, why in self.sparse
        ]
        parts += [text for _, _, text in self.conflicts]
        if not parts and self.misses:
            worst = sorted(self.misses.items(), key=lambda kv: -kv[1])[:4]
            parts.append(
                "the margins conflict (among three or more); the closest fit misses "
                + ", ".join(f"{m} {c!r} by {_seats(v)}" for (m, c), v in worst)
            )
        if not parts:
            parts.append(
                "the margins can be met only with some respondents' weights at zero "
                "(a category's seats exactly used up by respondents of other categories)"
            )
        return "; ".join(parts)


def _seats(v: float) -> str:
    return f"{v:,.0f} seats" if float(v).is_integer() else f"{v:,.2f} seats"


def _n(k: int) -> str:
    return f"{k} respondent" + ("" if k == 1 else "s")


class _Problem:
    """The observed cells and margin totals of one state of the collapse."""

    def __init__(self, cats: pd.DataFrame, totals: dict, margins: list[str]):
        self.margins = margins
        cols = [COLUMN.get(m, m) for m in margins]
        table = cats[cols].astype(str)
        grouped = table.groupby(cols, sort=True).size()
        self.cells = grouped.index.to_frame(index=False)
        self.cells.columns = margins
        self.counts = grouped.to_numpy()
        self.totals = totals

    def respondents(self, margin: str) -> pd.Series:
        return pd.Series(self.counts).groupby(self.cells[margin].to_numpy()).sum()


def check(cats: pd.DataFrame, totals: dict, margins: list[str], min_respondents: int = 1):
    """Whether the respondents can be raked to every margin at once.

    Parameters
    ----------
    cats : DataFrame
        Every respondent's category on each margin (columns :data:`COLUMN`).
    totals : dict
        Margin -> {category: population seats}.
    margins : list of str
        The margins to be raked.
    min_respondents : int
        A category with seats and fewer respondents than this fails the check.

    Returns
    -------
    Report
    """
    prob = _Problem(cats, totals, margins)
    sparse = []
    for m in margins:
        n = prob.respondents(m)
        for cat, seats in totals[m].items():
            k = int(n.get(cat, 0))
            if seats > 0 and k < min_respondents:
                why = "no respondents" if k == 0 else f"fewer than {min_respondents} respondents"
                sparse.append((m, cat, k, float(seats), why))
            elif seats <= 0 and k > 0:
                sparse.append((m, cat, k, 0.0, "respondents but no seats"))
    if sparse:
        return Report(False, sparse=sparse, conflicts=_confined(prob))
    share = _max_min_cell(prob)
    if share > POSITIVE:
        return Report(True, min_cell_share=share)
    return Report(False, conflicts=_confined(prob), misses=_misses(prob))


def _matrix(prob: _Problem):
    """Margin constraints on the cells: rows (margin, category), their totals."""
    from scipy.sparse import csr_matrix

    rows, keys, b = [], [], []
    for m in prob.margins:
        col = prob.cells[m].to_numpy()
        for cat, seats in prob.totals[m].items():
            members = np.flatnonzero(col == cat)
            if seats <= 0 and members.size == 0:
                continue
            rows.append(members)
            keys.append((m, cat))
            b.append(float(seats))
    ri = np.concatenate([np.full(len(r), i) for i, r in enumerate(rows)]) if rows else []
    ci = np.concatenate(rows) if rows else []
    a = csr_matrix((np.ones(len(ci)), (ri, ci)), shape=(len(rows), len(prob.cells)))
    return a, np.asarray(b), keys


def _max_min_cell(prob: _Problem) -> float:
    """max t: every margin total met, every observed cell >= t (shares of the
    population); 0 if no non-negative weights meet the margins."""
    from scipy.optimize import linprog
    from scipy.sparse import hstack, identity

    a, b, _ = _matrix(prob)
    grand = [sum(prob.totals[m].values()) for m in prob.margins]
    if max(grand) - min(grand) > POSITIVE * max(grand):
        return 0.0
    scale = grand[0]
    n = a.shape[1]
    a_eq = hstack([a, np.zeros((a.shape[0], 1))]).tocsr()
    a_ub = hstack([-identity(n), np.ones((n, 1))]).tocsr()
    res = linprog(
        c=np.r_[np.zeros(n), -1.0],
        A_ub=a_ub,
        b_ub=np.zeros(n),
        A_eq=a_eq,
        b_eq=b / scale,
        bounds=[(0, None)] * n + [(0, 1)],
        method="highs",
    )
    return float(-res.fun) if res.status == 0 else 0.0


def _misses(prob: _Problem) -> dict:
    """(margin, category) -> seats by which the closest fit (least total absolute miss,
    non-negative cell weights) misses the category's total; only the missed ones."""
    from scipy.optimize import linprog
    from scipy.sparse import hstack, identity

    a, b, keys = _matrix(prob)
    k, n = a.shape
    a_eq = hstack([a, identity(k), -identity(k)]).tocsr()
    res = linprog(
        c=np.r_[np.zeros(n), np.ones(2 * k)],
        A_eq=a_eq,
        b_eq=b,
        bounds=[(0, None)] * (n + 2 * k),
        method="highs",
    )
    if res.status != 0:
        return {}
    slack = res.x[n : n + k] + res.x[n + k :]
    return {key: float(s) for key, s in zip(keys, slack, strict=True) if s > POSITIVE * b.sum()}


def _confined(prob: _Problem) -> list:
    """Sets of one or two categories of a margin whose respondents lie in categories of
    another margin with fewer seats (or exactly as many, shared with others)."""
    found, seen = [], set()
    for a, b in [(a, b) for a in prob.margins for b in prob.margins if a != b]:
        ta, tb = prob.totals[a], prob.totals[b]
        na, nb = prob.respondents(a), prob.respondents(b)
        members = prob.cells.groupby(a)[b].agg(lambda s: frozenset(s))
        cats = [c for c in sorted(ta) if c in members.index]
        for size in (1, 2):
            for group in combinations(cats, size):
                if any(m == a and g <= frozenset(group) for m, g in seen):
                    continue
                inside = frozenset().union(*(members[c] for c in group))
                need = sum(ta[c] for c in group)
                have = sum(tb.get(c, 0.0) for c in inside)
                shared = set(prob.cells.loc[prob.cells[b].isin(inside), a]) - set(group)
                tie = abs(need - have) <= POSITIVE * max(need, 1.0) and shared
                if need - have > POSITIVE * max(need, 1.0) or tie:
                    seen.add((a, frozenset(group)))
                    found.append(
                        (
                            (a, b),
                            [(a, c) for c in group] + [(b, c) for c in sorted(inside)],
                            _conflict_text(a, group, b, inside, ta, tb, na, nb, bool(tie)),
                        )
                    )
    return found


def _conflict_text(a, group, b, inside, ta, tb, na, nb, tie) -> str:
    what = " and ".join(f"{c!r} ({_n(int(na.get(c, 0)))}, {_seats(ta[c])})" for c in group)
    where = " and ".join(f"{c!r} ({_n(int(nb.get(c, 0)))}, {_seats(tb[c])})" for c in inside)
    need = sum(ta[c] for c in group)
    have = sum(tb[c] for c in inside)
    together = f", {_seats(need)} together" if len(group) > 1 else ""
    their = "their" if len(group) > 1 else "its"
    across = f" ({_seats(have)} together)" if len(inside) > 1 else ""
    text = f"{a} {what}{together}: all {their} respondents are in {b} {where}{across}"
    if tie:
        return text + f", whose seats must also cover respondents of other {a} categories"
    return text


# --------------------------------------------------------------------------------------
# the collapse policy


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
) -> Resolution:
    """Check the margins (:func:`check`); if they fail, apply the collapse policy.

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
    report = check(state.cats, state.totals, state.margins, pol["min_respondents"])
    if report.feasible:
        return Resolution(state.cats, state.totals, state.margins, [], report)
    if not pol["enabled"]:
        raise InputError(source, _message(report, policy=False), column=_column(report))
    log.warning("weighting: the margins cannot all be met as configured: %s", report.describe())
    collapses: list[Collapse] = []
    while not report.feasible:
        step = _next_step(state, report, pol)
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


def _next_step(state: _State, report: Report, pol: dict):
    """One step of the policy: (new state, its collapses, its check), or None."""
    minimum = pol["min_respondents"]
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
            done = trial.merge(m, cat, merges[m][cat], why)
            return trial, done, check(trial.cats, trial.totals, trial.margins, minimum)
    # 2. a listed merge: the first that makes the margins feasible, or the best
    best = None
    for m, cat in options():
        trial = state.copy()
        why = _reason(report, m, cat)
        done = trial.merge(m, cat, merges[m][cat], why)
        after = check(trial.cats, trial.totals, trial.margins, minimum)
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
            return trial, done, check(trial.cats, trial.totals, trial.margins, minimum)
    return None


def _reason(report: Report, margin: str, cat: str) -> str:
    for _, cats, text in report.conflicts:
        if (margin, cat) in cats:
            return f"conflict: {text}"
    return f"conflict: {report.describe()}"
