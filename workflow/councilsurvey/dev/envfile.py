"""Keep ``envs/councilsurvey.yaml`` (for ``snakemake --sdm conda``) in step with the lock.

The conda environment installs exactly the pinned versions of ``requirements.lock`` with
pip on top of conda's Python 3.11. Regenerate after ``make lock``::

    python -m councilsurvey.dev.envfile requirements.lock envs/councilsurvey.yaml

``tests/test_config.py`` fails if the two drift apart.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)")


def pins(lock_text: str) -> list[str]:
    """``name==version`` of every package in a pip-compile style lock file."""
    return [
        f"{m.group(1)}=={m.group(2)}" for line in lock_text.splitlines() if (m := PIN.match(line))
    ]


def render(lock_text: str) -> str:
    lines = [
        "# Generated from requirements.lock by `python -m councilsurvey.dev.envfile`; do not edit.",
        "name: councilsurvey",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {p}" for p in pins(lock_text)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    """Write the conda environment file ``OUT`` from the lock file ``LOCK``; a lock file
    that cannot be read, or an environment file that cannot be written, is one line on
    stderr and exit status 1."""
    parser = argparse.ArgumentParser(
        prog="python -m councilsurvey.dev.envfile",
        description="Write envs/councilsurvey.yaml (snakemake --sdm conda) from the lock.",
    )
    parser.add_argument("lock", nargs="?", default="requirements.lock", help="lock file")
    parser.add_argument("out", nargs="?", default="envs/councilsurvey.yaml", help="to write")
    args = parser.parse_args(argv)
    try:
        text = Path(args.lock).read_text(encoding="utf-8")
    except OSError as exc:
        sys.exit(f"{args.lock}: cannot read the lock file ({exc.strerror or exc})")
    if not pins(text):
        sys.exit(f"{args.lock}: no pinned package (name==version) in it: is it a lock file?")
    try:
        Path(args.out).write_text(render(text), encoding="utf-8")
    except OSError as exc:
        sys.exit(f"{args.out}: cannot write the environment file ({exc.strerror or exc})")


if __name__ == "__main__":
    main()
