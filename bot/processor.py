"""Per-chat ordered concurrency: updates of one chat run strictly in order, updates of
different chats run at the same time (up to ``max_concurrent_updates``).

python-telegram-bot's ConversationHandler needs one person's updates one at a time; a bot that
handles one update at a time for everybody serves only a few dozen updates a second once each
Bot API call takes tens of milliseconds. This processor gives both.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["PerChatUpdateProcessor", "chat_key"]

LOG = logging.getLogger(__name__)


def chat_key(update: object) -> Hashable | None:
    """What orders updates: the chat, else the user; None for updates of neither."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Runs the updates of one chat in arrival order, different chats concurrently.

    The first update of an idle chat runs in its own task (holding one of the processor's
    slots) and then drains the updates of that chat that arrived meanwhile; later updates of a
    busy chat are queued behind it and release their slot at once, so one flooding chat never
    takes more than one slot from everybody else.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[Hashable, deque[Awaitable[Any]]] = {}
        self.overlap_peak = 0  # most chats running at once (for tests and the benchmark)
        self._running = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        queue = self._queues.get(key)
        if queue is not None:  # the chat is busy: wait in line behind its running update
            queue.append(coroutine)
            return
        queue = self._queues[key] = deque([coroutine])
        self._running += 1
        self.overlap_peak = max(self.overlap_peak, self._running)
        try:
            while queue:
                try:
                    await queue.popleft()
                except Exception:  # the Application reports handler errors itself
                    LOG.exception("update of %s failed", key)
        finally:
            del self._queues[key]
            self._running -= 1
            for left in queue:  # only when cancelled: do not leave coroutines un-awaited
                close = getattr(left, "close", None)
                if close is not None:
                    close()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
