"""Filters that need the person's stored state (what the bot is waiting for from them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import filters

from bot.services.intake import AWAITING_KEY

__all__ = ["AWAITING_KEY", "Awaiting", "menu_labels"]


class Awaiting(filters.UpdateFilter):
    """True when the bot waits for a free-form answer from this person (info, comment).

    Conversations that read free text check ``~Awaiting`` so an explicit "add information"
    or "add a comment" gets the next message, not whatever flow is half open. With ``kinds``
    it matches only those waits (each feature answers its own).

    The wait is ``user_data["awaiting"] = {"kind": ..., "since": iso time, ...}``; the sweep
    drops waits older than the conversation timeout.
    """

    def __init__(
        self, user_data: Mapping[int, dict[str, Any]], kinds: frozenset[str] | None = None
    ) -> None:
        super().__init__(name=f"Awaiting({','.join(sorted(kinds or ()))})")
        self._user_data = user_data
        self._kinds = kinds

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        if user is None:
            return False
        awaiting = (self._user_data.get(user.id) or {}).get(AWAITING_KEY)
        if not awaiting:
            return False
        return self._kinds is None or awaiting.get("kind") in self._kinds


def menu_labels(labels: set[str]) -> filters.BaseFilter:
    """A text filter for main-menu buttons (in every language)."""
    return filters.Text(sorted(labels))
