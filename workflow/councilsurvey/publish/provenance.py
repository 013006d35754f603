"""Provenance of a bundle: checksums of inputs and code, the configuration, versions, the
command."""

from __future__ import annotations

import hashlib
import subprocess

from councilsurvey.core.fingerprint import code_digest, versions
from councilsurvey.publish.bundle import sha256

COMMAND = "snakemake --cores 4"


def git_state(cwd=".") -> dict:
    """Commit and whether the working tree has uncommitted changes (ignored files, such
    as results and logs, do not count)."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "dirty": None, "note": "not a git checkout"}
    status = git("status", "--porcelain", "--untracked-files=normal")
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def collect(raw_inputs: list[str], config: dict, lock: str, root=".") -> dict:
    """Everything ``provenance.json`` records: the SHA-256 of every raw input, the
    configuration in effect for the bundle (``config.effective``: parsed, so comments and key
    order do not count; see :func:`councilsurvey.core.fingerprint.relevant_config`), the lock
    file's SHA-256, the SHA-256 of every code file (``code``), the Python and package
    versions, and the command. These are what the bundle's fingerprint hashes, so a bundle
    records nothing that could change without a new fingerprint (not the git state, which
    :func:`git_state` reports for the run's receipt)."""
    code = code_digest(root)
    return {
        "raw_inputs": {p: sha256(p) for p in sorted(raw_inputs)},
        "config": {"effective": config},
        "lock": {"path": lock, "sha256": sha256(lock)},
        "code": {"files": code, "sha256": digest_of(code)},
        "versions": versions(),
        "command": COMMAND,
    }


def digest_of(files: dict[str, str]) -> str:
    """One SHA-256 over a file -> checksum listing (``sha256sum`` format, sorted)."""
    text = "".join(f"{d}  {p}\n" for p, d in sorted(files.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
