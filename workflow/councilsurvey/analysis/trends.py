"""Change between survey waves: headline and segment shares wave by wave, and tests of
their change between consecutive waves.

Each wave (2017, 2019, ...) is estimated on its own design
(:class:`~councilsurvey.survey.design.SurveyDesign`), exactly as in the single-wave
analyses: for the bundled waves final weight ``weight``, councils ``code`` as clusters
(PSUs), Taylor linearisation with ``svy`` through :mod:`councilsurvey.survey.estimation`
(:func:`wave_estimates`). Changes between consecutive waves are Wald tests on the
difference of the two design-based shares (:func:`changes`); :func:`pooled_change_test`
is an independent check that stacks two waves and tests the wave effect with a Rao-Scott
F test.

Waves as independent samples
----------------------------
Every wave is a fresh sample of respondents, but the same councils (and, possibly, some of
the same councillors) recur from wave to wave. The variance of a change is

    Var(p2 - p1) = Var(p1) + Var(p2) - 2 Cov(p1, p2)

and all functions here treat the waves as *independent samples*, i.e. take the covariance
to be zero. Council-level traits persist (a council with a digital strategy in 2017
mostly still has one in 2019), so answers from a recurring council are positively
correlated across waves and the true covariance is, if anything, positive. Ignoring it
then *overstates* the standard error of a change: intervals are too wide and p-values too
large, i.e. the tests are **conservative**. They would be anti-conservative only if the
estimates of two waves were negatively correlated, which nothing in the design suggests.
Weights are taken as fixed (the variance gained by calibration is ignored, as in
:mod:`councilsurvey.survey.estimation`), which errs in the same direction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from councilsurvey.analysis import headlines, segmentation
from councilsurvey.analysis.tidy import holm
from councilsurvey.survey import estimation
from councilsurvey.survey.design import Calibration, SurveyDesign

#: columns of :func:`wave_estimates`, in order
ESTIMATE_COLUMNS = ["wave", "indicator", "category", *estimation.ESTIMATE_FIELDS, "df"]

#: columns of :func:`changes`, in order
CHANGE_COLUMNS = [
    "indicator",
    "category",
    "wave_from",
    "wave_to",
    "estimate_from",
    "estimate_to",
    "difference",
    "se",
    "lci",
    "uci",
    "statistic",
    "df",
    "p",
    "p_adjusted",
    "unweighted_difference",
]

#: indicator name of the segment shares in :func:`wave_estimates`
SEGMENT_INDICATOR = "segment"


# --------------------------------------------------------------------------- helpers


def _yes_no(series: pd.Series) -> pd.Series:
    """Respondents answering Yes or No (the base of the Yes/No headline shares)."""
    return series.astype(object).isin(["Yes", "No"])


#: base of each headline indicator of :func:`councilsurvey.analysis.headlines.headlines`
_HEADLINE_BASES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "wellbeing_positive": lambda d: d["att_wellbeing"].notna(),
    "digital_strategy": lambda d: _yes_no(d["has_digital_strategy"]),
    "digital_champion": lambda d: d["digital_champion"].notna(),
    "exclusion_major_issue": lambda d: _yes_no(d["exclusion_major_issue"]),
}


def _design_df(design: SurveyDesign, base: pd.Series | None = None) -> float:
    """Design degrees of freedom of a share: clusters with a respondent in the base, less
    one (what ``svy`` reports for a share whose missing values are dropped)."""
    data = design.data
    codes = data[design.psu] if base is None else data.loc[base.to_numpy(dtype=bool), design.psu]
    return float(codes.nunique() - 1)


def _headline_df(design: SurveyDesign, indicator: str, n: int, svy_df: float = np.nan) -> float:
    """Degrees of freedom of a headline share.

    The base of a known indicator (:data:`_HEADLINE_BASES`, when the data hold its
    column) is rebuilt and checked against the headline's ``n``; any other indicator (a
    multi-select option, the overall impact) takes the degrees of freedom ``svy`` reported
    with its share (``svy_df``: councils with a respondent in the base, less one). When
    neither is available (a share of 0, which ``svy`` gives no degrees of freedom, or a
    base that does not match) the degrees of freedom of the whole wave's design are used,
    an upper bound that differs by a few clusters at most.
    """
    rule = _HEADLINE_BASES.get(indicator)
    if rule is not None:
        try:
            base = rule(design.data).fillna(False).astype(bool)
        except KeyError:  # the question in another form (digital_champion as multi-select)
            base = None
        if base is not None and int(base.sum()) == int(n):
            return _design_df(design, base)
    if svy_df is not None and np.isfinite(svy_df):
        return float(svy_df)
    return _design_df(design)


def _wave_rows(design: SurveyDesign, segment: str, instrument=None) -> pd.DataFrame:
    """Headline and segment shares of one wave in long form (no wave column)."""
    data = design.data
    if segment not in data.columns:
        raise KeyError(f"segment column {segment!r} is not in the data (merge the segments)")
    if design.strata is not None or design.fpc is not None or design.psu is None:
        raise NotImplementedError(
            "wave_estimates computes the design degrees of freedom of the headlines from "
            "the PSUs alone: it supports a design with PSUs and without strata or fpc"
        )
    head = headlines.headlines(design, instrument, df=True)
    head = head.drop(columns=["basis"])
    head["df"] = [
        _headline_df(design, ind, n, svy_df)
        for ind, n, svy_df in zip(head["indicator"], head["n"], head["df"], strict=True)
    ]

    seg = segmentation.segment_shares(design, segment=segment)
    base = data[segment].notna()
    records = []
    for _, row in seg.iterrows():
        if row["n"] == 0:
            # an empty segment: share 0 with se 0, as estimation.share reports it, and
            # the degrees of freedom of the segment's base
            record = estimation.estimate_record(int(base.sum()), None)
            record["df"] = _design_df(design, base)
        else:
            proportion = row.rename({"weighted_share": "share"})
            record = estimation.estimate_record(int(base.sum()), proportion)
        category = str(row["segment"])
        records.append({"indicator": SEGMENT_INDICATOR, "category": category, **record})
    seg_rows = pd.DataFrame(records, columns=ESTIMATE_COLUMNS[1:])
    out = pd.concat([head, seg_rows], ignore_index=True)
    out["n"] = out["n"].astype(int)
    for col in [*estimation.ESTIMATE_FIELDS[1:], "df"]:  # the shares (n is a count)
        out[col] = out[col].astype(float)
    out["category"] = out["category"].astype(str)
    return out


# --------------------------------------------------------------------------- estimates


def wave_estimates(
    designs: Mapping[str, SurveyDesign], segment: str = "segment", instrument=None
) -> pd.DataFrame:
    """Headline and segment shares of every wave, stacked in long form.

    Parameters
    ----------
    designs : mapping of str to SurveyDesign
        Wave label (e.g. ``"2017"``) -> that wave's design over its weighted responses
        already merged with its segments (``data/processed/<wave>/weighted.parquet``
        joined on ``respondent_id`` to the ``segment`` column of ``segments.parquet``;
        :meth:`SurveyDesign.of_wave`). Each design's level is that of its (logit)
        intervals; a design with strata or fpc is not supported (NotImplementedError).
        The order of the mapping is the order of the waves.
    segment : str
        Segment column.
    instrument : Instrument, optional
        The questionnaire whose questions are the headlines
        (:func:`councilsurvey.analysis.headlines.headlines`), the newest wave's in the
        pipeline. Every wave is estimated on it; a question a wave's data do not hold
        (not asked that wave, or asked in another form, such as ``digital_champion`` as a
        single choice in a wave and tick-all-that-apply in the next) has no rows in that
        wave, so a question appears across waves when the waves asked it alike. Without
        it, the first 2017 questionnaire's headlines.

    Returns
    -------
    DataFrame
        Columns :data:`ESTIMATE_COLUMNS` (wave, indicator, category, n, unweighted,
        weighted, se, lci, uci, df). For each wave:

        * the rows of :func:`councilsurvey.analysis.headlines.headlines` (its indicator and
          category; its ``basis`` column is dropped);
        * one row per segment from :func:`councilsurvey.analysis.segmentation.segment_shares`,
          indicator ``"segment"`` and category the segment (``unclassified`` included).

        ``n`` is the *base* of the share (respondents answering, or with a segment), for
        segments as for headlines (``segment_shares`` reports the count in the segment,
        which is ``unweighted * n`` here). ``df`` is the design degrees of freedom: the
        number of councils with a respondent in the base, less one (rebuilt here from the
        indicator's base for the first questionnaire's indicators, ``svy``'s otherwise;
        :func:`_headline_df`). A category
        nobody is in has share, se, lci and uci 0, as
        :func:`councilsurvey.survey.estimation.share` reports it.

        Rows are sorted by indicator, then category (both as text, alphabetically), then
        wave in the order of ``designs``.

    Notes
    -----
    Each wave is estimated on its own design; nothing is pooled across waves.
    """
    parts = []
    for wave, design in designs.items():
        rows = _wave_rows(design, segment, instrument)
        rows.insert(0, "wave", str(wave))
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {str(w): k for k, w in enumerate(designs)}
    out["_w"] = out["wave"].map(order)
    out = out.sort_values(["indicator", "category", "_w"], kind="mergesort")
    return out[ESTIMATE_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- changes


def changes(estimates: pd.DataFrame, waves: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Change of every share between consecutive waves, with a design-based Wald test.

    Parameters
    ----------
    estimates : DataFrame
        Output of :func:`wave_estimates` (columns wave, indicator, category,
        unweighted, weighted, se, df at least).
    waves : sequence of str
        Waves in time order; every consecutive pair (``waves[i]``, ``waves[i + 1]``) is
        compared. Waves of ``estimates`` not listed are ignored.
    level : float
        Confidence level of the interval of the difference.

    Returns
    -------
    DataFrame
        Columns :data:`CHANGE_COLUMNS`, one row per indicator/category and consecutive
        pair, sorted by indicator, category (as in :func:`wave_estimates`), then pair in
        the order of ``waves``:

        ``estimate_from``, ``estimate_to``
            The weighted shares of the earlier and later wave.
        ``difference``
            ``estimate_to - estimate_from`` (later minus earlier).
        ``se``
            ``sqrt(se_from**2 + se_to**2)``: the waves are independent samples (see the
            module docstring; with councils recurring this is conservative).
        ``df``
            ``min(df_from, df_to)``, the smaller design degrees of freedom.
        ``lci``, ``uci``
            ``difference -/+ t(1 - (1 - level) / 2, df) * se``.
        ``statistic``
            Wald ``t = difference / se``.
        ``p``
            Two-sided p-value from the t distribution with ``df`` degrees of freedom,
            ``2 * scipy.stats.t.sf(|t|, df)`` (no normal-reference p-value is given).
        ``p_adjusted``
            Holm-adjusted p-value (:func:`councilsurvey.analysis.tidy.holm`); the family is
            every comparison of one pair of waves (all indicators, categories and
            segments together).
        ``unweighted_difference``
            Difference of the unweighted shares (later minus earlier), untested.

    Notes
    -----
    The reference distribution is Student's t with the smaller of the two waves' design
    degrees of freedom (councils with a respondent in the base, less one). A Satterthwaite
    approximation would give degrees of freedom between ``min(df_from, df_to)`` and
    ``df_from + df_to``; the minimum is its conservative bound. The p-value and the
    interval use the same reference, so ``p < 1 - level`` exactly when the interval
    excludes 0. With a few hundred councils per wave t and normal differ in the third
    decimal of p at most.

    A comparison with no test leaves ``statistic``, ``p`` and ``p_adjusted`` missing and
    stays out of the Holm family: a category absent from one of the waves (its estimates
    are missing, so is the difference) or a standard error of 0 (a share of 0 or 1 in
    both waves).

    The Holm adjustment is valid whatever the dependence between the comparisons (the
    categories of one question, and the segments, sum to 1), and conservative with it.
    """
    waves = [str(w) for w in waves]
    if len(set(waves)) != len(waves):
        raise ValueError(f"waves must be distinct, got {waves}")
    present = set(estimates["wave"].astype(str))
    missing = [w for w in waves if w not in present]
    if missing:
        raise ValueError(f"wave(s) {missing} not in the estimates (have {sorted(present)})")
    if len(waves) < 2:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    est = estimates.assign(wave=estimates["wave"].astype(str))
    keys = ["indicator", "category"]
    cells = est[keys].drop_duplicates().sort_values(keys, kind="mergesort")
    value_cols = ["weighted", "unweighted", "se", "df"]
    quantile = 1 - (1 - level) / 2

    parts = []
    for k, (w_from, w_to) in enumerate(zip(waves[:-1], waves[1:], strict=True)):
        a = est.loc[est["wave"] == w_from, keys + value_cols]
        b = est.loc[est["wave"] == w_to, keys + value_cols]
        m = cells.merge(a, on=keys, how="left").merge(b, on=keys, how="left", suffixes=("_a", "_b"))
        diff = m["weighted_b"] - m["weighted_a"]
        se = np.sqrt(m["se_a"] ** 2 + m["se_b"] ** 2)
        df = np.minimum(m["df_a"], m["df_b"])
        testable = diff.notna() & se.notna() & (se > 0) & df.notna()
        stat = (diff / se).where(testable)
        p = pd.Series(2 * stats.t.sf(np.abs(stat), df), index=m.index).where(testable)
        half = stats.t.ppf(quantile, df) * se
        part = pd.DataFrame(
            {
                "indicator": m["indicator"],
                "category": m["category"],
                "wave_from": w_from,
                "wave_to": w_to,
                "estimate_from": m["weighted_a"],
                "estimate_to": m["weighted_b"],
                "difference": diff,
                "se": se,
                "lci": diff - half,
                "uci": diff + half,
                "statistic": stat,
                "df": df,
                "p": p,
                "p_adjusted": holm(p.to_numpy()),
                "unweighted_difference": m["unweighted_b"] - m["unweighted_a"],
            }
        )
        part["_pair"] = k
        part["_cell"] = np.arange(len(part))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["_cell", "_pair"], kind="mergesort")
    out = out[CHANGE_COLUMNS].reset_index(drop=True)
    float_cols = [c for c in CHANGE_COLUMNS if c not in keys + ["wave_from", "wave_to"]]
    out[float_cols] = out[float_cols].astype(float)
    return out


# --------------------------------------------------------------------------- pooled check


def pooled_change_test(
    design_a: SurveyDesign,
    design_b: SurveyDesign,
    indicator_fn: Callable[[pd.DataFrame], pd.Series],
    waves: tuple[str, str] = ("a", "b"),
) -> dict:
    """Rao-Scott test of a change between two waves on their stacked respondents.

    An independent check of :func:`changes`: instead of differencing two separately
    estimated shares, the two waves' respondents are stacked with a wave column and the
    association of wave and outcome (a 2 x k table) is tested with
    :func:`councilsurvey.survey.estimation.rao_scott`.

    Parameters
    ----------
    design_a, design_b : SurveyDesign
        Designs of the earlier and later wave (each with PSUs, without strata or fpc:
        NotImplementedError otherwise). The stacked design has the first one's level.
    indicator_fn : callable
        Maps a wave's data to the outcome, a Series indexed like it: boolean (e.g.
        ``lambda d: d["att_wellbeing"] >= 4``) or categorical. Missing values leave the
        table but stay in the design.
    waves : tuple of str
        Labels of the two waves (in the wave column and the cluster ids).

    Returns
    -------
    dict
        As :func:`councilsurvey.survey.estimation.rao_scott`: ``f``, ``df_num``, ``df_den``,
        ``p`` (second-order Rao-Scott F), ``chisq``, ``chisq_df``, ``chisq_p``
        (first-order) and ``n`` (respondents of both waves with an outcome).

    Notes
    -----
    Weights are kept as they are; each wave's weights add up to its population, so the
    stacked weights describe the two populations side by side, which is what a test of
    independence of wave and outcome compares. Clusters are nested within waves: the PSU
    id is ``f"{wave}:{code}"``, so a council that recurs counts as two independent
    clusters, the same independent-samples assumption as :func:`changes` (conservative
    when answers of a recurring council are positively correlated). The wave is not
    declared a stratum; on the bundled wave and its perturbed copy in
    ``tests/test_trends.py``, declaring it changes F by 0.2%.
    """
    if len(waves) != 2 or waves[0] == waves[1]:
        raise ValueError(f"waves must be two distinct labels, got {waves}")
    designs = (design_a, design_b)
    if any(d.strata is not None or d.fpc is not None or d.psu is None for d in designs):
        raise NotImplementedError(
            "pooled_change_test nests each wave's PSUs in the wave: it supports designs "
            "with PSUs and without strata or fpc"
        )
    parts = []
    for label, design in zip(waves, designs, strict=True):
        data = design.data
        outcome = indicator_fn(data)
        if not isinstance(outcome, pd.Series) or not outcome.index.equals(data.index):
            raise ValueError("indicator_fn must return a Series indexed like the data")
        part = pd.DataFrame(
            {
                "_psu": [f"{label}:{c}" for c in data[design.psu].astype(str)],
                "_weight": data[design.weight].to_numpy(dtype=float),
                "_wave": label,
                "_outcome": [None if pd.isna(v) else str(v) for v in outcome.astype(object)],
            }
        )
        parts.append(part.assign(**_wave_calibration(design, label, designs)))
    stacked = pd.concat(parts, ignore_index=True)
    stacked["_outcome"] = stacked["_outcome"].astype(object)
    calibration = None
    if all(d.calibration is not None for d in designs):
        margins = tuple(c for c in stacked.columns if c.startswith("_cal_"))
        calibration = Calibration("_prior", margins)
    pooled = SurveyDesign(
        stacked,
        weight="_weight",
        psu="_psu",
        level=design_a.level,
        calibration=calibration,
        lonely_psu=design_a.lonely_psu,
    )
    return estimation.rao_scott(pooled, "_wave", "_outcome")


def _wave_calibration(design: SurveyDesign, label: str, designs) -> dict:
    """A wave's raking record for the pooled design: each margin's categories prefixed by
    the wave (raking each wave to its own totals is raking the stacked data to the
    wave-by-category totals), margins matched by position; a wave with fewer margins
    repeats its total (a category per wave, which its raking also pins). Empty when a
    wave's weights are not calibrated (the pooled weights are then taken as fixed)."""
    if any(d.calibration is None for d in designs):
        return {}
    n_margins = max(len(d.calibration.margins) for d in designs)
    data, cal = design.data, design.calibration
    out = {"_prior": data[cal.prior_weight].to_numpy(dtype=float)}
    for k in range(n_margins):
        values = data[cal.margins[k]].astype(str) if k < len(cal.margins) else ""
        out[f"_cal_{k}"] = (label + ":" + pd.Series(values, index=data.index)).to_numpy()
    return out
