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

from dataclasses import dataclass
from pathlib import Path

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
    """Read and schema-check a codebook YAML file."""
    data = load_yaml(path)
    validate(data, SCHEMA, path)
    return Codebook(raw=data, path=Path(path))


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
