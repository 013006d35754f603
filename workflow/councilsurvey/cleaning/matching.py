"""Matching typed council names to frame codes.

Councillors type their council's name every which way ("LB Camden", "Camden Council",
"London Borough of Camden", "camden", "Camdem"). A name is matched in stages, and the
first stage that decides wins:

1. ``exact``: the text equals a frame name or official name;
2. ``normalised``: equal after :func:`normalise` (case, punctuation and generic words
   such as "Council", "London Borough of", "LB" removed);
3. ``outside_england``: exact or normalised match to a council of Wales or Scotland;
4. ``fuzzy``: rapidfuzz's ``WRatio`` of the normalised texts reaches the threshold and no
   other council scores within the ambiguity margin; a fuzzy best match outside England
   is ``outside_england``.

Names that reach the threshold for more than one council are ``ambiguous``; the rest
are ``unmatched``. Neither is ever guessed: they are excluded and listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

_PHRASES = [
    "city and county of",
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
    "metropolitan borough council",
    "metropolitan district council",
    "borough council",
    "district council",
    "county council",
    "city council",
    "unitary council",
    "unitary authority",
    "council",
    "corporation",
    "mbc",
    "mdc",
    "lbc",
    "dc",
    "cc",
    "bc",
    "ua",
]
_PREFIXES = ["the", "lb", "rb", "lbo"]

MATCHED, OUTSIDE, AMBIGUOUS, UNMATCHED = "matched", "outside_england", "ambiguous", "unmatched"


def normalise(name: str) -> str:
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
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
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
    return text or original


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
        Minimum rapidfuzz ``WRatio`` (0-100) for a fuzzy match.
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
        for row in self.outside.itertuples(index=False):
            self._names[row.code] = row.name
            self._outside_keys[normalise(row.name)] = row.code
        self._succ_exact: dict[str, set[str]] = {}
        self._succ_keys: dict[str, set[str]] = {}
        self._succ_note: dict[str, str] = {}
        if self.successors is not None and self.as_of is not None:
            self._load_successors()
        # fuzzy candidates: (key, code); a key shared by several councils stays ambiguous
        self._choices = [(k, c) for k, codes in self._keys.items() for c in sorted(codes)]
        self._choices += [(k, c) for k, c in self._outside_keys.items()]
        self._choice_keys = [k for k, _ in self._choices]

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
            ``method`` (exact, normalised, fuzzy or none), ``code``, ``matched_name``,
            ``score`` (0-100) and ``candidates`` (for ambiguous names).
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
        if len(key.replace(" ", "")) < self.min_fuzzy_length:
            return result
        hits = process.extract(key, self._choice_keys, scorer=fuzz.WRatio, limit=10)
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
        return self._found(result, best_code, "fuzzy", best)

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
