"""Snakemake rule `weight`: coverage base weights raked to the council frame.

Run by hand: python workflow/scripts/weight.py 2017
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.weigh import weight_wave

script_main("weight", weight_wave, globals().get("snakemake"))
