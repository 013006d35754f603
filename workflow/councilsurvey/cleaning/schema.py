"""The schema of the cleaned responses (``responses.parquet``): the fixed columns of
``workflow/schemas/responses.schema.yaml`` and one column per codebook variable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pandera

from councilsurvey.cleaning.multiselect import option_columns
from councilsurvey.core.yamlio import load_yaml
from councilsurvey.inputs.codebook import Codebook

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "responses.schema.yaml"


def responses_schema(codebook: Codebook, frame: pd.DataFrame) -> pandera.DataFrameSchema:
    """The pandera schema of ``responses.parquet``, built from
    ``workflow/schemas/responses.schema.yaml`` and the codebook."""
    spec = load_yaml(SCHEMA)
    columns = {}
    for name, rule in spec["columns"].items():
        checks = []
        if "pattern" in rule:
            checks.append(pandera.Check.str_matches(rule["pattern"]))
        if rule.get("in_frame"):
            checks.append(pandera.Check.isin(list(frame[rule["in_frame"]].unique())))
        columns[name] = pandera.Column(
            rule["dtype"],
            checks,
            nullable=rule.get("nullable", False),
            unique=rule.get("unique", False),
        )
    kinds = spec["variables"]
    for var in codebook.variables:
        if var["id"] == "council_text":
            continue
        rule = kinds[var["kind"]]
        if var["kind"] == "single_choice":
            labels = list(dict.fromkeys(var["values"].values()))
            dtype = pd.CategoricalDtype(labels, ordered=bool(var.get("ordered", False)))
            columns[var["id"]] = pandera.Column(dtype, nullable=True)
        else:
            checks = []
            if "minimum" in rule:
                checks.append(pandera.Check.in_range(rule["minimum"], rule["maximum"]))
            for col in option_columns(var):  # one per option of a multi-select question
                columns[col] = pandera.Column(rule["dtype"], checks, nullable=True)
    return pandera.DataFrameSchema(columns, strict=True, ordered=True)


def validate_responses(responses: pd.DataFrame, codebook: Codebook, frame: pd.DataFrame) -> None:
    """Check cleaned data against its schema; raise ``ValueError`` on failure."""
    try:
        responses_schema(codebook, frame).validate(responses)
    except pandera.errors.SchemaError as exc:
        raise ValueError(f"cleaned data fails {SCHEMA.name}: {str(exc).splitlines()[0]}") from None
