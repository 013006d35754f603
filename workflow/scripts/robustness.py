"""Snakemake rule `robustness` (see councilsurvey.pipeline.robustness.robustness_job).

Run by hand: python workflow/scripts/robustness.py 2017  (the baseline specification)
"""

from councilsurvey.pipeline.robustness import robustness_job
from councilsurvey.pipeline.runner import script_main

script_main("robustness", robustness_job, globals().get("snakemake"))
