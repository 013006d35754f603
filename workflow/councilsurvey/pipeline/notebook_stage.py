"""Stages ``segmentation``, ``attitudes``, ``trends`` (an analysis notebook run with
papermill) and ``render`` (an executed notebook to HTML). Papermill and nbconvert are
imported only when a stage runs."""

from __future__ import annotations

import logging

log = logging.getLogger("councilsurvey")


def run_analysis_notebook(notebook, executed, parameters) -> None:
    """Run one analysis notebook with papermill (see :mod:`councilsurvey.report.notebooks`)."""
    from councilsurvey.report.notebooks import run_notebook

    run_notebook(notebook, executed, dict(parameters))


def render_notebook(executed, html) -> None:
    """Render an executed notebook to self-contained HTML."""
    from councilsurvey.report.notebooks import render_html

    render_html(executed, html)
    log.info("rendered %s -> %s", executed, html)
