"""Snakemake rule `claims` (see councilsurvey.stages.claims_wave).

Run by hand: python workflow/scripts/claims.py 2017
"""

from councilsurvey.runner import script_main
from councilsurvey.stages import claims_wave

script_main("claims", claims_wave, globals().get("snakemake"))
