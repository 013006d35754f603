"""Snakemake rule `claims` (see councilsurvey.pipeline.stages.claims_wave).

Run by hand: python workflow/scripts/claims.py 2017
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.stages import claims_wave

script_main("claims", claims_wave, globals().get("snakemake"))
