"""The documented rules the generator builds a wave around, implemented here on their own.

The generator never runs the project's cleaner, matcher or classifier. It reads the
values of the cleaning rules from ``config.yaml`` (``cleaning:``) and the segment rule
from the questionnaire's words (``segments:``), and implements them itself:

* a submission answering fewer than ``min_answered_share`` of the closed questions is
  partial (a tick-all-that-apply question counts once);
* a test marker word (``test_markers``) in a name, the email's local part, the custom
  data or the council answer makes a test submission;
* a submission whose end is less than ``min_duration_minutes`` after its start is a
  speeder (default 2 minutes when the config does not say);
* an officer marker (``officer_markers``) in the council answer makes an officer's
  submission: every officer's answer has one, no councillor's has any;
* enthusiast: agrees (4 or 5) with all three benefit items; sceptic: disagrees (1 or 2)
  with at least two of them; unclassified: fewer than two answered; middle: the rest
  (:func:`segment`).

The respondents are drawn to satisfy these rules, and :func:`segment` is used to state
the segment counts of what was drawn (a check of the construction, not of the cleaner).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from councilsurvey.core.yamlio import load_yaml


@dataclass(frozen=True)
class CleaningRules:
    """The values of the cleaning rules (config ``cleaning:``) the dirt is built around."""

    min_answered_share: float = 0.5
    test_markers: list[str] = field(default_factory=lambda: ["test", "testing", "dummy"])
    min_duration_minutes: float = 2.0
    officer_markers: list[str] = field(default_factory=lambda: ["officer", "not a councillor"])

    @classmethod
    def from_config(cls, path) -> CleaningRules:
        """The rules of a ``config.yaml`` (its ``cleaning:`` block; defaults for keys it
        does not have)."""
        block = (load_yaml(path) or {}).get("cleaning", {}) or {}
        keys = ("min_answered_share", "test_markers", "officer_markers")
        kw = {k: block[k] for k in keys if k in block}
        if "min_duration_minutes" in block:
            kw["min_duration_minutes"] = float(block["min_duration_minutes"])
        return cls(**kw)


def segment(benefit: np.ndarray) -> np.ndarray:
    """The questionnaire's default segment rule on an ``(n, 3)`` array of the benefit
    items (1-5, NaN for Don't know or blank): ``enthusiast``, ``sceptic``, ``middle`` or
    ``unclassified`` per row."""
    answered = (~np.isnan(benefit)).sum(axis=1)
    agree = (benefit >= 4).sum(axis=1)
    disagree = (benefit <= 2).sum(axis=1)
    out = np.full(len(benefit), "middle", dtype=object)
    out[disagree >= 2] = "sceptic"
    out[agree == benefit.shape[1]] = "enthusiast"
    out[answered < 2] = "unclassified"
    return out
