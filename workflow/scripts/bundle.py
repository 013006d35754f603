"""Snakemake rule `bundle` (see councilsurvey.pipeline.stages.bundle_wave).

Run by hand: python workflow/scripts/bundle.py 2017
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.stages import bundle_wave

script_main("bundle", bundle_wave, globals().get("snakemake"))
