"""Snakemake rule `robustness` (see councilsurvey.pipeline.robustness.robustness_spec).

Run by hand: python workflow/scripts/robustness.py 2017  (the baseline specification)
"""

from councilsurvey.pipeline.robustness import robustness_spec
from councilsurvey.pipeline.runner import script_main

script_main("robustness", robustness_spec, globals().get("snakemake"))
