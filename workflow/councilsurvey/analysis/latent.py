"""Latent classes of the attitude battery: the data-driven alternative to the report's rule.

A latent class model (stepmix, categorical indicators with missing answers handled by
full-information likelihood) sorts respondents into classes from their answers to the
Likert items. How many classes there are is either fixed in ``config.yaml``
(``segments: latent_classes: 3``) or chosen from the data
(``latent_classes: {select: bic, range: [2, 6]}``): every candidate number of classes is
fitted once, with the same seed and several random starts, and the one with the lowest
Bayesian information criterion is kept (:func:`select_latent_classes`). The comparison of
the candidates is a table of the segment stage (:data:`SELECTION_COLUMNS`).

Classes carry no meaning of their own, so they are named after the report's segments by
the benefit items only (the items the rule uses for enthusiasts), see
:func:`name_classes`.

Every function is a pure function of its arguments; fits are seeded, so two runs give the
same classes and the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # stepmix (and scikit-learn) are imported by the fits only: the
    # notebooks and the robustness grid read the stored classes and selection table
    from stepmix import StepMix

#: columns of the model selection table (:func:`select_latent_classes`)
SELECTION_COLUMNS = [
    "n_classes",
    "n",
    "log_likelihood",
    "n_parameters",
    "aic",
    "bic",
    "relative_entropy",
    "smallest_class_n",
    "smallest_class_share",
    "criterion",
    "chosen",
]
#: criteria :func:`select_latent_classes` can choose by (``fixed``: one given number)
CRITERIA = ("bic", "aic", "fixed")
#: random starts of every fit unless the configuration says otherwise
N_INIT = 3


@dataclass(frozen=True)
class LatentSelection:
    """The latent classes of the chosen model and the comparison of the candidates.

    Attributes
    ----------
    classes : Series
        Named class of every respondent (see :func:`select_latent_classes`).
    table : DataFrame
        One row per candidate number of classes, :data:`SELECTION_COLUMNS`.
    n_classes : int
        The chosen number of classes.
    """

    classes: pd.Series
    table: pd.DataFrame
    n_classes: int


def latent_settings(value) -> tuple[list[int], str, int]:
    """Candidate numbers of classes, criterion and random starts from ``config.yaml``.

    Parameters
    ----------
    value : int or dict or None
        ``segments: latent_classes``: an integer (that many classes, no selection), or
        ``{select: bic, range: [low, high], n_init: 3}`` (every number of classes from
        ``low`` to ``high`` inclusive, the one with the lowest criterion kept; ``select``
        may also be ``aic``; ``n_init`` is optional). ``None`` means 3 classes.

    Returns
    -------
    candidates : list of int
        Numbers of classes to fit, ascending.
    criterion : str
        ``bic``, ``aic`` or ``fixed`` (a single given number).
    n_init : int
        Random starts of every fit.
    """
    if value is None:
        return [3], "fixed", N_INIT
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)], "fixed", N_INIT
    if not isinstance(value, dict):
        raise ValueError(f"latent_classes must be an integer or a mapping, not {value!r}")
    criterion = str(value.get("select", "bic"))
    if criterion not in ("bic", "aic"):
        raise ValueError(f"latent_classes: select must be bic or aic, not {criterion!r}")
    low, high = (int(v) for v in value.get("range", (2, 6)))
    if not 2 <= low <= high:
        raise ValueError(
            f"latent_classes: range must be [low, high] with 2 <= low <= high, not {[low, high]}"
        )
    return list(range(low, high + 1)), criterion, int(value.get("n_init", N_INIT))


def indicator_codes(data: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The Likert items as stepmix's 0-based codes, for respondents who answered any.

    Parameters
    ----------
    data : DataFrame
        Responses with ``items`` as Likert codes 1..5 (nullable integers; missing = Don't
        know or blank).
    items : sequence of str
        The indicators.

    Returns
    -------
    codes : ndarray
        ``code - 1`` (float, NaN where missing) of the respondents with at least one
        item answered, in the order of ``data``.
    answered : ndarray of bool
        Which rows of ``data`` those are.

    Raises
    ------
    ValueError
        If a code is below 1 or not an integer.
    """
    x = data[list(items)].astype("Float64").astype(float).to_numpy()
    observed = x[~np.isnan(x)]
    if observed.size and (observed.min() < 1 or np.any(observed != np.round(observed))):
        raise ValueError("latent classes need integer codes 1, 2, ... in every item")
    answered = ~np.isnan(x).all(axis=1)
    return x[answered] - 1.0, answered


def fit_model(codes: np.ndarray, n_classes: int, seed: int = 2017, n_init: int = N_INIT) -> StepMix:
    """Fit one latent class model (stepmix ``categorical_nan``).

    Parameters
    ----------
    codes : ndarray
        0-based integer codes, NaN where missing (:func:`indicator_codes`).
    n_classes : int
        Number of classes (at least 2).
    seed : int
        Random state of the initialisations: the same seed gives the same model.
    n_init : int
        Random starts; EM runs from each and the one with the highest likelihood is kept.

    Returns
    -------
    StepMix
        The fitted model.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if len(codes) < n_classes:
        raise ValueError(
            f"{len(codes)} respondent(s) answered an item; {n_classes} classes cannot be fitted"
        )
    from stepmix import StepMix

    model = StepMix(
        n_components=n_classes,
        measurement="categorical_nan",
        random_state=seed,
        n_init=n_init,
        verbose=0,
        progress_bar=0,
    )
    with _one_hot_once(), _lean_em_steps():
        model.fit(codes)
    return model


@contextmanager
def _one_hot_once():
    """Within the block, stepmix one-hot encodes a given array of codes once.

    stepmix's categorical model encodes its data anew in every E and M step of EM (some
    1,800 steps for the segment stage's five fits, a fifth of their time), always the
    same array with the same arguments. The encoding is a pure function of them, so it is
    kept, for the array object itself (held, so its id cannot be reused) and the
    arguments, and returned as a read-only array: stepmix only reads it (``nan_to_num``
    copies), and a write would fail loudly instead of corrupting the next step. The fit
    is the same, bit for bit (``tests/test_segment.py``).
    """
    from stepmix.emission import categorical

    original = categorical.max_one_hot
    kept: list = []

    def encode(array, max_n_outcomes=None, total_outcomes=None):
        for held, args, result in kept:
            if held is array and args == (max_n_outcomes, total_outcomes):
                return result
        result = original(array, max_n_outcomes=max_n_outcomes, total_outcomes=total_outcomes)
        result[0].setflags(write=False)
        kept.append((array, (max_n_outcomes, total_outcomes), result))
        del kept[:-4]
        return result

    categorical.max_one_hot = encode
    try:
        yield
    finally:
        categorical.max_one_hot = original


@contextmanager
def _lean_em_steps():
    """Within the block, stepmix's EM steps skip work whose result they already have.

    Every EM iteration of a ``categorical_nan`` fit re-derived the same things from the
    same (once-encoded, :func:`_one_hot_once`) array: the missing-answer mask and the
    NaN-free copy of the one-hot codes, in both the E and the M step; in the M step one
    normaliser per one-hot column (8 items x 5 categories), although the columns of one
    item share their mask and so their normaliser; and scikit-learn's validation of the
    sample weights, which EM itself had validated before its first step. Here the mask
    and the NaN-free codes are kept for the array object (held, as in
    :func:`_one_hot_once`), each distinct mask's normaliser is summed once per step and
    divided into its columns exactly as stepmix does, and already-validated sample
    weights (a finite float vector of the fit's length and dtype) are copied without
    re-validation. The E step's ``scipy.special.logsumexp`` over the classes is
    :func:`_logsumexp_rows`, scipy's own arithmetic without its per-call dispatch. Every
    floating-point operation on the parameters is stepmix's own (or scipy's), in its
    order: the fit is the same, bit for bit (``tests/test_segment.py``). Any other input
    goes to stepmix's (or scipy's) code unchanged.
    """
    from stepmix import stepmix as core
    from stepmix.emission import categorical

    cls = categorical.MultinoulliNan
    original_m, original_ll = cls.m_step, cls.log_likelihood
    original_check = core._check_sample_weight
    original_logsumexp = core.logsumexp
    kept: list = []

    def prepared(encoded):
        for held, result in kept:
            if held is encoded:
                return result
        is_observed = ~np.isnan(encoded)
        zeroed = np.nan_to_num(encoded, nan=0)
        zeroed.setflags(write=False)
        # columns sharing one missing-answer mask share their normaliser; a mask is kept
        # as the row numbers it selects (``take`` copies the same rows, in the same order,
        # as stepmix's boolean indexing, at half its cost)
        masks, group = np.unique(is_observed, axis=1, return_inverse=True)
        rows = [np.flatnonzero(masks[:, g]) for g in range(masks.shape[1])]
        result = (zeroed, rows, group.ravel())
        kept.append((encoded, result))
        del kept[:-4]
        return result

    def m_step(self, X, resp):
        zeroed, rows, group = prepared(self.encode_features(X))
        pis = zeroed.T @ resp
        norms = [resp.take(r, axis=0).sum(axis=0) for r in rows]
        for i in range(pis.shape[0]):
            pis[i] /= norms[group[i]]
        self.parameters["pis"] = pis.T

    def log_likelihood(self, X):
        zeroed, _, _ = prepared(self.encode_features(X))
        pis = np.clip(self.parameters["pis"].T, 1e-15, 1 - 1e-15)
        return zeroed @ np.log(pis)

    def check_sample_weight(sample_weight, X, dtype=None, copy=False, **kwargs):
        if (
            not kwargs
            and isinstance(sample_weight, np.ndarray)
            and sample_weight.ndim == 1
            and sample_weight.dtype == dtype == X.dtype
            and sample_weight.shape[0] == X.shape[0]
            and np.isfinite(sample_weight).all()
        ):
            return sample_weight.copy() if copy else sample_weight
        return original_check(sample_weight, X, dtype=dtype, copy=copy, **kwargs)

    def logsumexp(a, axis=None, **kwargs):
        if not kwargs and axis == 1:
            out = _logsumexp_rows(a)
            if out is not None:
                return out
        return original_logsumexp(a, axis=axis, **kwargs)

    cls.m_step, cls.log_likelihood = m_step, log_likelihood
    core._check_sample_weight = check_sample_weight
    core.logsumexp = logsumexp
    try:
        yield
    finally:
        cls.m_step, cls.log_likelihood = original_m, original_ll
        core._check_sample_weight = original_check
        core.logsumexp = original_logsumexp


def _logsumexp_rows(a) -> np.ndarray | None:
    """``scipy.special.logsumexp(a, axis=1)`` of a finite 2-D float64 array, computed
    with scipy's own operations in scipy's order, so the same floats; ``None`` for any
    other input (the caller then asks scipy).

    scipy (1.15 and later) sums ``exp(a - max)`` over the row's elements other than its
    largest (each tie of the largest counted in ``m``) and returns
    ``log1p(s / m) + log(m) + max``, the accurate form of Blanchard, Higham and Higham
    (2021). Each call also goes through scipy's array-API dispatch and computes the naive
    ``log(sum(exp(a)))`` for rows whose result is not finite, which a finite array never
    has. In stepmix's E step (some 2,700 calls on an (n, K) array per wave) that is more
    than half of the call: 0.33 ms with scipy against 0.15 ms here for an (800, 4) array
    (bench/README.md, *Seventh pass*). ``tests/test_segment.py`` checks the result against
    scipy's bit for bit, ties and extreme values included.
    """
    if not (
        isinstance(a, np.ndarray)
        and a.ndim == 2
        and a.dtype == np.float64
        and a.shape[0] > 0
        and a.shape[1] > 0
        and np.isfinite(a).all()
    ):
        return None
    a_max = a.max(axis=1, keepdims=True)
    at_max = a == a_max
    # the count of each row's largest value: a small integer, exact as a float
    m = np.count_nonzero(at_max, axis=1).astype(a.dtype).reshape(-1, 1)
    s = np.exp(np.where(at_max, -np.inf, a) - a_max).sum(axis=1, keepdims=True)
    s = np.where(s == 0, s, s / m)
    return (np.log1p(s) + np.log(m) + a_max)[:, 0]


def fit_statistics(model: StepMix, codes: np.ndarray) -> dict:
    """Fit statistics of a fitted model on its data.

    Returns
    -------
    dict
        ``n_classes``; ``n`` (respondents fitted); ``log_likelihood`` (summed over
        respondents; a missing answer contributes nothing); ``n_parameters``: free
        parameters, ``(K - 1) + K * sum_j (L_j - 1)`` for K classes and item j with
        categories 1..L_j, L_j its highest observed code (class shares plus, in every
        class, the probabilities of each item's categories less one that the others
        determine; stepmix's count, 33 K - 1 for eight five-point items); ``aic`` =
        ``-2 log L + 2 p``; ``bic`` = ``-2 log L + p log n`` (lower is better; equal to
        stepmix's ``bic``); ``relative_entropy``: ``1 - E / (n log K)`` with ``E`` the
        entropy of the posterior class probabilities (1 is a clean separation);
        ``smallest_class_n`` and ``smallest_class_share``: respondents in the smallest
        class by highest posterior probability, and their share of ``n``.
    """
    n = len(codes)
    loglik = float(model.score(codes) * n)
    p = int(round(model.n_parameters))
    labels = model.predict(codes)
    sizes = np.bincount(labels, minlength=model.n_components)
    return {
        "n_classes": int(model.n_components),
        "n": int(n),
        "log_likelihood": loglik,
        "n_parameters": p,
        "aic": -2.0 * loglik + 2.0 * p,
        "bic": -2.0 * loglik + p * float(np.log(n)),
        "relative_entropy": float(model.relative_entropy(codes)),
        "smallest_class_n": int(sizes.min()),
        "smallest_class_share": float(sizes.min() / n),
    }


def class_names(n_classes: int) -> list[str]:
    """Names of the classes from the highest to the lowest benefit-item mean.

    The first is ``enthusiast``, the last ``sceptic`` and every class between them
    ``middle`` (so two classes are enthusiast and sceptic; four or more have several
    middle classes, which share the name).
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    return ["enthusiast", *["middle"] * (n_classes - 2), "sceptic"]


def benefit_means(posterior: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Mean agreement of every class with the benefit items.

    Parameters
    ----------
    posterior : ndarray
        Posterior class probabilities, respondents x classes.
    benefit : ndarray
        The benefit items' Likert codes (1..5, NaN where missing) of the same respondents.

    Returns
    -------
    ndarray
        One value per class: for every benefit item the class's mean code, respondents
        weighted by their posterior probability of the class and those who did not
        answer the item left out; then the average over the items (each item counts
        equally). A class with no weight on any item gets ``-inf``.
    """
    answered = ~np.isnan(benefit)
    values = np.where(answered, benefit, 0.0)
    weight = posterior.T @ answered.astype(float)  # classes x items
    total = posterior.T @ values
    with np.errstate(invalid="ignore", divide="ignore"):
        per_item = np.where(weight > 0, total / weight, np.nan)
    out = np.full(posterior.shape[1], -np.inf)
    has = ~np.isnan(per_item).all(axis=1)
    out[has] = np.nanmean(per_item[has], axis=1)
    return out


def name_classes(posterior: np.ndarray, benefit: np.ndarray) -> list[str]:
    """The name of every stepmix class, by the benefit items only.

    The classes are ranked by :func:`benefit_means` (highest first; ties broken by
    stepmix's class number, which is fixed by the seed) and named by
    :func:`class_names`: the class that agrees most with the benefit items is
    ``enthusiast``, the one that agrees least ``sceptic``, any others ``middle``.
    Only the benefit items count: the other attitude items include negatively worded
    (caution) ones, whose agreement is the sceptical answer, so a mean over the whole
    battery unreversed would mix the two directions.

    Returns
    -------
    list of str
        Name of class 0, 1, ... of the model.
    """
    means = benefit_means(posterior, benefit)
    k = len(means)
    order = sorted(range(k), key=lambda c: (-means[c], c))
    names = class_names(k)
    by_class = [""] * k
    for rank, c in enumerate(order):
        by_class[c] = names[rank]
    return by_class


def select_latent_classes(
    data: pd.DataFrame,
    items: Sequence[str],
    benefit_items: Sequence[str],
    candidates: Sequence[int] = (2, 3, 4, 5, 6),
    criterion: str = "bic",
    seed: int = 2017,
    n_init: int = N_INIT,
) -> LatentSelection:
    """Fit a latent class model for each candidate number of classes and keep the best.

    Parameters
    ----------
    data : DataFrame
        Responses with ``items`` and ``benefit_items`` as Likert codes 1..5 (nullable
        integers; missing = Don't know or blank).
    items : sequence of str
        The indicators of the model (the attitude battery), each categorical.
    benefit_items : sequence of str
        The items that name the classes (:func:`name_classes`).
    candidates : sequence of int
        Numbers of classes to fit (each at least 2); each is fitted once.
    criterion : str
        ``bic`` (default) or ``aic``: the candidate with the lowest value is chosen, the
        smaller number of classes on a tie; ``fixed`` needs a single candidate, which is
        chosen.
    seed : int
        Random state of every fit.
    n_init : int
        Random starts of every fit (the best likelihood is kept).

    Returns
    -------
    LatentSelection
        ``classes``: categorical Series indexed like ``data``, named ``latent_class``,
        with categories ``enthusiast``, ``middle``, ``sceptic`` (two classes:
        enthusiast, sceptic); each respondent in the class of highest posterior
        probability of the chosen model, missing for a respondent who answered none of
        ``items``. ``table``: one row per candidate in ascending order,
        :data:`SELECTION_COLUMNS` (see :func:`fit_statistics`), ``criterion`` and
        ``chosen`` (True on the chosen row). ``n_classes``: the chosen number.

    Notes
    -----
    The model is unweighted: it classifies respondents and does not estimate population
    quantities. It is fitted to respondents with at least one item answered; a missing
    answer drops out of that respondent's likelihood. BIC,
    ``-2 log L + p log n``, penalises each extra class by its ``p`` parameters
    (33 for eight five-point items) times ``log n``; it is consistent for the number of
    classes and the usual choice for latent class models (Nylund, Asparouhov and Muthen,
    2007), while AIC tends to keep too many.
    """
    candidates = sorted({int(k) for k in candidates})
    if not candidates:
        raise ValueError("no candidate number of classes")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, not {criterion!r}")
    if criterion == "fixed" and len(candidates) != 1:
        raise ValueError("criterion 'fixed' needs exactly one number of classes")
    codes, answered = indicator_codes(data, items)
    models, rows = {}, []
    for k in candidates:
        models[k] = fit_model(codes, k, seed=seed, n_init=n_init)
        rows.append(fit_statistics(models[k], codes))
    table = pd.DataFrame(rows)
    if criterion == "fixed":
        best = candidates[0]
    else:
        best = int(table.sort_values([criterion, "n_classes"], kind="stable")["n_classes"].iloc[0])
    table["criterion"] = criterion
    table["chosen"] = table["n_classes"] == best

    model = models[best]
    benefit = data[list(benefit_items)].astype("Float64").astype(float).to_numpy()[answered]
    names = name_classes(model.predict_proba(codes), benefit)
    labels = model.predict(codes)
    out = pd.Series(np.nan, index=data.index, dtype=object)
    out[answered] = [names[int(c)] for c in labels]
    categories = list(dict.fromkeys(class_names(best)))
    classes = pd.Series(
        pd.Categorical(out, categories=categories), index=data.index, name="latent_class"
    )
    return LatentSelection(classes, table[SELECTION_COLUMNS], best)


def latent_classes(
    data: pd.DataFrame,
    items: Sequence[str],
    n_classes: int = 3,
    seed: int = 2017,
    benefit_items: Sequence[str] | None = None,
    n_init: int = N_INIT,
) -> pd.Series:
    """The classes of one latent class model with a fixed number of classes.

    :func:`select_latent_classes` with the single candidate ``n_classes``; see there
    for the model and the names. ``benefit_items`` default to ``items``.

    Returns
    -------
    Series
        Categorical, indexed like ``data``, named ``latent_class``.
    """
    benefit = list(items if benefit_items is None else benefit_items)
    return select_latent_classes(
        data, items, benefit, [n_classes], criterion="fixed", seed=seed, n_init=n_init
    ).classes


def selection_note(table: pd.DataFrame) -> str:
    """One sentence saying which number of classes was chosen and how.

    Parameters
    ----------
    table : DataFrame
        The selection table (:data:`SELECTION_COLUMNS`), e.g. read back from its CSV.

    Returns
    -------
    str
        E.g. ``"BIC chose 3 latent classes of 2-6 (BIC 16879.6; next lowest 16941.9,
        2 classes)"``; for a fixed number, ``"3 latent classes, fixed in config.yaml"``.
    """
    chosen = table[table["chosen"].astype(bool)].iloc[0]
    k = int(chosen["n_classes"])
    criterion = str(chosen["criterion"])
    if criterion == "fixed" or len(table) == 1:
        return f"{k} latent classes, fixed in config.yaml"
    ks = table["n_classes"].astype(int)
    runner = table[~table["chosen"].astype(bool)].sort_values([criterion, "n_classes"]).iloc[0]
    name = criterion.upper()
    return (
        f"{name} chose {k} latent classes of {ks.min()}-{ks.max()} "
        f"({name} {chosen[criterion]:.1f}; next lowest {runner[criterion]:.1f}, "
        f"{int(runner['n_classes'])} classes)"
    )
