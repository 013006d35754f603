"""Snakemake rule `bundle` (see councilsurvey.stages.bundle_wave).

Run by hand: python workflow/scripts/bundle.py 2017
"""

from councilsurvey.runner import script_main
from councilsurvey.stages import bundle_wave

script_main("bundle", bundle_wave, globals().get("snakemake"))
