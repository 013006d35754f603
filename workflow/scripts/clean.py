"""Snakemake rule `clean`: raw export -> cleaned, pseudonymised responses.

Run by hand: python workflow/scripts/clean.py 2017
"""

from councilsurvey.pipeline.prepare import clean_wave
from councilsurvey.pipeline.runner import script_main

script_main("clean", clean_wave, globals().get("snakemake"))
