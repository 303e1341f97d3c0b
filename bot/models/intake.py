"""The draft of a request being filed: what the resident has said so far, and its rules.

A draft is plain data (it lives in the conversation's user data and survives restarts); the
rules for each step are here, not in the handlers.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.errors import InvalidInput
from bot.freetext import ADDRESS, DESCRIPTION
from bot.i18n import N_

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


class Draft(BaseModel):
    """A request in the making."""

    nonce: str = Field(default_factory=lambda: secrets.token_hex(4))
    step: Step = Step.CATEGORY
    editing: bool = False  # jumped back from the summary: return there after this step
    category_id: int | None = None
    description: str | None = None
    photos: list[str] = []
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    urgent: bool | None = None
    phone: str | None = None
    anonymous: bool = False
    touched_at: datetime | None = None

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
