"""Keep ``envs/councilsurvey.yaml`` (for ``snakemake --sdm conda``) in step with the lock.

The conda environment installs exactly the pinned versions of ``requirements.lock`` with
pip on top of conda's Python 3.11. Regenerate after ``make lock``::

    python -m councilsurvey.dev.envfile requirements.lock envs/councilsurvey.yaml

``tests/test_envfile.py`` fails if the two drift apart.
"""

from __future__ import annotations

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
    argv = argv or sys.argv[1:]
    lock, out = (argv + ["requirements.lock", "envs/councilsurvey.yaml"][len(argv) :])[:2]
    Path(out).write_text(render(Path(lock).read_text()))


if __name__ == "__main__":
    main()
