"""The sweep: one periodic job (PTB's JobQueue) that finds what is due and acts on it.

Decisions use the injected clock, never the job's own timing, so tests call
:meth:`Sweeper.sweep` after moving a fake clock. What the sweep does lives in the services; the
sweep only asks them in turn.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.services.intake import AWAITING_KEY, DRAFT_KEY
from bot.services.sweep import BATCH

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

__all__ = ["SWEEP_JOB", "Sweeper"]

LOG = logging.getLogger(__name__)

SWEEP_JOB = "SWEEP"


class Sweeper:
    """Runs every ``[scheduler] sweep_seconds``."""

    def __init__(self, app: Application, services: Services) -> None:  # type: ignore[type-arg]
        self.app = app
        self.services = services

    async def run(self, context: Any) -> None:
        """The JobQueue callback: one batch of deadlines per run, so a backlog never holds up
        people's updates; a full batch schedules the next run right away."""
        await self.expire_idle_drafts()
        await self.services.retention.sweep()
        if self.services.sender is not None:
            # Rows another process queued (`gridbot api` on its own) are seen here.
            self.services.sender.wake()
        if await self.services.sweep.sweep_batch(BATCH) >= BATCH:
            context.job_queue.run_once(self.run, 0.1, name=f"{SWEEP_JOB} MORE")
            return
        await self.services.dispatch.dispatch_waiting()

    async def sweep(self) -> None:
        await self.expire_idle_drafts()
        await self.services.retention.sweep()
        await self.services.sweep.sweep()
        await self.services.dispatch.dispatch_waiting()

    async def expire_idle_drafts(self) -> int:
        """Set aside unfinished intakes (and pending 'add information' or comment waits) that
        were idle longer than ``[requests] conversation_timeout_minutes``."""
        now = self.services.clock.now()
        limit = timedelta(minutes=self.services.config.requests.conversation_timeout_minutes)
        expired: list[tuple[int, str | None]] = []
        touched: list[int] = []
        for user_id, data in list(self.app.user_data.items()):
            draft = data.get(DRAFT_KEY)
            if draft and _older(draft.get("touched_at"), now, limit):
                data.pop(DRAFT_KEY, None)
                expired.append((user_id, draft.get("nonce")))
                touched.append(user_id)
            awaiting = data.get(AWAITING_KEY)
            if awaiting and _older(awaiting.get("since"), now, limit):
                data.pop(AWAITING_KEY, None)
                touched.append(user_id)
        if touched:
            self.app.mark_data_for_update_persistence(user_ids=touched)
        told = 0
        for user_id, nonce in expired:
            told += await self.services.requests.set_aside(user_id, nonce)
        if expired:
            LOG.info("set aside %d idle request drafts (%d told)", len(expired), told)
        return told


def _older(stamp: object, now: datetime, limit: timedelta) -> bool:
    if not isinstance(stamp, str):
        return True
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return True
    return now - when > limit
