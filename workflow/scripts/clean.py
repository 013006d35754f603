"""Snakemake rule `clean`: raw export -> cleaned, pseudonymised responses.

Run by hand: python workflow/scripts/clean.py 2017
"""

import sys

from councilsurvey.runner import run_step
from councilsurvey.stages import clean_wave

if "snakemake" in globals():
    sm = snakemake
    args = dict(
        export=sm.input.export,
        codebook=sm.input.codebook,
        frame=sm.input.frame,
        n_councils=sm.params.n_councils,
        outside=sm.input.outside,
        key_file=sm.params.key_file,
        wave=sm.wildcards.wave,
        cleaning=sm.params.cleaning,
        responses=sm.output.responses,
        cleaning_log=sm.output.cleaning_log,
        matches=sm.output.matches,
        summary=sm.output.summary,
    )
    log_file = sm.log[0]
else:
    from councilsurvey.config import wave_paths

    args, log_file = wave_paths(sys.argv[1] if len(sys.argv) > 1 else "2017", "clean")

run_step(lambda: clean_wave(**args), log_file)
