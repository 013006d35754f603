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

The collapse policy that resolves a failed check is
:mod:`councilsurvey.survey.collapsing`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: margin -> the respondents' column that holds its category
COLUMN = {"type": "type", "region": "region", "party": "party_group"}
#: council margins, each with the other council attribute its merges are matched on
COUNCIL_MARGINS = {"type": "region", "region": "type"}
#: a cell share below this (of the population) counts as zero
POSITIVE = 1e-9


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
    replicate : str
        The replicate whose respondents fail (see :func:`make_feasible`), or empty.
    """

    feasible: bool
    sparse: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    misses: dict = field(default_factory=dict)
    min_cell_share: float = 0.0
    replicate: str = ""

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
        text = "; ".join(parts)
        return f"in {self.replicate}: {text}" if self.replicate else text


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
