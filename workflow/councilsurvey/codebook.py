"""Codebooks: how one wave's export names its columns and spells its answers.

A codebook maps every export column to a variable id of the instrument by its header
text (``header``, and ``subheader`` for the second header row), never by position, and
every answer text to a code: an integer for Likert items (``null`` for Don't know, which
is missing and never a 3), an option label for single-choice questions. Its shape is
checked against ``workflow/schemas/codebook.schema.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .instrument import ORDERED, Instrument
from .yamlio import load_yaml, validate

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "codebook.schema.yaml"

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
    def date_format(self) -> str:
        return self.raw.get("date_format", "%m/%d/%Y %I:%M:%S %p")


def load_codebook(path) -> Codebook:
    """Read and schema-check a codebook YAML file."""
    data = load_yaml(path)
    validate(data, SCHEMA, path)
    return Codebook(raw=data, path=Path(path))


def codebook_from_instrument(instrument: Instrument, wave: str) -> dict:
    """Build the SurveyMonkey codebook of ``instrument`` (the export texts are the
    instrument's own texts). Used once to write ``data/raw/<wave>/codebook.yaml``."""
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
    return {
        "wave": str(wave),
        "format": "surveymonkey",
        "instrument": "questionnaire.yaml",
        "date_format": "%m/%d/%Y %I:%M:%S %p",
        "metadata": [
            {"header": h, "role": SURVEYMONKEY_METADATA[h]} for h in raw["export_metadata"]
        ],
        "variables": variables,
    }


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
