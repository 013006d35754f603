"""Snakemake rule `robustness_summary` (see councilsurvey.pipeline.robustness_summary).

Run by hand: python workflow/scripts/robustness_summary.py 2017
"""

from councilsurvey.pipeline.robustness_summary import robustness_summary
from councilsurvey.pipeline.runner import script_main

script_main("robustness_summary", robustness_summary, globals().get("snakemake"))
