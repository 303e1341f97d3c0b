"""The bot's Bot API client: python-telegram-bot's ExtBot, calm about button presses that can
no longer be answered.

It also fetches updates as plain JSON (:meth:`GridBot.get_update_dicts`), for the runner's
long polling, which sees the updates it is still applying again and again (an update is
confirmed only once applied) and turns only the new ones into objects.

Telegram accepts one answer per button press, and only for a short while. A press that comes
back after a crash or a takeover (the process that died had answered it but not committed
what followed) cannot be answered again; that is no reason to abandon the rest of its
handling, so such an answer is logged and skipped instead of raising.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot

__all__ = ["GridBot"]

LOG = logging.getLogger(__name__)

_STALE = ("query is too old", "query id is invalid")


class GridBot(ExtBot[Any]):
    async def get_update_dicts(
        self,
        *,
        offset: int | None,
        limit: int,
        long_poll: int,
        allowed_updates: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """``getUpdates`` (waiting up to ``long_poll`` seconds), answered as JSON objects."""
        data = {
            "offset": offset,
            "limit": limit,
            "timeout": long_poll,
            "allowed_updates": allowed_updates,
        }
        result = await self._post("getUpdates", data, read_timeout=long_poll + 10)
        return list(result or [])

    async def answer_callback_query(  # type: ignore[override]
        self, callback_query_id: str, *args: Any, **kwargs: Any
    ) -> bool:
        """Answer a button press; a press that can no longer be answered returns False."""
        try:
            return await super().answer_callback_query(callback_query_id, *args, **kwargs)
        except BadRequest as exc:
            if not any(words in str(exc).lower() for words in _STALE):
                raise
            LOG.info("button press %s can no longer be answered: %s", callback_query_id, exc)
            return False
