"""The README works verbatim (issue 19 item 6): every shell command it shows, in a fenced
block or inline, names things that exist: make targets and variables of the Makefile,
Snakemake rules, profiles and options' files, importable ``python -m`` modules, files and
folders of the repository, and the bundle names the configuration gives. ``.venv/`` is
what ``make`` creates (the Makefile's ``VENV``); its programs are checked beside the
running interpreter."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest

from councilsurvey.pipeline.paths import bundle_dir, load_config

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
PROGRAMS = ("make", "snakemake", ".venv/bin/", "python", "source", "sha256sum", "apt-get")
#: Snakemake options that take a value (the value is checked where it names a file)
VALUED = {"--cores", "-c", "--workflow-profile", "--profile", "--sdm", "--report", "--configfile"}


def is_command(line: str) -> bool:
    return line.strip().startswith(PROGRAMS)


def readme_commands(text: str = README) -> list[str]:
    """Every command: the lines of fenced blocks whose every line is a command, and the
    inline code spans that start with a program."""
    commands = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if lines and all(is_command(ln) for ln in lines):
            commands += [ln.split("  #")[0].split(" # ")[0].strip() for ln in lines]
    for span in re.findall(r"`([^`\n]+)`", text):
        if span.startswith(PROGRAMS) and " " in span:
            commands.append(span.strip())
    return list(dict.fromkeys(commands))


def make_variables() -> dict[str, str]:
    return dict(re.findall(r"^(\w+)\s*[:?]?=\s*(\S+)", MAKEFILE, flags=re.M))


def expand(text: str, variables: dict[str, str]) -> str:
    for _ in range(5):
        text = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)
    return text


def make_targets() -> set[str]:
    variables = make_variables()
    targets = set()
    for line in re.findall(r"^([^\s#=][^=:]*):(?!=)", MAKEFILE, flags=re.M):
        targets.update(expand(line, variables).split())
    return targets - {".PHONY"}


def snakemake_rules() -> set[str]:
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow/rules").glob("*.smk"))]
    return {name for f in files for name in re.findall(r"^rule (\w+):", f.read_text(), re.M)}


def check_path(token: str) -> str | None:
    """Why a path-like argument is wrong, or None."""
    if "<" in token or token.startswith(("-", "http")) or "/" not in token:
        return None
    if token.startswith(".venv/"):
        return (
            None if make_variables().get("VENV") == ".venv" else "the Makefile's VENV is not .venv"
        )
    if token.startswith("results/bundles/"):
        cfg = load_config(ROOT / "config.yaml")
        names = {bundle_dir(cfg, w) for w in ("2017", "2019", "trends")}
        return None if token.rstrip("/") in names else f"{token} is no bundle of config.yaml"
    return None if (ROOT / token).exists() else f"{token} does not exist"


def problems(command: str) -> list[str]:
    """What is wrong with one README command (empty when it names only what exists)."""
    words = [w for w in shlex.split(command) if w != "..."]  # "..." stands for any options
    program, args = words[0], words[1:]
    out = []
    if program == "make":
        targets = make_targets()
        for arg in args:
            if "=" in arg:
                name, value = arg.split("=", 1)
                if f"$({name})" not in MAKEFILE:
                    out.append(f"make variable {name} is not used by the Makefile")
                out += [p for p in [check_path(value)] if p]
            elif arg not in targets:
                out.append(f"make target {arg} is not in the Makefile")
        return out
    if program.startswith(".venv/bin/"):
        out += [p for p in [check_path(program)] if p]
        program = program.removeprefix(".venv/bin/")
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        if program in scripts:  # the project's own command, which `make` installs
            module = scripts[program].split(":")[0]
            if importlib.util.find_spec(module) is None:
                out.append(f"{program}'s module {module} does not import")
            return out + [p for p in map(check_path, args) if p]
        if not Path(sys.executable).with_name(program).exists():
            out.append(f"{program} is not installed in the environment")
    if program == "snakemake":
        rules, skip = snakemake_rules(), False
        for i, arg in enumerate(args):
            if skip:
                skip = False
                if args[i - 1] in ("--workflow-profile", "--profile", "--configfile"):
                    out += [f"{arg} does not exist"] if not (ROOT / arg).exists() else []
                continue
            if arg in VALUED:
                skip = True
            elif not arg.startswith("-") and arg not in rules:
                out += [p for p in [check_path(arg)] if p] or (
                    [] if "/" in arg else [f"snakemake target {arg} is no rule"]
                )
        return out
    if program == "python" or program.endswith("/python"):
        if args[:1] == ["-m"]:
            if importlib.util.find_spec(args[1]) is None:
                out.append(f"module {args[1]} does not import")
            args = args[2:]
        out += [p for p in map(check_path, args) if p]
        return out
    if program == "pip":
        extras = re.findall(r"\[(\w+)\]", command)
        pyproject = (ROOT / "pyproject.toml").read_text()
        out += [f"no extra {e} in pyproject.toml" for e in extras if f"\n{e} = [" not in pyproject]
        return out
    if program == "source":
        return [p for p in map(check_path, args) if p]
    if program == "sha256sum":
        from councilsurvey.publish.bundle import MANIFEST

        return [] if MANIFEST in args else [f"{command}: bundles hold {MANIFEST}"]
    return out  # apt-get and the like: the system's


def test_readme_has_the_commands_a_reader_needs():
    commands = readme_commands()
    assert "make run" in commands and "make run CORES=2" in commands
    assert any(c.startswith(".venv/bin/snakemake --cores 4") for c in commands)
    assert len(commands) >= 15


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_names_what_exists(command):
    assert problems(command) == []


@pytest.mark.parametrize(
    "command",
    [
        "make runn",
        "make verify BUNDEL=x",
        ".venv/bin/snakemake --cores 4 verifyy",
        ".venv/bin/python -m councilsurvey.dev.synthh",
        ".venv/bin/councilsurvey read data/raw/2017/exports.csv",
        ".venv/bin/councilsurveyy read",
        "snakemake --workflow-profile profiles/slurmm",
        "make verify BUNDLE=results/bundles/start-of-the-possible-2017-v0.0.9",
    ],
)
def test_a_wrong_command_is_caught(command):
    assert problems(command)
