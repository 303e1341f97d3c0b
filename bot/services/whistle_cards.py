"""What a whistle looks like to each party, and its cards in people's chats.

A department sees its own sub-order and what it needs of the request: the place, the
description, the photos, the whistler's notes, what is asked of it, and who else is on it.
The resident's name and phone are in its view only when the whistler ticked "share contact";
otherwise they are not in the model at all. Every card sent about a whistle is kept with its
outbox row and edited when things move on (:meth:`WhistleCards.refresh`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from bot.i18n import I18n, Translator
from bot.messages import OutMessage
from bot.models import Department, OrgUnit, Person, Role
from bot.models.whistle import (
    MeetingView,
    Post,
    SubOrder,
    SubOrderView,
    Whistle,
    WhistleView,
)
from bot.views import suborders as order_views
from bot.views import whistle as whistle_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.flow import RequestFlow
    from storage.db import Tx

__all__ = ["OrderRender", "WhistleCards", "WhistleRender", "escalation_kind", "reminder_kind"]

LOG = logging.getLogger(__name__)

OrderRender = Callable[[Translator, str, SubOrderView, datetime, tzinfo], OutMessage]
WhistleRender = Callable[[Translator, str, WhistleView, datetime, tzinfo], OutMessage]

# Card kinds: how each is redrawn when the whistle moves on.
ORDER_CARD = "order"  # a department's card of its sub-order (liaisons, heads)
BOARD = "board"  # the whistle's board of the whistler, with their decisions
FOLLOW_BOARD = "follow"  # the board of a first secretary who joined: no decisions
RETURN_CARD = "return"  # the whistler's card of a returned sub-order
DISPUTE_CARD = "dispute"  # the district's card of a dispute
WATCH_CARD = "watch"  # an escalation card (a head's or the district's): where it stands
READY_CARD = "ready"  # the lead's "every part is done: resolve it"
REOPENED_CARD = "reopened"  # the lead's "the resident is not satisfied"
MEETING_CARD = "meeting"  # an invitation to a joint meeting: "meeting:<meeting>:<party>"


class WhistleCards:
    def __init__(self, clock: Clock, flow: RequestFlow, i18n: I18n, config: Config) -> None:
        self.clock = clock
        self.flow = flow
        self.i18n = i18n
        self.config = config

    # -- views -------------------------------------------------------------------------------
    async def departments(self, tx: Tx, orders: list[SubOrder]) -> dict[int, Department]:
        return await tx.departments.many([o.department_id for o in orders])

    async def meetings(self, tx: Tx, whistle: Whistle) -> list[MeetingView]:
        """The whistle's meetings, each party named (a department, the whistling unit or a
        first secretary by their Telegram name), in Chinese (names are the org's own)."""
        out = []
        unit = await tx.org.get(whistle.unit_id)
        for meeting in await tx.whistles.meetings(whistle.id):
            if meeting.state != "proposed":
                continue
            parties = []
            for party in await tx.whistles.parties(meeting.id):
                parties.append((party, await self._party_name(tx, party, unit)))
            proposer = unit.name if unit is not None else "?"
            if meeting.department_id is not None:
                department = await tx.departments.get(meeting.department_id)
                proposer = department.short_name if department else "?"
            out.append(MeetingView(meeting, proposer, parties))
        return out

    async def _party_name(self, tx: Tx, party: object, unit: OrgUnit | None) -> str:
        department_id = getattr(party, "department_id", None)
        person_id = getattr(party, "person_id", None)
        if department_id is not None:
            department = await tx.departments.get(department_id)
            return department.short_name if department else "?"
        if person_id is not None:
            person = await tx.people.get(person_id)
            return person.display_name if person and person.display_name else "?"
        return unit.name if unit is not None else "?"

    async def order_view(self, tx: Tx, order: SubOrder, *, events: bool = False) -> SubOrderView:
        """The sub-order as its department sees it (contact only when shared)."""
        whistle = await tx.whistles.get(order.whistle_id)
        request = await tx.requests.get(order.request_id)
        assert whistle is not None and request is not None
        shared = whistle.share_contact and not request.anonymous
        # The department's model of the request has no resident in it unless shared.
        hidden = request.model_copy(
            update={"contact_name": None, "contact_phone": None, "resident_id": None}
        )
        view = await self.flow.view(tx, hidden, is_owner=False, supporters=0)
        orders = await tx.whistles.orders(whistle.id)
        departments = await self.departments(tx, orders)
        unit = await tx.org.get(whistle.unit_id)
        assert unit is not None
        return SubOrderView(
            sub_order=order,
            department=departments[order.department_id],
            request=view,
            whistle=whistle,
            whistler_unit=unit,
            others=[(o, departments[o.department_id]) for o in orders if o.id != order.id],
            events=await tx.whistles.events(order.id) if events else [],
            meetings=await self.meetings(tx, whistle),
            contact_name=request.contact_name if shared else None,
            contact_phone=request.contact_phone if shared else None,
        )

    async def whistle_view(self, tx: Tx, whistle: Whistle) -> WhistleView:
        """The whistle as the whistler, the district and first secretaries see it."""
        request = await tx.requests.get(whistle.request_id)
        unit = await tx.org.get(whistle.unit_id)
        assert request is not None and unit is not None
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        orders = await tx.whistles.orders(whistle.id)
        departments = await self.departments(tx, orders)
        return WhistleView(
            whistle=whistle,
            request=view,
            unit=unit,
            sub_orders=[(o, departments[o.department_id]) for o in orders],
            meetings=await self.meetings(tx, whistle),
            joiners=await tx.whistles.joiners(whistle.id),
        )

    # -- who -------------------------------------------------------------------------------
    async def staff(
        self, tx: Tx, department_id: int, posts: tuple[Post, ...] = (Post.LIAISON, Post.HEAD)
    ) -> list[Person]:
        return [p for p, _post in await tx.departments.staff(department_id, posts)]

    async def heads(self, tx: Tx, department: Department) -> list[Person]:
        """Who a late sub-order of the department is escalated to: its heads, else the heads
        of the department it is a branch of."""
        heads = await self.staff(tx, department.id, (Post.HEAD,))
        if not heads and department.parent_id is not None:
            heads = await self.staff(tx, department.parent_id, (Post.HEAD,))
        return heads

    async def district_admins(self, tx: Tx, request_compound_id: int) -> list[Person]:
        """The administrators of the district above a compound (区级统筹)."""
        compound = await tx.org.get(request_compound_id)
        assert compound is not None
        district = next((u for u in await tx.org.ancestors(compound) if u.parent_id is None), None)
        if district is None:
            return []
        return await tx.people.holders(Role.ADMIN, [district])

    # -- sending ---------------------------------------------------------------------------
    def _t(self, person: Person) -> tuple[Translator, str]:
        language = person.language or self.i18n.default
        return self.i18n.get(language), language

    async def send_order_card(
        self,
        tx: Tx,
        order: SubOrder,
        person: Person,
        kind: str,
        render: OrderRender,
        *,
        view: SubOrderView | None = None,
    ) -> None:
        """Send a card about the sub-order, kept to be redrawn as ``kind``."""
        if person.unreachable:
            return
        view = view or await self.order_view(tx, order)
        t, language = self._t(person)
        message = render(t, language, view, self.clock.now(), self.config.tz)
        outbox_id = await self.flow.notifier.send(tx, person.telegram_id, message)
        if outbox_id is not None:
            await tx.whistles.add_card(order.whistle_id, order.id, person.id, kind, outbox_id)

    async def send_board(
        self, tx: Tx, whistle: Whistle, person: Person, kind: str = BOARD
    ) -> None:
        """The whistle's board in someone's chat (``FOLLOW_BOARD``: without the whistler's
        decisions), kept up to date from then on."""
        if person.unreachable:
            return
        view = replace(await self.whistle_view(tx, whistle), manage=kind == BOARD)
        t, language = self._t(person)
        message = whistle_views.board(t, language, view, self.clock.now(), self.config.tz)
        outbox_id = await self.flow.notifier.send(tx, person.telegram_id, message)
        if outbox_id is not None:
            await tx.whistles.add_card(whistle.id, None, person.id, kind, outbox_id)

    async def tell(self, tx: Tx, people: list[Person], render: Callable[..., OutMessage]) -> None:
        """A one-off message (``render(t, language)``) to each of ``people``."""
        for person in people:
            if not person.unreachable:
                t, language = self._t(person)
                await self.flow.notifier.send(tx, person.telegram_id, render(t, language))

    async def send_meeting_card(
        self, tx: Tx, whistle: Whistle, meeting_id: int, party_id: int, person: Person
    ) -> None:
        """A meeting's invitation to one person of a party, with that party's answers."""
        if person.unreachable:
            return
        view = await self.whistle_view(tx, whistle)
        t, language = self._t(person)
        message = order_views.meeting_card(
            t, language, view, meeting_id, party_id, self.clock.now(), self.config.tz
        )
        outbox_id = await self.flow.notifier.send(tx, person.telegram_id, message)
        if outbox_id is not None:
            kind = f"{MEETING_CARD}:{meeting_id}:{party_id}"
            await tx.whistles.add_card(whistle.id, None, person.id, kind, outbox_id)

    async def refresh(
        self, tx: Tx, whistle_id: int, order_id: int | None = None, *, orders: bool = True
    ) -> None:
        """Redraw the cards of the whistle: its boards and meeting cards, and its sub-orders'
        cards (only ``order_id``'s when given; none when not ``orders``)."""
        whistle = await tx.whistles.get(whistle_id)
        if whistle is None:
            return
        now, tz = self.clock.now(), self.config.tz
        board: WhistleView | None = None
        views: dict[int, SubOrderView] = {}
        for card_order, person_id, kind, outbox_id in await tx.whistles.cards(whistle_id):
            if card_order is not None and (
                not orders or (order_id is not None and card_order != order_id)
            ):
                continue
            person = await tx.people.get(person_id)
            if person is None:
                continue
            t, language = self._t(person)
            if card_order is None:
                board = board or await self.whistle_view(tx, whistle)
                if kind.startswith(f"{MEETING_CARD}:"):
                    _, meeting_id, party_id = kind.split(":")
                    message = order_views.meeting_card(
                        t, language, board, int(meeting_id), int(party_id), now, tz
                    )
                else:
                    shown = replace(board, manage=kind == BOARD)
                    message = whistle_views.board(t, language, shown, now, tz)
            else:
                if card_order not in views:
                    order = await tx.whistles.order(card_order)
                    if order is None:
                        continue
                    views[card_order] = await self.order_view(tx, order)
                message = _redraw(kind)(t, language, views[card_order], now, tz)
            await self.flow.notifier.edit(tx, outbox_id, message)


def reminder_kind(what: str) -> str:
    """The kind a reminder card is kept as (redrawn with its header)."""
    return f"remind:{what}"


def escalation_kind(what: str, level: str) -> str:
    """The kind an escalation card is kept as (redrawn with its header)."""
    return f"escalate:{what}:{level}"


def _redraw(kind: str) -> OrderRender:
    """How a kept sub-order card is drawn as it stands now (a reminder or an escalation keeps
    its header: it says what the message was)."""
    name, _, rest = kind.partition(":")
    if name == "remind":
        return order_views.reminder_card(rest)
    if name == "escalate":
        what, _, level = rest.partition(":")
        return order_views.escalation_card(what, level)
    return {
        ORDER_CARD: order_views.order_card,
        RETURN_CARD: whistle_views.return_card,
        DISPUTE_CARD: whistle_views.dispute_card,
        WATCH_CARD: order_views.watch_card,
        READY_CARD: order_views.ready_card,
        REOPENED_CARD: order_views.reopened_card,
    }.get(kind, order_views.watch_card)
