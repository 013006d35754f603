"""Snakemake rule `bundle` (see councilsurvey.pipeline.bundling.bundle_wave).

Run by hand: python workflow/scripts/bundle.py 2017
"""

from councilsurvey.pipeline.bundling import bundle_wave, fix_hash_seed
from councilsurvey.pipeline.runner import script_main

fix_hash_seed()  # restarts the job with PYTHONHASHSEED=0: it makes Snakemake's report itself
script_main("bundle", bundle_wave, globals().get("snakemake"))
