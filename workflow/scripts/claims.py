"""Snakemake rule `claims` (see councilsurvey.pipeline.claims_stage.claims_wave).

Run by hand: python workflow/scripts/claims.py 2017
"""

from councilsurvey.pipeline.claims_stage import claims_wave
from councilsurvey.pipeline.runner import script_main

script_main("claims", claims_wave, globals().get("snakemake"))
