"""The service side of the guided flows: what happened to a form once its flow is over.

A flow ends in the transaction of its effect (``tx.flows.finish``, see
``storage/repos/flows.py``); these are the questions asked afterwards: was this form finished
(a final button pressed again), and may an idle form be set aside with a message (never one
that was finished after all).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.i18n import I18n, Translator
from bot.messages import OutMessage

if TYPE_CHECKING:
    from bot.outbox import Notifier
    from bot.services.people import Actor
    from storage.db import Database

__all__ = ["FormService"]

LOG = logging.getLogger(__name__)


class FormService:
    def __init__(self, db: Database, notifier: Notifier, i18n: I18n) -> None:
        self.db = db
        self.notifier = notifier
        self.i18n = i18n

    async def finished(self, actor: Actor, flow: str, nonce: str) -> str | None:
        """What the actor's form ``nonce`` of ``flow`` made (e.g. ``request:12``), if that
        form was finished; None otherwise."""
        if not nonce:
            return None
        async with self.db.statement() as tx:
            return await tx.flows.finished(actor.id, flow, nonce)

    async def set_aside(
        self,
        telegram_id: int,
        flow: str,
        nonce: str | None,
        render: Callable[[Translator], OutMessage],
    ) -> bool:
        """Tell someone their idle form of ``flow`` was set aside (``render``, in their
        language, through the outbox); say nothing when that form was finished after all (a
        copy of it outlived its end). True when told."""
        async with self.db.transaction() as tx:
            person = await tx.people.by_telegram(telegram_id)
            if person is None or person.unreachable:
                return False
            if nonce and await tx.flows.finished(person.id, flow, nonce) is not None:
                LOG.info(
                    "person %d: a finished %s form was dropped, not set aside", person.id, flow
                )
                return False
            language = person.language or self.i18n.default
            await self.notifier.send(tx, telegram_id, render(self.i18n.get(language)))
        return True
