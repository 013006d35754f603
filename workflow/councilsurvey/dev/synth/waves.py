"""Building the bundled synthetic waves (2017: a SurveyMonkey CSV; 2019: an SPSS .sav)
from the project's reference files, and checking them against their targets by running
the project's own clean stage on them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from councilsurvey.cleaning.matching import MATCHED, OUTSIDE, CouncilMatcher
from councilsurvey.dev.synth.answers import generate
from councilsurvey.dev.synth.exports import spss_codebook, to_csv, to_sav
from councilsurvey.dev.synth.population import PUBLISHED
from councilsurvey.dev.synth.texts import UNMATCHABLE, WELSH_SCOTTISH, load_reference
from councilsurvey.inputs.codebook import codebook_from_instrument
from councilsurvey.inputs.instrument import Instrument


def build(
    instrument_path,
    frame_path,
    outside_path,
    seed: int,
    threshold: float = 80.0,
    margin: float = 4.0,
) -> bytes:
    """Generate the export bytes from the project's own reference files."""
    instrument, frame, matcher = load_reference(
        instrument_path, frame_path, 353, outside_path, threshold, margin
    )
    for name in UNMATCHABLE:
        if matcher.match(name)["status"] == MATCHED:
            raise RuntimeError(f"synth: {name!r} is meant to be unmatchable but matches")
    for name in WELSH_SCOTTISH:
        if matcher.match(name)["status"] != OUTSIDE:
            raise RuntimeError(f"synth: {name!r} is not recognised as outside England")
    header, rows = generate(frame, matcher.outside, instrument, seed, matcher)
    data = to_csv(header, rows, instrument)
    check(data, instrument, frame, matcher)
    return data


def check(
    data: bytes,
    instrument: Instrument,
    frame: pd.DataFrame,
    matcher: CouncilMatcher,
    targets: dict | None = None,
    codebook=None,
    suffix: str = ".csv",
    read=None,
) -> dict:
    """Clean the generated export with the project's own clean stage and check that it
    gives the target figures (for 2017 the published ones); raise ``RuntimeError`` if not."""
    import tempfile

    from councilsurvey.analysis.segments import classify
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.inputs.codebook import Codebook
    from councilsurvey.inputs.export import read_surveymonkey

    t = targets or PUBLISHED
    if codebook is None:
        codebook = Codebook(codebook_from_instrument(instrument, "synth"), Path("codebook.yaml"))
    read = read or read_surveymonkey
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        result = clean(read(path, codebook), codebook, frame, matcher, b"synth-check", "synth")
    r = result.responses
    seg = classify(r, instrument.benefit_ids).value_counts()
    wb = r["att_wellbeing"].dropna()
    ds = r["has_digital_strategy"][r["has_digital_strategy"].isin(["Yes", "No"])]
    got = {
        "respondents": len(r),
        "councils": r["code"].nunique(),
        "enthusiasts": int(seg["enthusiast"]),
        "sceptics": int(seg["sceptic"]),
        "wellbeing_positive": float((wb >= 4).mean()),
        "digital_strategy": float((ds == "Yes").mean()),
    }
    for k in ("respondents", "councils", "enthusiasts", "sceptics"):
        if got[k] != t[k]:
            raise RuntimeError(f"synth: cleaned {k} = {got[k]}, target {t[k]}")
    if abs(got["wellbeing_positive"] - t["wellbeing_positive"]) > 0.005:
        raise RuntimeError(f"synth: wellbeing share {got['wellbeing_positive']:.4f}")
    if abs(got["digital_strategy"] - t["digital_strategy"]) > 0.02:
        raise RuntimeError(f"synth: strategy share {got['digital_strategy']:.4f}")
    kinds = result.log["reason"].value_counts()
    thin = {
        k: int(kinds.get(k, 0))
        for k in [
            "test_submission",
            "exact_duplicate",
            "partial",
            "resubmission",
            "outside_england",
            "council_name_variant",
        ]
        if kinds.get(k, 0) < 5
    }
    unmatched = int(kinds.get("council_unmatched", 0) + kinds.get("council_ambiguous", 0))
    if thin or unmatched < 5:
        raise RuntimeError(f"synth: fewer than 5 rows of {thin or 'unmatched councils'}")
    got["successor_repairs"] = int(kinds.get("council_successor", 0))
    return got


# --------------------------------------------------------------------------- wave 2019

#: targets of the synthetic 2019 wave: smaller, with attitudes a little more positive
TARGETS_2019 = {
    "respondents": 652,
    "councils": 241,
    "enthusiasts": 335,
    "sceptics": 77,
    "wellbeing_positive": 0.70,
    "digital_strategy": 0.45,
}
FIELDWORK_2019 = datetime(2019, 10, 14, 9, 0, 0)


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
    threshold: float = 80.0,
    margin: float = 4.0,
) -> dict:
    """Generate the synthetic 2019 wave as an SPSS ``.sav`` (weighted to the 2019 frame)."""
    from councilsurvey.inputs.codebook import Codebook
    from councilsurvey.inputs.export import read_export

    successors = pd.read_csv(successors_path, dtype=str)
    as_of = FIELDWORK_2019.date().isoformat()
    instrument, frame, matcher = load_reference(
        instrument_path,
        frame_path,
        343,
        outside_path,
        threshold,
        margin,
        successors=successors,
        as_of=as_of,
    )
    _, rows = generate(
        frame,
        matcher.outside,
        instrument,
        seed,
        matcher,
        targets=TARGETS_2019,
        start=FIELDWORK_2019,
        theta_shift=0.25,
        old_names=old_names_of(successors, frame, as_of),
    )
    to_sav(rows, instrument, out_path, FIELDWORK_2019)
    codebook = Codebook(spss_codebook(instrument, "2019"), Path("codebook.yaml"))
    return check(
        Path(out_path).read_bytes(),
        instrument,
        frame,
        matcher,
        targets=TARGETS_2019,
        codebook=codebook,
        suffix=".sav",
        read=lambda p, cb: read_export(p, cb, format="spss"),
    )
