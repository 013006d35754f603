"""Snakemake rule `render`: an executed notebook -> self-contained HTML (nbconvert)."""

from councilsurvey.pipeline.notebook_stage import render_notebook
from councilsurvey.pipeline.runner import script_main

script_main("render", render_notebook, globals().get("snakemake"))
