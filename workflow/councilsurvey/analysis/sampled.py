"""A design whose svy sample is built once for several variables.

Every estimator of :mod:`councilsurvey.survey.estimation` asks the design for an svy
sample of the variables it estimates (:meth:`SurveyDesign.sample`), which converts the
design's columns to polars and builds the sample anew. A stage that estimates many
variables of one design (the claims check: a share per claim; the robustness grid: the
segments of every segmentation of a scheme) asks :func:`sampled` for a design holding all
of them, whose sample is built once; svy checks and reads only the columns an estimate
uses, so each estimate is the same, number for number, as on a design of its own
(``tests/test_claims.py``, ``tests/test_robustness.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

from councilsurvey.survey.design import SurveyDesign


@dataclass(frozen=True)
class SampledDesign(SurveyDesign):
    """A :class:`SurveyDesign` whose sample of ``columns`` is built once, at the first
    estimate, and given to every estimate of variables among them.

    Parameters
    ----------
    columns : tuple of str
        The variables the shared sample holds (with the design columns).
    """

    columns: tuple[str, ...] = ()

    @cached_property
    def _shared(self):
        return super().sample(list(self.columns))

    def sample(self, columns):
        """The shared sample when ``columns`` are among :attr:`columns`, else a new one."""
        if set(columns) <= set(self.columns):
            return self._shared
        return super().sample(columns)


def sampled(design: SurveyDesign, columns) -> SampledDesign:
    """``design`` with its sample of ``columns`` built once for all their estimates."""
    given = {f.name: getattr(design, f.name) for f in fields(SurveyDesign)}
    return SampledDesign(**given, columns=tuple(columns))
