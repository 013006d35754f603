"""Snakemake rule `render`: an executed notebook -> self-contained HTML (nbconvert)."""

from councilsurvey.pipeline.runner import script_main
from councilsurvey.pipeline.stages import render_notebook

script_main("render", render_notebook, globals().get("snakemake"))
