"""Run a pipeline step from Snakemake or from the command line.

Scripts in ``workflow/scripts/`` are thin: they read the ``snakemake`` object (or, run by
hand, command-line arguments) and call the library through :func:`run_step`, which
logs to the rule's log file and turns an :class:`~councilsurvey.core.errors.InputError` into
one clear line on stderr and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from councilsurvey.core.errors import DesignError, InputError


def setup_logging(log_file=None) -> None:
    """Log to stderr and, if given, to ``log_file``."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def run_step(func: Callable[[], None], log_file=None) -> None:
    """Call ``func``; on bad input (or a design that cannot give valid estimates) print
    one line naming file, row and column, exit 1."""
    setup_logging(log_file)
    try:
        func()
    except (InputError, DesignError) as exc:
        logging.getLogger("councilsurvey").error("%s", exc)
        sys.exit(1)


def script_main(stage: str, func: Callable[..., None], smk=None) -> None:
    """Entry point of a ``workflow/scripts`` script.

    Under Snakemake, ``func`` gets the rule's named inputs, outputs and params and the
    ``wave`` wildcard (those its signature names); run by hand
    (``python workflow/scripts/<stage>.py <wave>``) it gets the same paths from
    ``config.yaml`` through :func:`councilsurvey.pipeline.paths.wave_paths`.
    """
    if smk is not None:
        args = {
            **dict(smk.input.items()),
            **dict(smk.output.items()),
            **dict(smk.wildcards.items()),
            **dict(smk.params.items()),
        }
        log_file = smk.log[0]
    else:
        from councilsurvey.pipeline.paths import wave_paths

        try:  # a bad config.yaml or wave.yaml is bad input too: one line, no traceback
            args, log_file = wave_paths(sys.argv[1] if len(sys.argv) > 1 else "2017", stage)
        except InputError as exc:
            setup_logging()
            logging.getLogger("councilsurvey").error("%s", exc)
            sys.exit(1)
    wanted = inspect.signature(func).parameters
    run_step(lambda: func(**{k: v for k, v in args.items() if k in wanted}), log_file)
