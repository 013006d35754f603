"""Snakemake rules `segmentation`, `attitudes` and `trends`: run an analysis notebook with
papermill and render it to HTML (output ``html``) in the same process.

The rule's params hold the notebook's parameters (``parameters``); unknown names fail.
"""

from councilsurvey.pipeline.notebook_stage import run_analysis_notebook
from councilsurvey.pipeline.runner import script_main

script_main("notebook", run_analysis_notebook, globals().get("snakemake"))
