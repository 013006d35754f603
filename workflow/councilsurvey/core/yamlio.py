"""Small helpers to read YAML and check it against a JSON schema with a clear error."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from councilsurvey.core.errors import InputError

if TYPE_CHECKING:  # jsonschema is imported by the first validation: a job that reads YAML
    # but validates none (most stages under Snakemake) does not load it
    import jsonschema

#: libyaml's parser with PyYAML's safe constructor (the same objects as ``yaml.safe_load``,
#: some ten times faster: every job reads the configuration, codebook and instrument)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path, loader=None) -> object:
    """Read a YAML file, raising :class:`InputError` naming the file on failure.

    ``loader``: a PyYAML loader class other than the safe one (e.g. the codebook's, which
    reads ``Yes`` as text).

    The file is parsed with libyaml when PyYAML has it; a file libyaml refuses is parsed
    again by PyYAML's own parser, whose messages say what was expected where.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None
    try:
        return yaml.load(text, Loader=loader or _FAST_LOADER)  # noqa: S506  (a safe loader)
    except yaml.YAMLError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc).splitlines()[0]
        if mark is None:
            raise InputError(path, f"not valid YAML: {what}") from None
        raise InputError(
            path, f"not valid YAML: {what} (line {mark.line + 1}, column {mark.column + 1})"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None
    raise InputError(path, "not valid YAML: libyaml refuses it")  # PyYAML reads it


def _short(value, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def schema_message(err) -> str:
    """One line for a schema violation: the dotted path of the section and key, then what
    is wrong, without the schema or the whole offending value."""
    path = [str(p) for p in err.absolute_path]
    where = ".".join(path) or "(top level)"
    inst, schema = err.instance, err.schema
    if err.validator == "additionalProperties" and isinstance(inst, dict):
        allowed = schema.get("properties", {})
        unknown = [k for k in inst if k not in allowed]
        known = f" (known keys: {', '.join(allowed)})" if allowed else ""
        return f"{where}: unknown key {', '.join(map(repr, unknown))}{known}"
    if len(err.message) > 120:  # e.g. anyOf/oneOf, whose message repeats the whole value
        return f"{where}: {_short(inst)} is not valid here"
    return f"{where}: {err.message}"


def stat_key(path) -> tuple[str, str, int, int]:
    """``(path, absolute path, size, mtime_ns)``: the key under which something read from
    a file is cached (the path as given comes first, for error messages). A file written
    again gets a new modification time (and usually a new size), so the key changes with
    the file's content, as ``make``'s does."""
    st = os.stat(path)
    return (str(path), os.path.abspath(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _validator(key: tuple[str, str, int, int]) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(load_yaml(key[0]))


def validate(data, schema_path, source) -> None:
    """Validate ``data`` against the JSON schema at ``schema_path``.

    The error (one line) names ``source`` (the file the data came from), the dotted path
    of the first offending section and key, and what is wrong (:func:`schema_message`).
    The schema is read once per process (and again if its file changes, see
    :func:`stat_key`): the Snakefile validates every wave's ``wave.yaml`` against it
    whenever a rule's input function asks for a wave's files.
    """
    validator = _validator(stat_key(schema_path))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise InputError(source, schema_message(errors[0]))
