"""Codebooks: how one wave's export names its columns and spells its answers.

A codebook maps every export column to a variable id of the instrument, never by
position: by its header text (``header``, and ``subheader`` for the second header row) in
a SurveyMonkey CSV or xlsx export, by its column name (``column`` for a variable,
``names`` for a metadata column) in a Qualtrics CSV or SPSS .sav export. It maps every
answer text to a code: an integer for Likert items (``null`` for Don't know, which is
missing and never a 3), an option label for single-choice questions (an SPSS export's
numeric codes are read as their value labels first, so the same texts apply). Its shape
is checked against ``workflow/schemas/codebook.schema.yaml``.
"""

from __future__ import annotations

import re
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
        if "codes" in var:
            var["values"] = {**var.get("values", {}), **var["codes"]}
    return Codebook(raw=data, path=Path(path))


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
    for item in raw["strategy"] + raw.get("open_ended", []):
        variables.append(_choice_or_text(item))
    metadata = [{"header": h, "role": SURVEYMONKEY_METADATA[h]} for h in raw["export_metadata"]]
    if columns:
        variables = [{"id": v["id"], "column": v["id"], **v} for v in variables]
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


def _choice_or_text(item: dict) -> dict:
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
        "ordered": item["id"] in ORDERED,
        "values": {opt: opt for opt in item["options"]},
    }
