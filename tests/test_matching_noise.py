"""Council names typed as councillors type them, for every council of the real frames:
each kind of noise resolves to the right council, or is excluded, never to a wrong one."""

from __future__ import annotations

import csv
import random

import pytest

from councilsurvey.cleaning.matching import ABBREVIATIONS, CouncilMatcher
from councilsurvey.inputs.frame import load_frame, load_outside_england

from .conftest import OUTSIDE, ROOT, WAVE_FRAME


def frame_rows(path=WAVE_FRAME) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


ROWS = frame_rows()
BY_NAME = {r["name"]: r["code"] for r in ROWS}
SHORT = {full: short for short, full in ABBREVIATIONS.items() if short != "saint"}
SHORT["gloucestershire"] = "glos"


def ids(cases):
    return [c[0] for c in cases]


def suffix_for(row) -> list[str]:
    """The council-type words councillors put after a name."""
    return {
        "county": [" CC", " County Council", " County"],
        "district": [" DC", " BC", " District Council", " Borough Council"],
        "metropolitan": [" MBC", " Metropolitan Borough Council"],
        "london_borough": [" Council", " LB"],
        "unitary": [" Council"],
    }.get(row["type"], [" Council"])


def typed_variants(row) -> list[str]:
    name, official = row["name"], row["official_name"]
    out = [name, official, name.upper(), name.lower(), official.lower(), f"  {name}  "]
    out += [name + " Council", official.replace(" Council", "")]
    out += [name + s for s in suffix_for(row)]
    if row["type"] == "london_borough":
        out += [f"LB {name}", f"London Borough of {name}", f"LB of {name}", f"{name} LBC"]
    if official.startswith("Royal Borough of"):
        out += [f"Royal Borough of {name}", f"RB {name}"]
    if row["type"] == "district":
        out += [f"Borough of {name}"]
    if "City Council" in official:
        out += [f"City of {name}", f"{name} City Council", f"{name} City"]
    return out


@pytest.fixture(scope="module")
def matchers():
    outside = load_outside_england(OUTSIDE)
    out = {}
    for year in (2016, 2019, 2023):
        path = ROOT / "data" / "reference" / f"councils_england_{year}.csv"
        frame = load_frame(path, len(frame_rows(path)))
        out[year] = CouncilMatcher(frame, outside, threshold=80, margin=4)
    return out


@pytest.fixture(scope="module")
def m(matchers):
    return matchers[2016]


def assert_right(m, typed, code):
    got = m.match(typed)
    assert (got["status"], got["code"]) == ("matched", code), (typed, got)


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_every_council_typed_with_case_prefix_and_suffix(m, row):
    if row["name"] == "Newcastle upon Tyne":  # "newcastle city council": see below
        pytest.skip("official short name also begins Newcastle-under-Lyme")
    for typed in typed_variants(row):
        assert_right(m, typed, row["code"])


COUNTY_SHORT = [
    (row["name"], row["code"], word, short)
    for row in ROWS
    for word, short in SHORT.items()
    if word in row["name"].lower()
]


@pytest.mark.parametrize("name, code, word, short", COUNTY_SHORT, ids=ids(COUNTY_SHORT))
def test_every_council_named_after_a_county_with_its_short_form(m, name, code, word, short):
    abbreviated = name.lower().replace(word, short)
    for typed in (abbreviated, abbreviated.title(), abbreviated.title() + " Council"):
        assert_right(m, typed, code)


def test_every_county_with_its_short_form_is_in_the_list():
    counties = {r["name"].lower() for r in ROWS if r["type"] == "county"}
    covered = {c for c in counties if any(w in c for w in SHORT)}
    # every shire county of 2016 but those councillors do not shorten
    assert counties - covered == {
        "cumbria",
        "devon",
        "dorset",
        "east sussex",
        "essex",
        "kent",
        "norfolk",
        "somerset",
        "suffolk",
        "surrey",
        "west sussex",
    }


@pytest.mark.parametrize(
    "typed, name",
    [
        ("RBKC", "Kensington and Chelsea"),
        ("K&C", "Kensington and Chelsea"),
        ("B&NES", "Bath and North East Somerset"),
        ("BANES Council", "Bath and North East Somerset"),
        ("LBHF", "Hammersmith and Fulham"),
        ("H&F Council", "Hammersmith and Fulham"),
        ("RBWM", "Windsor and Maidenhead"),
        ("NE Lincs", "North East Lincolnshire"),
        ("N Lincs Council", "North Lincolnshire"),
        ("N Yorks CC", "North Yorkshire"),
        ("East Herts", "East Hertfordshire"),
        ("North Herts DC", "North Hertfordshire"),
        ("South Glos", "South Gloucestershire"),
        ("Central Beds", "Central Bedfordshire"),
        ("South Bucks", "South Bucks"),
        ("Bucks CC", "Buckinghamshire"),
        ("Oxon CC", "Oxfordshire"),
        ("Herts CC", "Hertfordshire"),
        ("Hertsmere BC", "Hertsmere"),
        ("IoW Council", "Isle of Wight"),
        ("Saint Helens", "St. Helens"),
        ("Kings Lynn & West Norfolk", "King's Lynn and West Norfolk"),
        ("Durham County Council", "County Durham"),
        ("Hull City Council", "Kingston upon Hull, City of"),
        ("Bristol City", "Bristol, City of"),
        ("City of London", "City of London"),
    ],
)
def test_initials_and_short_forms(m, typed, name):
    assert_right(m, typed, BY_NAME[name])


WITH_AND = [r for r in ROWS if " and " in r["name"] or "&" in r["name"]]


@pytest.mark.parametrize("row", WITH_AND, ids=[r["name"] for r in WITH_AND])
def test_single_councils_with_and_in_their_name_are_matched(m, row):
    name = row["name"]
    for typed in (name, name.replace(" and ", " & "), name.lower(), name + " Council"):
        assert_right(m, typed, row["code"])


TWINS = [
    (d["name"], d["code"], c["name"], c["code"])
    for d in ROWS
    if d["type"] == "district"
    for c in ROWS
    if c["code"] == d["parent_county_code"]
]


@pytest.mark.parametrize("district, d_code, county, c_code", TWINS, ids=ids(TWINS))
def test_two_councils_of_the_frame_in_one_answer_are_ambiguous(m, district, d_code, county, c_code):
    for typed in (
        f"{county} County and {district} District",
        f"{county} CC / {district} DC",
        f"{district} & {county}",
        f"{county}, {district}",
        f"{county} County Council and {district} Council",
    ):
        got = m.match(typed)
        assert got["status"] == "ambiguous" and got["code"] is None, (typed, got)
        assert set(got["candidates"].split(";")) == {d_code, c_code}
        assert got["note"].startswith("names two councils")


def slips(name: str, rng: random.Random, k: int) -> str:
    """``name`` with ``k`` typing slips (a swap of neighbours, a letter dropped or
    replaced), never in its first or last letter."""
    chars = list(name)
    for _ in range(k):
        if len(chars) < 4:
            break
        i = rng.randrange(1, len(chars) - 2)
        kind = rng.choice("sddr")
        if kind == "s":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind == "d":
            del chars[i]
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


@pytest.mark.parametrize("year", [2016, 2019, 2023])
def test_typos_are_never_matched_to_another_council(matchers, year):
    """Every council of the frame typed with one and with two slips, several times: no
    typo resolves to another council (unless it spells another council's name exactly,
    which no matcher can tell: "Boston" for Bolton), and most single slips are repaired."""
    m = matchers[year]
    rows = frame_rows(ROOT / "data" / "reference" / f"councils_england_{year}.csv")
    exact = {r["name"].lower() for r in rows} | {r["official_name"].lower() for r in rows}
    rng = random.Random(year)
    right = tried = 0
    for row in rows:
        for k in (1, 1, 1, 2, 2):
            typed = slips(row["name"], rng, k)
            if typed.lower() in exact:
                continue
            got = m.match(typed)
            if got["status"] == "matched":
                assert got["code"] == row["code"], (typed, row["name"], got)
            else:
                assert got["status"] != "outside_england", (typed, got)
            right += k == 1 and got["code"] == row["code"]
            tried += k == 1
    assert right / tried > 0.85


@pytest.mark.parametrize(
    "typed, status",
    [
        ("Tewksbury", "matched"),  # a slip in Tewkesbury: not Bury, which it contains
        ("Wyre Forrest", "matched"),  # not Wyre
        ("Herts", "matched"),  # Hertfordshire, not Hertsmere
        ("Warks", "matched"),  # Warwickshire, not Southwark
        ("Laton", "ambiguous"),  # one slip from Luton, two from Halton
        ("Kingston", "ambiguous"),  # upon Hull or upon Thames
        ("Newcastle", "ambiguous"),  # upon Tyne or under Lyme
        ("Richmond", "ambiguous"),  # Richmondshire or Richmond upon Thames
        ("Westshire District Council", "unmatched"),
    ],
)
def test_near_misses_are_never_another_council(m, typed, status):
    got = m.match(typed)
    assert got["status"] == status, got
    if status == "matched":
        expected = {
            "Tewksbury": "Tewkesbury",
            "Wyre Forrest": "Wyre Forest",
            "Herts": "Hertfordshire",
            "Warks": "Warwickshire",
        }[typed]
        assert got["code"] == BY_NAME[expected]


@pytest.mark.parametrize(
    "typed", ["Cardiff", "Rhondda Cynon Taf", "Glasgow City", "Fife Council", "Vale of Glamorgan"]
)
def test_welsh_and_scottish_councils(m, typed):
    assert m.match(typed)["status"] == "outside_england"
