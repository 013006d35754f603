"""Verify a results bundle by re-executing the pipeline from ``data/raw/``.

``make verify`` (or ``python -m councilsurvey.pipeline.verify``) checks, for each bundle:

1. that every raw input and every code file still has the SHA-256 recorded in the
   bundle's ``provenance.json`` (said first; a changed input or code file stops
   verification: the re-executed bundle would be another version);
2. that the bundle on disk still matches its own ``MANIFEST.sha256``;
3. that re-executing the whole pipeline in a clean temporary copy of the repository
   gives every file of the manifest byte for byte;
4. that every claim PASSes.

It prints a table (file, expected, got, status) and a summary, and exits 0 only when
everything matches and every claim passes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from councilsurvey.core.fingerprint import code_digest
from councilsurvey.pipeline.lock import FolderBusy, hold
from councilsurvey.pipeline.paths import bundle_dir, discover_waves, load_config
from councilsurvey.publish.bundle import MANIFEST, read_manifest, sha256

#: folders that hold outputs or machine state, never copied into the clean copy
UNTRACKED = {
    "results",
    "processed",
    "logs",
    "benchmarks",
    ".snakemake",
    ".secrets",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}


def raw_input_changes(bundle: Path, repo: Path) -> list[str]:
    """Raw inputs whose checksum differs from the bundle's provenance."""
    prov = json.loads((bundle / "provenance.json").read_text(encoding="utf-8"))
    changes = []
    for rel, digest in sorted(prov["raw_inputs"].items()):
        path = repo / rel
        got = sha256(path) if path.exists() else "missing"
        if got != digest:
            changes.append(
                f"raw input {rel} no longer matches provenance.json "
                f"(expected {digest[:12]}, got {got[:12]})"
            )
    return changes


def copy_repository(repo: Path, dest: Path, waves=None, git: bool = True) -> Path:
    """A clean copy: the files git tracks or would track (no results, processed data,
    logs or .venv), with the repository's .git so that commit and dirty state agree.

    Parameters
    ----------
    repo, dest : Path
        The checkout, and the folder to copy it into (created if missing).
    waves : iterable of str, optional
        Keep only these folders of ``data/raw`` (default: every wave).
    git : bool, default True
        Copy ``.git`` too. Without it the copy's provenance says "not a git checkout",
        whatever waves were left out (the tests compare bundles of such copies).

    Returns
    -------
    Path
        ``dest``.
    """
    repo, dest = Path(repo), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if (repo / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=repo,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [rel for rel in listed.split("\0") if rel]
    else:  # not a git checkout (e.g. an unpacked archive): leave out what git would ignore
        files = [
            p.relative_to(repo).as_posix()
            for p in repo.rglob("*")
            if p.is_file() and not set(p.relative_to(repo).parts) & UNTRACKED
        ]
    for rel in files:
        src = repo / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if git and (repo / ".git").exists():
        shutil.copytree(repo / ".git", dest / ".git", symlinks=True)
    if waves is not None:
        keep = set(waves)
        for folder in (dest / "data" / "raw").iterdir():
            if folder.is_dir() and folder.name not in keep:
                shutil.rmtree(folder)
    return dest


def compare(bundle: Path, rerun: Path) -> pd.DataFrame:
    """file, expected (manifest), bundle (on disk), got (re-executed), status."""
    expected = read_manifest(bundle / MANIFEST)
    rows = []
    for rel, digest in sorted(expected.items()):
        on_disk = sha256(bundle / rel) if (bundle / rel).exists() else "missing"
        got = sha256(rerun / rel) if (rerun / rel).exists() else "missing"
        if on_disk != digest:
            status = "BUNDLE ALTERED"
        elif got == "missing":
            status = "MISSING"
        elif got != digest:
            status = "MISMATCH"
        else:
            status = "OK"
        rows.append(
            {"file": rel, "expected": digest, "bundle": on_disk, "got": got, "status": status}
        )
    if rerun.exists():
        for rel in sorted(
            set(p.relative_to(rerun).as_posix() for p in rerun.rglob("*") if p.is_file())
            - set(expected)
            - {MANIFEST}
        ):
            rows.append(
                {
                    "file": rel,
                    "expected": "-",
                    "bundle": "-",
                    "got": sha256(rerun / rel),
                    "status": "EXTRA",
                }
            )
    return pd.DataFrame(rows, columns=["file", "expected", "bundle", "got", "status"])


def failed_claims(claims_csv: Path) -> list[str]:
    if not claims_csv.exists():
        return [f"{claims_csv} is missing"]
    claims = pd.read_csv(claims_csv)
    return [
        f"claim {r.claim_id}: {r.status} (published {r.published:g}, reproduced {r.reproduced:.4g})"
        for r in claims.itertuples()
        if r.status == "FAIL"  # CONFLICT and INTERPRETATION are findings, not failures
    ]


def print_table(table: pd.DataFrame) -> None:
    width = max([len("file")] + [len(f) for f in table["file"]])
    print(f"{'file':<{width}}  {'expected':<12}  {'got':<12}  status")
    for r in table.itertuples():
        print(f"{r.file:<{width}}  {r.expected[:12]:<12}  {r.got[:12]:<12}  {r.status}")


_PROGRESS = re.compile(r"\d+ of \d+ steps")


def run_with_progress(cmd: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``cmd`` (Snakemake) in ``cwd``, echoing its progress lines ("K of M steps
    done") as they come; return its exit code and its whole output (stdout and stderr)."""
    lines = []
    with subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        for line in proc.stdout:
            lines.append(line)
            if _PROGRESS.search(line):
                print(f"  {line.strip()}", flush=True)
    return proc.returncode, "".join(lines)


def code_changes(bundle: Path, repo: Path) -> list[str]:
    """Code files of this checkout that differ from those the bundle was made with (its
    ``provenance.json`` ``code``): changed, missing or new. A bundle records its code by
    checksum rather than by git commit, so a checkout reproduces it exactly when this list
    is empty, whatever its git state."""
    prov = json.loads((bundle / "provenance.json").read_text(encoding="utf-8"))
    recorded = (prov.get("code") or {}).get("files")
    if recorded is None:
        return [f"{bundle.name}: provenance.json records no code checksums (an older bundle)"]
    here = code_digest(repo)
    changes = []
    for rel in sorted(set(recorded) | set(here)):
        if rel not in here:
            changes.append(f"code file {rel} is missing from this checkout")
        elif rel not in recorded:
            changes.append(f"code file {rel} is new since the bundle was made")
        elif here[rel] != recorded[rel]:
            changes.append(f"code file {rel} differs from the one the bundle was made with")
    return changes


def verify(
    bundles: list[Path],
    repo: Path,
    cores: int = 4,
    keep: bool = False,
    rerun_root: Path | None = None,
) -> int:
    """Verify bundles; return the exit code (0 only if everything matches and passes).

    ``rerun_root`` names a copy in which the pipeline has already been re-executed (its
    ``results/bundles`` are compared); by default a clean copy is made and run here.
    """
    ok = True
    for bundle in bundles:
        if not (bundle / MANIFEST).exists():
            print(f"{bundle}: no {MANIFEST}; is this a results bundle? Run `make run` first.")
            return 1
        changes = raw_input_changes(bundle, repo)
        if changes:
            for line in changes:
                print(f"FAIL: {line}")
            print(f"{bundle.name}: raw inputs changed; the bundle cannot be reproduced from them")
            return 1
        code = code_changes(bundle, repo)
        if code:
            for line in code[:20]:
                print(f"FAIL: {line}")
            if len(code) > 20:
                print(f"FAIL: and {len(code) - 20} more code files")
            print(
                f"{bundle.name}: this checkout's code is not the code the bundle was made "
                "with; check out that code (provenance.json lists every file's checksum)"
            )
            return 1
    work = rerun_root or Path(tempfile.mkdtemp(prefix="councilsurvey-verify-"))
    try:
        if rerun_root is None:
            copy_repository(repo, work)
            exe = Path(sys.executable).with_name("snakemake")
            print(
                f"Re-executing the pipeline in {work} (snakemake --cores {cores}) ...", flush=True
            )
            returncode, output = run_with_progress([str(exe), "--cores", str(cores)], work)
            if returncode != 0:
                print(output[-4000:])
                print("FAIL: the pipeline did not run to the end in the clean copy")
                return 1
        for bundle in bundles:
            rerun = work / "results" / "bundles" / bundle.name
            table = compare(bundle, rerun)
            print(f"\nBundle {bundle}")
            print_table(table)
            bad = table[table["status"] != "OK"]
            claims = failed_claims(bundle / "claims.csv") + [
                f"re-executed {c}" for c in failed_claims(rerun / "claims.csv")
            ]
            print(
                f"Summary: {len(table) - len(bad)} of {len(table)} files match; "
                f"{len(bad)} do not; {'no failed claims' if not claims else 'claims FAIL'}"
            )
            for line in claims:
                print(f"FAIL: {line}")
            for r in bad.itertuples():
                print(f"FAIL: {r.file}: {r.status}")
            ok = ok and bad.empty and not claims
    finally:
        if rerun_root is not None:
            pass
        elif keep:
            print(f"kept the re-executed copy in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("VERIFIED" if ok else "NOT VERIFIED")
    return 0 if ok else 1


def main(argv=None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="Verify results bundles by re-execution."
    )
    parser.add_argument(
        "--bundle",
        type=Path,
        action="append",
        help="bundle folder (default: every wave's bundle of config.yaml)",
    )
    parser.add_argument("--repo", type=Path, default=Path("."))
    parser.add_argument("--cores", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the re-executed copy")
    parser.add_argument(
        "--rerun",
        type=Path,
        default=None,
        help="compare with a copy in which the pipeline already ran",
    )
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    try:  # one run per folder: no run may change the bundles while they are verified
        hold(repo, "make verify")
    except FolderBusy as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1
    if args.bundle:
        bundles = [b.resolve() for b in args.bundle]
    else:
        cfg = load_config(repo / "config.yaml")
        import os

        here = Path.cwd()
        os.chdir(repo)
        try:
            waves = discover_waves(cfg)
        finally:
            os.chdir(here)
        bundles = [(repo / bundle_dir(cfg, w)).resolve() for w in waves]
    return verify(bundles, repo, args.cores, args.keep, args.rerun)


if __name__ == "__main__":
    sys.exit(main())
