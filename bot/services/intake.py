"""Where the conversations keep things in a person's user data (persisted, so they survive a
restart). The draft itself is :class:`bot.models.intake.Draft`."""

from __future__ import annotations

__all__ = ["AWAITING_KEY", "DRAFT_KEY"]

DRAFT_KEY = "intake"  # the request being filed
AWAITING_KEY = "awaiting"  # a free-form answer the bot waits for (information, a comment)
