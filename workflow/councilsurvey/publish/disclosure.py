"""Statistical disclosure control of the tables that go into a bundle.

No published cell may rest on fewer than ``k`` respondents (``disclosure.k`` in
``config.yaml``, 5 by default). In every bundled table a row whose respondent count is
between 1 and ``k - 1`` is suppressed: its count is shown as ``<k`` and every estimate of
the row is blanked. Where the counts of a group of rows add up to a published total (the
segments of a wave, the categories of a weighting margin, the cells of a cross-table), a
single suppressed row could be recovered by subtraction, so the next smallest row of the
group is suppressed too (secondary suppression). No table is broken down by individual
council (the per-council match table stays out of bundles).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: table -> (count column, columns blanked with it, grouping columns whose counts add up
#: to a published total, or None when rows are not parts of a total)
RULES: dict[str, tuple[str, list[str], list[str] | None]] = {
    "segments.csv": ("n", ["unweighted_share", "weighted_share", "se", "lci", "uci"], []),
    "segment_agreement.csv": ("n", [], ["rule_segment"]),
    "segment_profiles.csv": ("n", ["mean", "se", "lci", "uci"], None),
    "segment_composition.csv": ("n", ["weighted", "lci", "uci"], None),
    "headlines.csv": ("n", ["unweighted", "weighted", "se", "lci", "uci"], None),
    "reliability.csv": ("n", ["alpha", "ci_low", "ci_high"], None),
    "latent_class_selection.csv": ("smallest_class_n", ["smallest_class_share"], None),
    "weighting_margins.csv": (
        "respondents",
        ["unweighted_share", "base_weighted_share", "weighted_share"],
        ["margin"],
    ),
    "weighting_collapses.csv": ("respondents", [], None),
    "tests_association.csv": ("n", ["statistic", "p", "p_adjusted", "effect_size"], None),
    "tests_caution.csv": ("n", ["statistic", "p", "p_adjusted", "effect_size"], None),
    "tests_enthusiast_model.csv": (
        "n",
        ["statistic", "p", "p_adjusted", "effect_size", "effect_ci_low", "effect_ci_high"],
        None,
    ),
    "robustness.csv": ("n", ["unweighted_share", "share", "se", "lci", "uci"], None),
    "trend_estimates.csv": ("n", ["unweighted", "weighted", "se", "lci", "uci"], None),
}
#: bundled tables without respondent counts, which no rule suppresses: the validation
#: study's rows summarise simulated samples of a synthetic population (its ``k`` is a
#: number of replicates, not of respondents)
EXEMPT = {"validation.csv"}


def suppress(name: str, table: pd.DataFrame, k: int = 5) -> tuple[pd.DataFrame, int]:
    """Suppress small cells of one bundled table.

    Returns
    -------
    (DataFrame, int)
        The table (counts as text where suppressed) and the number of rows suppressed.
    """
    if name not in RULES or table.empty:
        return table, 0
    count, blank, groups = RULES[name]
    n = pd.to_numeric(table[count], errors="coerce")
    small = n.between(1, k - 1)
    if groups is not None:
        keys = [table[g] for g in groups] if groups else [pd.Series(0, index=table.index)]
        for _, idx in table.groupby(keys, sort=False).groups.items():
            hidden = small[idx]
            if hidden.sum() == 1:
                rest = n[idx][~hidden & (n[idx] > 0)]
                if len(rest):
                    small[rest.sort_values(kind="stable").index[0]] = True
    out = table.copy()
    if small.any():
        out[count] = out[count].astype(object)
        out.loc[small, count] = f"<{k}"
        for col in blank:
            if col in out:
                out[col] = out[col].astype(object)
                out.loc[small, col] = np.nan
    return out, int(small.sum())


def violations(name: str, table: pd.DataFrame, k: int = 5) -> int:
    """Rows of a table that still publish a count between 1 and ``k - 1``."""
    if name not in RULES or table.empty:
        return 0
    n = pd.to_numeric(table[RULES[name][0]], errors="coerce")
    return int(n.between(1, k - 1).sum())
