"""Invented texts of the synthetic exports: people's names and free-text answers (council
names as respondents type them are :mod:`~councilsurvey.dev.synth.noise`'s).

Every name and answer here is invented.
"""

from __future__ import annotations

import pandas as pd

from councilsurvey.dev.synth.noise import TEST_COUNCIL, UNMATCHABLE, WELSH_SCOTTISH
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


def load_reference(
    instrument_path, frame_path, n_councils: int, outside_path
) -> tuple[Instrument, pd.DataFrame, pd.DataFrame]:
    """The instrument, the council frame (of ``n_councils`` councils) and the councils
    outside England that a wave is generated with."""
    instrument = load_instrument(instrument_path)
    frame = load_frame(frame_path, n_councils)
    outside = load_outside_england(outside_path)
    return instrument, frame, outside


__all__ = [
    "FIRST",
    "LAST",
    "ONE_THING",
    "TEST_COUNCIL",
    "UNMATCHABLE",
    "WELSH_SCOTTISH",
    "load_reference",
]
