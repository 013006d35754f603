"""Run a pipeline step from Snakemake or from the command line.

Scripts in ``workflow/scripts/`` are thin: they read the ``snakemake`` object (or, run by
hand, command-line arguments) and call the library through :func:`run_step`, which
logs to the rule's log file and turns an :class:`~councilsurvey.core.errors.InputError` into
one clear line on stderr and a non-zero exit instead of a traceback. Operating-system
faults (a full disk, a folder it may not write to, a read-only file system) give one line
too, naming the path and what to do (:func:`councilsurvey.core.faults.describe`), and so do
Ctrl-C and SIGTERM: the writers remove their temporaries, nothing half-written stands at a
final path, and the next run completes the work.
"""

from __future__ import annotations

import inspect
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from councilsurvey.core.errors import DesignError, InputError
from councilsurvey.core.faults import describe
from councilsurvey.core.writers import with_path

#: exit status of a job stopped by SIGINT or SIGTERM (as a shell reports a signal)
INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) received: unwinds the step so that writers remove their
    temporaries (a ``BaseException``, so that no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


def _stopped(signum: int) -> str:
    return (
        f"stopped by {signal.Signals(signum).name}; nothing half-written was kept: "
        "rerun to complete the work (completed outputs are kept)"
    )


_default_excepthook = sys.excepthook


def _quiet_interrupt(kind, value, tb) -> None:
    """Ctrl-C while a script still imports its modules: one line, not a traceback."""
    if issubclass(kind, (KeyboardInterrupt, Interrupted)):
        print(_stopped(getattr(value, "signum", signal.SIGINT)), file=sys.stderr)
    else:
        _default_excepthook(kind, value, tb)


sys.excepthook = _quiet_interrupt


class _TerminalFilter(logging.Filter):
    """What the terminal shows: the project's own warnings and errors, and other
    libraries' errors; their INFO and warnings (svy's weight-adjustment audit, Jupyter's
    kernel notices) go only to the rule's log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] == "councilsurvey":
            return record.levelno >= logging.WARNING
        return record.levelno >= logging.ERROR


def setup_logging(log_file=None) -> None:
    """Log everything from INFO up to ``log_file`` (if given); the terminal (stderr)
    shows only what :class:`_TerminalFilter` lets through, and everything when there
    is no log file."""
    terminal = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [terminal]
    if log_file:
        terminal.addFilter(_TerminalFilter())
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.captureWarnings(True)  # warnings.warn(...) -> logger py.warnings
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def run_step(func: Callable[[], None], log_file=None) -> None:
    """Call ``func``; on bad input (or a design that cannot give valid estimates) print
    one line naming file, row and column, exit 1.

    An ``OSError`` (no space, permission denied, read-only file system) gives one line
    with the path, the cause and what to do, exit 1; Ctrl-C (SIGINT) and SIGTERM one line
    saying that a rerun completes the work, exit 130 and 143.
    """
    log = logging.getLogger("councilsurvey")
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        try:
            setup_logging(log_file)
        except OSError as exc:  # the log folder itself cannot be written
            setup_logging()
            raise with_path(exc, log_file) from None
        logging.raiseExceptions = False  # a log write on a full disk: no traceback
        func()
    except (InputError, DesignError) as exc:
        log.error("%s", exc)
        sys.exit(1)
    except OSError as exc:
        log.error("%s", describe(exc))
        sys.exit(1)
    except (KeyboardInterrupt, Interrupted) as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        log.error("%s", _stopped(signum))
        sys.exit(INTERRUPTED.get(signum, 1))
    finally:
        signal.signal(signal.SIGTERM, previous)


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
