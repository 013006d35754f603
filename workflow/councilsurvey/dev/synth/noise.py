"""How councillors type their council's name: the generator's own noise model.

Every submission's answer to "Which council are you an elected member of?" is drawn here,
with the kind of noise it carries (the ``noise`` column of ``truth.csv``). The model knows
nothing of the project's matcher: it writes what people write, from the council frame
alone (the frame's ``name``, ``official_name``, ``type`` and ``parent_county``).

Kinds of noise on the name of the English council a respondent sits on:

``exact``
    the frame's name or the official name, as written there ("Camden", "London Borough
    of Camden"; a frame name with a comma, "Bristol, City of", is typed as the official
    name).
``case``
    the exact text in lower or upper case ("camden", "CAMDEN COUNCIL").
``suffix``
    the council's kind added, changed or shortened: "Camden Council", "Dover DC",
    "Kent CC", "Bolton MBC", "Reading Borough", "Derby City".
``prefix``
    the kind in front: "LB Camden", "London Borough of Camden", "Royal Borough of
    Greenwich", "Borough of Poole", "City of York".
``abbreviation``
    county short forms ("Cambs", "Notts", "Herts", "Glos", "Northants", "Leics", "Lincs",
    "Oxon", "Bucks", "Beds", "Hants", "Wilts", "Worcs", "Staffs", "Lancs", "Derbys",
    "Warks") inside the name ("East Herts", "Notts CC"), well-known acronyms ("B&NES",
    "RBKC", "LBHF") and "&" for "and".
``punctuation``
    hyphens and apostrophes dropped or added ("Stoke on Trent", "Kings Lynn and West
    Norfolk", "St. Albans").
``typo``
    one or two slips of the keyboard in the name (a letter dropped, doubled, swapped with
    its neighbour, or replaced by the key next to it), sometimes with " Council" after it.

And the kinds of answers that name no single English council (the submission's designed
fate is an exclusion): ``twin_hatted`` (a member of a county and one of its districts
naming both: "Kent County Council and Dover District Council", "Norfolk CC / Broadland
DC"), ``blank``, ``officer`` (an officer describing themselves: "Head of digital, Camden
Council (officer)"), ``outside_england`` (a Welsh or Scottish council), ``unmatchable``
(an invention: "My local council", "Borsetshire County Council"), ``ambiguous`` (a name
two councils share: "Kingston", "Richmond") and ``test``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: how the 808 respondents' names are typed (a kind that does not apply to a council,
#: e.g. an abbreviation of a name with no county in it, falls back to ``suffix``)
NOISE_SHARES = {
    "exact": 0.58,
    "case": 0.07,
    "suffix": 0.13,
    "prefix": 0.05,
    "abbreviation": 0.05,
    "punctuation": 0.02,
    "typo": 0.10,
}
#: county short forms, as people write them
COUNTY_SHORT = {
    "Bedfordshire": "Beds",
    "Buckinghamshire": "Bucks",
    "Cambridgeshire": "Cambs",
    "Derbyshire": "Derbys",
    "Gloucestershire": "Glos",
    "Hampshire": "Hants",
    "Hertfordshire": "Herts",
    "Lancashire": "Lancs",
    "Leicestershire": "Leics",
    "Lincolnshire": "Lincs",
    "Northamptonshire": "Northants",
    "Nottinghamshire": "Notts",
    "Oxfordshire": "Oxon",
    "Staffordshire": "Staffs",
    "Warwickshire": "Warks",
    "Wiltshire": "Wilts",
    "Worcestershire": "Worcs",
}
#: acronyms and short names of whole councils (frame name -> what people type)
ACRONYMS = {
    "Bath and North East Somerset": ["B&NES", "BANES Council"],
    "Kensington and Chelsea": ["RBKC"],
    "Hammersmith and Fulham": ["LBHF"],
    "Kingston upon Hull, City of": ["Hull City Council", "Hull"],
}
#: names two councils of the frame answer to (typed by a member of the first council)
AMBIGUOUS = {
    "Kingston": ["Kingston upon Thames", "Kingston upon Hull, City of"],
    "Richmond": ["Richmond upon Thames", "Richmondshire"],
}
#: the kind of council an official name's last words say, and its short forms
SUFFIXES = [
    ("Metropolitan Borough Council", ["MBC", "Metropolitan Borough", "Borough Council"]),
    ("Metropolitan District Council", ["MDC", "Council"]),
    ("District Council", ["DC", "District", "District Council"]),
    ("Borough Council", ["BC", "Borough", "Borough Council"]),
    ("City Council", ["City", "City Council"]),
    ("County Council", ["CC", "County", "County Council"]),
]
TEST_COUNCIL = "TEST - please ignore"
#: officers answering by mistake ({name}: a council's name, {official}: its official name)
OFFICER = [
    "Head of digital, {official} (officer)",
    "I am an officer not a councillor",
    "Council officer - {name}",
    "{official} - ICT manager (officer, not a member)",
    "Not a councillor: digital services lead at {name}",
    "Officer, {official}",
]
#: how a member of a county and one of its districts names both
TWIN = [
    "{county} County Council and {district_official}",
    "{county} CC / {district} {district_short}",
    "{district} and {county}",
    "{county} County and {district} {district_kind}",
    "{district_official} & {county} County Council",
]
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
    "Various",
    "Parish council",
]
#: keys next to each other on a UK keyboard, for slips
_NEAR = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "y": "tu",
}


def base_name(name: str) -> str:
    """The name people use: the frame's name without ", City of" / ", County of"."""
    return re.sub(r", (City|County) of$", "", str(name))


def _official(row) -> str:
    official = row["official_name"]
    return official if isinstance(official, str) and official else base_name(row["name"])


def _kind(official: str) -> tuple[str, list[str]] | None:
    for full, short in SUFFIXES:
        if official.endswith(full):
            return full, short
    return None


def exact(rng, row) -> str:
    """The frame's name or the official name (half each; the official one for a frame
    name with a comma)."""
    if "," in str(row["name"]) or rng.random() < 0.5:
        return _official(row)
    return str(row["name"])


def variants(row) -> dict[str, list[str]]:
    """Every way of typing council ``row`` (a frame row) by kind of noise, but typos (drawn
    at random: :func:`typo`) and case (of the exact texts)."""
    name, base, official = str(row["name"]), base_name(row["name"]), _official(row)
    out: dict[str, list[str]] = {k: [] for k in ("suffix", "prefix", "abbreviation")}
    kind = _kind(official)
    out["suffix"].append(f"{base} Council")
    if kind:
        out["suffix"] += [f"{base} {s}" for s in kind[1]]
    if row["type"] == "london_borough":
        if official.startswith("Royal Borough of"):
            out["prefix"] += [f"Royal Borough of {base}", f"RB {base}"]
        else:
            out["prefix"] += [f"LB {base}", f"London Borough of {base}", f"LB of {base}"]
    elif kind and kind[0] == "Borough Council":
        out["prefix"].append(f"Borough of {base}")
    elif kind and kind[0] == "City Council" and not base.startswith("City"):
        out["prefix"].append(f"City of {base}")
    if official.startswith("Royal Borough of") and row["type"] != "london_borough":
        out["prefix"].append(f"RB {base}")
    for full, short in COUNTY_SHORT.items():
        if full in base:
            typed = base.replace(full, short)
            out["abbreviation"] += [typed, f"{typed} Council"]
            if row["type"] == "county":
                out["abbreviation"] += [f"{typed} CC", f"{typed} County Council"]
    out["abbreviation"] += ACRONYMS.get(name, [])
    if " and " in base and row["type"] != "county":
        out["abbreviation"].append(base.replace(" and ", " & "))
    punct = []
    if "-" in base:
        punct.append(base.replace("-", " "))
    if "'" in base:
        punct.append(base.replace("'", ""))
    if base.startswith("St "):
        punct.append("St. " + base[3:])
    out["punctuation"] = punct
    exacts = {name.casefold(), official.casefold()}
    return {
        k: [v for v in dict.fromkeys(vs) if v.casefold() not in exacts] for k, vs in out.items()
    }


def typo(rng, text: str) -> str:
    """One slip of the keyboard (two, one time in five, in a name of ten letters or more)
    in ``text``, never in its first letter: a letter dropped, doubled, swapped with the
    next, or hit next to."""
    chars = list(text)
    long = sum(c.isalpha() for c in text) >= 10
    for _ in range(2 if long and rng.random() < 0.2 else 1):
        letters = [i for i in range(1, len(chars) - 1) if chars[i].isalpha()]
        i = int(rng.choice(letters))
        how = rng.integers(4)
        if how == 0:
            del chars[i]
        elif how == 1:
            chars.insert(i, chars[i])
        elif how == 2 and chars[i + 1].isalpha() and chars[i + 1] != chars[i]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            near = _NEAR.get(chars[i].lower(), "")
            if near:
                c = str(rng.choice(list(near)))
                chars[i] = c.upper() if chars[i].isupper() else c
            else:
                del chars[i]
    return "".join(chars)


class NameTyper:
    """Types council names as councillors do (see the module), for one frame.

    Parameters
    ----------
    frame : DataFrame
        The council frame (``code``, ``name``, ``official_name``, ``type``,
        ``parent_county``).
    test_markers : list of str
        The cleaning rules' test marker words: a name that has one ("Test Valley") is
        only typed exactly, as a typo of it would look like a test submission.
    officer_markers : list of str
        The cleaning rules' officer markers: an officer's answer uses a template with one
        (:data:`OFFICER`).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        test_markers=("test", "testing", "dummy"),
        officer_markers=("officer", "not a councillor"),
    ):
        self.frame = frame.set_index("code", drop=False)
        self.officer_markers = [m.casefold() for m in officer_markers]
        self.officer_templates = [
            t for t in OFFICER if any(m in t.casefold() for m in self.officer_markers)
        ]
        if not self.officer_templates:
            raise ValueError("synth: no officer answer has an officer marker of the rules")
        self.names = {str(n).casefold() for n in frame["name"]} | {
            str(n).casefold() for n in frame["official_name"].dropna()
        }
        self.names |= {base_name(n).casefold() for n in frame["name"]}
        self.markers = [m.casefold() for m in test_markers]

    def _marked(self, text: str) -> bool:
        words = re.findall(r"[a-z]+", text.casefold())
        return any(m in words for m in self.markers)

    def type(self, rng, code: str, kind: str | None = None) -> tuple[str, str]:
        """``(typed text, kind of noise)`` for a member of council ``code``; ``kind``
        drawn from :data:`NOISE_SHARES` unless given."""
        row = self.frame.loc[code]
        if kind is None:
            keys = list(NOISE_SHARES)
            p = np.array([NOISE_SHARES[k] for k in keys])
            kind = str(rng.choice(keys, p=p / p.sum()))
        if self._marked(str(row["name"])):
            kind = "exact"
        if kind == "exact":
            return exact(rng, row), "exact"
        if kind == "case":
            text = exact(rng, row)
            if rng.random() < 0.3:
                text = f"{base_name(row['name'])} Council"
            return (text.lower() if rng.random() < 0.65 else text.upper()), "case"
        if kind == "typo":
            base = base_name(row["name"])
            if len(base.replace(" ", "")) < 7:
                return self.type(rng, code, "suffix")
            for _ in range(20):
                text = typo(rng, base)
                if text.casefold() not in self.names and not self._marked(text):
                    return (text + " Council" if rng.random() < 0.3 else text), "typo"
            return self.type(rng, code, "suffix")
        options = variants(row).get(kind, [])
        if not options:
            return self.type(rng, code, "suffix" if kind != "suffix" else "exact")
        return str(rng.choice(options)), kind

    def twin_hatted(self, rng, district_code: str) -> tuple[str, str]:
        """A member of district ``district_code`` and of its county naming both, and the
        code of the first-named council."""
        d = self.frame.loc[district_code]
        county = self.frame[self.frame["name"] == d["parent_county"]].iloc[0]
        official = _official(d)
        kind = _kind(official)
        template = str(rng.choice(TWIN))
        text = template.format(
            county=county["name"],
            district=base_name(d["name"]),
            district_official=official,
            district_short=kind[1][0] if kind else "Council",
            district_kind=kind[1][1] if kind else "Council",
        )
        first = county["code"] if template.startswith("{county}") else d["code"]
        return text, str(first)

    def officer(self, rng, code: str) -> str:
        """An officer of council ``code`` describing themselves in the council answer."""
        row = self.frame.loc[code]
        template = str(rng.choice(self.officer_templates))
        return template.format(name=base_name(row["name"]), official=_official(row))

    def ambiguous(self, rng) -> tuple[str, str]:
        """A name two councils share, and the code of the council the member sits on."""
        text = str(rng.choice(list(AMBIGUOUS)))
        first = self.frame[self.frame["name"] == AMBIGUOUS[text][0]]
        return text, str(first["code"].iloc[0]) if len(first) else ""
