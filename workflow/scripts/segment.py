"""Snakemake rule `segment`: rule and latent-class segments of every respondent
(see councilsurvey.pipeline.segment.segment_wave).

Run by hand: python workflow/scripts/segment.py 2017
"""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.segment import segment_wave

script_main("segment", segment_wave, globals().get("snakemake"))
