"""Codebooks: how one wave's export names its columns and spells its answers.

A codebook maps every export column to a variable id of the instrument, never by
position: by its header text (``header``, and ``subheader`` for the second header row) in
a SurveyMonkey CSV or xlsx export, by its column name (``column`` for a variable,
``names`` for a metadata column) in a Qualtrics CSV or SPSS .sav export. It maps every
answer text to a code: an integer for Likert items (``null`` for Don't know, which is
missing and never a 3), an option label for single-choice questions (an SPSS export's
numeric codes are read as their value labels first, so the same texts apply). Its shape
is checked against ``workflow/schemas/codebook.schema.yaml``.

Two more kinds read a question's answer as something other than an option label:
``numeric`` (a number) and ``date`` (read with the variable's ``date_format``). A
``multi_select`` question ("tick all that apply", or "choose up to N" with
``max_choices: N``) lists its ``options``; the export has one column per option (see
:func:`option_targets`): a SurveyMonkey block under the question's ``header`` with each
option's ``text`` in header row 2, Qualtrics columns ``Q5_1 ... Q5_n`` and SPSS variables
named by each option's ``column``. Cleaning turns them into one nullable boolean column
per option, ``<id>__<slug>`` (:func:`option_slug`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml, validate
from councilsurvey.inputs.instrument import ORDERED, Instrument

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "codebook.schema.yaml"

#: export metadata header -> role; every one of them is personal or tracking data
SURVEYMONKEY_METADATA = {
    "Respondent ID": "respondent_id",
    "Collector ID": "collector_id",
    "Start Date": "start_date",
    "End Date": "end_date",
    "IP Address": "ip_address",
    "Email Address": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Custom Data 1": "custom",
}

#: role -> the column name a Qualtrics export gives it (Qualtrics has no collector id)
QUALTRICS_METADATA = {
    "respondent_id": "ResponseId",
    "start_date": "StartDate",
    "end_date": "EndDate",
    "ip_address": "IPAddress",
    "email": "RecipientEmail",
    "first_name": "RecipientFirstName",
    "last_name": "RecipientLastName",
    "custom": "ExternalReference",
}


@dataclass(frozen=True)
class Codebook:
    """A validated codebook.

    Attributes
    ----------
    raw : dict
        The YAML document.
    path : Path
        Where it was read from.
    """

    raw: dict
    path: Path

    @property
    def variables(self) -> list[dict]:
        return list(self.raw["variables"])

    @property
    def metadata(self) -> list[dict]:
        return list(self.raw["metadata"])

    def variable(self, var_id: str) -> dict:
        for var in self.raw["variables"]:
            if var["id"] == var_id:
                return var
        raise KeyError(var_id)

    @property
    def format(self) -> str | None:
        """The export format the codebook names, if any (the caller chooses the reader)."""
        return self.raw.get("format")

    @property
    def date_format(self) -> str:
        return self.raw.get("date_format", "%m/%d/%Y %I:%M:%S %p")


def load_codebook(path) -> Codebook:
    """Read and schema-check a codebook YAML file.

    Answer maps are read as the user meant them (:func:`answer_keys`): ``Yes: Yes``
    stays the text "Yes" (YAML 1.1 would read it as ``True``), and a map whose keys are
    all integers (``1: 5``, the natural way for an SPSS user) maps numeric codes: it is
    read as ``codes``. After validation every variable's ``values`` also holds its
    ``codes`` (keys as text), so that recoding sees one map.
    """
    data = load_yaml(path, loader=_CodebookLoader)
    if isinstance(data, dict) and isinstance(data.get("variables"), list):
        for i, var in enumerate(data["variables"]):
            if isinstance(var, dict):
                answer_keys(var, Path(path), i)
    validate(data, SCHEMA, path)
    for var in data["variables"]:
        if var["kind"] == "multi_select":
            _check_options(var, Path(path))
        if "codes" in var:
            var["values"] = {**var.get("values", {}), **var["codes"]}
    _check_distinct(data["variables"], Path(path))
    return Codebook(raw=data, path=Path(path))


def _check_distinct(variables: list[dict], path: Path) -> None:
    """Every variable's cleaned columns are its own: two variables with one ``id``, or an
    ``id`` that is also a multi-select option's column (``<question>__<option>``), would
    read two export columns into one name, and one of them would be lost."""
    seen: dict[str, int] = {}
    for i, var in enumerate(variables):
        for target, _ in option_targets(var):
            if target in seen:
                j = seen[target]
                first = variables[j]["id"]
                whose = "its id" if first == target else f"a column of {first!r}"
                raise InputError(
                    path,
                    f"variables.{i} ({var['id']}): column {target!r} is already "
                    f"variables.{j}'s ({whose}): each variable needs an id of its own",
                )
            seen[target] = i


_NUMBER = re.compile(r"-?[0-9]+(?:\.0+)?")


class _CodebookLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML as a codebook's author means it: only ``true``/``false`` are booleans, so
    that ``Yes: Yes`` and ``No: No`` stay answer texts (YAML 1.1 reads them as True and
    False)."""


_CodebookLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CodebookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _key_text(key):
    if isinstance(key, bool):
        return "Yes" if key else "No"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, int | float):
        return str(key)
    if isinstance(key, str) and _NUMBER.fullmatch(key.strip()):
        return str(int(float(key)))
    return key


def answer_keys(var: dict, path: Path, index: int) -> None:
    """Read a variable's answer maps as the user meant them, in place.

    Boolean keys (``true: ...``) and single-choice labels become "Yes"/"No". A
    ``values`` map whose keys are all numbers (``1: 5``, or ``"1": 5``) becomes
    ``codes``: it maps an export's numeric codes, not answer texts. ``codes`` keys become
    text ("1"). Anything else that is not a mapping is refused
    with one line naming the variable.
    """
    label = f"variables.{index} ({var.get('id', '?')})"
    for key in ("values", "codes"):
        if key not in var:
            continue
        table = var[key]
        if not isinstance(table, dict):
            raise InputError(
                path,
                f"{label}: {key} must be a mapping of answer -> code, not "
                f"{type(table).__name__} {str(table)[:40]!r}",
            )
        numeric = table and all(
            (isinstance(k, int | float) and not isinstance(k, bool))
            or (isinstance(k, str) and _NUMBER.fullmatch(k.strip()))
            for k in table
        )
        out = {}
        for k, v in table.items():
            if isinstance(v, bool) and var.get("kind") != "likert":
                v = "Yes" if v else "No"
            out[_key_text(k)] = v
        if key == "values" and numeric and "codes" not in var:
            del var["values"]
            var["codes"] = out
        else:
            var[key] = out


def option_slug(text: str) -> str:
    """The slug of a multi-select option's text, the part of its column name after
    ``__``: accents dropped (NFKD, ASCII), lower case, every run of other characters one
    ``_``, ``_`` stripped from the ends, "&" read as "and"; "Cabinet member" ->
    ``cabinet_member``, "CIO / senior director" -> ``cio_senior_director``."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def option_targets(var: dict) -> list[tuple[str, dict]]:
    """The export columns of a codebook variable: ``(column in the read export,
    locator)``, where the locator holds ``header``/``subheader`` and/or ``column``.

    A multi-select question has one per option: ``<id>__<slug>`` (the option's ``id``
    if given, else :func:`option_slug` of its ``text``), located by the question's
    ``header`` with the option's ``text`` as sub-header, or by the option's ``column``.
    Any other variable has one, its ``id``.
    """
    if var.get("kind") != "multi_select":
        return [(var["id"], var)]
    out = []
    for opt in var["options"]:
        loc = {"kind": "multi_select", "subheader": opt["text"]}
        if "header" in var:
            loc["header"] = var["header"]
        if "column" in opt:
            loc["column"] = opt["column"]
        out.append((f"{var['id']}__{opt.get('id') or option_slug(opt['text'])}", loc))
    return out


def _check_options(var: dict, path: Path) -> None:
    """A multi-select question's option columns are distinct and ``max_choices`` fits."""
    seen: dict[str, str] = {}
    for target, loc in option_targets(var):
        slug = target.split("__", 1)[1]
        if not re.fullmatch(r"[a-z0-9][a-z0-9_]*", slug):
            raise InputError(
                path,
                f"variable {var['id']!r}: option {loc['subheader']!r} has no usable column "
                "name: give it an `id` (lower case letters, digits, _)",
            )
        if target in seen:
            raise InputError(
                path,
                f"variable {var['id']!r}: options {seen[target]!r} and {loc['subheader']!r} "
                f"both become column {target!r}: give one an `id`",
            )
        seen[target] = loc["subheader"]
    if var.get("max_choices", 1) > len(var["options"]):
        raise InputError(
            path,
            f"variable {var['id']!r}: max_choices {var['max_choices']} exceeds its "
            f"{len(var['options'])} options",
        )


def codebook_from_instrument(instrument: Instrument, wave: str, columns: bool = False) -> dict:
    """Build the SurveyMonkey codebook of ``instrument`` (the export texts are the
    instrument's own texts). Used once to write ``data/raw/<wave>/codebook.yaml``.

    With ``columns=True`` every variable also gets ``column: <variable id>`` and every
    metadata entry ``names`` (its SurveyMonkey header, its Qualtrics column name, its
    role), so that the codebook also reads Qualtrics and SPSS exports whose columns are
    named after the variable ids; it then names no ``format`` (it serves all of them).
    """
    raw = instrument.raw
    variables = []
    for item in raw["respondent"]:
        variables.append(_choice_or_text(item))
    for item in raw["attitudes"]:
        variables.append(
            {
                "id": item["id"],
                "header": raw["attitudes_stem"],
                "subheader": item["text"],
                "kind": "likert",
                "values": dict(raw["likert"]),
            }
        )
    for section in ("strategy", "impact", "open_ended"):
        for item in raw.get(section, []) or []:
            variables.append(_choice_or_text(item))
    metadata = [{"header": h, "role": SURVEYMONKEY_METADATA[h]} for h in raw["export_metadata"]]
    if columns:
        variables = [_by_column(v) for v in variables]
        for meta in metadata:
            role = meta["role"]
            names = [meta["header"], QUALTRICS_METADATA.get(role), role]
            meta["names"] = list(dict.fromkeys(n for n in names if n))
            meta["role"] = meta.pop("role")  # keep `role` last
    codebook = {
        "wave": str(wave),
        "format": "surveymonkey",
        "instrument": "questionnaire.yaml",
        "date_format": "%m/%d/%Y %I:%M:%S %p",
        "metadata": metadata,
        "variables": variables,
    }
    if columns:
        del codebook["format"]
    return codebook


def _by_column(var: dict) -> dict:
    """``var`` also found by column name: its id, or ``<id>_<k>`` for option ``k`` (1..n) of
    a multi-select question (as Qualtrics and SPSS exports name them)."""
    if var["kind"] != "multi_select":
        return {"id": var["id"], "column": var["id"], **var}
    options = [{**opt, "column": f"{var['id']}_{k}"} for k, opt in enumerate(var["options"], 1)]
    return {**var, "options": options}


def _choice_or_text(item: dict) -> dict:
    if item.get("type") == "multi_select":
        var = {
            "id": item["id"],
            "header": item["text"],
            "kind": "multi_select",
            "options": [{"text": opt} for opt in item["options"]],
        }
        if "max_choices" in item:
            var["max_choices"] = int(item["max_choices"])
        return var
    if item.get("type") == "free_text":
        return {
            "id": item["id"],
            "header": item["text"],
            "subheader": "Open-Ended Response",
            "kind": "free_text",
        }
    return {
        "id": item["id"],
        "header": item["text"],
        "subheader": "Response",
        "kind": "single_choice",
        "ordered": item["id"] in ORDERED or bool(item.get("ordered", False)),
        "values": {opt: opt for opt in item["options"]},
    }
