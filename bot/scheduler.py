"""The sweep: one periodic job (PTB's JobQueue) that finds what is due and acts on it.

Decisions use the injected clock, never the job's own timing, so tests call
:meth:`Sweeper.sweep` after moving a fake clock. What the sweep does lives in the services; the
sweep only asks them in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bot.services.intake import AWAITING_KEY
from bot.services.sweep import BATCH

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.i18n import Translator
    from bot.messages import OutMessage
    from bot.services import Services


class SetAside(Protocol):
    """What a flow tells someone whose form it set aside after ``minutes`` idle."""

    def __call__(self, t: Translator, minutes: int) -> OutMessage: ...


__all__ = ["SWEEP_JOB", "Sweeper"]

LOG = logging.getLogger(__name__)

SWEEP_JOB = "SWEEP"


class Sweeper:
    """Runs every ``[scheduler] sweep_seconds``."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        services: Services,
        flows: Mapping[str, SetAside] | None = None,
    ) -> None:
        self.app = app
        self.services = services
        self.flows = dict(flows or {})  # the guided flows: name -> their set-aside message

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
        """Set aside the forms of guided flows (and pending 'add information' or comment
        waits) idle longer than ``[requests] conversation_timeout_minutes``; tell each person
        whose form it was, unless that form was finished after all. Returns how many were
        told."""
        now = self.services.clock.now()
        minutes = self.services.config.requests.conversation_timeout_minutes
        limit = timedelta(minutes=minutes)
        expired: list[tuple[int, str, str | None]] = []
        touched: list[int] = []
        for user_id, data in list(self.app.user_data.items()):
            for flow in self.flows:
                form = data.get(flow)
                if not form:
                    continue
                if form.get("touched_at") is None:  # kept by an older version: its time starts now
                    form["touched_at"] = now.isoformat()
                    touched.append(user_id)
                elif _older(form["touched_at"], now, limit):
                    data.pop(flow, None)
                    expired.append((user_id, flow, form.get("nonce")))
                    touched.append(user_id)
            awaiting = data.get(AWAITING_KEY)
            if awaiting and _older(awaiting.get("since"), now, limit):
                data.pop(AWAITING_KEY, None)
                touched.append(user_id)
        if touched:
            self.app.mark_data_for_update_persistence(user_ids=touched)
        told = 0
        for user_id, flow, nonce in expired:
            render = partial(self.flows[flow], minutes=minutes)
            told += await self.services.forms.set_aside(user_id, flow, nonce, render)
        if expired:
            LOG.info("set aside %d idle forms (%d told)", len(expired), told)
        return told


def _older(stamp: object, now: datetime, limit: timedelta) -> bool:
    if not isinstance(stamp, str):
        return True
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return True
    return now - when > limit
