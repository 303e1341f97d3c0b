"""Telegram-free message descriptions that services and handlers render and send.

A service describes what to say (:class:`OutMessage`); the outbox turns it into a Bot API
call, and a handler replying directly turns it into python-telegram-bot markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Button", "OutMessage", "ReplyButton", "Venue"]


@dataclass(frozen=True)
class Button:
    """An inline button: callback data, or a URL."""

    label: str
    data: str | None = None
    url: str | None = None

    def to_api(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.label, "url": self.url}
        return {"text": self.label, "callback_data": self.data or ""}


@dataclass(frozen=True)
class ReplyButton:
    """A reply-keyboard button; it may ask for the contact or the location."""

    label: str
    request_contact: bool = False
    request_location: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.label}
        if self.request_contact:
            data["request_contact"] = True
        if self.request_location:
            data["request_location"] = True
        return data


@dataclass(frozen=True)
class Venue:
    """A place sent as a pin with its name and address (``sendVenue``)."""

    latitude: float
    longitude: float
    title: str
    address: str

    def to_api(self) -> dict[str, Any]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "title": self.title,
            "address": self.address,
        }


@dataclass(frozen=True)
class OutMessage:
    """A message: HTML text, optional inline buttons or reply keyboard, optional photos."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    keyboard: tuple[tuple[ReplyButton, ...], ...] = ()
    remove_keyboard: bool = False
    one_time: bool = False  # the keyboard folds away once a button is used
    photos: tuple[str, ...] = field(default=())  # Telegram file ids
    # A pin (latitude, longitude) sent as its own message right after this one.
    location: tuple[float, float] | None = None
    # Places (name, address and pin) sent as their own messages after this one, in order.
    venues: tuple[Venue, ...] = ()

    def reply_markup(self) -> dict[str, Any] | None:
        if self.buttons:
            return {"inline_keyboard": [[b.to_api() for b in row] for row in self.buttons]}
        if self.keyboard:
            markup: dict[str, Any] = {
                "keyboard": [[b.to_api() for b in row] for row in self.keyboard],
                "resize_keyboard": True,
            }
            if self.one_time:
                markup["one_time_keyboard"] = True
            else:
                markup["is_persistent"] = True
            return markup
        if self.remove_keyboard:
            return {"remove_keyboard": True}
        return None

    def inline_markup(self) -> dict[str, Any]:
        """The inline keyboard for an edit (an empty one removes the buttons)."""
        return {"inline_keyboard": [[b.to_api() for b in row] for row in self.buttons]}


def rows(*buttons: Button, width: int = 2) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out ``width`` to a row."""
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))
