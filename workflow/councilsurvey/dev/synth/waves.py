"""Building the bundled synthetic waves (2017: a SurveyMonkey CSV; 2019: an SPSS .sav) from
the project's reference files, with each wave's ``truth.csv``.

Nothing here runs the project's cleaner, matcher or classifier: the targets hold by
construction (see :mod:`~councilsurvey.dev.synth.population` and
:mod:`~councilsurvey.dev.synth.rules`), and :func:`drawn_figures` states the figures of
the respondents as drawn, computed here from the generator's own records. That the
pipeline's cleaning of the written export gives the same figures is a test
(``tests/test_synth.py``), not a step of the generator.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from councilsurvey.dev.synth.answers import generate, truth
from councilsurvey.dev.synth.exports import likert_texts, option_key, to_csv, to_sav
from councilsurvey.dev.synth.rules import CleaningRules, segment
from councilsurvey.dev.synth.texts import load_reference
from councilsurvey.inputs.instrument import Instrument

#: targets of the synthetic 2019 wave: smaller, with attitudes a little more positive
TARGETS_2019 = {
    "respondents": 652,
    "councils": 241,
    "enthusiasts": 335,
    "sceptics": 77,
    "wellbeing_positive": 0.70,
    "digital_strategy": 0.45,
    "big_data_positive": 0.74,
    "automation_positive": 0.66,
    "impact_positive": 0.74,
    "multi": {
        "digital_champion": {
            "A cabinet member": 0.52,
            "A chief information officer or senior director": 0.45,
            "The chief executive": 0.29,
            "The mayor": 0.21,
        },
        "impact_areas": {
            "Increasing the use of online services": 0.86,
            "Savings": 0.78,
            "Information sharing": 0.74,
            "Customer satisfaction": 0.66,
        },
        "top_challenges": {
            "Digital exclusion": 0.52,
            "Service design": 0.45,
            "Connectivity": 0.40,
            "Cyber security": 0.44,
            "Keeping pace with change": 0.35,
        },
    },
}
FIELDWORK_2019 = datetime(2019, 10, 14, 9, 0, 0)


@dataclass(frozen=True)
class Built:
    """A generated wave: the export's submissions (``rows``, export order, with the
    intended truth) and the figures of its respondents as drawn."""

    rows: pd.DataFrame
    instrument: Instrument
    figures: dict

    @property
    def truth(self) -> pd.DataFrame:
        return truth(self.rows)

    def truth_csv(self) -> bytes:
        """``truth.csv``: LF line ends, quoting only where needed."""
        buf = io.StringIO()
        self.truth.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue().encode("utf-8")


def drawn_figures(rows: pd.DataFrame, instrument: Instrument) -> dict:
    """The published figures of the submissions whose designed fate is ``respondent``,
    from the generator's own records (the segment rule of :func:`~.rules.segment`; an
    over-the-limit "choose up to N" answer outside its question's base)."""
    r = rows[rows["_fate"] == "respondent"]
    codes = {text: code for code, text in likert_texts(instrument).items()}

    def likert(col):
        return r[col].map(codes).astype(float).to_numpy()

    benefit = np.column_stack([likert(c) for c in instrument.benefit_ids])
    seg = pd.Series(segment(benefit)).value_counts()
    out = {
        "respondents": len(r),
        "councils": r["_code"].nunique(),
        "enthusiasts": int(seg.get("enthusiast", 0)),
        "sceptics": int(seg.get("sceptic", 0)),
    }
    for col, key in (
        ("att_wellbeing", "wellbeing_positive"),
        ("att_big_data", "big_data_positive"),
        ("att_automation", "automation_positive"),
    ):
        v = likert(col)
        v = v[~np.isnan(v)]
        out[key] = round(float((v >= 4).mean()), 4)
    ds = r["has_digital_strategy"][r["has_digital_strategy"].isin(["Yes", "No"])]
    out["digital_strategy"] = round(float((ds == "Yes").mean()), 4)
    if "overall_impact" in r:
        oi = r["overall_impact"][~r["overall_impact"].isin(["", "Don't know"])]
        out["impact_positive"] = round(float(oi.isin(["Positive", "Very positive"]).mean()), 4)
    multi = {}
    for item in instrument.multi_select_items:
        keys = [option_key(item["id"], o) for o in item["options"]]
        ticked = r[keys].fillna("").astype(str) != ""
        n = ticked.sum(axis=1)
        ok = (n > 0) & (n <= item.get("max_choices", len(keys)))
        multi[item["id"]] = {
            o: round(float(ticked.loc[ok, k].mean()), 4)
            for o, k in zip(item["options"], keys, strict=True)
        }
    out["multi"] = multi
    return out


def build(
    instrument_path,
    frame_path,
    outside_path,
    seed: int,
    config_path="config.yaml",
) -> Built:
    """Generate the 2017 wave (a SurveyMonkey CSV: :func:`to_csv` of ``Built.rows``)."""
    instrument, frame, outside = load_reference(instrument_path, frame_path, 353, outside_path)
    rules = CleaningRules.from_config(config_path)
    _, rows = generate(frame, outside, instrument, seed, rules)
    return Built(rows, instrument, drawn_figures(rows, instrument))


def export_bytes(built: Built) -> bytes:
    """The 2017 export's bytes."""
    from councilsurvey.dev.synth.exports import header_rows

    return to_csv(header_rows(built.instrument), built.rows, built.instrument)


def old_names_of(successors: pd.DataFrame, frame: pd.DataFrame, as_of: str) -> dict:
    """Successor code -> names of councils it replaced (unsplit, abolished by ``as_of``)."""
    succ = successors[successors["effective_date"].astype(str) <= as_of]
    single = succ.groupby("old_code").filter(lambda g: len(g) == 1)
    single = single[single["new_code"].isin(frame["code"])]
    return {code: sorted(g["old_name"]) for code, g in single.groupby("new_code")}


def build_2019(
    instrument_path,
    frame_path,
    outside_path,
    successors_path,
    out_path,
    seed: int = 2023,
    config_path="config.yaml",
) -> Built:
    """Generate the synthetic 2019 wave as an SPSS ``.sav`` (weighted to the 2019 frame),
    written to ``out_path``."""
    successors = pd.read_csv(successors_path, dtype=str)
    as_of = FIELDWORK_2019.date().isoformat()
    instrument, frame, outside = load_reference(instrument_path, frame_path, 343, outside_path)
    rules = CleaningRules.from_config(config_path)
    _, rows = generate(
        frame,
        outside,
        instrument,
        seed,
        rules,
        targets=TARGETS_2019,
        start=FIELDWORK_2019,
        theta_shift=0.25,
        old_names=old_names_of(successors, frame, as_of),
    )
    to_sav(rows, instrument, out_path, FIELDWORK_2019)
    return Built(rows, instrument, drawn_figures(rows, instrument))


def write_truth(built: Built, folder) -> Path:
    """Write ``truth.csv`` into ``folder``."""
    path = Path(folder) / "truth.csv"
    path.write_bytes(built.truth_csv())
    return path
