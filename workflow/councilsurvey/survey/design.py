"""The survey design: one object that every estimator takes.

As R's ``svydesign()`` does, a :class:`SurveyDesign` binds the data to the columns that
describe how it was drawn: the final weight, the primary sampling units (clusters),
optional strata and finite-population corrections, and the confidence level of every
interval computed from it. A wave's design is built once (:meth:`SurveyDesign.of_wave`)
and passed to the estimators of :mod:`councilsurvey.survey.estimation` and to the
analyses built on them, in place of loose ``weight=``, ``psu=`` and ``level=`` arguments.

Variance is by Taylor linearisation around the PSU totals, with PSUs treated as drawn
with replacement within strata (R's ``svydesign(ids=~psu, strata=~strata, weights=~w)``);
with ``fpc`` the without-replacement correction of R's ``fpc=`` is applied.

**Calibrated weights.** When the weight was raked to population totals (a
:class:`Calibration`), the weights are not fixed: they depend on the sample through the
raking. As R does for a ``rake()`` design, each respondent's linearised contribution
(influence value) is then replaced by its residual from the raking's margins before the
PSU totals are formed (svy's ``WgtAdjustment(kind="raking")``, the same backfitting
sweep over the margins as R's ``svyrecvar``). A variable that was itself raked then has
a standard error near zero, and one correlated with the margins a smaller one than with
the weights taken as fixed.

**Domains.** :meth:`SurveyDesign.subset` restricts estimates to a subpopulation while
keeping the whole design (R's ``subset()`` of a design): respondents outside it keep
their PSUs and strata and contribute zero, so the variance and degrees of freedom are
those of the full design. Respondents missing a variable are handled the same way by
every estimator.

**Degenerate designs** are refused with :class:`~councilsurvey.core.errors.DesignError`
(one line naming the column and the first offending row): a missing, infinite, zero or
negative weight, a missing PSU or stratum id, and, unless ``lonely_psu`` says otherwise,
a stratum with a single PSU (R's default ``options(survey.lonely.psu = "fail")``).

Every estimator is checked against R in ``tests/test_against_r.py`` (the bundled wave,
raked as R's ``rake()`` does) and ``tests/test_against_r_api.py`` (R's ``api`` data:
stratified, clustered, with ``fpc``, raked, with missing values, lonely PSUs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import svy

from councilsurvey.core.errors import DesignError

#: the bundled waves' design: final weight ``weight``, council ``code`` as the PSU
WEIGHT, PSU = "weight", "code"

#: the weighted data's columns that record the raking (written by the weight stage):
#: the weights the final raking started from, and ``calibration_<margin>`` for each
#: raked margin, holding the category it was raked to
CALIBRATION_WEIGHT, CALIBRATION_PREFIX = "calibration_weight", "calibration_"

#: replicate weights (:mod:`councilsurvey.survey.replicates`) are the columns
#: ``replicate_<method>_<r>`` of the weighted data
REPLICATE_PREFIX = "replicate_"

#: R's ``options(survey.lonely.psu = ...)`` -> svy's rule for strata with one PSU
#: (None: refuse, as R's default "fail" does). "remove" and "certainty" both leave the
#: stratum out of the variance; "adjust" centres it at the grand mean; "average" leaves
#: it out and scales the variance up by the share of such strata.
LONELY_PSU = {
    "fail": None,
    "adjust": "center",
    "average": "scale",
    "remove": "skip",
    "certainty": "skip",
}


@dataclass(frozen=True)
class Calibration:
    """How a design's weight was calibrated: raked (iterative proportional fitting) from
    the weights ``prior_weight`` so that its totals over the categories of each column of
    ``margins`` equal population totals.

    Recorded on a :class:`SurveyDesign`, it makes standard errors account for the
    raking as R's ``rake()`` designs do. The margins are listed in the order they were
    raked.
    """

    prior_weight: str
    margins: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.margins:
            raise ValueError("a calibration needs at least one margin")


@dataclass(frozen=True)
class Replicates:
    """Replicate weights of a design's weight: the columns ``columns``, made by ``method``
    (``jackknife``: delete-one-PSU JK1; ``bootstrap``: Rao-Wu rescaling bootstrap of
    PSUs), each repeating the weighting (:mod:`councilsurvey.survey.replicates`).
    Standard errors then come from the spread of the replicate estimates."""

    method: str
    columns: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.method not in ("jackknife", "bootstrap"):
            raise ValueError(f"replicate method {self.method!r} is not jackknife or bootstrap")
        if len(self.columns) < 2:
            raise ValueError("replicate weights need at least two replicates")

    @classmethod
    def of(cls, data: pd.DataFrame) -> Replicates | None:
        """The replicate weights among ``data``'s columns (``replicate_<method>_<r>``)."""
        for method in ("jackknife", "bootstrap"):
            prefix = f"{REPLICATE_PREFIX}{method}_"
            cols = [c for c in data.columns if c.startswith(prefix)]
            if cols:
                return cls(method, tuple(sorted(cols, key=lambda c: int(c[len(prefix) :]))))
        return None

    @property
    def prefix(self) -> str:
        return f"{REPLICATE_PREFIX}{self.method}_"

    def svy(self, psu: str | None):
        """These replicates in svy's terms, with R's variance coefficients: JK1
        ``(R - 1) / R`` (one replicate per PSU), bootstrap ``1 / (R - 1)``, each times the
        sum of squared deviations of the replicate estimates from their mean (R's
        ``svrepdesign`` with ``mse = FALSE``)."""
        n = len(self.columns)
        if self.method == "jackknife":
            return svy.RepWeights(
                "jackknife", prefix=self.prefix, n_reps=n, df=n - 1, kind="jk1", scale=(n - 1) / n
            )
        return svy.RepWeights(
            "bootstrap", prefix=self.prefix, n_reps=n, df=n - 1, kind="rao-wu", scale=1 / (n - 1)
        )


@dataclass(frozen=True)
class SurveyDesign:
    """Data with its sampling design.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    weight : str
        Column of final (analysis) weights.
    psu : str or None
        Column of primary sampling unit ids (clusters); None: each respondent is its own
        PSU.
    strata : str or None
        Column of stratum ids; None: one stratum.
    fpc : str or None
        Column of the population number of PSUs in the respondent's stratum (R's ``fpc``);
        None: PSUs treated as drawn with replacement.
    level : float
        Confidence level of every interval computed from the design.
    calibration : Calibration or None
        How ``weight`` was raked, so that standard errors account for it; None: the
        weights are taken as fixed.
    lonely_psu : str
        What a stratum with one PSU does to the variance, named as R's
        ``survey.lonely.psu`` option: ``fail`` (an error, R's default), ``adjust``,
        ``average``, ``remove`` or ``certainty`` (see :data:`LONELY_PSU`).
    domain : str or None
        Boolean column of the subpopulation estimates are restricted to (set by
        :meth:`subset`); None: everyone.
    replicates : Replicates or None
        Replicate weights of ``weight``: standard errors by replication rather than
        linearisation.
    """

    data: pd.DataFrame
    weight: str = WEIGHT
    psu: str | None = PSU
    strata: str | None = None
    fpc: str | None = None
    level: float = 0.95
    calibration: Calibration | None = None
    lonely_psu: str = "fail"
    domain: str | None = None
    replicates: Replicates | None = None

    def __post_init__(self) -> None:
        missing = [c for c in self.design_columns if c not in self.data.columns]
        if missing:
            raise KeyError(f"design column(s) not in the data: {', '.join(missing)}")
        if not 0 < self.level < 1:
            raise ValueError(f"confidence level must be between 0 and 1, not {self.level}")
        if self.lonely_psu not in LONELY_PSU:
            raise ValueError(
                f"lonely_psu {self.lonely_psu!r} is not one of {', '.join(LONELY_PSU)}"
            )
        check_design(self)

    @classmethod
    def of_wave(
        cls, data: pd.DataFrame, level: float = 0.95, lonely_psu: str = "fail"
    ) -> SurveyDesign:
        """The design of a weighted wave: final weight ``weight``, councils (``code``) as
        PSUs, no strata, PSUs with replacement; calibrated when the data records its
        raking (the columns ``calibration_weight`` and ``calibration_<margin>`` that the
        weight stage writes), and with replicate weights when it has them (the columns
        ``replicate_<method>_<r>``, ``config.yaml`` ``variance.method``)."""
        margins = tuple(
            c for c in data.columns if c.startswith(CALIBRATION_PREFIX) and c != CALIBRATION_WEIGHT
        )
        calibration = None
        if CALIBRATION_WEIGHT in data.columns and margins:
            calibration = Calibration(CALIBRATION_WEIGHT, margins)
        return cls(
            data,
            weight=WEIGHT,
            psu=PSU,
            level=level,
            calibration=calibration,
            lonely_psu=lonely_psu,
            replicates=Replicates.of(data),
        )

    @property
    def design_columns(self) -> list[str]:
        """The columns that describe the design (weight, PSU, strata, fpc, then the
        calibration's prior weight and margins, and the domain), in that order."""
        cols = [self.weight, self.psu, self.strata, self.fpc]
        if self.calibration is not None:
            cols += [self.calibration.prior_weight, *self.calibration.margins]
        cols.append(self.domain)
        if self.replicates is not None:
            cols += list(self.replicates.columns)
        return list(dict.fromkeys(c for c in cols if c is not None))

    @property
    def variance_method(self) -> str | None:
        """svy's ``method=``: ``replication`` with replicate weights, else None (Taylor)."""
        return "replication" if self.replicates is not None else None

    @property
    def alpha(self) -> float:
        """``1 - level``, as svy takes it."""
        return 1 - self.level

    def with_data(self, data: pd.DataFrame) -> SurveyDesign:
        """The same design over other data (the same respondents with more columns, a
        subset, or another wave with the same design columns)."""
        return replace(self, data=data)

    def with_weight(self, weight: str, calibration: Calibration | None = None) -> SurveyDesign:
        """The same design with another weight column (e.g. a robustness scheme's) and
        that weight's calibration (None: taken as fixed; the old weight's calibration
        and replicates do not describe another weight)."""
        return replace(self, weight=weight, calibration=calibration, replicates=None)

    def subset(self, mask) -> SurveyDesign:
        """The design restricted to a subpopulation (domain), keeping the full design.

        As R's ``subset()`` of a design: respondents outside the domain stay in the
        design (their PSUs, strata and calibration) and contribute zero, rather than
        being dropped, so that standard errors and degrees of freedom are those of the
        full design. A second subset narrows the first.

        Parameters
        ----------
        mask : array-like of bool
            True for respondents in the domain, aligned with ``data`` (missing: out).
        """
        inside = pd.Series(mask, index=self.data.index).fillna(False).astype(bool)
        if self.domain is not None:
            inside &= self.data[self.domain].to_numpy(dtype=bool)
        return replace(self, data=self.data.assign(_domain=inside.to_numpy()), domain="_domain")

    def in_domain(self, columns=()) -> pd.Series:
        """Boolean of respondents in the domain with every one of ``columns`` answered."""
        keep = pd.Series(True, index=self.data.index)
        if self.domain is not None:
            keep &= self.data[self.domain].to_numpy(dtype=bool)
        for col in columns:
            keep &= self.data[col].notna()
        return keep

    def where(self, columns=()) -> pl.Expr | None:
        """svy's ``where=`` for the domain restricted to respondents answering every one of
        ``columns`` (None: everyone), so that missing values leave the estimate but not
        the design."""
        exprs = [pl.col(c).is_not_null() for c in columns]
        if self.domain is not None:
            exprs.append(pl.col(self.domain))
        if not exprs:
            return None
        out = exprs[0]
        for e in exprs[1:]:
            out = out & e
        return out

    def domain_data(self, columns=()) -> pd.DataFrame:
        """The rows of the domain with every one of ``columns`` answered (for the
        unweighted counterparts, which do not use the design)."""
        return self.data[self.in_domain(columns).to_numpy()]

    def assign(self, **columns) -> SurveyDesign:
        """The design over the data with ``columns`` added (as :meth:`DataFrame.assign`)."""
        return self.with_data(self.data.assign(**columns))

    def select(self, columns) -> SurveyDesign:
        """The same design over a copy of its design columns and ``columns`` only (a
        column named twice, e.g. a stratum that is also a variable, is kept once)."""
        cols = list(dict.fromkeys([*self.design_columns, *columns]))
        return self.with_data(self.data[cols].copy())

    def sample(self, columns: list[str]) -> svy.Sample:
        """An svy sample of ``columns`` with this design (and, when calibrated, the
        margins' categories as the integer cells svy's variance sweep reads)."""
        cols = list(dict.fromkeys([*self.design_columns, *columns]))
        frame = polars_frame(self.data, cols)
        if self.calibration is not None:
            frame = frame.with_columns(
                [
                    pl.Series(name, codes, dtype=pl.Int32)
                    for name, codes in zip(self._cell_names(), self._cell_codes(), strict=True)
                ]
            )
        return svy.Sample(frame, self.svy_design())

    def _cell_names(self) -> list[str]:
        return [f"_calibration_cell_{i}" for i in range(len(self.calibration.margins))]

    def _cell_codes(self) -> list[np.ndarray]:
        out = []
        for margin in self.calibration.margins:
            codes, _ = pd.factorize(self.data[margin].astype(object), sort=True)
            out.append(pa.array(codes.astype(np.int32), mask=codes < 0))
        return out

    def svy_design(self) -> svy.Design:
        """This design in svy's terms."""
        adjustment = None
        if self.calibration is not None:
            adjustment = svy.WgtAdjustment(
                kind="raking",
                prev_wgt=self.calibration.prior_weight,
                new_wgt=self.weight,
                cells=tuple(self._cell_names()),
            )
        rule = LONELY_PSU[self.lonely_psu]
        return svy.Design(
            psu=self.psu,
            wgt=self.weight,
            stratum=self.strata,
            pop_size=self.fpc,
            # svy's rules are for strata; with none, one PSU is refused by check_design
            # under "fail" and otherwise left to svy (a variance of 0)
            singleton=None if rule is None or self.strata is None else svy.Singleton(rule),
            wgt_adjustment=adjustment,
            rep_wgts=None if self.replicates is None else self.replicates.svy(self.psu),
        )

    def polars(self, columns: list[str]) -> pl.DataFrame:
        """The design columns and ``columns`` as polars."""
        return polars_frame(self.data, list(dict.fromkeys([*self.design_columns, *columns])))


def polars_frame(df: pd.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Convert the needed columns to polars (categoricals as text), column by column
    through pyarrow rather than value by value."""
    return pl.DataFrame([polars_column(df[col], col) for col in columns])


def polars_column(s: pd.Series, name: str) -> pl.Series:
    """``s`` as polars: text (``str`` of each value) for categoricals, text and objects;
    Int64 for nullable integers and booleans (True is 1); anything else as it is.
    Missing values are null."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        labels = pa.array([str(c) for c in s.cat.categories], type=pa.large_string())
        codes = s.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        text = pa.DictionaryArray.from_arrays(indices, labels).cast(pa.large_string())
        return pl.Series(name, text, dtype=pl.Utf8)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        # objects of other kinds: str() of each (1 and 1.0 stay "1" and "1.0")
        return pl.Series(name, [None if pd.isna(v) else str(v) for v in s], dtype=pl.Utf8)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        text = pa.array(s.astype("string").array, type=pa.large_string())
        return pl.Series(name, text, dtype=pl.Utf8)
    if str(s.dtype) in ("Int64", "Int32", "boolean"):
        return pl.Series(name, pa.array(s.astype("Int64").array, type=pa.int64()), dtype=pl.Int64)
    return pl.Series(name, s.to_numpy())


def check_design(design: SurveyDesign) -> None:
    """Refuse a design that cannot give valid estimates, with one line naming the column
    and the first offending row (:class:`DesignError`).

    Weights must be finite and positive, PSU and stratum ids present, ``fpc`` finite and
    positive; a stratum with a single PSU is refused when ``lonely_psu`` is ``fail``
    (with no strata, a design of one PSU is such a stratum), as R refuses it.
    """
    data = design.data
    w = pd.to_numeric(data[design.weight], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = data[design.weight].iloc[i]
        raise DesignError(
            f"weight column {design.weight!r}: {int(bad.sum())} weight(s) missing, infinite, "
            f"zero or negative (first: {_row_name(data, i)}, value {value!r})"
        )
    for role, col in (("PSU", design.psu), ("stratum", design.strata)):
        if col is not None and data[col].isna().any():
            i = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DesignError(
                f"{role} column {col!r}: {int(data[col].isna().sum())} respondent(s) have no "
                f"{role} id (first: {_row_name(data, i)})"
            )
    if design.fpc is not None:
        f = pd.to_numeric(data[design.fpc], errors="coerce").to_numpy(dtype=float)
        if not (np.isfinite(f) & (f > 0)).all():
            raise DesignError(f"fpc column {design.fpc!r}: population sizes must be positive")
    if design.lonely_psu == "fail":
        strata = data[design.strata] if design.strata is not None else pd.Series(0, data.index)
        # with no PSU column every respondent is a PSU
        units = data[design.psu] if design.psu is not None else pd.Series(data.index, data.index)
        n_psu = units.groupby(strata.to_numpy()).nunique()
        lonely = n_psu[n_psu < 2]
        if len(lonely):
            where = "the design" if design.strata is None else f"stratum {lonely.index[0]!r}"
            raise DesignError(
                f"{where} has only one PSU ({design.psu or 'respondents'}), so its variance "
                "cannot be "
                "estimated; set lonely_psu to adjust, average, remove or certainty "
                "(R's survey.lonely.psu)"
            )


def _row_name(data: pd.DataFrame, i: int) -> str:
    """The ``i``-th respondent, by id where the data has one."""
    if "respondent_id" in data.columns:
        return f"respondent {data['respondent_id'].iloc[i]}"
    return f"row {data.index[i]!r}"
