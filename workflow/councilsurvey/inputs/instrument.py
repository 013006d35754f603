"""The survey instrument: variable ids, question texts, options and the Likert coding.

The instrument is a YAML file (``data/raw/<wave>/questionnaire.yaml``) in the shape of
the project's questionnaire: ``respondent``, ``attitudes_stem``, ``attitudes``,
``strategy``, ``impact`` (optional), ``open_ended``, ``likert``, ``export_metadata`` and
``segments``. A question with ``type: multi_select`` ("tick all that apply", or "choose up
to N" with ``max_choices: N``) is exported as one column per option.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from councilsurvey.core.yamlio import load_yaml

#: single-choice variables whose options have a natural order
ORDERED = {"tenure", "age_band"}
#: options that are answers but not substantive positions on an ordered scale
NON_SUBSTANTIVE = {"Prefer not to say", "Don't know"}
#: the questionnaire's sections of questions, in export column order
SECTIONS = ("respondent", "attitudes", "strategy", "impact", "open_ended")


@dataclass(frozen=True)
class Instrument:
    """A parsed questionnaire.

    Attributes
    ----------
    raw : dict
        The YAML document as read.
    path : Path
        Where it was read from.
    """

    raw: dict
    path: Path

    @property
    def likert(self) -> dict[str, int | None]:
        """Export text -> code for every attitude item (``None`` = missing)."""
        return dict(self.raw["likert"])

    @property
    def attitude_ids(self) -> list[str]:
        return [item["id"] for item in self.raw["attitudes"]]

    @property
    def benefit_ids(self) -> list[str]:
        """The attitude items that define the default segments."""
        return [item["id"] for item in self.raw["attitudes"] if item.get("benefit")]

    @property
    def caution_ids(self) -> list[str]:
        """The attitude items whose ``direction`` is ``negative`` (agreeing is the
        cautious, sceptical answer), in questionnaire order."""
        return [
            item["id"]
            for item in self.raw["attitudes"]
            if str(item.get("direction", "positive")).lower() == "negative"
        ]

    @property
    def choice_items(self) -> list[dict]:
        """Single-choice questions (profile, strategy and impact), in questionnaire order."""
        items = self._items("respondent", "strategy", "impact")
        return [i for i in items if "options" in i and i.get("type") != "multi_select"]

    @property
    def multi_select_items(self) -> list[dict]:
        """Tick-all-that-apply questions (``type: multi_select``), in questionnaire order."""
        return [i for i in self._items(*SECTIONS) if i.get("type") == "multi_select"]

    def _items(self, *sections: str) -> list[dict]:
        return [item for section in sections for item in self.raw.get(section, []) or []]

    @property
    def free_text_ids(self) -> list[str]:
        items = list(self.raw["respondent"]) + list(self.raw.get("open_ended", []))
        return [item["id"] for item in items if item.get("type") == "free_text"]

    @property
    def question_ids(self) -> list[str]:
        """Every question, in questionnaire order: the order of an export's columns after
        its metadata (:data:`SECTIONS`: ``respondent``, ``attitudes``, ``strategy``,
        ``impact``, ``open_ended``); a multi-select question spans one column per option."""
        return [item["id"] for item in self._items(*SECTIONS)]

    @property
    def closed_item_ids(self) -> list[str]:
        """Every closed question (choice and Likert) a respondent is asked, in
        questionnaire order (:attr:`question_ids` without free text)."""
        free = set(self.free_text_ids)
        return [var_id for var_id in self.question_ids if var_id not in free]

    def options(self, var_id: str) -> list[str]:
        for item in self._items("respondent", "strategy", "impact"):
            if item["id"] == var_id:
                return list(item["options"])
        raise KeyError(var_id)

    def item(self, var_id: str) -> dict:
        for item in self._items(*SECTIONS):
            if item["id"] == var_id:
                return item
        raise KeyError(var_id)


def load_instrument(path) -> Instrument:
    """Read a questionnaire YAML file."""
    return Instrument(raw=load_yaml(path), path=Path(path))
