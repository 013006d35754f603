"""SIGTERM without a deadlock in Snakemake's scheduler.

Snakemake 9 stops a run gracefully on SIGTERM (a cluster's time limit, ``kill``, the
end of a CI job): its handler, ``JobScheduler.exit_gracefully``, takes the scheduler's
lock, marks the run as stopped by the user and wakes the scheduling loop. Python runs a
signal handler in the main thread, between two bytecodes of whatever the main thread is
doing. When that is the scheduling loop's own ``with self._lock:`` block (it holds the
lock while it collects finished and failed jobs and selects the next ones), the handler
waits for a lock its own thread holds, a ``threading.Lock`` is not re-entrant, and the
run hangs for good, with the job threads queued behind it. The window is short but real:
SIGTERM to a process group kills the jobs at the same moment, and their failures are
exactly what the loop is then collecting (seen once in ``tests/test_faults.py``, and
reproduced on purpose in ``tests/test_signals.py``).

:func:`onstart` replaces that handler, once the scheduler exists, with one that hands
the same call, ``exit_gracefully``, to a new thread. That thread takes the lock when the
loop lets it go; the handler itself returns at once, so the main thread can finish its
block. The run then stops exactly as Snakemake stops it: running jobs are ended, their
incomplete outputs removed, and the next run completes the work.
"""

from __future__ import annotations

import signal
import threading


def onstart(workflow) -> bool:
    """The Snakefile's ``onstart`` handler: make SIGTERM's graceful stop deadlock-free.

    Parameters
    ----------
    workflow : snakemake.workflow.Workflow
        The running workflow (the Snakefile's ``workflow``). Its ``scheduler`` has
        installed ``exit_gracefully`` as the SIGTERM handler by the time ``onstart`` runs.

    Returns
    -------
    bool
        True if the handler was replaced; False where Snakemake's handler is not the one
        installed (a job's own process, a dry run, another caller's handler), which is
        then left as it is.
    """
    graceful = getattr(getattr(workflow, "scheduler", None), "exit_gracefully", None)
    if graceful is None or signal.getsignal(signal.SIGTERM) != graceful:
        return False

    def deferred(signum, frame):
        threading.Thread(target=graceful, name="sigterm", daemon=True).start()

    try:
        signal.signal(signal.SIGTERM, deferred)
    except ValueError:  # not the main thread: Snakemake could not install its own either
        return False
    return True
