"""The escalation ladder (督办: 社区主导、街道指挥、区级统筹) and what admins do with an escalated
request: change its tier, write to the member working on it.

An overdue request climbs community -> street -> district; each rung is that level's admins, or
the next level's when it has none. Extending the deadline is :mod:`bot.services.extensions`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bot.errors import InvalidInput
from bot.freetext import REASON
from bot.i18n import N_, I18n
from bot.lifecycle import OPEN
from bot.models import Person, Request, Role, Tier
from bot.services.clocks import LADDER
from bot.services.journal import Change, record
from bot.services.scope import administered_request, audited_refusals
from bot.views import deadlines as views
from bot.views import requests as request_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.cards import Cards
    from bot.services.clocks import Clocks
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["EscalationService", "RungCache"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Rung:
    """The level an escalation reached and its admins."""

    level: str
    admins: list[Person]


RungCache = dict[tuple[int, int], _Rung]


class EscalationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        clocks: Clocks,
        cards: Cards,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.clocks = clocks
        self.cards = cards
        self.i18n = i18n
        self.config = config

    # -- the ladder --------------------------------------------------------------------------
    async def _rung(self, tx: Tx, compound_id: int, step: int, cache: RungCache) -> _Rung:
        """Who answers escalation ``step`` for a compound: that level's admins, or the next
        level's when it has none. Cached for the batch (many requests share a compound)."""
        key = (compound_id, step)
        if key in cache:
            return cache[key]
        level = LADDER[min(step, len(LADDER)) - 1]
        compound = await tx.org.get(compound_id)
        path = [*await tx.org.ancestors(compound), compound] if compound else []
        rung = _Rung(level.value, [])
        for wanted in LADDER[LADDER.index(level) :]:
            unit = next((u for u in path if u.level is wanted), None)
            if unit is None:
                continue
            admins = await tx.people.holders(Role.ADMIN, [unit])
            if admins:
                rung = _Rung(unit.level.value, admins)
                break
        cache[key] = rung
        return rung

    async def escalate(
        self, tx: Tx, request: Request, step: int, what: str, cache: RungCache
    ) -> None:
        """The sweep's part: the request is overdue; the admins of the next rung get a card."""
        rung = await self._rung(tx, request.compound_id, step, cache)
        now = self.clock.now()
        name = rung.level
        if _rank(name) > _rank(request.escalation_level):
            await tx.requests.set_fields(request.id, now, escalation_level=name)
            request = request.model_copy(update={"escalation_level": name})
        await record(tx, now, request, "escalation", actor=None, note=f"{what}:{name}")
        if not rung.admins:
            LOG.warning("request %s: escalation %d found no administrator", request.number, step)
            return
        silent = self.clocks.quiet_now(request.tier)
        view = await self.flow.view(tx, request, is_owner=False, supporters=0, timeline=False)
        due = request.accept_due_at if what == "accept" else request.resolve_due_at
        for admin in rung.admins:
            language = admin.language or self.i18n.default
            message = views.escalation_card(
                self.i18n.get(language),
                language,
                view,
                now,
                self.config.tz,
                what=what,
                level=name,
                overdue=now - (due or now),
            )
            outbox_id = await self.flow.notifier.send(
                tx, admin.telegram_id, message, silent=silent
            )
            if outbox_id is not None:
                await self.cards.keep(tx, request, admin, outbox_id)

    # -- admins' actions -------------------------------------------------------------------
    async def retier(self, actor: Actor, request_id: int, tier: Tier) -> Request:
        """Change the tier; the clocks are recomputed from the filing time. The resident (and
        the neighbours following it) are told, and every card of the request shows the new
        tier and deadline."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, _ = await administered_request(tx, actor, request_id, "request.retier")
            if request.status not in OPEN:
                raise InvalidInput(N_("That request is already settled."))
            if request.tier is tier:
                return request
            before = {"tier": request.tier.value}
            await tx.requests.set_fields(request.id, now, tier=tier)
            request = await tx.requests.get(request.id) or request
            request = await self.clocks.reschedule(tx, request)
            change = Change("request.retier", before, {"tier": tier.value})
            await record(tx, now, request, "retier", actor=actor, note=tier.value, change=change)
            await self.cards.refresh_member_cards(tx, request)
            await self.cards.refresh_admin_cards(tx, request)
            for person_id, own in await self.flow.audience(tx, request):
                person = await tx.people.get(person_id)
                if person is not None:
                    render = partial(
                        request_views.retier_notice, request=request, tz=self.config.tz, own=own
                    )
                    await self.flow.send(tx, person, render)
            return request

    async def message_assignee(self, actor: Actor, request_id: int, text: str) -> Request:
        """An admin writes to the member working on the request."""
        text = REASON.with_limit(2000).accept(text)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, _ = await administered_request(tx, actor, request_id, "request.message")
            if request.assignee_id is None:
                raise InvalidInput(N_("Nobody is working on this request yet."))
            assignee = await tx.people.get(request.assignee_id)
            if assignee is None:
                raise InvalidInput(N_("Nobody is working on this request yet."))
            await self.flow.send(
                tx, assignee, lambda t, lang: views.admin_message(t, request, text)
            )
            await record(tx, self.clock.now(), request, "admin_message", actor=actor, note=text)
        return request


def _rank(level: str | None) -> int:
    order = [None, *(lv.value for lv in LADDER)]
    return order.index(level) if level in order else 0
