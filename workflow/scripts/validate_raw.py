"""Snakemake rule `validate_raw`: check a wave's raw export, codebook and frame.

Run by hand: python workflow/scripts/validate_raw.py 2017
"""

import sys

from councilsurvey.runner import run_step
from councilsurvey.stages import validate_raw

if "snakemake" in globals():
    sm = snakemake
    args = dict(
        export=sm.input.export,
        codebook=sm.input.codebook,
        frame=sm.input.frame,
        n_councils=sm.params.n_councils,
        outside=sm.input.outside,
        report=sm.output.report,
        wave=sm.wildcards.wave,
    )
    log_file = sm.log[0]
else:
    from councilsurvey.config import wave_paths

    args, log_file = wave_paths(sys.argv[1] if len(sys.argv) > 1 else "2017", "validate_raw")

run_step(lambda: validate_raw(**args), log_file)
