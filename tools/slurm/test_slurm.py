"""Run the whole pipeline locally and through Slurm, and check that the bundles agree.

Called by ``tools/slurm/test_slurm.sh`` (``make test-slurm``) once the test cluster is up
(``SLURM_CONF`` set): copies the repository twice, runs ``snakemake --cores 4`` in one copy
and ``snakemake --workflow-profile profiles/slurm`` in the other, at the same time (each
Slurm job spends seconds starting Snakemake twice and waiting for status checks; the local
run uses that CPU), then compares every bundle's ``MANIFEST.sha256`` and zip. Prints a
table per bundle and exits 1 if either run fails or a bundle is missing from either run or
differs, naming the files that differ.

    python tools/slurm/test_slurm.py --work DIR [--timing "install=26" ...]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from councilsurvey.pipeline.verify import copy_repository
from councilsurvey.publish.bundle import MANIFEST, read_manifest, sha256

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 2700  # seconds for the two runs


def copy_repo(dest: Path) -> Path:
    """A clean copy of the repository (every wave of data/raw), as the tests make."""
    dest.mkdir(parents=True)
    return copy_repository(ROOT, dest, git=False)


class Run:
    """A snakemake run in its own copy, in the background, output to ``snakemake.out``."""

    def __init__(self, label: str, workdir: Path, args: list[str], env: dict, nice: int = 0):
        self.label, self.workdir = label, workdir
        self.out = workdir / "snakemake.out"
        cmd = [str(BIN / "snakemake"), *args]
        print(f"{label}: {' '.join(cmd[1:])} (in {workdir})", flush=True)
        if nice:
            cmd = ["nice", "-n", str(nice), *cmd]
        self.started = time.monotonic()
        with open(self.out, "w") as fh:
            # own session: stopping the run signals snakemake and everything it started
            self.proc = subprocess.Popen(
                cmd,
                cwd=workdir,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.took: float | None = None

    def poll(self) -> int | None:
        code = self.proc.poll()
        if code is not None and self.took is None:
            self.took = time.monotonic() - self.started
            state = "done" if code == 0 else f"FAILED (exit {code})"
            print(f"{self.label}: {state} in {self.took:.0f} s", flush=True)
        return code

    def stop(self) -> None:
        """SIGTERM (snakemake cancels its Slurm jobs), then SIGKILL after a minute."""
        if self.proc.poll() is not None:
            return
        print(f"{self.label}: stopping", flush=True)
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def report_failure(self) -> None:
        print(f"FAIL: {self.label} run failed; the end of {self.out}:", file=sys.stderr)
        print("".join(self.out.read_text(errors="replace").splitlines(True)[-60:]), file=sys.stderr)
        logs = sorted((self.workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
        for log in logs[-3:]:  # Slurm logs of failed jobs are kept
            print(f"----- {log}", file=sys.stderr)
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)


def run_both(runs: list[Run]) -> bool:
    """Wait for every run; if one fails (or takes too long), stop the others. True if all
    succeeded."""
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while True:
            codes = [r.poll() for r in runs]
            if all(c == 0 for c in codes):
                return True
            failed = [r for r, c in zip(runs, codes, strict=True) if c not in (None, 0)]
            if failed or time.monotonic() > deadline:
                if not failed:
                    print(f"FAIL: the runs took more than {RUN_TIMEOUT} s", file=sys.stderr)
                for r in runs:
                    r.stop()
                for r in failed:
                    r.report_failure()
                return False
            time.sleep(1)
    except BaseException:  # Ctrl-C or SIGTERM: do not leave the runs behind
        for r in runs:
            r.stop()
        raise


def bundles(workdir: Path) -> dict[str, Path]:
    """Published bundle folders of a run (not a leftover staging folder)."""
    folder = workdir / "results" / "bundles"
    return {
        p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")
    }


def short(digest: str | None) -> str:
    return digest[:12] if digest else "-"


def compare(local: Path, slurm: Path) -> bool:
    """Table of every bundle's manifest and zip checksums in both runs; True if equal."""
    a, b = bundles(local), bundles(slurm)
    rows, problems = [], []
    for name in sorted(set(a) | set(b)):
        digests = {}
        for run_name, found in (("local", a), ("slurm", b)):
            folder = found.get(name)
            manifest = folder / MANIFEST if folder else None
            zip_path = folder.with_name(f"{name}.zip") if folder else None
            digests[run_name] = (
                sha256(manifest) if manifest and manifest.exists() else None,
                sha256(zip_path) if zip_path and zip_path.exists() else None,
            )
        (ma, za), (mb, zb) = digests["local"], digests["slurm"]
        ok = None not in (ma, za, mb, zb) and ma == mb and za == zb
        rows.append((name, short(ma), short(mb), short(za), short(zb), "OK" if ok else "DIFFER"))
        if ok:
            continue
        if name not in a or name not in b:
            problems.append(f"{name}: only in the {'local' if name in a else 'slurm'} run")
            continue
        if None in (ma, mb):
            problems.append(f"{name}: MANIFEST.sha256 missing")
            continue
        fa, fb = read_manifest(a[name] / MANIFEST), read_manifest(b[name] / MANIFEST)
        for rel in sorted(set(fa) | set(fb)):
            if fa.get(rel) != fb.get(rel):
                was, got = short(fa.get(rel)), short(fb.get(rel))
                problems.append(f"{name}/{rel}: local {was}, slurm {got}")
        if ma == mb and za != zb:
            problems.append(f"{name}.zip: same manifest, different zip bytes")
    head = ("bundle", "manifest (local)", "manifest (slurm)", "zip (local)", "zip (slurm)", "")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if not rows:
        problems.append("no bundles in either run")
    for p in problems:
        print(f"FAIL: {p}")
    return not problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="new folder for the two copies")
    parser.add_argument("--cores", type=int, default=4, help="cores of the local run")
    parser.add_argument(
        "--timing", action="append", default=[], help="label=seconds of earlier steps to report"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("SLURM_CONF"):
        parser.error("SLURM_CONF is not set: start the test cluster first (tools/slurm/cluster.sh)")
    timings = [(label, float(s)) for label, s in (t.rsplit("=", 1) for t in args.timing)]
    # SIGTERM (from test_slurm.sh, or CI giving up) ends this like Ctrl-C: the runs stop too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # the same pseudonymisation key for both runs (the bundles do not depend on it, but the
    # pseudonymous ids in data/processed do); sbatch exports the environment to the jobs,
    # and the venv's bin comes first on their PATH
    env = dict(os.environ)
    env["COUNCILSURVEY_PSEUDONYM_KEY"] = secrets.token_hex(32)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SNAKEMAKE_PROFILE", None)

    # one snapshot of the repository for both runs, and one of the library that both import
    # (the editable install would import the checkout's, which may change while the runs
    # are under way; and one path for both, as a warning in a notebook names the file)
    local = copy_repo(args.work / "local")
    slurm = args.work / "slurm"
    shutil.copytree(local, slurm)
    # (as <lib>/workflow/councilsurvey: the library finds workflow/schemas next to itself)
    lib = args.work / "lib" / "workflow"
    shutil.copytree(local / "workflow", lib)
    env["PYTHONPATH"] = str(lib)
    started = time.monotonic()
    # the Slurm run takes longer (its jobs wait for status checks and start Snakemake twice
    # each), so it has the CPUs first and the local run fills the gaps
    runs = [
        Run("local", local, ["--cores", str(args.cores)], env, nice=10),
        Run("slurm", slurm, ["--workflow-profile", "profiles/slurm"], env),
    ]
    if not run_both(runs):
        return 1
    timings += [(f"{r.label} run", r.took) for r in runs]
    timings.append(("both runs (at once)", time.monotonic() - started))
    # the jobs did go through Slurm: the plugin logs every submission
    log = (slurm / "snakemake.out").read_text(errors="replace")
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", log)
    print(f"slurm: {len(submitted)} jobs ran as Slurm jobs")

    started = time.monotonic()
    same = compare(local, slurm) and bool(submitted)
    if not submitted:
        print("FAIL: no job of the slurm run was submitted to Slurm")
    timings.append(("comparison", time.monotonic() - started))
    print("Timings: " + ", ".join(f"{label} {s:.0f} s" for label, s in timings))
    print("SLURM RUN MATCHES LOCAL RUN" if same else "SLURM RUN DIFFERS FROM LOCAL RUN")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
