"""Snakemake rule `bundle` (see councilsurvey.pipeline.bundling.bundle_wave).

Run by hand: python workflow/scripts/bundle.py 2017
"""

from councilsurvey.pipeline.bundling import bundle_wave
from councilsurvey.pipeline.runner import script_main

script_main("bundle", bundle_wave, globals().get("snakemake"))
