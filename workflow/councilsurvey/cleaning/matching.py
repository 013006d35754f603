"""Matching typed council names to frame codes.

Councillors type their council's name every which way ("LB Camden", "Camden Council",
"London Borough of Camden", "camden", "Camdem", "Herts CC", "RBKC"). A name is matched in
stages, and the first stage that decides wins:

1. ``exact``: the text equals a frame name or official name;
2. ``normalised``: equal after :func:`normalise` (case, punctuation, generic words such
   as "Council", "London Borough of", "LB", "MBC", "DC", "CC" removed; county short forms
   such as "Herts", "Cambs", "Notts" and initials such as "RBKC", "B&NES" written out);
3. ``successor``: the name of a council abolished before the wave (when a successor map
   is given);
4. ``outside_england``: exact or normalised match to a council of Wales or Scotland;
5. ``two councils``: the text joins two names that each match a different council
   exactly or after normalisation ("Kent County and Dover District", "Norfolk CC /
   Broadland DC"): ``ambiguous``, because the answers could be about either. A council
   whose own name holds "and" ("Brighton and Hove", "Bath and North East Somerset") was
   matched whole at stage 1 or 2 and never gets here;
6. ``fuzzy``: the normalised text's similarity to a council's (rapidfuzz ``ratio``, the
   edit-based similarity of the whole texts, 0-100) reaches the threshold and no other
   council scores within the ambiguity margin; a fuzzy best match outside England is
   ``outside_england``. The whole-text ratio, not a partial or token-set score, so that a
   longer name is never matched to a shorter council it contains ("Tewkesbury" is not
   "Bury", "Wyre Forest" not "Wyre"). A fuzzy match must also be within one typing slip
   (names of up to six letters) or two (longer names) of the council, counting a swap of
   neighbours as one slip (optimal string alignment distance), and every other council
   must be further away: by two slips for names of up to eight letters, where two slips
   turn one council's name into another's ("Bornley": Burnley or Barnsley?), else by one.
   A name that begins several councils' names ("Kingston", "Richmond") is ``ambiguous``.

Names that reach the threshold for more than one council are ``ambiguous``; the rest
are ``unmatched``. Neither is ever guessed: they are excluded and listed. Precision
comes before recall: a wrong council puts a councillor's answers on another council,
which no weighting undoes, while an exclusion only costs a respondent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

_PHRASES = [
    "city and county of",
    "borough council of",
    "council of the",
    "the royal borough of",
    "lb of",
    "rb of",
    "london borough of",
    "royal borough of",
    "metropolitan borough of",
    "borough of",
    "county of",
    "city of",
    "district of",
    "corporation of",
]
_SUFFIXES = [
    "city and district council",
    "city and district",
    "metropolitan borough council",
    "metropolitan district council",
    "borough council",
    "district council",
    "county council",
    "city council",
    "unitary council",
    "unitary authority",
    "metropolitan borough",
    "metropolitan district",
    "council",
    "corporation",
    "mbc",
    "mdc",
    "lbc",
    "dc",
    "cc",
    "bc",
    "ua",
    "rbc",
    "lb",
    # a bare council type after the name ("Kent County", "Leeds City", "Dover District")
    "county",
    "city",
    "district",
    "borough",
]
_PREFIXES = ["the", "lb", "rb", "lbo"]
#: county short forms, written out wherever they stand as a word ("Herts CC",
#: "East Herts", "South Glos", "Central Beds", "NE Lincs")
ABBREVIATIONS = {
    "beds": "bedfordshire",
    "berks": "berkshire",
    "bucks": "buckinghamshire",
    "cambs": "cambridgeshire",
    "derbys": "derbyshire",
    "glos": "gloucestershire",
    "gloucs": "gloucestershire",
    "hants": "hampshire",
    "herts": "hertfordshire",
    "lancs": "lancashire",
    "leics": "leicestershire",
    "lincs": "lincolnshire",
    "northants": "northamptonshire",
    "notts": "nottinghamshire",
    "oxon": "oxfordshire",
    "salop": "shropshire",
    "staffs": "staffordshire",
    "warks": "warwickshire",
    "wilts": "wiltshire",
    "worcs": "worcestershire",
    "yorks": "yorkshire",
    "saint": "st",
}
#: a compass point abbreviated as the first word of a longer name ("N Yorks", "NE Lincs")
_DIRECTIONS = {
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ne": "north east",
    "nw": "north west",
    "se": "south east",
    "sw": "south west",
}
#: whole names councillors write as initials (after lower-casing, "&" -> "and",
#: punctuation removed and the generic words above stripped)
INITIALISMS = {
    "rbkc": "kensington and chelsea",
    "k and c": "kensington and chelsea",
    "lbhf": "hammersmith and fulham",
    "h and f": "hammersmith and fulham",
    "rbwm": "windsor and maidenhead",
    "rbk": "kingston upon thames",
    "rbg": "greenwich",
    "lbbd": "barking and dagenham",
    "lbth": "tower hamlets",
    "b and nes": "bath and north east somerset",
    "banes": "bath and north east somerset",
    "bnes": "bath and north east somerset",
    "b and h": "brighton and hove",
    "cwac": "cheshire west and chester",
    "iow": "isle of wight",
    "bcp": "bournemouth christchurch and poole",
}
#: what joins the names of two councils in one answer ("Kent CC / Dover DC")
_JOINS = re.compile(r"\s*(?:/|&|\+|;|,|\band\b)\s*", re.I)

MATCHED, OUTSIDE, AMBIGUOUS, UNMATCHED = "matched", "outside_england", "ambiguous", "unmatched"


def max_edits(key: str) -> int:
    """Typing slips a fuzzy match may differ by: one in a name of up to six letters
    (two slips turn one short name into another: "Luton", "Glton", "Melton"), two in a
    longer one.

    >>> max_edits("luton"), max_edits("wealden")
    (1, 2)
    """
    return 1 if len(key.replace(" ", "")) <= 6 else 2


def normalise(name: str, expand: bool = True) -> str:
    """A comparison key for a council name.

    Examples
    --------
    >>> normalise("London Borough of Camden")
    'camden'
    >>> normalise("LB Camden")
    'camden'
    >>> normalise("Bristol, City of")
    'bristol'
    >>> normalise("St. Helens Council")
    'st helens'
    >>> normalise("Herts CC")
    'hertfordshire'
    >>> normalise("NE Lincs")
    'north east lincolnshire'
    >>> normalise("B&NES")
    'bath and north east somerset'
    >>> normalise("King's Lynn")
    'kings lynn'
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"['`]", "", text)  # "King's Lynn" -> "kings lynn"
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    words = text.split()
    if expand:  # short forms written out (expand=False: as typed, for fuzzy candidates)
        words = [w for word in words for w in ABBREVIATIONS.get(word, word).split()]
        if len(words) > 1 and words[0] in _DIRECTIONS:
            words = _DIRECTIONS[words[0]].split() + words[1:]
    text = " ".join(words)
    text = INITIALISMS.get(text, text) if expand else text
    original = text
    for phrase in _PHRASES:
        text = re.sub(rf"(^| ){phrase}( |$)", " ", text).strip()
    changed = True
    while changed and text:
        changed = False
        for suffix in _SUFFIXES:
            if text.endswith(" " + suffix) or text == suffix:
                text = text[: -len(suffix)].strip()
                changed = True
        for prefix in _PREFIXES:
            if text.startswith(prefix + " "):
                text = text[len(prefix) + 1 :].strip()
                changed = True
    text = INITIALISMS.get(text, text) if expand else text
    return text or original


def _plain(name: str) -> str:
    """A name in lower case without punctuation, its generic words kept."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"['`]", "", text.casefold().replace("&", " and "))
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())


@dataclass
class CouncilMatcher:
    """Match typed names against the frame and a list of councils outside England.

    Parameters
    ----------
    frame : DataFrame
        Council frame with ``code``, ``name`` and optionally ``official_name``.
    outside : DataFrame
        Councils of Wales and Scotland with ``code`` and ``name``.
    threshold : float
        Minimum rapidfuzz ``ratio`` (0-100) of the normalised texts for a fuzzy match.
    margin : float
        A fuzzy best match whose runner-up (another council) scores within this margin is
        ambiguous.
    min_fuzzy_length : int
        Shorter normalised names ("N/A", "the council") are never matched fuzzily.
    successors : DataFrame, optional
        Councils abolished since the names were current (``old_code``, ``old_name``,
        ``new_code``, ``effective_date``): a name of a council abolished on or before
        ``as_of`` is matched to its successor in the frame (method ``successor``); a
        council split between several successors is ambiguous.
    as_of : str, optional
        ISO date for the successor map: the wave's fieldwork start, or when the exact dates
        are not known the day before its ``end_before`` date
        (:func:`councilsurvey.inputs.fieldwork.successors_as_of`).
    """

    frame: pd.DataFrame
    outside: pd.DataFrame
    threshold: float = 88.0
    margin: float = 4.0
    min_fuzzy_length: int = 4
    successors: pd.DataFrame | None = None
    as_of: str | None = None

    def __post_init__(self):
        self._frame_codes = set(self.frame["code"])
        #: typed text -> result of :meth:`match` (a wave repeats few distinct names)
        self._cache: dict[str, dict] = {}
        self._exact: dict[str, str] = {}
        self._keys: dict[str, set[str]] = {}
        self._outside_keys: dict[str, str] = {}
        self._names = dict(zip(self.frame["code"], self.frame["name"], strict=True))
        for row in self.frame.itertuples(index=False):
            for label in (row.name, getattr(row, "official_name", None)):
                if isinstance(label, str) and label:
                    self._exact[label] = row.code
                    self._keys.setdefault(normalise(label), set()).add(row.code)
        self._widen_official_short_keys()
        for row in self.outside.itertuples(index=False):
            self._names[row.code] = row.name
            self._outside_keys[normalise(row.name)] = row.code
        self._succ_exact: dict[str, set[str]] = {}
        self._succ_keys: dict[str, set[str]] = {}
        self._succ_note: dict[str, str] = {}
        if self.successors is not None and self.as_of is not None:
            self._load_successors()
        # fuzzy candidates: (key, code); a key shared by several councils stays ambiguous;
        # a name holding a short form is a candidate as written too ("South Bucks"), and
        # so is the whole name, generic words and all (a slip in "City of": "Cidy of London")
        fuzzy_keys = {k: set(codes) for k, codes in self._keys.items()}
        for row in self.frame.itertuples(index=False):
            for label in (row.name, getattr(row, "official_name", None)):
                if isinstance(label, str) and label:
                    for k in (normalise(label, expand=False), _plain(label)):
                        fuzzy_keys.setdefault(k, set()).add(row.code)
        self._choices = [(k, c) for k, codes in fuzzy_keys.items() for c in sorted(codes)]
        self._choices += [(k, c) for k, c in self._outside_keys.items()]
        self._choice_keys = [k for k, _ in self._choices]

    def _widen_official_short_keys(self) -> None:
        """An official name shorter than the council's own name can be the first words of
        another council's name: "Newcastle City Council" normalises to "newcastle", which
        also begins Newcastle-under-Lyme. Such a key names either council: it is made
        ambiguous. (A council's own name that begins another's, "Wyre" and Wyre Forest,
        "Suffolk" and Suffolk Coastal, stays that council's.)"""
        own = {normalise(n) for n in self.frame["name"] if isinstance(n, str)}
        for key, codes in list(self._keys.items()):
            if key in own:
                continue
            others = {
                c for k, cs in self._keys.items() if k.startswith(key + " ") for c in cs
            } - codes
            if others:
                self._keys[key] = codes | others

    def _load_successors(self) -> None:
        frame_codes = set(self.frame["code"])
        succ = self.successors[self.successors["effective_date"].astype(str) <= self.as_of]
        step = succ.groupby("old_code")["new_code"].apply(set).to_dict()

        def final(code, seen=()):
            if code in frame_codes:
                return {code}
            if code in seen or code not in step:
                return set()
            return set().union(*(final(c, (*seen, code)) for c in step[code]))

        for row in succ.drop_duplicates("old_code").itertuples(index=False):
            if row.old_code in frame_codes:  # still in force under the same code
                continue
            codes = final(row.old_code)
            if not codes:
                continue
            self._succ_exact.setdefault(row.old_name, set()).update(codes)
            self._succ_keys.setdefault(normalise(row.old_name), set()).update(codes)
            note = f"{row.old_name} ({row.old_code}) was abolished on {row.effective_date}"
            self._succ_note[row.old_name] = note
            self._succ_note[normalise(row.old_name)] = note

    def match(self, typed: str) -> dict:
        """Match one typed name (remembered: each distinct text is matched once).

        Returns
        -------
        dict
            ``typed``, ``status`` (matched, outside_england, ambiguous, unmatched),
            ``method`` (exact, normalised, successor, two_councils, fuzzy or none),
            ``code``, ``matched_name``, ``score`` (0-100), ``candidates`` (for ambiguous
            names) and ``note`` (a successor's abolition, the two councils named).
        """
        found = self._cache.get(typed)
        if found is None:
            found = self._cache[typed] = self._match(typed)
        return dict(found)

    def _match(self, typed: str) -> dict:
        result = {
            "typed": typed,
            "status": UNMATCHED,
            "method": "none",
            "code": None,
            "matched_name": None,
            "score": 0.0,
            "candidates": "",
            "note": "",
        }
        text = typed.strip()
        if text in self._exact:
            return self._found(result, self._exact[text], "exact", 100.0)
        key = normalise(text)
        codes = self._keys.get(key)
        if codes and len(codes) == 1:
            return self._found(result, next(iter(codes)), "normalised", 100.0)
        if codes:
            return {
                **result,
                "status": AMBIGUOUS,
                "method": "normalised",
                "score": 100.0,
                "candidates": ";".join(sorted(codes)),
            }
        for lookup, probe in ((self._succ_exact, text), (self._succ_keys, key)):
            if probe in lookup:
                found = lookup[probe]
                if len(found) > 1:
                    return {
                        **result,
                        "status": AMBIGUOUS,
                        "method": "successor",
                        "score": 100.0,
                        "candidates": ";".join(sorted(found)),
                        "note": self._succ_note[probe] + " and split between successors",
                    }
                out = self._found(result, next(iter(found)), "successor", 100.0)
                return {**out, "note": self._succ_note[probe]}
        if key in self._outside_keys:
            return self._found(result, self._outside_keys[key], "normalised", 100.0)
        pair = self._two_councils(text)
        if pair:
            return {
                **result,
                "status": AMBIGUOUS,
                "method": "two_councils",
                "score": 100.0,
                "candidates": ";".join(pair),
                "note": "names two councils: " + " and ".join(self._names[c] for c in pair),
            }
        if len(key.replace(" ", "")) < self.min_fuzzy_length:
            return result
        # the start of several councils' names ("Kingston": upon Hull or upon Thames?
        # "Richmond": upon Thames or Richmondshire?)
        starts = sorted({c for k, c in self._choices if k.startswith(key)})
        if len(starts) > 1:
            return {
                **result,
                "status": AMBIGUOUS,
                "method": "partial",
                "score": 100.0,
                "candidates": ";".join(starts),
            }
        hits = process.extract(key, self._choice_keys, scorer=fuzz.ratio, limit=10)
        best_by_code: dict[str, float] = {}
        for _, score, idx in hits:
            code = self._choices[idx][1]
            best_by_code[code] = max(best_by_code.get(code, 0.0), float(score))
        ranked = sorted(best_by_code.items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return result
        best_code, best = ranked[0]
        result["score"] = round(best, 2)
        if best < self.threshold:
            return result
        rivals = [c for c, s in ranked[1:] if best - s <= self.margin]
        if rivals:
            return {
                **result,
                "status": AMBIGUOUS,
                "method": "fuzzy",
                "candidates": ";".join([best_code] + rivals),
            }
        # the similarity is the same for one slip in a short name and a different short
        # name ("Glton": Melton or Luton?): the best match must also be within
        # max_edits(key) typing slips and closer than any other council: by two slips in
        # a name of up to eight letters ("Laton" is one slip from Luton but two from
        # Halton, "Bornley" one from Burnley but two from Barnsley), by one in a longer one
        edits = self._edits(key)
        distance = edits.get(best_code)
        limit = max_edits(key)
        if distance is None or distance > limit:
            return result
        gap = 2 if len(key.replace(" ", "")) <= 8 else 1
        closer = sorted(c for c, d in edits.items() if c != best_code and d < distance + gap)
        if closer:
            return {
                **result,
                "status": AMBIGUOUS,
                "method": "fuzzy",
                "candidates": ";".join([best_code] + closer),
            }
        return self._found(result, best_code, "fuzzy", best)

    def _edits(self, key: str) -> dict[str, int]:
        """Council code -> fewest typing slips (insertions, deletions, substitutions, swaps
        of neighbours: the optimal string alignment distance) from ``key`` to one of the
        council's keys, for the councils within three slips."""
        hits = process.extract(
            key, self._choice_keys, scorer=OSA.distance, limit=None, score_cutoff=3
        )
        found: dict[str, int] = {}
        for _, distance, idx in hits:
            code = self._choices[idx][1]
            found[code] = min(found.get(code, 99), int(distance))
        return found

    def _sure(self, text: str) -> str | None:
        """The one council (of England or outside) that ``text`` names exactly or after
        normalisation, else None."""
        if text in self._exact:
            return self._exact[text]
        key = normalise(text)
        codes = self._keys.get(key)
        if codes and len(codes) == 1:
            return next(iter(codes))
        return self._outside_keys.get(key) if not codes else None

    def _two_councils(self, text: str) -> tuple[str, str] | None:
        """Two different councils that the two sides of one join of ``text`` name surely
        (:meth:`_sure`), e.g. "Kent County and Dover District", "Norfolk CC / Broadland DC",
        "Tonbridge and Malling, Kent" (split at each "and", "&", "/", "+", ";" or "," in
        turn), or None."""
        joins = list(_JOINS.finditer(text))
        for join in joins:
            left, right = text[: join.start()].strip(), text[join.end() :].strip()
            if not left or not right:
                continue
            a, b = self._sure(left), self._sure(right)
            if a and b and a != b:
                return tuple(sorted((a, b)))
        return None

    def _found(self, result: dict, code: str, method: str, score: float) -> dict:
        status = MATCHED if code in self._frame_codes else OUTSIDE
        return {
            **result,
            "status": status,
            "method": method,
            "code": code,
            "matched_name": self._names[code],
            "score": round(score, 2),
        }

    def match_all(self, names) -> pd.DataFrame:
        """Match every distinct name, sorted by the typed text."""
        distinct = sorted({n for n in names if isinstance(n, str)})
        return pd.DataFrame(
            [self.match(n) for n in distinct],
            columns=[
                "typed",
                "status",
                "method",
                "code",
                "matched_name",
                "score",
                "candidates",
                "note",
            ],
        )
