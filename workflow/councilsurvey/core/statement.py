"""The data statement printed under every figure and in every caption and bundle.

Kept apart from :mod:`councilsurvey.report.figures` so that the Snakefile (parsed once per job on
a cluster) and the configuration helpers can use it without importing matplotlib and
seaborn.
"""

from __future__ import annotations

SYNTHETIC = (
    "Synthetic reconstruction: generated to agree with the published figures; "
    "not real councillors' answers."
)


def data_statement(synthetic: bool) -> str:
    """The line printed under every figure of a wave.

    Parameters
    ----------
    synthetic : bool
        Whether the wave is a synthetic reconstruction (``synthetic: true`` in its
        ``wave.yaml``).

    Returns
    -------
    str
    """
    return SYNTHETIC if synthetic else "Survey responses; see the bundle README for sources."
