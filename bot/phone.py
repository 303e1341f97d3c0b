"""Phone numbers people type: a mainland mobile number, kept as ``+86`` and 11 digits."""

from __future__ import annotations

import re

from bot.errors import InvalidInput
from bot.i18n import N_

__all__ = ["mainland_mobile"]

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def mainland_mobile(text: str) -> str:
    """A typed mainland mobile number: 11 digits from 1[3-9] (spaces, dashes and +86 are
    fine); kept as +86 and the 11 digits, like a shared contact."""
    digits = re.sub(r"[\s\-()]", "", text)
    digits = digits.removeprefix("+86") if digits.startswith("+86") else digits
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not _MOBILE.match(digits):
        raise InvalidInput(
            N_(
                "That is not a mainland mobile number (11 digits, starting with 13 to 19)."
                " Please type it again, or use the button."
            )
        )
    return f"+86{digits}"
