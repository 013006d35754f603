"""Council-name matching: exact, normalised, fuzzy; outside England; never guessed."""

import pytest

from councilsurvey.cleaning.matching import normalise


@pytest.mark.parametrize(
    "typed, method",
    [
        ("Camden", "exact"),
        ("London Borough of Camden", "exact"),
        ("LB Camden", "normalised"),
        ("Camden Council", "normalised"),
        ("camden", "normalised"),
        ("  CAMDEN  council ", "normalised"),
        ("Camdem", "fuzzy"),
        ("Camdne", "fuzzy"),
    ],
)
def test_camden_variants(matcher, typed, method):
    m = matcher.match(typed)
    assert (m["status"], m["code"], m["method"]) == ("matched", "E09000007", method)


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Hull City Council", "E06000010"),
        ("Durham County Council", "E06000047"),
        ("Herefordshire", "E06000019"),
        ("Kent CC", "E10000016"),
        ("Bristol City Council", "E06000023"),
        ("St Helens", "E08000013"),
        ("Test Valley", "E07000093"),
        ("Sheffeild", "E08000019"),
        ("Northampton", "E07000154"),
        ("Northamptonshire County Council", "E10000021"),
    ],
)
def test_real_council_names(matcher, typed, code):
    assert matcher.match(typed)["code"] == code


@pytest.mark.parametrize(
    "typed",
    [
        "Cardiff Council",
        "City of Edinburgh Council",
        "Gwynedd",
        "Edinbrugh",
        "Glasgow City Council",
    ],
)
def test_welsh_and_scottish_councils_are_outside_england(matcher, typed):
    m = matcher.match(typed)
    assert m["status"] == "outside_england"
    assert m["code"][0] in "SW"


def test_a_slip_in_a_short_name_must_leave_others_two_slips_away(matcher):
    # one swap from Camden, but only two letters from Craven: in a six-letter name that is
    # too close to tell (a wrong council is worse than an exclusion)
    m = matcher.match("Cmaden")
    assert m["status"] == "ambiguous" and m["code"] is None
    assert set(m["candidates"].split(";")) == {"E09000007", "E07000163"}


def test_ambiguous_name_is_not_guessed(matcher):
    m = matcher.match("Kingston")  # Kingston upon Thames or Kingston upon Hull
    assert m["status"] == "ambiguous" and m["code"] is None
    assert set(m["candidates"].split(";")) == {"E06000010", "E09000021"}


@pytest.mark.parametrize(
    "typed", ["My local council", "N/A", "the council", "Borsetshire County Council", "Various"]
)
def test_unmatchable_names(matcher, typed):
    m = matcher.match(typed)
    assert m["status"] == "unmatched" and m["code"] is None


def test_threshold_is_respected(frame, matcher):
    from councilsurvey.cleaning.matching import CouncilMatcher

    strict = CouncilMatcher(frame, matcher.outside, threshold=99, margin=4)
    assert strict.match("Camdem")["status"] == "unmatched"
    assert matcher.match("Camdem")["status"] == "matched"


def test_frame_names_are_unambiguous_after_normalisation(frame):
    keys = {}
    for row in frame.itertuples():
        for label in {row.name, row.official_name} - {None}:
            if isinstance(label, str):
                keys.setdefault(normalise(label), set()).add(row.code)
    assert all(len(codes) == 1 for codes in keys.values())


def test_match_all_lists_each_distinct_name_once(matcher):
    table = matcher.match_all(["Camden", "camden", "Camden", None, "Cardiff"])
    assert list(table["typed"]) == ["Camden", "Cardiff", "camden"]


def test_matches_are_remembered_and_not_shared(frame):
    from councilsurvey.cleaning.matching import CouncilMatcher
    from councilsurvey.inputs.frame import load_outside_england

    from .conftest import OUTSIDE

    m = CouncilMatcher(frame, load_outside_england(OUTSIDE), threshold=80, margin=4)
    first = m.match("Camdem")
    first["code"] = "changed by the caller"
    again = m.match("Camdem")
    assert again["code"] != "changed by the caller"
    assert again == CouncilMatcher(frame, m.outside, threshold=80, margin=4).match("Camdem")
