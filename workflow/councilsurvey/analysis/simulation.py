"""A synthetic population of councillors on a real council frame, and non-response.

The known-truth validation study (:mod:`councilsurvey.analysis.validation`) needs a
population whose answers are known, so that the estimates of samples drawn from it can be
compared with the truth. :func:`population` builds one on a wave's council frame:

* **one councillor per filled seat** of every council of the frame, with the party of
  the seat (the frame's seats by party: ``con``, ``lab``, ``ld``, ``green``, ``ukip``,
  ``ind_other``) and the council's type and region. Its margins by type, region and
  party are therefore exactly the frame's filled seats, the population the pipeline
  weights to;
* an **age band** and a **tenure** band (tenure drawn given age);
* a **latent attitude** to digital technology, ``eta = party effect + type effect + age
  effect + council effect + N(0, 1)`` (a council effect ``N(0, council_sd)`` shared by the
  council's members), and from it the **attitude items**: the three benefit items of the
  segment rule and the wellbeing item, each an ordinal 1-5 answer
  (``loading * eta + N(0, noise)`` cut at fixed thresholds after an item intercept), and
  the **digital strategy** yes/no (a logit in ``eta`` and a council effect of its own:
  whether a council has a strategy is largely a property of the council).

Everyone answers every item, so the population truth of an estimand is a population mean.

:func:`respond` draws who answers, a replicate sample at a time but for all replicates in
one array operation: a councillor answers with probability ``min(1, exp(logit))``, a
log-linear propensity ``base + type + region + party + u_council (+ attitude * eta)``,
with a council effect ``u ~ N(0, council_sd)`` drawn afresh for every replicate (some
councils pass the survey on, some do not, so that about a fifth of councils have no
respondent, as in the real wave). Scenario ``ignorable`` has no attitude term: response
depends on type, region and party (and the council effect, independent of attitudes),
so weighting on those margins should remove the bias; ``nonignorable`` adds it
(enthusiasts answer more), which no weighting on the frame's margins can remove. The
``base`` is solved so that the expected number of respondents is the configured size.

Everything is drawn from ``numpy.random.Generator(PCG64(seed))``: the same seed gives the
same population and the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from councilsurvey.inputs.frame import PARTY_COLUMNS

#: frame seat column -> the party a respondent would name (mapped to the party margin by
#: config.yaml weighting.party_groups)
PARTY_NAMES = {
    "con": "Conservative",
    "lab": "Labour",
    "ld": "Liberal Democrat",
    "green": "Green",
    "ukip": "UKIP",
    "ind_other": "Independent",
}
#: estimand -> its label for readers
ESTIMANDS = {
    "enthusiast": "Enthusiast share",
    "sceptic": "Sceptic share",
    "wellbeing_positive": "Wellbeing-positive share",
    "digital_strategy": "Digital-strategy share",
}


@dataclass(frozen=True)
class Population:
    """A synthetic population on a council frame.

    Attributes
    ----------
    data : DataFrame
        One row per councillor (filled seat): ``respondent_id``, ``code``, ``type``,
        ``region``, ``party``, ``age_band``, ``tenure``, ``eta`` (the latent attitude),
        the attitude items (1-5), ``has_digital_strategy`` (Yes/No), and the 0/1
        indicators of the estimands (:data:`ESTIMANDS`).
    truth : dict
        Estimand -> population share.
    council : ndarray
        Every councillor's council as an index into ``councils``.
    councils : DataFrame
        The frame's councils (``code``, ``type``, ``region``, ``filled``), in frame order.
    """

    data: pd.DataFrame
    truth: dict
    council: np.ndarray
    councils: pd.DataFrame


def _effects(values: pd.Series, effects: dict) -> np.ndarray:
    """The effect of each value (0 for a value the mapping does not name)."""
    return values.map(lambda v: float(effects.get(str(v), 0.0))).to_numpy(dtype=float)


def _ordinal(latent: np.ndarray, thresholds) -> np.ndarray:
    """Codes 1..len(thresholds)+1 of a continuous response cut at ``thresholds``."""
    return (np.searchsorted(np.asarray(thresholds, dtype=float), latent) + 1).astype(np.int64)


def population(frame: pd.DataFrame, cfg: dict, benefit_items: list[str], classify) -> Population:
    """Build the synthetic population of a frame (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        The wave's council frame (``code``, ``type``, ``region``, seats by party).
    cfg : dict
        ``config.yaml`` ``validation.population``: ``seed``, ``age_bands`` (band ->
        share), ``tenure`` (age band -> tenure band -> share), ``attitude`` (``party``,
        ``type``, ``age`` effects on the latent attitude, ``council_sd``), ``items``
        (item -> ``intercept``, ``loading``), ``item_noise``, ``thresholds``,
        ``wellbeing_item`` and ``strategy`` (``intercept``, ``loading``, ``council_sd``).
    benefit_items : list of str
        The questionnaire's three benefit items (the segment rule's).
    classify : callable
        The segment rule: ``classify(data, benefit_items) -> Series`` of segments
        (:func:`councilsurvey.analysis.segments.classify` with the configured codes).

    Returns
    -------
    Population
    """
    rng = np.random.Generator(np.random.PCG64(int(cfg["seed"])))
    councils = frame[["code", "type", "region"]].copy().reset_index(drop=True)
    councils["filled"] = (frame["seats"] - frame["vacant"]).to_numpy()
    seats = frame[PARTY_COLUMNS].to_numpy(dtype=np.int64)
    # one row per filled seat: council by council, party by party in PARTY_COLUMNS order
    council = np.repeat(np.arange(len(frame)), seats.sum(axis=1))
    party_col = np.concatenate([np.repeat(PARTY_COLUMNS, row) for row in seats])
    n = len(council)
    data = pd.DataFrame(
        {
            "respondent_id": np.arange(1, n + 1),
            "code": councils["code"].to_numpy()[council],
            "type": councils["type"].to_numpy()[council],
            "region": councils["region"].to_numpy()[council],
            "party": pd.Series(party_col).map(PARTY_NAMES).to_numpy(),
        }
    )
    bands = list(cfg["age_bands"])
    p_age = np.array([cfg["age_bands"][b] for b in bands], dtype=float)
    drawn = rng.choice(len(bands), n, p=p_age / p_age.sum())
    data["age_band"] = np.asarray(bands, dtype=object)[drawn]
    tenure = np.empty(n, dtype=object)
    for band in bands:
        shares = cfg["tenure"][band]
        names = list(shares)
        p = np.array([shares[t] for t in names], dtype=float)
        idx = np.flatnonzero(data["age_band"].to_numpy() == band)
        drawn = rng.choice(len(names), len(idx), p=p / p.sum())
        tenure[idx] = np.asarray(names, dtype=object)[drawn]
    data["tenure"] = tenure

    att = cfg["attitude"]
    party_of = pd.Series(party_col)
    eta = (
        _effects(party_of, att["party"])
        + _effects(data["type"], att["type"])
        + _effects(data["age_band"], att["age"])
        + rng.normal(0.0, float(att["council_sd"]), len(frame))[council]
        + rng.normal(0.0, 1.0, n)
    )
    data["eta"] = eta
    noise = float(cfg["item_noise"])
    for item, spec in cfg["items"].items():
        latent = float(spec["intercept"]) + float(spec["loading"]) * eta + rng.normal(0, noise, n)
        data[item] = pd.array(_ordinal(latent, cfg["thresholds"]), dtype="Int64")
    strat = cfg["strategy"]
    logit = (
        float(strat["intercept"])
        + float(strat["loading"]) * eta
        + rng.normal(0.0, float(strat["council_sd"]), len(frame))[council]
    )
    yes = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    data["has_digital_strategy"] = np.where(yes, "Yes", "No").astype(object)

    segment = classify(data, benefit_items).astype(object).to_numpy()
    data["enthusiast"] = (segment == "enthusiast").astype(float)
    data["sceptic"] = (segment == "sceptic").astype(float)
    data["wellbeing_positive"] = data[cfg["wellbeing_item"]].isin([4, 5]).astype(float)
    data["digital_strategy"] = yes.astype(float)
    truth = {e: float(data[e].mean()) for e in ESTIMANDS}
    return Population(data, truth, council, councils)


@dataclass(frozen=True)
class Samples:
    """The respondents of ``k`` replicate samples, stacked.

    Attributes
    ----------
    unit : ndarray
        Each respondent's row in the population.
    replicate : ndarray
        Each respondent's replicate (0..k-1), sorted.
    k : int
        Number of replicates.
    """

    unit: np.ndarray
    replicate: np.ndarray
    k: int

    def sizes(self) -> np.ndarray:
        """Respondents per replicate."""
        return np.bincount(self.replicate, minlength=self.k)

    def councils(self, pop: Population) -> np.ndarray:
        """Councils with at least one respondent, per replicate."""
        n_c = len(pop.councils)
        key = np.unique(self.replicate * n_c + pop.council[self.unit])
        return np.bincount(key // n_c, minlength=self.k)


def log_propensity(pop: Population, scenario: dict) -> np.ndarray:
    """Every councillor's log response propensity before the base rate and the
    council effect: type, region and party effects and ``attitude * eta``."""
    d = pop.data
    party = d["party"].map({v: k for k, v in PARTY_NAMES.items()})
    return (
        _effects(d["type"], scenario.get("type", {}))
        + _effects(d["region"], scenario.get("region", {}))
        + _effects(party, scenario.get("party", {}))
        + float(scenario.get("attitude", 0.0)) * d["eta"].to_numpy()
    )


def respond(pop: Population, scenario: dict, k: int, seed: int, block: int = 50) -> Samples:
    """Draw ``k`` replicate samples of respondents under a non-response scenario.

    Councillor ``i`` of council ``c`` answers replicate ``r`` with probability
    ``min(1, exp(base + lp_i + u_rc))``: ``lp`` from :func:`log_propensity`, ``u_rc ~
    N(0, council_sd)`` a council effect drawn for each replicate, and ``base`` set so that
    the expected number of respondents is ``scenario["respondents"]``
    (``E exp(u) = exp(council_sd^2 / 2)``). Replicates are drawn in blocks of ``block``
    (one matrix of uniforms per block), so memory stays bounded; the draws depend on the
    block size, which is therefore fixed rather than configurable.

    Parameters
    ----------
    pop : Population
    scenario : dict
        ``config.yaml`` ``validation.scenarios.<name>``: ``respondents``, ``council_sd``,
        ``type``, ``region``, ``party`` (log-propensity effects; party by frame column),
        ``attitude`` (effect of the latent attitude; 0 or absent: ignorable).
    k : int
        Replicates.
    seed : int
        Seed of the draws.

    Returns
    -------
    Samples
    """
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    lp = log_propensity(pop, scenario)
    sd = float(scenario["council_sd"])
    base = np.log(float(scenario["respondents"]) / (np.exp(lp).sum() * np.exp(sd**2 / 2)))
    n_c = len(pop.councils)
    units, reps = [], []
    for start in range(0, k, block):
        m = min(block, k - start)
        u = rng.normal(0.0, sd, (m, n_c))
        p = np.minimum(1.0, np.exp(base + lp[None, :] + u[:, pop.council]))
        hit = rng.random(p.shape) < p
        r, i = np.nonzero(hit)
        units.append(i)
        reps.append(r + start)
    return Samples(np.concatenate(units), np.concatenate(reps), int(k))
