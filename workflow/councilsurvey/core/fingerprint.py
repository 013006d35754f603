"""A bundle's fingerprint: everything the bundle is made from, hashed, so that its version
names its content.

A bundle is made from its waves' raw inputs, the configuration in effect for it, the
pipeline's code and the packages that run it. :func:`fingerprint` hashes exactly these:

* the SHA-256 of every raw input (export, codebook, questionnaire, frame, ...);
* the *relevant* configuration (:func:`relevant_config`), parsed, so that comments and key
  order never count, and without what selects other bundles (``waves``, the other waves'
  ``validation.waves`` membership);
* the SHA-256 of every code file a rule runs (:func:`code_digest`: the Snakefile, the
  rules, scripts, schemas and library under ``workflow/``, the notebooks, the lock file;
  not the test-data generators of ``councilsurvey/dev``);
* the Python and package versions (:func:`versions`).

The bundle's folder is ``<study>-<wave>-v<bundle.version>-<fingerprint>``: the same inputs
give the same folder (a rerun finds it unchanged), a changed input gives a new folder, and
adding a wave changes only the trends bundle's inputs. The bundle records the same items
(``provenance.json``), and nothing else that could change without them: not the git state,
which changes with every commit and every new untracked wave folder.

This module is read when the Snakefile is parsed: it imports only the standard library.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path

#: files and folders of the code a rule runs, relative to the repository
CODE = ("Snakefile", "workflow", "notebooks", "envs", "requirements.lock", "pyproject.toml")
#: path parts left out: caches, and the test-data generators that no rule takes as input
SKIP_PARTS = {"__pycache__", "dev", ".ipynb_checkpoints"}
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
#: hex digits of the fingerprint in a bundle's name
LENGTH = 10


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, as hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4096)
def _sha256_of_version(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def cached_sha256(path) -> str:
    """:func:`file_sha256`, computed once per process for each version of the file: the
    key is the path with its size and modification time (in nanoseconds), so a file
    written again is hashed again. The Snakefile fingerprints every bundle when it is
    parsed, and the bundles share most of what they hash (the code)."""
    st = os.stat(path)
    return _sha256_of_version(os.path.abspath(path), st.st_size, st.st_mtime_ns)


def code_files(root=".") -> list[str]:
    """Every code file a rule may run, as sorted POSIX paths relative to ``root``."""
    root = Path(root)
    out = []
    for name in CODE:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in files:
            rel = p.relative_to(root)
            skipped = any(part in SKIP_PARTS or part.endswith(".egg-info") for part in rel.parts)
            if not skipped and p.suffix != ".pyc":
                out.append(rel.as_posix())
    return sorted(out)


def code_digest(root=".") -> dict[str, str]:
    """Code file -> SHA-256 (see :func:`code_files`)."""
    return {rel: cached_sha256(Path(root) / rel) for rel in code_files(root)}


def versions() -> dict[str, str | None]:
    """Python's version and the versions of :data:`PACKAGES` (``None`` if not installed),
    looked up once per process (a process does not see packages installed after it
    started)."""
    return dict(_versions())


@lru_cache(maxsize=1)
def _versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def relevant_config(cfg: dict, wave: str, trends: str = "trends") -> dict:
    """The configuration in effect for one bundle: ``cfg`` without ``waves`` (which
    selects bundles) and, for a wave's bundle, ``validation.waves`` reduced to that wave's
    own membership; a bundle made from it records it as its configuration."""
    out = copy.deepcopy(dict(cfg))
    out.pop("waves", None)
    validation = out.get("validation")
    if isinstance(validation, dict) and str(wave) != trends:
        runs = [str(w) for w in validation.get("waves") or []]
        validation["waves"] = [str(wave)] if str(wave) in runs else []
    return out


def fingerprint(cfg: dict, wave: str, raw_inputs, root=".", trends: str = "trends") -> str:
    """The first :data:`LENGTH` hex digits of the SHA-256 of everything a bundle is made
    from: its raw inputs' checksums, :func:`relevant_config`, :func:`code_digest` and
    :func:`versions` (see the module's docstring)."""
    what = {
        "raw_inputs": {str(p): cached_sha256(Path(root) / p) for p in sorted(raw_inputs)},
        "config": relevant_config(cfg, wave, trends),
        "code": code_digest(root),
        "versions": versions(),
    }
    text = json.dumps(what, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH]
