"""The survey design: one object that every estimator takes.

As R's ``svydesign()`` does, a :class:`SurveyDesign` binds the data to the columns that
describe how it was drawn: the final weight, the primary sampling units (clusters),
optional strata and finite-population corrections, and the confidence level of every
interval computed from it. A wave's design is built once (:meth:`SurveyDesign.of_wave`)
and passed to the estimators of :mod:`councilsurvey.survey.estimation` and to the
analyses built on them, in place of loose ``weight=``, ``psu=`` and ``level=`` arguments.

Variance is by Taylor linearisation around the PSU totals, with PSUs treated as drawn
with replacement within strata (R's ``svydesign(ids=~psu, strata=~strata, weights=~w)``);
with ``fpc`` the without-replacement correction of R's ``fpc=`` is applied. Shares,
Rao-Scott tests, logistic regression and domain means with strata, with and without
``fpc``, are checked against R in ``tests/test_against_r.py``; the trend analyses
(:mod:`councilsurvey.analysis.trends`) support PSUs without strata or ``fpc`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import polars as pl
import pyarrow as pa
import svy

#: the bundled waves' design: final weight ``weight``, council ``code`` as the PSU
WEIGHT, PSU = "weight", "code"


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
    """

    data: pd.DataFrame
    weight: str = WEIGHT
    psu: str | None = PSU
    strata: str | None = None
    fpc: str | None = None
    level: float = 0.95

    def __post_init__(self) -> None:
        missing = [c for c in self.design_columns if c not in self.data.columns]
        if missing:
            raise KeyError(f"design column(s) not in the data: {', '.join(missing)}")
        if not 0 < self.level < 1:
            raise ValueError(f"confidence level must be between 0 and 1, not {self.level}")

    @classmethod
    def of_wave(cls, data: pd.DataFrame, level: float = 0.95) -> SurveyDesign:
        """The design of a weighted wave: final weight ``weight``, councils (``code``) as
        PSUs, no strata, PSUs with replacement."""
        return cls(data, weight=WEIGHT, psu=PSU, level=level)

    @property
    def design_columns(self) -> list[str]:
        """The columns that describe the design (weight, PSU, strata, fpc), in that order."""
        return [c for c in (self.weight, self.psu, self.strata, self.fpc) if c is not None]

    @property
    def alpha(self) -> float:
        """``1 - level``, as svy takes it."""
        return 1 - self.level

    def with_data(self, data: pd.DataFrame) -> SurveyDesign:
        """The same design over other data (the same respondents with more columns, a
        subset, or another wave with the same design columns)."""
        return replace(self, data=data)

    def with_weight(self, weight: str) -> SurveyDesign:
        """The same design with another weight column (e.g. a robustness scheme's)."""
        return replace(self, weight=weight)

    def assign(self, **columns) -> SurveyDesign:
        """The design over the data with ``columns`` added (as :meth:`DataFrame.assign`)."""
        return self.with_data(self.data.assign(**columns))

    def select(self, columns) -> SurveyDesign:
        """The same design over a copy of its design columns and ``columns`` only (a
        column named twice, e.g. a stratum that is also a variable, is kept once)."""
        cols = list(dict.fromkeys([*self.design_columns, *columns]))
        return self.with_data(self.data[cols].copy())

    def sample(self, columns: list[str]) -> svy.Sample:
        """An svy sample of ``columns`` with this design."""
        cols = list(dict.fromkeys([*self.design_columns, *columns]))
        return svy.Sample(polars_frame(self.data, cols), self.svy_design())

    def svy_design(self) -> svy.Design:
        """This design in svy's terms."""
        return svy.Design(
            psu=self.psu,
            wgt=self.weight,
            stratum=self.strata,
            pop_size=self.fpc,
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
