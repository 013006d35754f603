"""Stages ``segmentation``, ``attitudes`` and ``trends``: an analysis notebook run with
papermill and, in the same process, rendered to HTML with nbconvert (one Python start and
one import of the notebook machinery per notebook, not two: the HTML is a file of the
notebook's own job, so editing one notebook still reruns only that notebook's jobs and
what reads them). Papermill and nbconvert are imported only when a stage runs."""

from __future__ import annotations

import logging

log = logging.getLogger("councilsurvey")


def run_analysis_notebook(notebook, executed, parameters, html=None) -> None:
    """Run one analysis notebook with papermill into ``executed`` and, if ``html`` is
    given, render the executed notebook as written to self-contained HTML (see
    :mod:`councilsurvey.report.notebooks`). The HTML is rendered from the file
    ``executed``, read back, exactly as a separate render job would read it."""
    from councilsurvey.report.notebooks import run_notebook

    run_notebook(notebook, executed, dict(parameters))
    if html is not None:
        render_notebook(executed, html)


def render_notebook(executed, html) -> None:
    """Render an executed notebook to self-contained HTML."""
    from councilsurvey.report.notebooks import render_html

    render_html(executed, html)
    log.info("rendered %s -> %s", executed, html)
