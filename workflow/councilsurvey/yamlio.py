"""Small helpers to read YAML and check it against a JSON schema with a clear error."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from .errors import InputError


def load_yaml(path) -> object:
    """Read a YAML file, raising :class:`InputError` naming the file on failure."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc).splitlines()[0]
        if mark is None:
            raise InputError(path, f"not valid YAML: {what}") from None
        raise InputError(
            path, f"not valid YAML: {what} (line {mark.line + 1}, column {mark.column + 1})"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None


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
