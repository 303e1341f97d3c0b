"""The draft of a request being filed: what the resident has said so far, and its rules.

A draft is plain data (it lives in the conversation's user data and survives restarts); the
rules for each step are here, not in the handlers.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from bot.errors import InvalidInput
from bot.freetext import ADDRESS, DESCRIPTION
from bot.i18n import N_
from bot.models.forms import Form

__all__ = ["MAX_ADDRESS", "MAX_DESCRIPTION", "MAX_PHOTOS", "Draft", "Step"]


MAX_DESCRIPTION = DESCRIPTION.limit
MAX_PHOTOS = 5
MAX_ADDRESS = ADDRESS.limit


class Step(StrEnum):
    CATEGORY = "category"
    ME_TOO = "me_too"
    DESCRIPTION = "description"
    PHOTOS = "photos"
    PLACE = "place"
    URGENCY = "urgency"
    CONTACT = "contact"
    SUMMARY = "summary"
    EDIT = "edit"  # which step to change, from the summary


# The order of the steps (the category is followed by "me too" when neighbours reported it).
_NEXT = {
    Step.CATEGORY: Step.ME_TOO,
    Step.ME_TOO: Step.DESCRIPTION,
    Step.DESCRIPTION: Step.PHOTOS,
    Step.PHOTOS: Step.PLACE,
    Step.PLACE: Step.URGENCY,
    Step.URGENCY: Step.CONTACT,
}


class Draft(Form):
    """A request in the making."""

    step: Step = Step.CATEGORY
    category_id: int | None = None
    description: str | None = None
    photos: list[str] = Field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    urgent: bool | None = None
    phone: str | None = None
    anonymous: bool = False

    def next_step(self) -> Step:
        """The step after this one (the summary after the last)."""
        return _NEXT.get(self.step, Step.SUMMARY)

    def revise(self, step: str) -> None:
        if step == Step.PHOTOS:
            self.photos = []
        if step == Step.PLACE:
            self.clear_place()

    def set_description(self, text: str) -> None:
        self.description = DESCRIPTION.accept(text)

    def add_photo(self, file_id: str) -> None:
        if len(self.photos) >= MAX_PHOTOS:
            raise InvalidInput(
                N_("You can attach at most {limit} photos; this one was not added."),
                limit=MAX_PHOTOS,
            )
        if file_id not in self.photos:
            self.photos.append(file_id)

    def set_address(self, text: str) -> None:
        self.address = ADDRESS.accept(text)

    def set_location(self, latitude: float, longitude: float) -> None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidInput(N_("That location is not valid."))
        self.latitude, self.longitude = latitude, longitude

    def clear_place(self) -> None:
        self.latitude = self.longitude = None
        self.address = None

    @property
    def complete(self) -> bool:
        return (
            self.category_id is not None
            and self.description is not None
            and self.urgent is not None
        )
