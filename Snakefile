# Councillor survey pipeline: validate + clean -> weight -> segment -> segmentation / attitudes / robustness -> bundle.
# See README.md. Run: snakemake --cores 4
import sys

from snakemake.utils import min_version

from councilsurvey.core.errors import InputError
from councilsurvey.pipeline.paths import check_config

min_version("9.0")


configfile: "config.yaml"


try:  # a bad config.yaml: one line naming the section and key, no schema dump or traceback
    check_config(config)
except InputError as exc:
    sys.exit(f"Error: {exc}")


include: "workflow/rules/common.smk"


# One run per folder: before the first job, Snakemake's main process takes an OS lock
# (fcntl.flock on .snakemake/councilsurvey.lock) that it holds until it ends; a second
# run is refused with one line naming the first. The kernel releases it when its holder
# dies, even by SIGKILL, so it never goes stale (councilsurvey.pipeline.lock). SIGTERM's
# graceful stop is handed to a thread, so it cannot deadlock on the scheduler's lock
# (councilsurvey.pipeline.signals).
onstart:
    run_lock.onstart(workflow)
    run_signals.onstart(workflow)


include: "workflow/rules/validate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/weight.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/segmentation.smk"
include: "workflow/rules/attitudes.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/validation.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/bundle.smk"
include: "workflow/rules/trends.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
