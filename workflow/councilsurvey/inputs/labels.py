"""Reader-facing labels: what a figure or a reader table says instead of a variable id.

Every question of the instrument has its words (``text``) and, optionally, a short label
(``short``) for figures and tables, defined once in the wave's ``questionnaire.yaml``.
Variables the pipeline adds (the council frame's type and region, the weighting's party
group, the segments, the headline indicators) have their words here, so that a reader
never meets ``att_big_data`` or ``type[london_borough]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilsurvey.inputs.instrument import SECTIONS, Instrument, load_instrument

#: variables that are not questions: the frame's, the weighting's and the segments'
DERIVED_WORDS = {
    "type": "Council type",
    "region": "Region",
    "party_group": "Party group",
    "segment": "Segment",
    "wellbeing_positive": "Digital will improve residents' wellbeing",
    "digital_strategy": "Council has a digital strategy",
}
#: the frame's council types (``inputs.frame.TYPES``) in words
TYPE_WORDS = {
    "county": "County council",
    "district": "District council",
    "unitary": "Unitary authority",
    "metropolitan": "Metropolitan borough",
    "london_borough": "London borough",
    "sui_generis": "City of London or Isles of Scilly",
}
#: the segments in words (shares are of councillors)
SEGMENT_WORDS = {
    "enthusiast": "Digital enthusiasts",
    "middle": "In the middle",
    "sceptic": "Digital sceptics",
    "unclassified": "Unclassified",
}
#: derived answer categories in words
CATEGORY_WORDS = {"leader_or_chief_executive": "The leader or the chief executive"}
_ANSWERING = re.compile(r"answering (\w+)")
_TERM = re.compile(r"^(?:C\()?(\w+)\)?\[(?:T\.)?(.*)\]$")
_TERM_OR_WORD = re.compile(r"(?:C\()?\b(\w+)\)?\[(?:T\.)?([^\]]*)\]|\b\w+\b")
_SECTIONS = SECTIONS


@dataclass(frozen=True)
class ReaderLabels:
    """Variable ids and answer codes in the reader's words.

    Parameters
    ----------
    questions : dict
        Variable id -> the question's full words.
    short : dict
        Variable id -> the short label for figures and tables (the ``short`` key of the
        questionnaire's item; its words when it has none).
    """

    questions: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, instrument: Instrument | str | None) -> ReaderLabels:
        """Labels of a parsed instrument or of a ``questionnaire.yaml`` path; ``None``
        gives the derived variables' words only."""
        if instrument is None:
            return cls()
        if not isinstance(instrument, Instrument):
            instrument = load_instrument(instrument)
        questions, short = {}, {}
        for section in _SECTIONS:
            for item in instrument.raw.get(section, []) or []:
                words = " ".join(str(item["text"]).split())
                questions[item["id"]] = words
                short[item["id"]] = " ".join(str(item.get("short") or words).split())
        return cls(questions, short)

    def variable(self, var: str) -> str:
        """The short label of a variable (its id when nothing names it)."""
        return self.short.get(var) or DERIVED_WORDS.get(var) or var

    def question(self, var: str) -> str:
        """The question's full words (the short label for a derived variable)."""
        return self.questions.get(var) or DERIVED_WORDS.get(var) or var

    def category(self, var: str, code) -> str:
        """An answer or group in words: council types and segments spelled out, the
        answers' own texts kept."""
        code = str(code)
        if var == "type":
            return TYPE_WORDS.get(code, code)
        if var == "segment":
            return SEGMENT_WORDS.get(code, code)
        return CATEGORY_WORDS.get(code, code)

    def answer(self, var: str, code) -> str:
        """``"<short label>: <answer>"``, e.g. ``"Digital champion: The chief executive"``."""
        return f"{self.variable(var)}: {self.category(var, code)}"

    def term(self, term: str) -> str:
        """A model term such as ``party_group[Green]`` or ``C(type)[T.unitary]`` in words
        (``"Party group: Green"``); other terms are returned as they are."""
        found = _TERM.match(str(term).replace("enthusiast ~ ", "").strip())
        if not found:
            return str(term)
        return self.answer(found.group(1), found.group(2))

    def headline(self, indicator: str, category, basis: str = "") -> str:
        """A headline estimate in words: the question it counts (named in its ``basis``,
        "respondents answering <id> ...") and the answer counted."""
        found = _ANSWERING.search(str(basis))
        var = found.group(1) if found else str(indicator)
        words = self.variable(var) if var in self.short else self.variable(str(indicator))
        return f"{words}: {self.category(var, category)}"

    def text(self, text: str) -> str:
        """A test's description in words: model terms spelled out (:meth:`term`) and every
        other variable id replaced by its short label, e.g. ``"segment x type"`` ->
        ``"Segment x Council type"``."""
        names = {**DERIVED_WORDS, **self.short}

        def words(found: re.Match) -> str:
            if found.group(1) is not None:
                return self.answer(found.group(1), found.group(2))
            return names.get(found.group(0), found.group(0))

        return _TERM_OR_WORD.sub(words, str(text).replace("enthusiast ~ ", ""))

    def row(self, row: dict) -> str:
        """The label of one row of a results table, by the table's key columns:
        ``indicator``/``category`` (headlines, trends; the segments' shares), ``variable``/
        ``category`` (groups), ``item`` (attitude items), ``variables`` (tests and models),
        ``items`` (scales), ``margin``/``category`` (raking margins) or ``segment``."""
        if "indicator" in row:
            if row["indicator"] == "segment":
                return self.category("segment", row["category"])
            return self.headline(row["indicator"], row["category"], row.get("basis", ""))
        if "variable" in row and "category" in row:
            return self.answer(row["variable"], row["category"])
        if "item" in row:
            words = self.variable(row["item"])
            return (
                f"{words} ({self.category('segment', row['segment'])})"
                if ("segment" in row)
                else words
            )
        if "variables" in row:
            return self.text(row["variables"])
        if "items" in row:  # a scale: its items' short labels
            return "; ".join(self.variable(i.strip()) for i in str(row["items"]).split(","))
        if "margin" in row and "category" in row:  # a raked margin (party: its groups)
            var = "party_group" if row["margin"] == "party" else row["margin"]
            return self.answer(var, row["category"])
        if "segment" in row:
            return self.category("segment", row["segment"])
        raise KeyError("a table with none of indicator, variable, item, variables, segment")

    def labelled(self, table):
        """``table`` with a first column ``label``: each row in the reader's words
        (:meth:`row`), for the reader-facing tables of a bundle."""
        out = table.drop(columns=["label"], errors="ignore")
        labels = [self.row(r) for r in out.to_dict("records")]
        out.insert(0, "label", labels)
        return out
