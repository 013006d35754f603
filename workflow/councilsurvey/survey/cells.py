"""Raking on the table of raking cells: the weight stage's raking (and trimming), in numpy.

A respondent's raking cell is their combination of categories on every raked margin.
Raking multiplies every weight of a cell by the same factor, so it can be done on the
cells' total weights (a few hundred numbers, whatever the number of respondents) and
carried back to the respondents by one factor per cell. :class:`Cells` does that, with
svy's sweep and stopping rule, so that its weights equal svy's raking bit for bit
(``tests/test_weighting.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _kernel():
    """svy's compiled raking kernel, or None where it is not installed."""
    try:
        from svy_rs._internal import rake
    except ImportError:  # pragma: no cover - svy always brings it
        return None
    return rake


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column's codes and levels: what ``pd.factorize(values, sort=True)`` gives (the
    levels in sorted order, a categorical's too, not in its categories' order).

    A column of Arrow strings without missing values (how pandas holds text) is
    dictionary-encoded by Arrow and its few levels sorted in Python, then the codes
    renumbered in that order: the same codes and levels as ``pd.factorize``, which hashes
    the strings more slowly (``tests/test_ipf.py``). Any other column is factorised by
    pandas in its own type.

    Returns
    -------
    codes : ndarray of int
        Each row's level, numbered from 0 in sorted order (in the smallest integer type
        that holds them, for Arrow strings).
    levels : ndarray of object
        The distinct values, sorted.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    arrow = _arrow_strings(values)
    if arrow is not None:
        encoded = pc.dictionary_encode(arrow)
        found = encoded.dictionary.to_pylist()
        order = sorted(range(len(found)), key=found.__getitem__)
        rank = np.empty(len(found), dtype=_code_type(len(found)))
        rank[order] = np.arange(len(found))
        codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
        return codes, np.array([found[i] for i in order], dtype=object)
    c, u = pd.factorize(values, sort=True)
    return np.asarray(c), np.asarray(u, dtype=object)


def _arrow_strings(values: pd.Series):
    """The column as one Arrow string array, if it is held as Arrow strings without
    missing values; else None."""
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    arrow = values.array.__arrow_array__()
    if arrow.null_count:
        return None
    arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    return arrow


def _code_type(n: int) -> type:
    """The integer type pandas keeps the codes of ``n`` categories in (so that making a
    categorical of codes already of that type copies nothing)."""
    for kind in (np.int8, np.int16, np.int32):
        if n < np.iinfo(kind).max:
            return kind
    return np.int64


def _grouper(codes: np.ndarray, n: int) -> pd.Categorical:
    """Codes 0..n-1 as a categorical (categories 0..n-1), to group by."""
    return pd.Categorical.from_codes(codes, categories=pd.RangeIndex(n), validate=False)


class Cells:
    """Respondents grouped by raking cell: their combination of categories on every
    margin.

    Raking multiplies every weight in a cell by the same factor at every step (the product
    of its categories' factors), so it depends on the data only through each cell's total
    weight: raking the table of cell totals and scaling each respondent's weight by its
    cell's ``raked total / starting total`` gives, up to rounding, the weights raking
    every respondent would give. The table has at most as many rows as there are
    combinations of categories (a few hundred here), however many respondents there are.

    The cell totals are raked by svy's own sweep (:meth:`count_sweeps`): for each
    margin in turn, in the order of ``controls``, the cells' weights are summed by
    category and every cell is scaled by its category's ``target / total``; the sweep
    stops once every category of every margin was within ``tol`` (relative) of its target
    before its scaling in the last sweep: svy's rule, and svy's weights bit for bit.
    """

    def __init__(self, df: pd.DataFrame, controls: dict):
        self.controls = controls
        self.columns = list(controls)
        codes, levels = [], []
        for col in self.columns:
            c, u = factorize(df[col])
            if len(c) and c.min() < 0:  # pandas' code for a missing value
                raise ValueError(f"raking margin {col}: a respondent has no category")
            codes.append(c)
            levels.append(u)
        dims = tuple(len(u) for u in levels)
        #: each respondent's code on each margin (for margin totals)
        self.codes = codes
        self.levels = levels
        #: the same as categoricals, for pandas' compensated sums by group (grouping by a
        #: categorical uses its codes: no hashing of a million keys)
        self._groupers = [_grouper(c, len(u)) for c, u in zip(codes, levels, strict=True)]
        # each respondent's combination as one number (np.ravel_multi_index's, in the
        # smallest integer type that holds every combination)
        kind = _code_type(int(np.prod(dims)) + 1)
        key = np.zeros(len(df), dtype=kind)
        for c, d in zip(codes, dims, strict=True):
            key *= kind(d)
            key += c
        # the cells present, in the order of their keys, and each respondent's cell (what
        # np.unique(key, return_inverse=True) gives, without sorting the respondents)
        cells = np.flatnonzero(np.bincount(key, minlength=int(np.prod(dims))))
        position = np.zeros(int(np.prod(dims)), dtype=_code_type(len(cells)))
        position[cells] = np.arange(len(cells))
        self.cell = position[key]
        self._cell_grouper = _grouper(self.cell, len(cells))
        parts = np.unravel_index(cells, dims)
        self.table = pd.DataFrame({c: levels[j][parts[j]] for j, c in enumerate(self.columns)})
        # each cell's category on every margin, and the margin's targets in that order
        # (a target without respondents comes last: no cell adds to it)
        self._cell_codes, self._targets = [], []
        for j, col in enumerate(self.columns):
            present = set(levels[j].tolist())
            missing = [lv for lv in levels[j].tolist() if lv not in controls[col]]
            if missing:
                raise ValueError(f"raking margin {col}: no population total for {missing}")
            extra = [k for k in controls[col] if k not in present]
            order = [*levels[j].tolist(), *extra]
            self._cell_codes.append(np.asarray(parts[j], dtype=np.intp))
            self._targets.append(np.array([controls[col][k] for k in order], dtype=float))

    def totals(self, w: np.ndarray) -> np.ndarray:
        """The cells' total weights, summed as pandas sums (compensated: with a million
        respondents a plain running sum can be off by more than the 1e-12 tolerance)."""
        sums = pd.Series(w).groupby(self._cell_grouper, observed=False).sum()
        return sums.to_numpy(dtype=float)

    def sweeps(self, totals: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
        """The cell totals raked (see the class): by svy's compiled raking kernel
        (``svy_rs``, called on the cell arrays without building an svy sample) where every
        cell and target is positive, else by :meth:`count_sweeps`, the same sweep in
        numpy. The two give the same weights bit for bit (``tests/test_weighting.py``)."""
        w = np.array(totals, dtype=float)
        kernel = _kernel()
        if kernel is None or not self._positive(w):
            return self.count_sweeps(w, tol, max_iter)[0]
        codes = [c.astype(np.int64) for c in self._cell_codes]
        return kernel(w.reshape(-1, 1), codes, self._targets, None, None, tol, max_iter)[:, 0]

    def _positive(self, w: np.ndarray) -> bool:
        """No empty cell and no zero target: no category total is ever 0."""
        return bool(np.all(w > 0)) and all(bool(np.all(t > 0)) for t in self._targets)

    def count_sweeps(
        self, totals: np.ndarray, tol: float, max_iter: int
    ) -> tuple[np.ndarray, int | None]:
        """Rake the cell totals in numpy: svy's sweep and stopping rule (see the class).

        Returns the raked cell totals and the first sweep after which every margin is
        within ``tol`` of its target (None if none is, up to the last). That sweep is
        found where the first margin is (its error is measured by the next sweep anyway),
        so the other margins are summed once more only there.
        """
        w = np.array(totals, dtype=float)
        margins = list(zip(self._cell_codes, self._targets, strict=True))
        plain = self._positive(w)
        first, sweep = None, 0
        while sweep < max_iter:
            err = 0.0
            for j, (codes, target) in enumerate(margins):
                got = np.bincount(codes, weights=w, minlength=len(target))
                if err <= tol:  # past tol already: this sweep is not the last
                    err = max(err, float(np.max(np.abs(got - target) / target)))
                if j == 0 and first is None and sweep and err <= tol and self.cell_error(w) <= tol:
                    first = sweep
                if plain:
                    factor = target / got
                else:
                    factor = np.divide(target, got, out=np.zeros_like(target), where=got != 0)
                w = w * factor[codes]
            sweep += 1
            if err <= tol:
                break
        if first is None and self.cell_error(w) <= tol:
            first = sweep
        return w, first

    def cell_error(self, totals: np.ndarray) -> float:
        """Largest relative margin error of weights with these cell totals."""
        err = 0.0
        for codes, target in zip(self._cell_codes, self._targets, strict=True):
            got = np.bincount(codes, weights=totals, minlength=len(target))
            err = max(err, float(np.max(np.abs(got - target) / target)))
        return err

    def rake(self, w: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, bool]:
        """Respondents' weights ``w`` raked; and whether the raking met ``tol`` (on the
        cell totals it was given)."""
        raked_w, raked = self.raked(w, tol, max_iter)
        return raked_w, self.cell_error(raked) <= tol

    def raked(self, w: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
        """Respondents' weights ``w`` raked, and the raked cell totals they were scaled
        to: the cells' totals (:meth:`totals`) raked by :meth:`sweeps`, and every weight
        multiplied by its cell's ``raked total / starting total`` (0 in a cell whose
        weights sum to 0)."""
        start = self.totals(w)
        raked = self.sweeps(start, tol, max_iter)
        factor = np.divide(raked, start, out=np.zeros_like(raked), where=start != 0)
        return w * factor[self.cell], raked

    def meets(self, w: np.ndarray, tol: float, raked: np.ndarray | None = None) -> bool:
        """Whether ``error(w) <= tol``, without summing the respondents where the cell
        totals ``w`` was scaled to (``raked``, from :meth:`raked`) decide it.

        The margin totals of the respondents' weights and the sums of the raked cell
        totals by category differ only by rounding. For non-negative weights, with ``u``
        the unit roundoff and ``n`` the number of respondents: each weight is its starting
        weight times its cell's factor (rounded: ``u``), the factor the raked total over a
        compensated sum of the starting weights (:meth:`totals`: ``2u``, and ``u`` for the
        division), so a cell's weights add up to within ``4u`` of its raked total; the
        respondents' margin sums are compensated (Kahan, as pandas sums by group: ``2u``
        plus ``n u^2``) and the cells' are exact (``math.fsum``: ``u``). So the two margin
        totals are within ``(7u + n u^2)`` of the total, and the two relative errors
        within ``(8u + n u^2) (1 + e)^2 + 4u e`` of each other, ``e`` the cells' error
        (its subtraction and division rounded too). The cells decide when their error is
        more than twice that (some 2e-15) from ``tol``, on either side; otherwise, or
        without ``raked``, with a negative weight or a target not above 0, the
        respondents' weights are summed (:meth:`error`). Either way the answer is that of
        :meth:`error` (``tests/test_ipf.py``).
        """
        usable = raked is not None and len(raked) == len(self.table)
        if usable and all(bool(np.all(t > 0)) for t in self._targets) and np.all(w >= 0):
            err = self._exact_cell_error(raked)
            unit = np.finfo(float).eps / 2
            slack = 2 * ((8 * unit + len(w) * unit**2) * (1 + err) ** 2 + 4 * unit * err)
            if err <= tol - slack:
                return True
            if err > tol + slack:
                return False
        return self.error(w) <= tol

    def _exact_cell_error(self, totals: np.ndarray) -> float:
        """Largest relative margin error of these cell totals, each category's cells
        summed exactly (``math.fsum``: correctly rounded)."""
        err = 0.0
        for codes, target in zip(self._cell_codes, self._targets, strict=True):
            for k, t in enumerate(target.tolist()):
                got = math.fsum(totals[codes == k].tolist())
                err = max(err, abs(got - t) / t)
        return err

    def error(self, w: np.ndarray) -> float:
        """Largest relative margin error of respondents' weights ``w`` (summed by
        respondent, as pandas sums: compensated, in row order)."""
        err = 0.0
        s = pd.Series(w)
        for col, grouper, levels in zip(self.columns, self._groupers, self.levels, strict=True):
            got = s.groupby(grouper, observed=False).sum()
            got = dict(zip(levels, got.to_numpy(), strict=True))
            for cat, target in self.controls[col].items():
                err = max(err, abs(got.get(cat, 0.0) - target) / target)
        return err

    def iterations(self, w: np.ndarray, tol: float, max_iter: int) -> int:
        """The fewest raking sweeps that bring every margin within ``tol`` (counted by
        :meth:`count_sweeps`); ``max_iter`` if the raking never does."""
        first = self.count_sweeps(self.totals(w), tol, max_iter)[1]
        return max_iter if first is None else first

    def trim_rake(
        self, w0: np.ndarray, cap: float, tol: float, max_iter: int, cycles: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """svy's trim-and-rake cycle (``rake(trimming=TrimConfig(upper=Threshold("median",
        cap)))``) with every raking pass on the cell totals. Trimming works on single
        weights (capped at ``cap`` times their median, the excess spread over the others),
        so it is done on the respondents' weights with ``Sample.weighting.trim`` and only
        the raking in between is collapsed; raking a vector of weights scales every
        weight of a cell by one factor, whatever the weights, so that is still exact.

        Returns the weights, those their final raking started from (for the
        variance, :class:`~councilsurvey.survey.design.Calibration`) and the raked cell
        totals of that raking (for :meth:`meets`); None if svy finds
        the cap infeasible (the mean weight above it), where its own cycle goes on
        regardless: the caller then rakes by respondent."""
        import polars as pl
        import svy
        from svy.errors import WeightingError

        upper = svy.Threshold("median", cap)
        prior = w0
        current, raked = self.raked(w0, tol, max_iter)
        rake_ok = self.cell_error(raked) <= tol
        trim_ok = True
        for _ in range(cycles):
            bound = upper.compute(current[current > 0])
            trim_ok = not np.any(current > bound * (1.0 + tol))
            if rake_ok and trim_ok:
                break
            sample = svy.Sample(pl.DataFrame({"_w": current}), svy.Design(wgt="_w"))
            try:
                trimmed = sample.weighting.trim(
                    upper=upper,
                    min_cell_size=1,
                    max_iter=cycles,
                    wgt_name="_trimmed",
                    on_nonconvergence="ignore",
                )
            except WeightingError as exc:
                if getattr(exc, "code", None) == "TRIM_INFEASIBLE":
                    return None
                raise
            prior = trimmed.data["_trimmed"].to_numpy().astype(float)
            current, raked = self.raked(prior, tol, max_iter)
            rake_ok = self.cell_error(raked) <= tol
        return current, prior, raked
