"""Snakemake rule `validate_raw`: check a wave's raw export, codebook and frame.

Run by hand: python workflow/scripts/validate_raw.py 2017
"""

from councilsurvey.pipeline.prepare import validate_raw
from councilsurvey.pipeline.runner import script_main

script_main("validate_raw", validate_raw, globals().get("snakemake"))
