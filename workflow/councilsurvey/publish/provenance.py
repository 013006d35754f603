"""Provenance of a bundle: checksums of inputs, versions, git state, the command."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

from councilsurvey.core.yamlio import load_yaml
from councilsurvey.publish.bundle import sha256

#: packages whose versions are recorded (the rest are pinned in requirements.lock)
PACKAGES = [
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "svy",
    "pingouin",
    "statsmodels",
    "stepmix",
    "scikit-learn",
    "rapidfuzz",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "rocrate",
    "councilsurvey",
]
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


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def collect(raw_inputs: list[str], config: str, lock: str, cwd=".") -> dict:
    """Everything ``provenance.json`` records; ``config.effective`` is the parsed
    configuration the run used (written with sorted keys)."""
    return {
        "raw_inputs": {p: sha256(p) for p in sorted(raw_inputs)},
        "config": {"path": config, "sha256": sha256(config), "effective": load_yaml(config)},
        "lock": {"path": lock, "sha256": sha256(lock)},
        "versions": versions(),
        "git": git_state(cwd),
        "command": COMMAND,
    }
