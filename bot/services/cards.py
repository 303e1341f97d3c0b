"""The cards of a request in people's chats, kept in step with it.

Members hold task cards: offered to the pool, assigned by hand, and the one the assignee works
from. Administrators hold flags (nobody available, handed back, declined, a request for the
community) and escalation cards. Each is recorded with the outbox row that sent it, so when the
request moves on its cards are edited to show where it stands now, with buttons that fit:

* every status change edits the administrators' cards (who has it, its deadline); a request
  that is settled while members still hold open cards takes those cards back;
* a new tier edits every card: the members' (tier and deadline) and the administrators'.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.i18n import I18n
from bot.lifecycle import OPEN, Status
from bot.models import Person, Request, RequestView
from bot.views import admin as admin_views
from bot.views import tasks as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.flow import RequestFlow
    from storage.db import Tx

__all__ = ["Cards"]

LOG = logging.getLogger(__name__)


class Cards:
    def __init__(self, clock: Clock, flow: RequestFlow, i18n: I18n, config: Config) -> None:
        self.clock = clock
        self.flow = flow
        self.i18n = i18n
        self.config = config

    # -- administrators' cards -------------------------------------------------------------
    async def flag_admins(
        self, tx: Tx, request: Request, build: views.AdminRender, *, dedup: str | None = None
    ) -> None:
        """Send a flag about the request to the administrators responsible for its compound
        (the community's; the street's or district's when it has none), kept to edit later.
        With ``dedup``, an administrator gets that flag once."""
        category, path, admins = await self.flow.admins_of(tx, request)
        for admin in admins:
            if admin.unreachable:
                continue
            language = admin.language or self.i18n.default
            message = build(self.i18n.get(language), language, request, category, path)
            key = None if dedup is None else f"{dedup}:{request.id}:{admin.id}"
            outbox_id = await self.flow.notifier.send(
                tx, admin.telegram_id, message, dedup_key=key
            )
            if outbox_id is not None:
                await self.keep(tx, request, admin, outbox_id)

    async def keep(self, tx: Tx, request: Request, admin: Person, outbox_id: int) -> None:
        """Record a card sent to an administrator (an escalation card, a flag)."""
        await tx.cards.add(request.id, admin.id, outbox_id, self.clock.now())

    async def on_transition(self, tx: Tx, request: Request, old: Status, new: Status) -> None:
        """Keep the cards in step with a status change (an observer of RequestFlow)."""
        if new in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
            await self.withdraw(tx, request)
        await self.refresh_admin_cards(tx, request)

    async def refresh_admin_cards(self, tx: Tx, request: Request) -> None:
        """Edit every administrator's card of the request to where it stands now."""
        cards = await tx.cards.of_request(request.id)
        if not cards:
            return
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        now = self.clock.now()
        for card in cards:
            admin = await tx.people.get(card.person_id)
            if admin is None:
                continue
            language = admin.language or self.i18n.default
            t = self.i18n.get(language)
            message = admin_views.admin_card(
                t, language, view, now, self.config.tz, head=t("🔄 <b>Where it stands now</b>")
            )
            await self.flow.notifier.edit(tx, card.outbox_id, message)

    # -- members' cards --------------------------------------------------------------------
    async def close_member_cards(
        self, tx: Tx, request: Request, *, winner: int | None, taker: str | None
    ) -> None:
        """Edit every open member card: the winner's into the card they work from, the others
        to "taken by <name>" (or "no longer open"); then close them."""
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        now = self.clock.now()
        for card in await tx.members.open_cards(request.id):
            person = await tx.people.get(card.person_id)
            if person is None or card.outbox_id is None:
                continue
            language = person.language or self.i18n.default
            t = self.i18n.get(language)
            if card.person_id == winner:
                message = views.accepted_card(t, language, view, now, self.config.tz)
            elif taker is not None:
                message = views.card_taken(t, request, taker)
            else:
                message = views.card_withdrawn(t, request)
            await self.flow.notifier.edit(tx, card.outbox_id, message)
        await tx.members.close_cards(request.id)

    async def withdraw(self, tx: Tx, request: Request) -> None:
        """The request is settled: cards still open cannot be accepted any more."""
        if await tx.members.open_cards(request.id):
            await self.close_member_cards(tx, request, winner=None, taker=None)

    async def refresh_member_cards(self, tx: Tx, request: Request) -> None:
        """Edit the open cards and the assignee's card to the request as it is now (a new
        tier, a new deadline), with the buttons each had."""
        if request.status not in OPEN:
            return
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        for card in await tx.members.open_cards(request.id):
            render = views.assign_card if card.kind == "assign" else views.pool_card
            await self._edit(tx, card.person_id, card.outbox_id, view, render)
        if request.assignee_id is not None:
            held = await tx.members.latest_card(request.id, request.assignee_id)
            if held is not None and held.state == "closed":
                await self._edit(tx, held.person_id, held.outbox_id, view, views.task_detail)

    async def _edit(
        self,
        tx: Tx,
        person_id: int,
        outbox_id: int | None,
        view: RequestView,
        render: views.CardRender,
    ) -> None:
        person = await tx.people.get(person_id)
        if person is None or outbox_id is None:
            return
        language = person.language or self.i18n.default
        message = render(self.i18n.get(language), language, view, self.clock.now(), self.config.tz)
        await self.flow.notifier.edit(tx, outbox_id, message)
