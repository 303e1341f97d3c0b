"""Checks of the short texts people type for a decision (a reason, a message)."""

from __future__ import annotations

from bot.errors import InvalidInput
from bot.i18n import N_

__all__ = ["reason"]


def reason(text: str, limit: int = 500) -> str:
    """The text, stripped; refused when empty or longer than ``limit`` characters."""
    text = text.strip()
    if not text or len(text) > limit:
        raise InvalidInput(
            N_("Please give a short reason (at most {limit} characters)."), limit=limit
        )
    return text
