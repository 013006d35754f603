"""Faults a lab machine throws (issue 20): a second run in the same folder, a full disk, a
read-only ``results/``, Ctrl-C and SIGTERM. Each gives one readable line, and the run that
recovers publishes the 2017 wave's bundle and zip byte-identical to an undisturbed run's.

Each fault strikes the job that builds the bundle, the last of the wave. Its copy of the
repository is the undisturbed run ``full`` (see conftest) with the bundles and the bundle
job's receipt and log removed, so that every stage before the bundle is complete and
up to date, and each run has only that job to do (about a minute, not the wave's
several): the fault strikes while the bundle is being made, the rerun makes it again, and
the test compares every file of the bundle folder and the zip byte for byte with
``full``'s. The mount tests need root (CI runs them so); elsewhere they are skipped with the
reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .test_pipeline import BUNDLE, SNAKEMAKE, current_bundle_path

pytestmark = pytest.mark.pipeline

#: the run's target: the 2017 bundle's manifest (written last, so it marks a complete
#: bundle); the zip ``<bundle>.zip`` is written beside the folder by the same job
TARGET = f"{BUNDLE}/MANIFEST.sha256"
#: the stage each interrupted run is held in (see held_in)
MARKER = current_bundle_path("log")
#: the bundle job's receipt (removed with the bundles, so that the job runs again)
RECEIPT = current_bundle_path("receipt")

ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs or a read-only bind mount needs root"
)


def run(work: Path, *args, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), "--cores", "2", *args, TARGET],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def bundle(work: Path) -> dict[str, str]:
    """The SHA-256 of every file of the 2017 bundle folder, of its zip and of the bundle
    job's receipt, by path; fails on a temporary (or staging folder) left behind."""
    out = {}
    for base in ("data/processed", "results"):
        for p in sorted((work / base).rglob(".*")):
            assert p.name == ".gitkeep", f"temporary left behind: {p.relative_to(work)}"
    folder = work / BUNDLE
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(work))] = hashlib.sha256(p.read_bytes()).hexdigest()
    for rel in (f"{BUNDLE}.zip", RECEIPT):
        out[rel] = hashlib.sha256((work / rel).read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def reference(full):
    """The undisturbed run's 2017 bundle (see ``bundle``)."""
    expected = bundle(full)
    assert len(expected) > 30 and f"{BUNDLE}/report.html" in expected
    return expected


def seeded_copy(full: Path, dest: Path) -> Path:
    """A copy of ``full`` (modification times kept, so Snakemake finds every stage up to
    date) without its bundles and the bundle job's receipt and log: a run of ``TARGET``
    has the 2017 bundle job alone to do."""
    shutil.copytree(full, dest, symlinks=True)
    shutil.rmtree(dest / "results/bundles")
    (dest / RECEIPT).unlink()
    (dest / MARKER).unlink()
    return dest


def one_line_summary(stderr: str) -> None:
    """Snakemake's summary of the failed run shows no traceback."""
    assert "Traceback" not in stderr, stderr[-3000:]


def not_published(work: Path) -> None:
    """Nothing of the bundle stands at a final path (Snakemake may leave the empty folder
    it made for the declared manifest: the next run removes it)."""
    folder = work / BUNDLE
    assert not folder.exists() or not any(folder.iterdir())
    assert not (work / f"{BUNDLE}.zip").exists() and not (work / RECEIPT).exists()


@contextlib.contextmanager
def held_in(work: Path, marker: str = MARKER, *args):
    """Start a run in ``work`` and hold it while the stage whose log is ``marker`` opens
    its log (the read-lease technique of ``test_pipeline.kill_during``: the kernel holds the
    stage's ``open`` until the lease is given up, at most ``fs.lease-break-time`` seconds).
    Yields the running ``Popen`` (in its own process group) and a file with its stderr;
    leaving the block gives the lease up, so the stage goes on."""
    log = work / marker
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()  # a placeholder: Snakemake deletes it just before starting the job
    stderr = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [str(SNAKEMAKE), "--cores", "2", *args, TARGET],
        cwd=work,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    deadline = time.monotonic() + 300

    def wait_for(done, what):
        while not done():
            if proc.poll() is not None:
                stderr.seek(0)
                raise AssertionError(f"snakemake ended before {what}:\n{stderr.read()[-3000:]}")
            assert time.monotonic() < deadline, f"no {what} within 300 s"
            time.sleep(0.01)

    sigio = signal.signal(signal.SIGIO, signal.SIG_IGN)
    fd = None
    try:
        wait_for(lambda: not log.exists(), f"the job that writes {marker}")
        fd = os.open(log, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        wait_for(lambda: fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_UNLCK, "its log opened")
        yield proc, stderr
    finally:
        if fd is not None:
            os.close(fd)  # gives the lease up: the held stage goes on
        signal.signal(signal.SIGIO, sigio)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=600)
        with contextlib.suppress(ProcessLookupError):  # on failure too: leave nothing running
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def test_second_run_is_refused_and_first_run_s_bundle_is_undisturbed(full, reference, tmp_path):
    work = seeded_copy(full, tmp_path / "two")
    with held_in(work) as (first, first_err):
        second = run(work, timeout=120)
        assert second.returncode == 1
        refusal = [ln for ln in second.stderr.splitlines() if ln.startswith("Refused:")]
        assert len(refusal) == 1, second.stderr[-3000:]
        assert f"is in use by another run: pid {first.pid} (snakemake --cores 2" in refusal[0]
        assert ", since 20" in refusal[0] and "then rerun" in refusal[0]
        one_line_summary(second.stderr)
    first_err.seek(0)
    assert first.returncode == 0, first_err.read()[-3000:]
    assert bundle(work) == reference
    assert run(work).returncode == 0  # the lock went with its holder


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_is_completed_by_the_next_run(full, reference, tmp_path, signum):
    """Ctrl-C (SIGINT to the terminal's process group) or a cluster's time limit (SIGTERM
    to every process of the job) while the bundle job is under way."""
    work = seeded_copy(full, tmp_path / signum.name)
    with held_in(work) as (proc, stderr):
        os.killpg(proc.pid, signum)
    stderr.seek(0)
    text = stderr.read()
    assert proc.returncode != 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert f"stopped by {signum.name}; nothing half-written was kept" in text, text[-3000:]
    not_published(work)
    again = run(work)
    assert again.returncode == 0, again.stderr[-3000:]
    assert bundle(work) == reference


@contextlib.contextmanager
def mounted(*args):
    """``mount *args``, unmounted when the block ends; skips if mounting is refused."""
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount {' '.join(args)} is not available: {proc.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", args[-1]], capture_output=True)


#: free space left on the small disk: the bundle job fills it copying the tables and
#: figures into its staging folder ("staging"), or, given room for the whole folder too
#: (about 9.6 MB), writing the zip (4 MB) once the folder is in place ("zip")
ROOM = 1024 * 1024


def remount(disk: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)


def disk_usage(folder: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*"))


@ROOT_ONLY
@pytest.mark.parametrize("fills", ["staging", "zip"])
def test_full_disk_gives_one_line_and_a_rerun_after_freeing_space_completes(
    full, reference, tmp_path, fills
):
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=512m", "tmpfs", str(disk)):
        work = seeded_copy(full, disk / "repo")
        # room for the copy and a little more: the bundle job fills the disk part-way
        fs = os.statvfs(disk)
        used = (fs.f_blocks - fs.f_bfree) * fs.f_frsize
        room = ROOM + (disk_usage(full / BUNDLE) if fills == "zip" else 0)
        remount(disk, used + room)
        filled = run(work)
        assert filled.returncode != 0
        lines = [ln for ln in filled.stderr.splitlines() if "no space left on the file" in ln]
        assert len(lines) == 1, filled.stderr[-3000:]
        where = (
            f"{BUNDLE}.zip" if fills == "zip" else f"results/bundles/.staging-{Path(BUNDLE).name}/"
        )
        assert lines[0].startswith(f"ERROR councilsurvey: {where}"), lines[0]
        assert f"no space left on the file system {disk}; free space there and rerun" in lines[0]
        one_line_summary(filled.stderr)
        assert not (work / TARGET).exists() and not (work / f"{BUNDLE}.zip").exists()
        remount(disk, 512 * 2**20)
        again = run(work)
        assert again.returncode == 0, again.stderr[-3000:]
        assert bundle(work) == reference


@ROOT_ONLY
def test_read_only_results_gives_one_line_and_a_rerun_completes(full, reference, tmp_path):
    """``results/`` read-only (a read-only bind mount: root ignores chmod): the run is
    refused before its first job (Snakemake would stop with a traceback creating the
    job's output folders), and a job that meets it gives one line too."""
    work = seeded_copy(full, tmp_path / "ro")
    results = work / "results"
    with mounted("--bind", str(results), str(results)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(results)], check=True)
        proc = run(work)
        assert proc.returncode == 1
        refusal = [ln for ln in proc.stderr.splitlines() if ln.startswith("Refused:")]
        assert refusal == [
            f"Refused: results: read-only file system {results}; run from a writable copy "
            f"(or remount {results} read-write) and rerun: completed outputs are kept"
        ], proc.stderr[-3000:]
        one_line_summary(proc.stderr)
        # a job that meets it (run by hand, or the folder turned read-only mid-run)
        job = subprocess.run(
            [sys.executable, "workflow/scripts/validate_raw.py", "2017"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert job.returncode == 1
        assert job.stderr.strip().splitlines()[-1] == (
            "ERROR councilsurvey: results/2017/validation/validation.json: read-only file "
            f"system {results}; run from a writable copy (or remount {results} read-write) "
            "and rerun: completed outputs are kept"
        ), job.stderr
    again = run(work)
    assert again.returncode == 0, again.stderr[-3000:]
    assert bundle(work) == reference


# --- the pieces, without a pipeline run -------------------------------------------------


def test_lock_names_its_holder_and_dies_with_it(tmp_path):
    from councilsurvey.pipeline.lock import FolderBusy, hold, release

    code = f"from councilsurvey.pipeline.lock import hold; hold({str(tmp_path)!r}); input()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    lock = tmp_path / ".snakemake/councilsurvey.lock"
    try:
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text()):
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.02)
        with pytest.raises(FolderBusy, match=rf"in use by another run: pid {holder.pid} \("):
            hold(tmp_path)
    finally:
        holder.kill()  # SIGKILL: the kernel releases the lock
        holder.wait()
    assert hold(tmp_path) == lock.resolve()
    assert f"pid {os.getpid()} (" in lock.read_text()
    release(tmp_path)


def test_temporaries_of_live_writers_are_kept_and_of_dead_ones_removed(tmp_path):
    from councilsurvey.core.writers import _owner_tag, atomic_path

    final = tmp_path / "figure.png"
    host = _owner_tag().rsplit("-", 1)[0]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = tmp_path / f".figure.{host}-{os.getppid()}-abc.png"
    gone = tmp_path / f".figure.{host}-{dead.pid}-abc.png"
    other = tmp_path / ".figure.otherhost-1-abc.png"  # a cluster node's: left alone
    for p in (live, gone, other):
        p.write_bytes(b"x")
    tmp = atomic_path(final)
    assert live.exists() and other.exists() and not gone.exists()
    assert tmp.name.startswith(f".figure.{host}-{os.getpid()}-")


def test_failed_write_leaves_nothing_and_names_the_path(tmp_path):
    import errno

    import pandas as pd

    from councilsurvey.core.faults import describe
    from councilsurvey.core.writers import atomic_write

    final = tmp_path / "t.csv"
    with pytest.raises(OSError) as info, atomic_write(final) as tmp:
        pd.DataFrame({"a": [1]}).to_csv(tmp)
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not list(tmp_path.iterdir())
    line = describe(info.value)
    assert line.startswith(f"{final}: no space left on the file system /")
    assert line.endswith("free space there and rerun: completed outputs are kept")
    ro = describe(OSError(errno.EROFS, "Read-only file system", "results/x.csv"))
    assert ro.startswith("results/x.csv: read-only file system /")
    arrow = describe(OSError("Error writing bytes to file. Detail: [errno 28] No space left"))
    assert "no space left on the file system" in arrow


@ROOT_ONLY
def test_full_disk_met_by_a_copy_names_the_copy_and_its_file_system(tmp_path):
    """``shutil.copyfile`` (the bundle job copies the wave's tables into its staging
    folder) names its source first, then its destination: the line names the destination
    and the file system that is full, not the source's."""
    from councilsurvey.core.faults import describe

    disk = tmp_path / "disk"
    disk.mkdir()
    src = tmp_path / "table.csv"
    src.write_bytes(os.urandom(256 * 1024))
    with mounted("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)):
        with pytest.raises(OSError) as info:
            shutil.copyfile(src, disk / "copy.csv")
        assert info.value.filename == str(src)  # what describe has to see past
        assert describe(info.value).startswith(
            f"{disk / 'copy.csv'}: no space left on the file system {disk}; free space there"
        )


def test_publication_cut_short_is_completed_by_the_rerun(tmp_path):
    """A bundle job that fails after moving its folder into place (the zip meets a full
    disk) loses the folder's manifest: Snakemake removes a failed job's declared outputs.
    The rerun's identical bundle replaces that folder; a folder that differs is refused."""
    from councilsurvey.publish import bundle as b

    def staged(name, text="a,b\n1,2\n"):
        folder = tmp_path / name
        (folder / "tables").mkdir(parents=True)
        (folder / "tables/t.csv").write_text(text)
        b.write_manifest(folder)
        return folder

    final, zip_path = tmp_path / "s-2017-v1", tmp_path / "s-2017-v1.zip"
    assert b.publish(staged(".st1"), final, zip_path) == "published"
    zip_bytes = zip_path.read_bytes()
    zip_path.unlink()
    (final / b.MANIFEST).unlink()  # as Snakemake removes it after the failed job
    assert b.publish(staged(".st2"), final, zip_path) == "published"
    assert (final / b.MANIFEST).exists() and zip_path.read_bytes() == zip_bytes
    (final / b.MANIFEST).unlink()
    with pytest.raises(b.BundleExists, match="not a complete bundle"):
        b.publish(staged(".st3", "a,b\n1,3\n"), final, zip_path)
    assert (final / "tables/t.csv").read_text() == "a,b\n1,2\n"


def test_notebook_cell_os_error_is_the_machine_s_fault():
    """A full disk met inside a notebook cell (a figure being saved) is reported as the
    OSError it was, not as a failed notebook."""
    from papermill.exceptions import PapermillExecutionError

    from councilsurvey.core.faults import describe
    from councilsurvey.report.notebooks import _kernel_os_error

    def failed(ename, evalue):
        return PapermillExecutionError(3, 3, "save(fig)", ename, evalue, [])

    err = _kernel_os_error(
        failed("OSError", "[Errno 28] No space left on device: 'results/2017/figures/a.png'"),
        "results/2017/notebooks/attitudes.ipynb",
    )
    assert describe(err).startswith("results/2017/figures/a.png: no space left")
    nameless = _kernel_os_error(failed("OSError", "[Errno 28] No space left on device"), "x.ipynb")
    assert nameless.filename == "x.ipynb"
    assert _kernel_os_error(failed("ValueError", "bad"), "x.ipynb") is None
