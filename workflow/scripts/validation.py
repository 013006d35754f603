"""Snakemake rule `validation` (see councilsurvey.pipeline.validation.validation).

Run by hand: python workflow/scripts/validation.py 2017
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.validation import validation

script_main("validation", validation, globals().get("snakemake"))
