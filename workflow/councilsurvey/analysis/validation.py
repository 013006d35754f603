"""Known-truth validation: does the weighting recover a population truth, with honest
intervals?

Samples are drawn from a synthetic population whose answers are known
(:mod:`councilsurvey.analysis.simulation`) through a non-response scenario, and each
replicate sample is estimated exactly as the pipeline estimates a wave: weighted by a
scheme of ``config.yaml`` ``robustness.weighting``, the segments of the default rule
(computed once on the population with :func:`councilsurvey.analysis.segments.classify`,
the estimator under study), and design-based shares with councils as PSUs and standard
errors that account for the raking. Over ``k`` replicates :func:`summarise` reports, per
estimand x scheme x scenario, the mean estimate, bias, RMSE, the coverage of the 95%
intervals and their mean width, with Monte Carlo standard errors.

**Vectorised across replicates.** All replicates' respondents are stacked in one array
(:class:`~councilsurvey.analysis.simulation.Samples`), and every step works on the stack:

* *weights*: unweighted (1), coverage (``filled seats / respondents`` of the council in
  the replicate) and raked. Raking multiplies every weight of a raking cell (a
  combination of categories on every margin) by one factor, so it is done on the table of
  cell totals of all replicates at once (iterative proportional fitting with ``bincount``
  over (replicate, category) groups, to the weight stage's relative tolerance), and each
  respondent's weight is scaled by its cell's factor: the fixed point is the one svy
  reaches for the weight stage (:class:`councilsurvey.survey.weighting._Cells`).
* *collapses*: the weight stage's collapse policy (``weighting.collapse_policy``) merges a
  category that has no respondents into its first listed neighbour and, when the margins
  conflict, tries the listed merges. On these frames the only conflicts are the
  ``sui_generis`` type (the City of London and the Isles of Scilly) with a member of one
  of its councils missing, which the policy resolves by merging ``sui_generis`` council
  by council into ``london_borough`` / ``unitary``; :func:`margin_labels` applies
  the same merges per replicate (a test checks it against
  :func:`councilsurvey.survey.weighting.weight`). A replicate whose raking still does not
  converge is weighted by :func:`councilsurvey.survey.weighting.weight` itself, with the
  full feasibility check.
* *standard errors*: Taylor linearisation of the ratio ``sum(w y) / sum(w)`` with
  councils as PSUs drawn with replacement (R's ``svydesign(ids=~code, weights=~w)``):
  influence values ``x_i = w_i (y_i - p) / sum(w)``, their PSU totals, and
  ``v = n / (n - 1) * sum((t_c - mean t)^2)`` over a replicate's ``n`` councils. For a
  raked scheme the influence values are first replaced by their residuals on the raked
  margins, as R's ``svyrecvar`` does for a ``rake()`` design and svy for the weight
  stage's record (:mod:`councilsurvey.survey.design`): ten backfitting sweeps over the
  margins, each subtracting from ``x`` the starting weights times the category's
  ``sum(x) / sum(starting weight)``. Intervals are the logit intervals of
  :func:`councilsurvey.survey.estimation.share`: ``logit(p) +- t(df) se / (p (1 - p))``
  with ``df`` = councils - 1. A test checks the estimates, standard errors and limits
  against :func:`~councilsurvey.survey.estimation.share` on
  :meth:`~councilsurvey.survey.design.SurveyDesign.of_wave` of sampled replicates.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from councilsurvey.analysis.simulation import ESTIMANDS, Population, Samples
from councilsurvey.core.errors import InputError

log = logging.getLogger(__name__)

#: columns of the study's table (:func:`summarise`)
COLUMNS = [
    "estimand",
    "scheme",
    "scenario",
    "truth",
    "mean_estimate",
    "bias",
    "rmse",
    "coverage",
    "ci_width",
    "k",
    "mc_se_coverage",
    "mc_se_bias",
    "mean_respondents",
    "mean_councils",
]
#: backfitting sweeps of the calibration residuals (R's svyrecvar and svy use 10)
SWEEPS = 10
#: margin -> the respondents' column it rakes
MARGIN_COLUMN = {"type": "type", "region": "region", "party": "party_group"}


def scheme_kind(name: str, scheme: dict, weighting_cfg: dict) -> tuple[str, list[str]]:
    """``("none" | "coverage" | "raked", margins)`` of a robustness weighting scheme.

    Raises
    ------
    InputError
        For a trimmed scheme (trimming is not simulated: svy's trim-and-rake cycle works
        respondent by respondent) or an unknown kind.
    """
    kind = (scheme or {}).get("weights", "raked")
    if kind in ("none", "coverage"):
        return kind, []
    if kind != "raked":
        raise InputError("config.yaml", f"validation: scheme {name!r} has weights {kind!r}")
    if (scheme or {}).get("trim") is not None:
        raise InputError(
            "config.yaml",
            f"validation: scheme {name!r} is trimmed; trimmed schemes are not simulated",
        )
    return "raked", list(scheme.get("margins", weighting_cfg["margins"]))


class Stack:
    """The respondents of every replicate of one scenario, with what estimation needs.

    Attributes
    ----------
    rep, council : ndarray
        Each respondent's replicate and council (index into ``pop.councils``).
    psu : ndarray
        Each respondent's (replicate, council) group, numbered 0.. in sorted order.
    psu_rep : ndarray
        The replicate of each such group.
    """

    def __init__(self, pop: Population, samples: Samples):
        self.pop, self.samples, self.k = pop, samples, samples.k
        self.unit = samples.unit
        self.rep = samples.replicate
        self.council = pop.council[self.unit]
        n_c = len(pop.councils)
        keys, self.psu = np.unique(self.rep * n_c + self.council, return_inverse=True)
        self.psu_rep = keys // n_c
        self.n_psu = np.bincount(self.psu_rep, minlength=self.k)
        self.sizes = np.bincount(self.rep, minlength=self.k)

    def column(self, name: str) -> np.ndarray:
        return self.pop.data[name].to_numpy()[self.unit]

    def coverage_weights(self) -> np.ndarray:
        """``filled seats / respondents`` of the respondent's council in its replicate."""
        per_psu = np.bincount(self.psu)
        return self.pop.councils["filled"].to_numpy(dtype=float)[self.council] / per_psu[self.psu]

    def replicate_data(self, r: int) -> pd.DataFrame:
        """Replicate ``r``'s respondents as the weight stage reads them."""
        return self.pop.data.iloc[self.unit[self.rep == r]].reset_index(drop=True)


def margin_labels(
    stack: Stack, margin: str, weighting_cfg: dict, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The categories a margin is raked on in every replicate, after the collapse
    policy's merges for that replicate (see the module docstring).

    A margin's *units* are the frame's councils (type, region) or the party groups
    (party). A category listed in ``collapse_policy.merge`` is merged in a replicate
    when it has fewer than ``min_respondents`` respondents there or, for a council margin,
    when one of its councils has no respondent (the conflict the feasibility check finds
    on these frames): into its first listed neighbour, and for a council margin council
    by council, into the first neighbour the frame has in the council's own region
    (type) or type (region). Explicit merges (``weighting.collapse``) apply always.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``labels`` (k x units: each unit's category in each replicate), ``seats`` (each
        unit's filled seats) and each respondent's unit.
    """
    from councilsurvey.inputs.frame import PARTY_COLUMNS
    from councilsurvey.survey.weighting import PARTY_LABELS

    explicit = (weighting_cfg.get("collapse") or {}).get(margin, {})
    policy = weighting_cfg.get("collapse_policy") or {}
    merges = policy.get("merge", {}).get(margin, {}) if policy.get("enabled", False) else {}
    least = int(policy.get("min_respondents", 1))
    councils = stack.pop.councils
    if margin == "party":
        names = [PARTY_LABELS[c] for c in PARTY_COLUMNS]
        seats = frame[PARTY_COLUMNS].sum().to_numpy(dtype=float)
        groups = {p: PARTY_LABELS[g] for p, g in weighting_cfg["party_groups"].items()}
        own = pd.Series(stack.column("party")).map(groups).to_numpy(dtype=object)
        unit = pd.Series(range(len(names)), index=names)[own].to_numpy()
        home = [None] * len(names)
    else:
        names = list(councils[margin].to_numpy(dtype=object))
        seats = councils["filled"].to_numpy(dtype=float)
        unit = stack.council
        other = "region" if margin == "type" else "type"
        home = list(councils[other])
        kinds = frame.groupby(other)[margin].agg(set)
    names = [explicit.get(n, n) for n in names]
    labels = np.tile(np.asarray(names, dtype=object), (stack.k, 1))
    seen = np.zeros(labels.shape, dtype=bool)
    seen[stack.rep, unit] = True
    count = np.zeros(labels.shape, dtype=np.int64)
    np.add.at(count, (stack.rep, unit), 1)
    for cat, into in merges.items():
        members = np.flatnonzero(np.asarray(names, dtype=object) == cat)
        if not len(members):
            continue
        merge = count[:, members].sum(axis=1) < least
        if margin != "party":
            merge |= ~seen[:, members].all(axis=1)
        for u in members:
            found = [t for t in into if home[u] is None or t in kinds.get(home[u], set())]
            labels[merge, u] = (found or list(into))[0]
    return labels, seats, unit


def rake_stack(
    stack: Stack,
    start: np.ndarray,
    margins: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Rake every replicate's ``start`` weights to its margins, all replicates at once.

    Iterative proportional fitting on the cell totals of all replicates: each margin's
    step divides every (replicate, category) group's population total by its current
    weighted total and multiplies the group's cells by the ratio; sweeps repeat until
    every replicate's largest relative margin error is at most ``tol``, or ``max_iter``
    sweeps.

    Parameters
    ----------
    stack : Stack
    start : ndarray
        Starting (coverage) weights of the respondents.
    margins : dict
        Margin -> :func:`margin_labels` of it.
    tol, max_iter : float, int
        ``weighting.tolerance`` and ``weighting.max_iter``.

    Returns
    -------
    (ndarray, ndarray, list of ndarray)
        The raked weights; whether each replicate converged; and each margin's
        (replicate, category) group of every respondent (for the residuals).
    """
    groups, targets, reps = [], [], []
    for labels, seats, unit in margins.values():
        codes, uniq = pd.factorize(labels.ravel(), sort=True)
        key = (np.repeat(np.arange(stack.k), labels.shape[1]) * len(uniq) + codes).reshape(
            labels.shape
        )
        ids, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(labels.shape)
        targets.append(np.bincount(inverse.ravel(), weights=np.tile(seats, stack.k)))
        reps.append(ids // len(uniq))
        groups.append(inverse[stack.rep, unit])
    key = np.zeros(len(stack.rep), dtype=np.int64)
    for g, target in zip(groups, targets, strict=True):
        key = key * len(target) + g
    _, cell = np.unique(key, return_inverse=True)
    w0 = np.bincount(cell, weights=start)
    cell_rep = np.zeros(len(w0), dtype=np.int64)
    cell_rep[cell] = stack.rep
    cell_groups = []
    for g in groups:
        cg = np.zeros(len(w0), dtype=np.int64)
        cg[cell] = g
        cell_groups.append(cg)
    w = _ipf(w0.copy(), cell_rep, cell_groups, targets, reps, stack.k, tol, max_iter)
    err = _errors(w, cell_groups, targets, reps, stack.k)
    return start * (w / w0)[cell], err <= tol, groups


#: raking sweeps between convergence checks (a replicate found converged leaves the
#: working set; it may have done up to this many sweeps more than it needed, each
#: changing its weights by less than the tolerance)
CHECK_EVERY = 5


def _errors(w, cell_groups, targets, reps, k) -> np.ndarray:
    """Largest relative margin error of every replicate."""
    err = np.zeros(k)
    for cg, target, rep in zip(cell_groups, targets, reps, strict=True):
        got = np.bincount(cg, weights=w, minlength=len(target))
        rel = np.abs(got - target) / target
        # groups are numbered in replicate order: the maximum per replicate by reduceat
        starts = np.flatnonzero(np.r_[True, rep[1:] != rep[:-1]])
        np.maximum.at(err, rep[starts], np.maximum.reduceat(rel, starts))
    return err


def _ipf(w, cell_rep, cell_groups, targets, reps, k, tol, max_iter) -> np.ndarray:
    """Iterative proportional fitting of the cell totals ``w`` of all replicates; the
    replicates that have converged are dropped from the working set every
    :data:`CHECK_EVERY` sweeps, so the sweeps cost what the slow replicates need."""
    active = np.arange(len(w))
    cg = list(cell_groups)
    tg = list(targets)
    rp = list(reps)
    done = 0
    while done < max_iter:
        sub = w[active]
        for _ in range(min(CHECK_EVERY, max_iter - done)):
            for g, target in zip(cg, tg, strict=True):
                got = np.bincount(g, weights=sub, minlength=len(target))
                sub *= np.divide(target, got, out=np.zeros_like(target), where=got > 0)[g]
        done += CHECK_EVERY
        w[active] = sub
        err = _errors(sub, cg, tg, rp, k)
        open_reps = err > tol
        if not open_reps.any():
            break
        keep = open_reps[cell_rep[active]]
        active = active[keep]
        new_cg, new_tg, new_rp = [], [], []
        for g, target, rep in zip(cg, tg, rp, strict=True):
            used, inverse = np.unique(g[keep], return_inverse=True)
            new_cg.append(inverse.ravel())
            new_tg.append(target[used])
            new_rp.append(rep[used])
        cg, tg, rp = new_cg, new_tg, new_rp
    return w


def scheme_weights(
    stack: Stack,
    scheme: tuple[str, list[str]],
    weighting_cfg: dict,
    frame: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray] | None]:
    """A scheme's weights of every respondent of the stack; for a raked scheme also the
    weights the raking started from and each margin's (replicate, category) group, for
    the calibration residuals (None otherwise).

    Replicates whose vectorised raking does not converge are weighted by
    :func:`councilsurvey.survey.weighting.weight` (with the full feasibility check and
    collapse policy), one by one.
    """
    from councilsurvey.survey import weighting

    kind, margins = scheme
    if kind == "none":
        return np.ones(len(stack.rep)), None, None
    base = stack.coverage_weights()
    if kind == "coverage":
        return base, None, None
    labels = {m: margin_labels(stack, m, weighting_cfg, frame) for m in margins}
    tol, max_iter = float(weighting_cfg["tolerance"]), int(weighting_cfg["max_iter"])
    w, ok, groups = rake_stack(stack, base, labels, tol, max_iter)
    for r in np.flatnonzero(~ok):
        log.warning("validation: replicate %d raked by the weight stage (did not converge)", r)
        cfg = dict(weighting_cfg, margins=margins, trim=None)
        res = weighting.weight(stack.replicate_data(int(r)), frame, cfg, source="validation")
        at = np.flatnonzero(stack.rep == r)
        w[at] = res.data["weight"].to_numpy()
        base[at] = res.data["calibration_weight"].to_numpy()
        for m, g in zip(margins, groups, strict=True):
            name = f"calibration_{MARGIN_COLUMN[m]}"
            if name in res.data:
                codes = pd.factorize(res.data[name], sort=True)[0]
                g[at] = g.max() + 1 + codes
            else:  # a dropped margin: one category, which the other margins imply
                g[at] = g.max() + 1
    return w, base, groups


def residuals(x: np.ndarray, w: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Influence values ``x`` (respondents x estimands) less their projection on the
    raked margins, as svy computes them for the weight stage's raking record (and as
    :func:`councilsurvey.survey.estimation.share` does for a raked design).

    :data:`SWEEPS` backfitting sweeps over the margins in raking order, each replacing
    ``x`` by ``x - w * ave_g(x / w)`` within every (replicate, category) group ``g`` of
    the margin, ``ave_g`` the plain mean over the group and ``w`` the raked weights (R's
    ``svyrecvar`` sweep ``x - psw * ave(x / psw, margin)``). With ``u = x / w`` a sweep
    is ``u - ave_g(u)``, so it is done on ``u``.
    """
    u = x / w[:, None]
    counts = [np.bincount(g) for g in groups]
    for _ in range(SWEEPS):
        for g, n in zip(groups, counts, strict=True):
            for j in range(u.shape[1]):
                u[:, j] -= (np.bincount(g, weights=u[:, j]) / n)[g]
    return u * w[:, None]


def estimate(
    stack: Stack,
    w: np.ndarray,
    y: np.ndarray,
    calibration: list[np.ndarray] | None = None,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Design-based shares of every replicate, vectorised (see the module docstring).

    Parameters
    ----------
    stack : Stack
    w : ndarray
        The respondents' weights.
    y : ndarray
        Respondents x estimands, 0/1.
    calibration : list of ndarray, optional
        For raked weights: each margin's (replicate, category) group of every
        respondent; None: the weights are taken as fixed.
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``lci``, ``uci`` (replicates x estimands) and ``df``
        (replicates).
    """
    rep, k = stack.rep, stack.k
    total = np.bincount(rep, weights=w, minlength=k)
    p = (
        np.column_stack(
            [np.bincount(rep, weights=w * y[:, j], minlength=k) for j in range(y.shape[1])]
        )
        / total[:, None]
    )
    x = w[:, None] * (y - p[rep]) / total[rep][:, None]
    if calibration is not None:
        x = residuals(x, w, calibration)
    n_psu = stack.n_psu
    t = np.column_stack([np.bincount(stack.psu, weights=x[:, j]) for j in range(x.shape[1])])
    mean_t = (
        np.column_stack(
            [np.bincount(stack.psu_rep, weights=t[:, j], minlength=k) for j in range(t.shape[1])]
        )
        / n_psu[:, None]
    )
    dev = (t - mean_t[stack.psu_rep]) ** 2
    ss = np.column_stack(
        [np.bincount(stack.psu_rep, weights=dev[:, j], minlength=k) for j in range(t.shape[1])]
    )
    se = np.sqrt(n_psu[:, None] / (n_psu[:, None] - 1) * ss)
    df = n_psu - 1
    q = stats.t.ppf(1 - (1 - level) / 2, df)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        lci = 1 / (1 + np.exp(-(logit - half)))
        uci = 1 / (1 + np.exp(-(logit + half)))
    return {"estimate": p, "se": se, "lci": lci, "uci": uci, "df": df}


def study(
    pop: Population,
    frame: pd.DataFrame,
    cfg: dict,
    schemes: dict,
    weighting_cfg: dict,
    level: float = 0.95,
) -> pd.DataFrame:
    """Run the study: every scenario x scheme x estimand over ``k`` replicates.

    Parameters
    ----------
    pop : Population
        The synthetic population (:func:`councilsurvey.analysis.simulation.population`).
    frame : DataFrame
        The wave's council frame.
    cfg : dict
        ``config.yaml`` ``validation``: ``k``, ``seed`` (scenario ``i``, in config order,
        draws with ``seed + i``), ``schemes`` and ``scenarios``.
    schemes : dict
        ``config.yaml`` ``robustness.weighting``.
    weighting_cfg : dict
        ``config.yaml`` ``weighting``.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, one row per estimand x scheme x scenario.
    """
    from councilsurvey.analysis.simulation import respond

    k = int(cfg["k"])
    unknown = [s for s in cfg["schemes"] if s not in schemes]
    if unknown:
        raise InputError("config.yaml", f"validation: no weighting scheme {unknown[0]!r}")
    truth = np.array([pop.truth[e] for e in ESTIMANDS])
    rows = []
    for i, (scenario, spec) in enumerate(cfg["scenarios"].items()):
        stack = Stack(pop, respond(pop, spec, k, int(cfg["seed"]) + i))
        y = np.column_stack([stack.column(e) for e in ESTIMANDS]).astype(float)
        for name in cfg["schemes"]:
            kind = scheme_kind(name, schemes[name], weighting_cfg)
            w, _, groups = scheme_weights(stack, kind, weighting_cfg, frame)
            est = estimate(stack, w, y, groups, level)
            rows += _summary(est, truth, name, scenario, stack)
            log.info("validation: scenario %s, scheme %s done", scenario, name)
    return pd.DataFrame(rows, columns=COLUMNS)


def _summary(est, truth, scheme, scenario, stack) -> list[dict]:
    k = stack.k
    rows = []
    for j, estimand in enumerate(ESTIMANDS):
        p = est["estimate"][:, j]
        covered = (est["lci"][:, j] <= truth[j]) & (truth[j] <= est["uci"][:, j])
        coverage = float(covered.mean())
        rows.append(
            {
                "estimand": estimand,
                "scheme": scheme,
                "scenario": scenario,
                "truth": truth[j],
                "mean_estimate": float(p.mean()),
                "bias": float(p.mean() - truth[j]),
                "rmse": float(np.sqrt(np.mean((p - truth[j]) ** 2))),
                "coverage": coverage,
                "ci_width": float(np.mean(est["uci"][:, j] - est["lci"][:, j])),
                "k": k,
                "mc_se_coverage": float(np.sqrt(coverage * (1 - coverage) / k)),
                "mc_se_bias": float(p.std(ddof=1) / np.sqrt(k)),
                "mean_respondents": float(stack.sizes.mean()),
                "mean_councils": float(stack.n_psu.mean()),
            }
        )
    return rows
