"""A household visit (走访) being logged: plain data kept between the steps, with its rules."""

from __future__ import annotations

from enum import StrEnum

from bot.errors import InvalidInput
from bot.freetext import NOTE
from bot.i18n import N_
from bot.models.forms import Form

__all__ = ["MAX_HOUSEHOLDS", "MAX_PEOPLE", "VisitForm", "VisitStep"]


MAX_HOUSEHOLDS = 500
MAX_PEOPLE = 5000


def _number(text: str, limit: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(N_("Please send a number.")) from None
    if not 1 <= value <= limit:
        raise InvalidInput(N_("Please send a number from 1 to {limit}."), limit=limit)
    return value


def _text(text: str) -> str:
    return NOTE.accept(text)


class VisitStep(StrEnum):
    COMPOUND = "compound"
    HOUSEHOLDS = "households"
    PEOPLE = "people"
    NOTE = "note"
    OPINION = "opinion"
    SUMMARY = "summary"


class VisitForm(Form):
    """A visit being logged (kept in the member's user data between steps)."""

    step: VisitStep = VisitStep.COMPOUND
    compound_id: int | None = None
    households: int | None = None
    people: int | None = None
    note: str | None = None
    opinion: str | None = None

    def set_households(self, text: str) -> None:
        self.households = _number(text, MAX_HOUSEHOLDS)

    def set_people(self, text: str) -> None:
        self.people = _number(text, MAX_PEOPLE)

    def set_note(self, text: str) -> None:
        self.note = _text(text)

    def set_opinion(self, text: str) -> None:
        self.opinion = _text(text)
