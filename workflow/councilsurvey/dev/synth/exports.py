"""Writing synthetic exports as the survey tool does: the SurveyMonkey CSV (two header
rows, CRLF line ends, minimal quoting) and its SPSS .sav export (numeric codes with value
labels), byte for byte the same for the same data.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
import pandas as pd

from councilsurvey.inputs.codebook import codebook_from_instrument, option_slug
from councilsurvey.inputs.instrument import SECTIONS, Instrument


def likert_texts(instrument: Instrument) -> dict[int, str]:
    """Likert code -> the export's answer text (1 "Strongly disagree" .. 5)."""
    return {code: text for text, code in instrument.likert.items() if code is not None}


def option_key(var_id: str, option: str) -> str:
    """The record key of one option's column of a multi-select question:
    ``<id>__<option slug>``, the name of its cleaned column."""
    return f"{var_id}__{option_slug(option)}"


def header_rows(instrument: Instrument) -> list[list[str]]:
    """The two header rows of a SurveyMonkey export of ``instrument``: metadata, then each
    question's text (a matrix stem, or a tick-all-that-apply question's text, over the
    first column of its block); "Response" or "Open-Ended Response" under single
    questions, each statement under the matrix, each option under a multi-select block."""
    raw = instrument.raw
    h1, h2 = list(raw["export_metadata"]), [""] * len(raw["export_metadata"])
    for section in SECTIONS:
        for j, item in enumerate(raw.get(section, []) or []):
            if section == "attitudes":
                h1.append(raw["attitudes_stem"] if j == 0 else "")
                h2.append(item["text"])
            elif item.get("type") == "multi_select":
                for k, option in enumerate(item["options"]):
                    h1.append(item["text"] if k == 0 else "")
                    h2.append(option)
            else:
                h1.append(item["text"])
                h2.append("Open-Ended Response" if item.get("type") == "free_text" else "Response")
    return [h1, h2]


def column_order(instrument: Instrument) -> list[str]:
    """Record keys in export column order: the metadata headers, then every question id
    (a multi-select question: one :func:`option_key` per option)."""
    keys = list(instrument.raw["export_metadata"])
    for var_id in instrument.question_ids:
        item = instrument.item(var_id)
        if item.get("type") == "multi_select":
            keys += [option_key(var_id, o) for o in item["options"]]
        else:
            keys.append(var_id)
    return keys


def to_csv(header: list[list[str]], rows: pd.DataFrame, instrument: Instrument) -> bytes:
    """The export as SurveyMonkey writes it (CRLF line ends, minimal quoting)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(header)
    keys = column_order(instrument)
    for rec in rows[keys].fillna("").itertuples(index=False):
        writer.writerow(list(rec))
    return buf.getvalue().encode("utf-8")


#: SurveyMonkey's SPSS export names its metadata variables like this
SPSS_METADATA = {
    "Respondent ID": "respondent_id",
    "Collector ID": "collector_id",
    "Start Date": "start_date",
    "End Date": "end_date",
    "IP Address": "ip_address",
    "Email Address": "email_address",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Custom Data 1": "custom_1",
}
SPSS_DONT_KNOW = 9


def spss_codebook(instrument: Instrument, wave: str) -> dict:
    """The codebook of an SPSS export: variables found by name (``column``), metadata by
    SurveyMonkey's SPSS variable names; answers are the value labels' texts."""
    cb = codebook_from_instrument(instrument, wave)
    cb["format"] = "spss"
    for meta in cb["metadata"]:
        meta["names"] = [SPSS_METADATA[meta["header"]]]
    for i, var in enumerate(cb["variables"]):
        if var["kind"] == "multi_select":  # one 0/1 variable per option, <id>_<k>
            del var["header"]
            for k, opt in enumerate(var["options"], 1):
                opt["column"] = f"{var['id']}_{k}"
        else:
            cb["variables"][i] = {"id": var["id"], "column": var["id"], **var}
    return cb


def to_sav(rows: pd.DataFrame, instrument: Instrument, path, when: datetime) -> None:
    """Write the export as SurveyMonkey's SPSS export does: numeric codes with value
    labels (Likert 1-5, Don't know 9; options 1..k), text for free text and metadata, and
    one 0/1 variable ``<id>_<k>`` per option of a multi-select question (1 labelled with
    the option's text).
    ``when`` is the creation time written into the file's header (see
    :func:`fix_sav_timestamp`)."""
    import pyreadstat

    out = pd.DataFrame()
    labels, value_labels = [], {}
    for header, name in SPSS_METADATA.items():
        col = rows[header].fillna("").astype(str)
        out[name] = pd.to_numeric(col) if name == "respondent_id" else col
        labels.append(header)
    likert = likert_texts(instrument)
    likert[SPSS_DONT_KNOW] = "Don't know"
    for var_id in instrument.question_ids:
        item = instrument.item(var_id)
        if item.get("type") == "multi_select":  # 1 = ticked (labelled), 0 = not
            for k, option in enumerate(item["options"], 1):
                name = f"{var_id}_{k}"
                ticked = rows[option_key(var_id, option)].fillna("").astype(str) != ""
                out[name] = ticked.astype(float)
                labels.append(f"{item['text']} - {option}")
                value_labels[name] = {1.0: option, 0.0: "Not selected"}
            continue
        values = rows[var_id].fillna("").astype(str)
        labels.append(item["text"])
        if item.get("type") == "free_text":
            out[var_id] = values
            continue
        if var_id in instrument.attitude_ids:
            mapping = {v: k for k, v in likert.items()}
            value_labels[var_id] = likert
        else:
            mapping = {opt: i + 1 for i, opt in enumerate(item["options"])}
            value_labels[var_id] = {i + 1: opt for i, opt in enumerate(item["options"])}
        out[var_id] = values.map(lambda v, m=mapping: m.get(v, np.nan)).astype(float)
    pyreadstat.write_sav(out, str(path), column_labels=labels, variable_value_labels=value_labels)
    fix_sav_timestamp(path, when)


def fix_sav_timestamp(path, when: datetime) -> None:
    """Overwrite the creation date and time in a ``.sav`` header (bytes 92-108), which
    pyreadstat sets to the time of writing, so that the same data give the same bytes."""
    with open(path, "r+b") as fh:
        header = fh.read(109)
        if header[:4] not in (b"$FL2", b"$FL3"):
            raise ValueError(f"{path}: not an SPSS system file")
        fh.seek(92)
        fh.write(when.strftime("%d %b %y").encode("ascii") + when.strftime("%H:%M:%S").encode())


def csv_body(table, chunk_rows: int = 250_000):
    """The rows of ``table`` as CSV bytes, in chunks: CRLF line ends and quotes only where
    needed, as :func:`to_csv` (Python's csv module) writes them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def escape(values):
        values = pc.fill_null(values, "")
        needs = pc.match_substring_regex(values, '[",\r\n]')
        if not pc.any(needs).as_py():
            return values
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        return pc.if_else(needs, quoted, values)

    columns = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if pa.types.is_dictionary(col.type):  # escape the vocabulary, not every row
            codes = col.indices
            columns.append((escape(col.dictionary).take(pc.fill_null(codes, 0)), codes))
        else:
            columns.append((escape(col), None))
    for start in range(0, table.num_rows, chunk_rows):
        cells = []
        for values, codes in columns:
            if codes is None:
                cells.append(values.slice(start, chunk_rows))
            else:
                part = codes.slice(start, chunk_rows)
                cells.append(pc.if_else(pc.is_null(part), "", values.slice(start, chunk_rows)))
        lines = pc.binary_join_element_wise(*cells, ",")
        lines = pc.binary_join_element_wise(lines, "", "\r\n")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
        data = lines.buffers()[2]
        yield data.slice(int(offsets[0]), int(offsets[len(lines)] - offsets[0])).to_pybytes()
