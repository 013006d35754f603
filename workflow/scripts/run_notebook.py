"""Snakemake rules `segmentation` and `attitudes`: run an analysis notebook with papermill.

The rule's params hold the notebook's parameters (``parameters``); unknown names fail.
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.stages import run_analysis_notebook

script_main("notebook", run_analysis_notebook, globals().get("snakemake"))
