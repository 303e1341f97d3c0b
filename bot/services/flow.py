"""The one way a request's status changes, and how people hear about it.

:meth:`RequestFlow.transition` checks the state machine, makes one conditional update (of two
concurrent attempts exactly one wins), writes the event and queues the announcements through
the outbox, all in the caller's transaction. Services that move requests share this object.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from bot.errors import NotFound
from bot.i18n import N_, I18n, Translator
from bot.lifecycle import CANCELLABLE, OPEN, Status, check
from bot.messages import OutMessage
from bot.models import Category, OrgUnit, Person, Request, RequestEvent, RequestView
from bot.models.consult import LIVE_STATES
from bot.models.whistle import WhistleState
from bot.services.journal import record
from bot.services.scope import nearest_admins
from bot.views import requests as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.outbox import Notifier
    from bot.services.people import Actor

from storage.db import Tx

__all__ = ["Render", "RequestFlow", "held_by"]

LOG = logging.getLogger(__name__)

# Timeline events a resident (and the neighbours who said "me too") may see. The others —
# reminders, assignments and declines (with the member's name and reason), extension asks,
# admins' messages to the member, relayed messages — stay with members and admins.
RESIDENT_EVENTS = frozenset(
    {
        "status",
        "info",
        "supporter",
        "rating",
        "comment",
        "note",
        "escalation",
        "retier",
        "extension",
        "waiting",
        "consultation",
        "department",  # a department's plain step (吹哨报到): "城管执法局已签收"
    }
)

Render = Callable[[Translator, str], OutMessage]
Observer = Callable[[Tx, Request, Status, Status], Awaitable[None]]
AdminRender = Callable[[Translator, str, Request, Category, list[OrgUnit]], OutMessage]


def _status_message(
    t: Translator,
    language: str,
    *,
    request: Request,
    status: Status,
    note: str | None,
    own: bool,
) -> OutMessage:
    """What the resident (own) or a supporter is told when the status changes."""
    if status is Status.RESOLVED and own:
        return views.rating_prompt(t, language, request, note)
    return views.status_update(t, language, request, status, note, own=own)


class RequestFlow:
    def __init__(self, clock: Clock, notifier: Notifier, i18n: I18n) -> None:
        self.clock = clock
        self.notifier = notifier
        self.i18n = i18n
        # Called after every status change, in the same transaction (the deadline clocks).
        self.observers: list[Observer] = []

    async def transition(
        self,
        tx: Tx,
        request: Request,
        target: Status,
        *,
        actor: Actor | None,
        note: str | None,
        announce: bool = True,
        **fields: object,
    ) -> Request:
        """Move ``request`` to ``target``: check, conditional update, event, clocks,
        announcement.

        Raises InvalidTransition if the state machine forbids it, or if another update changed
        the request first (the conditional update found it in another status).
        """
        updated = await self.try_transition(
            tx, request, target, actor=actor, note=note, announce=announce, **fields
        )
        if updated is None:
            fresh = await tx.requests.get(request.id)
            if fresh is None:
                raise NotFound(N_("That request does not exist."))
            check(fresh.status, target)  # raises, naming the status it is really in
            raise NotFound(N_("That request does not exist."))
        return updated

    async def try_transition(
        self,
        tx: Tx,
        request: Request,
        target: Status,
        *,
        actor: Actor | None,
        note: str | None,
        announce: bool = True,
        **fields: object,
    ) -> Request | None:
        """Like :meth:`transition`, but None when someone else changed the request first."""
        current = request.status
        check(current, target)
        now = self.clock.now()
        if not await tx.requests.change_status(request.id, current, target, now, **fields):
            return None
        await record(
            tx,
            now,
            request,
            "status",
            actor=actor,
            from_status=current,
            to_status=target,
            note=note,
        )
        updated = await tx.requests.get(request.id)
        assert updated is not None
        for observer in self.observers:
            await observer(tx, updated, current, target)
        if announce:
            await self.announce(tx, updated, target, note, actor)
        return updated

    async def announce(
        self, tx: Tx, request: Request, status: Status, note: str | None, actor: Actor | None
    ) -> None:
        """Tell the resident and the supporters what happened (not the one who did it)."""
        recipients: list[tuple[Person, bool]] = []
        for person_id, is_owner in await self.audience(tx, request):
            person = await tx.people.get(person_id)
            if person is not None:
                recipients.append((person, is_owner))
        for person, is_owner in recipients:
            if actor is not None and person.id == actor.id:
                continue  # they did it; the direct reply told them
            render = partial(
                _status_message, request=request, status=status, note=note, own=is_owner
            )
            await self.send(tx, person, render)

    async def audience(self, tx: Tx, request: Request) -> list[tuple[int, bool]]:
        """Who hears about a request: (person id, is the resident) for resident and supporters."""
        out: list[tuple[int, bool]] = []
        if request.resident_id is not None:
            out.append((request.resident_id, True))
        out += [(pid, False) for pid in await tx.requests.supporter_ids(request.id)]
        return out

    async def tell_audience(
        self, tx: Tx, request: Request, build: Callable[..., OutMessage], **params: object
    ) -> None:
        """Tell the resident and the neighbours following the request: ``build(t, language,
        request=..., own=..., **params)`` for each."""
        for person_id, own in await self.audience(tx, request):
            person = await tx.people.get(person_id)
            if person is not None:
                await self.send(tx, person, partial(build, request=request, own=own, **params))

    async def send(self, tx: Tx, person: Person, render: Render) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(tx, person.telegram_id, render(self.i18n.get(language), language))

    async def tell_admins(
        self,
        tx: Tx,
        request: Request,
        build: AdminRender,
    ) -> None:
        """Route to the community's admins; the street's or district's if it has none."""
        category, path, admins = await self.admins_of(tx, request)
        for admin in admins:
            await self.send(tx, admin, lambda t, lang: build(t, lang, request, category, path))

    async def admins_of(
        self, tx: Tx, request: Request
    ) -> tuple[Category, list[OrgUnit], list[Person]]:
        """What an admin's message about the request names (its category, its compound's
        path) and who gets it: the community's admins, else the street's or the district's."""
        compound = await tx.org.get(request.compound_id)
        category = await tx.requests.category(request.category_id)
        assert compound is not None and category is not None
        path = [*await tx.org.ancestors(compound), compound]
        _level, admins = await nearest_admins(tx, compound)
        if not admins:
            LOG.warning("request %s: no administrator anywhere above it", request.number)
        return category, path, admins

    async def assignee_name(self, tx: Tx, request: Request) -> str | None:
        """Who has the request: the member's real name (as the resident was told)."""
        if request.assignee_id is None:
            return None
        member = await tx.members.get(request.assignee_id)
        if member is not None:
            return member.real_name
        person = await tx.people.get(request.assignee_id)
        return person.display_name if person else None

    async def view(
        self,
        tx: Tx,
        request: Request,
        *,
        is_owner: bool,
        supporters: int,
        timeline: bool = False,
    ) -> RequestView:
        """The request with what screens need; ``timeline=True`` adds the events its resident
        and supporters may see (``RESIDENT_EVENTS``: not reminders, admins' messages, members'
        reasons or names)."""
        category = await tx.requests.category(request.category_id)
        compound = await tx.org.get(request.compound_id)
        assert category is not None and compound is not None
        assignee_name = await self.assignee_name(tx, request)
        submission = await tx.api.submission(request.id) if request.channel == "api" else None
        team = await tx.org.team(request.service_team_id) if request.service_team_id else None
        events = _for_resident(await tx.requests.events(request.id)) if timeline else []
        departments = {}
        if any(e.kind == "department" for e in events):
            departments = {d.id: d for d in await tx.departments.all(active_only=False)}
        return RequestView(
            request=request,
            category=category,
            compound_path=[*await tx.org.ancestors(compound), compound],
            photos=await tx.requests.photos(request.id),
            events=events,
            departments=departments,
            supporters=supporters,
            assignee_name=assignee_name,
            is_owner=is_owner,
            can_cancel=is_owner and request.status in CANCELLABLE,
            can_add_info=is_owner and request.status in OPEN,
            source_system=submission.key_name if submission else None,
            service_team=team,
            held_by=await held_by(tx, request),
        )


def _for_resident(events: list[RequestEvent]) -> list[RequestEvent]:
    """The events a resident may see; a member's reason for handing a task back (退回) goes
    to the admins, so its status line shows without it."""
    return [
        e.model_copy(update={"note": None}) if e.to_status == Status.RETURNED.value else e
        for e in events
        if e.kind in RESIDENT_EVENTS
    ]


async def held_by(tx: Tx, request: Request) -> str | None:
    """Who has the request instead of a member: "whistle" while departments work on it,
    "consultation" while the parties settle it; None otherwise."""
    whistle = await tx.whistles.by_request(request.id)
    if whistle is not None and whistle.state is WhistleState.OPEN:
        return "whistle"
    for consultation in await tx.consult.of_request(request.id):
        if consultation.state in LIVE_STATES:
            return "consultation"
    return None
