"""Small helpers to read YAML and check it against a JSON schema with a clear error."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from councilsurvey.core.errors import InputError

#: libyaml's parser with PyYAML's safe constructor (the same objects as ``yaml.safe_load``,
#: some ten times faster: every job reads the configuration, codebook and instrument)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path) -> object:
    """Read a YAML file, raising :class:`InputError` naming the file on failure.

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
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506  (a safe loader)
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


def validate(data, schema_path, source) -> None:
    """Validate ``data`` against the JSON schema at ``schema_path``.

    The error names ``source`` (the file the data came from) and the JSON path of the
    first offending value.
    """
    schema = load_yaml(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise InputError(source, f"{err.message} (at {where})")
