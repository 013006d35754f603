"""Invented texts of the synthetic exports: people's names, free-text answers, and council
names as respondents type them.

Every name and answer here is invented. A council name is typed as the frame's name, the
official name or a variant (case, "Council" suffixes, "LB ...", misspellings: see
:func:`name_variants`), and a variant is used only where the project's matcher still
gives the council, so that the cleaned data have exactly the target councils.
"""

from __future__ import annotations

import pandas as pd

from councilsurvey.cleaning.matching import MATCHED, CouncilMatcher
from councilsurvey.inputs.frame import load_frame, load_outside_england
from councilsurvey.inputs.instrument import Instrument, load_instrument

FIRST = [
    "Alice",
    "Amir",
    "Andrew",
    "Angela",
    "Ben",
    "Bernadette",
    "Catherine",
    "Chris",
    "Daniel",
    "Deborah",
    "Edward",
    "Fatima",
    "Fiona",
    "Gareth",
    "Grace",
    "Harjit",
    "Helen",
    "Ian",
    "Imran",
    "Jane",
    "John",
    "Judith",
    "Karen",
    "Keith",
    "Lesley",
    "Liam",
    "Margaret",
    "Mark",
    "Nadia",
    "Neil",
    "Olu",
    "Patricia",
    "Paul",
    "Priya",
    "Rachel",
    "Richard",
    "Robert",
    "Ruth",
    "Sarah",
    "Shaun",
    "Simon",
    "Sunita",
    "Susan",
    "Terry",
    "Tom",
    "Valerie",
    "William",
    "Yasmin",
]
LAST = [
    "Ahmed",
    "Atkinson",
    "Bailey",
    "Begum",
    "Brown",
    "Campbell",
    "Clarke",
    "Cooper",
    "Davies",
    "Edwards",
    "Evans",
    "Fletcher",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Khan",
    "King",
    "Lewis",
    "Martin",
    "Moore",
    "Morris",
    "Nolan",
    "Okafor",
    "Palmer",
    "Patel",
    "Roberts",
    "Robinson",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "White",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]
ONE_THING = [
    "Better broadband across the rural parts of the district",
    "Leadership from the top that treats digital as more than an IT project",
    "Training for members so we can challenge officers properly",
    "Joined-up systems with health and the police",
    "Money to invest up front; savings come later",
    "Residents who are not online must not be left behind",
    "Sharing platforms with neighbouring councils instead of buying our own",
    "A clear digital strategy agreed by full council",
    "Open data published by default",
    "Fewer legacy contracts locking us in to old suppliers",
    "Better use of the data we already hold",
    "Staff with modern digital skills",
    "Simpler online forms for council tax and benefits",
    "Honest conversations about cyber security risks",
    "Happy to discuss further - email me at {email}",
    "Call me on {phone} if you want examples from our ward",
    "See our consultation at www.example-council.gov.uk/digital",
    "Our community hub at {postcode} shows what works",
]
#: the council a test submission names
TEST_COUNCIL = "TEST - please ignore"
WELSH_SCOTTISH = [
    "Cardiff Council",
    "City of Edinburgh Council",
    "Gwynedd",
    "Glasgow City Council",
    "Fife Council",
    "Edinbrugh",
    "Swansea",
    "Aberdeenshire Council",
    "Powys County Council",
    "Highland Council",
    "Newport City Council",
    "Monmouthshire",
]
UNMATCHABLE = [
    "My local council",
    "Borsetshire County Council",
    "N/A",
    "Loamshire District Council",
    "the council",
    "Kingston",
    "Various",
    "Parish council",
]


def name_variants(name: str, official: str, ctype: str) -> list[str]:
    base = name.replace(", City of", "").replace(", County of", "")
    out = [f"{base} Council", base.lower(), base.upper()]
    if ctype == "london_borough":
        out += [f"LB {base}", f"London Borough of {base}"]
    if ctype == "county":
        out += [f"{base} County Council", f"{base} CC"]
    if ctype == "district":
        out += [f"{base} District Council", f"{base} DC"]
    if len(base) > 6:  # misspellings: a dropped letter, two swapped letters
        i = len(base) // 2
        out += [base[:i] + base[i + 1 :], base[: i - 1] + base[i] + base[i - 1] + base[i + 1 :]]
    return out


def council_texts(
    rng,
    df,
    frame,
    matcher: CouncilMatcher,
    variant_share=0.12,
    old_names: dict | None = None,
    old_share: float = 0.3,
) -> list[str]:
    """How each respondent typed the council's name; variants checked to match.

    ``old_names`` (successor code -> names of the councils it replaced) makes some members
    of merged councils type a predecessor's name, as real respondents do.
    """
    f = frame.set_index("code")
    texts = []
    for code in df["code"]:
        name, official = f.loc[code, "name"], f.loc[code, "official_name"]
        ctype = f.loc[code, "type"]
        if old_names and code in old_names and rng.random() < old_share:
            text = str(rng.choice(old_names[code]))
            m = matcher.match(text)
            texts.append(text if m["status"] == MATCHED and m["code"] == code else name)
        elif rng.random() < variant_share:
            options = name_variants(name, official, ctype)
            rng.shuffle(options)
            for text in options:
                m = matcher.match(text)
                if m["status"] == MATCHED and m["code"] == code and m["method"] != "exact":
                    texts.append(text)
                    break
            else:
                texts.append(name)
        else:
            texts.append(official if isinstance(official, str) and rng.random() < 0.5 else name)
    return texts


def council_name_variants(frame: pd.DataFrame, matcher: CouncilMatcher) -> dict[str, list[str]]:
    """Per council code: ways of typing its name that the matcher (normalised or fuzzy)
    still gives that council, misspellings included (see :func:`name_variants`)."""
    out = {}
    for row in frame.itertuples(index=False):
        official = getattr(row, "official_name", None)
        ok = []
        for text in dict.fromkeys(name_variants(row.name, official, row.type)):
            m = matcher.match(text)
            if m["status"] == MATCHED and m["code"] == row.code and m["method"] != "exact":
                ok.append(text)
        out[row.code] = ok
    return out


def load_reference(
    instrument_path,
    frame_path,
    n_councils: int,
    outside_path,
    threshold: float = 80.0,
    margin: float = 4.0,
    **matcher_options,
) -> tuple[Instrument, pd.DataFrame, CouncilMatcher]:
    """The instrument, the council frame (of ``n_councils`` councils) and the project's
    matcher over it and the councils outside England, which a wave is generated with
    (``matcher_options``: successors and their date, see
    :class:`~councilsurvey.cleaning.matching.CouncilMatcher`)."""
    instrument = load_instrument(instrument_path)
    frame = load_frame(frame_path, n_councils)
    outside = load_outside_england(outside_path)
    matcher = CouncilMatcher(frame, outside, threshold=threshold, margin=margin, **matcher_options)
    return instrument, frame, matcher
