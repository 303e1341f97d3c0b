"""Resident requests (群众点单): filing, "me too", my requests, cancelling, adding information,
rating. Every status change goes through :meth:`RequestFlow.transition` (bot/services/flow.py):
checked by the state machine, written as a conditional update plus an event, and announced
through the outbox in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import COMMENT, NOTE
from bot.i18n import N_, I18n, Translator
from bot.lifecycle import CANCELLABLE, OPEN, Status
from bot.messages import OutMessage
from bot.models import (
    Category,
    FlowEnd,
    HandledBy,
    Rating,
    Request,
    RequestView,
    Tier,
)
from bot.models.intake import Draft
from bot.services.journal import record
from bot.services.scope import Refused, administers, audited_refusals
from bot.views import requests as views
from bot.views import tasks as task_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.dispatch import DispatchService
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.waiting import WaitingService
    from storage.db import Database, Tx

__all__ = ["PAGE_SIZE", "SIMILAR_WINDOW", "RequestService", "source_key"]

LOG = logging.getLogger(__name__)

PAGE_SIZE = 5
SIMILAR_WINDOW = timedelta(hours=72)
SIMILAR_LIMIT = 3
CATEGORY_CACHE = timedelta(minutes=1)
# What the resident adds to a request: text like a note, or else a photo.
INFO = replace(NOTE, name="information", empty=N_("Please send some text or a photo."))

Render = Callable[[Translator, str], OutMessage]


class RequestService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        dispatcher: DispatchService,
        waiting: WaitingService,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.dispatcher = dispatcher
        self.waiting = waiting
        self.i18n = i18n
        self.config = config
        self._categories: tuple[datetime, list[Category]] | None = None

    # -- reading -------------------------------------------------------------------------
    async def categories(self) -> list[Category]:
        """The active categories (the menu of the first step); read at most once a minute."""
        now = self.clock.now()
        if self._categories is None or now - self._categories[0] > CATEGORY_CACHE:
            async with self.db.statement() as tx:
                self._categories = (now, await tx.requests.categories())
        return list(self._categories[1])

    async def category(self, category_id: int, *, fresh: bool = False) -> Category:
        """An active category; ``fresh`` reads it now (its tier, just before filing) rather
        than from the menu read at most a minute ago."""
        if fresh:
            async with self.db.statement() as tx:
                found = await tx.requests.category(category_id)
            category = found if found is not None and found.active else None
        else:
            category = next((c for c in await self.categories() if c.id == category_id), None)
        if category is None:
            raise NotFound(N_("That category is not available any more."))
        return category

    async def similar(self, actor: Actor, category_id: int) -> list[Request]:
        """Open requests like this one from the actor's compound in the last 72 hours."""
        compound_id = self._home(actor)
        async with self.db.read() as tx:
            return await tx.requests.open_similar(
                compound_id=compound_id,
                category_id=category_id,
                since=self.clock.now() - SIMILAR_WINDOW,
                exclude_person=actor.id,
                limit=SIMILAR_LIMIT,
            )

    async def page(self, actor: Actor, page: int) -> tuple[list[RequestView], int]:
        """One page of the requests the actor filed or supports, newest first; and the total."""
        async with self.db.read() as tx:
            total = await tx.requests.count_for_person(actor.id)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            rows = await tx.requests.for_person(actor.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
            counts = await tx.requests.supporter_counts([r.id for r in rows])
            out = []
            for request in rows:
                category = await tx.requests.category(request.category_id)
                assert category is not None
                out.append(
                    RequestView(
                        request=request,
                        category=category,
                        compound_path=[],
                        supporters=counts.get(request.id, 0),
                        is_owner=request.resident_id == actor.id,
                    )
                )
        return out, total

    async def view(self, actor: Actor, request_id: int) -> RequestView:
        """The request with photos and timeline, for its resident or a supporter."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request = await tx.requests.get(request_id)
            if request is None:
                raise NotFound(N_("That request does not exist."))
            supporters = await tx.requests.supporter_ids(request.id)
            is_owner = request.resident_id == actor.id
            if not is_owner and actor.id not in supporters:
                raise Refused(
                    NotAllowed(N_("You can only see your own requests.")),
                    action="request.view",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="neither its resident nor a neighbour following it",
                )
            return await self.flow.view(
                tx, request, is_owner=is_owner, supporters=len(supporters), timeline=True
            )

    # -- filing --------------------------------------------------------------------------
    async def submit(
        self, actor: Actor, draft: Draft, end: FlowEnd | None = None
    ) -> tuple[Request, bool]:
        """File the draft; return the request and whether it is new.

        The draft's nonce makes this idempotent: a repeated Confirm returns the same request.
        ``end`` ends the intake conversation in the same transaction.
        """
        compound_id = self._home(actor)
        if not draft.complete or draft.category_id is None or draft.description is None:
            raise InvalidInput(N_("The request is not complete yet."))
        key = source_key(actor, draft.nonce)

        async def build(tx: Tx) -> Request:
            assert draft.category_id is not None
            category = await tx.requests.category(draft.category_id)
            if category is None or not category.active:
                raise NotFound(N_("That category is not available any more."))
            return await self.file(
                tx,
                actor,
                compound_id=compound_id,
                category=category,
                draft=draft,
                source_key=key,
                contact_name=actor.person.display_name or None,
            )

        return await self.file_once(actor, key, draft.phone, end, build)

    async def file_once(
        self,
        actor: Actor,
        source_key: str,
        phone: str | None,
        end: FlowEnd | None,
        build: Callable[[Tx], Awaitable[Request]],
    ) -> tuple[Request, bool]:
        """File what ``build`` makes, once per ``source_key`` (a flow's nonce): a repeated
        Confirm finds the same request. The phone given becomes the person's; ``end`` ends
        the flow in the same transaction. Returns the request and whether it is new."""
        async with self.db.transaction() as tx:
            existing = await tx.requests.by_source(source_key)
            if existing is not None:
                await self._finish(tx, actor, end, existing)
                return existing, False
            request = await build(tx)
            if phone and phone != actor.person.phone:
                await tx.people.update(actor.id, self.clock.now(), phone=phone)
            await self._finish(tx, actor, end, request)
        LOG.info("request %s filed by person %d", request.number, actor.id)
        return request, True

    async def filed(self, actor: Actor, nonce: str, kind: str = "intake") -> Request | None:
        """The request the actor's flow ``nonce`` filed, if it was (a Confirm pressed again
        after the flow ended: the same number, never a second request)."""
        async with self.db.statement() as tx:
            return await tx.requests.by_source(source_key(actor, nonce, kind))

    async def _finish(self, tx: Tx, actor: Actor, end: FlowEnd | None, request: Request) -> None:
        if end is not None:
            await tx.flows.finish(
                end, person_id=actor.id, subject=f"request:{request.id}", now=self.clock.now()
            )

    async def file(
        self,
        tx: Tx,
        actor: Actor | None,
        *,
        compound_id: int,
        category: Category,
        draft: Draft,
        source_key: str | None,
        contact_name: str | None,
        channel: str = "telegram",
        label: str = "system",
        on_created: Callable[[Tx, Request], Awaitable[None]] | None = None,
        service_team_id: int | None = None,
        preferred_slots: list[str] | None = None,
        tier: Tier | None = None,
        handled_by: HandledBy | None = None,
    ) -> Request:
        """Create, triage and route a request inside the caller's transaction.

        ``actor`` is the resident filing it; None for a request with no resident in the bot
        (a city system's, through the API, or the community's own), whose events carry
        ``label``. ``on_created`` runs once the request exists, before it is routed (so the
        cards already show what it records). ``service_team_id`` makes it a service order of
        that team's project, routed to the team's members. ``tier`` and ``handled_by`` override
        the category's (the community's own difficult matter goes to its administrators); the
        request keeps its ``handled_by``, so it stays on that route.
        """
        assert draft.description is not None
        now = self.clock.now()
        tier = tier or (Tier.URGENT if draft.urgent else category.default_tier)
        year = now.astimezone(self.config.tz).year
        number = await tx.requests.next_number(self.config.requests.number_prefix, year)
        filer_id = actor.id if actor is not None else None
        request = await tx.requests.create(
            number=number,
            source_key=source_key,
            resident_id=filer_id,
            contact_name=contact_name,
            contact_phone=draft.phone,
            anonymous=draft.anonymous,
            compound_id=compound_id,
            category_id=category.id,
            tier=tier,
            description=draft.description,
            address=draft.address,
            latitude=draft.latitude,
            longitude=draft.longitude,
            now=now,
            channel=channel,
            service_team_id=service_team_id,
            preferred_slots=preferred_slots,
            handled_by=handled_by,
        )
        await record(
            tx, now, request, "status", actor=actor, label=label, to_status=Status.SUBMITTED
        )
        for file_id in draft.photos:
            await tx.requests.add_photo(request.id, file_id, "intake", filer_id, now)
        if on_created is not None:
            await on_created(tx, request)
        # Triage is automatic: the tier comes from the category and the urgency answer.
        note = N_("opinion, routed to the community") if category.is_opinion else None
        request = await self.flow.transition(
            tx, request, Status.TRIAGED, actor=None, note=note, announce=False
        )
        # 组织下单: on its route (the members nearby, the admins, a team ...).
        return await self.dispatcher.route(tx, request)

    async def support(self, actor: Actor, request_id: int, end: FlowEnd | None = None) -> Request:
        """'This is my problem too': follow the request instead of filing a duplicate
        (``end`` ends the intake in the same transaction)."""
        compound_id = self._home(actor)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None or request.compound_id != compound_id:
                raise NotFound(N_("That request does not exist."))
            if request.status not in OPEN:
                raise InvalidTransition(N_("That request is already settled."))
            if request.resident_id == actor.id:
                raise InvalidInput(N_("That is your own request."))
            if await tx.requests.add_supporter(request.id, actor.id, now):
                await record(tx, now, request, "supporter", actor=actor)
            await self._finish(tx, actor, end, request)
        return request

    # -- the resident's actions ----------------------------------------------------------
    async def cancel(self, actor: Actor, request_id: int) -> Request:
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._own(tx, actor, request_id, "request.cancel")
            if request.status not in CANCELLABLE:
                raise InvalidInput(
                    N_("Someone has already accepted this request, so it cannot be cancelled.")
                )
            return await self.flow.transition(
                tx, request, Status.CANCELLED, actor=actor, note=N_("cancelled by the resident")
            )

    async def add_info(
        self, actor: Actor, request_id: int, *, text: str | None = None, photo: str | None = None
    ) -> Request:
        """Append the resident's text or photo to the timeline."""
        if text is not None:
            text = INFO.accept(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._own(tx, actor, request_id, "request.info")
            if request.status not in OPEN:
                raise InvalidTransition(N_("That request is already settled."))
            if photo is not None:
                await tx.requests.add_photo(request.id, photo, "info", actor.id, now)
            await self.waiting.resume_if_waiting(tx, request)  # the resident answered
            note = text if text is not None else N_("added a photo")
            await record(tx, now, request, "info", actor=actor, note=note)
            if request.assignee_id is not None:
                assignee = await tx.people.get(request.assignee_id)
                if assignee is not None:
                    await self.flow.send(
                        tx,
                        assignee,
                        lambda t, lang: views.info_added(t, lang, request, text, photo),
                    )
        return request

    async def rate(self, actor: Actor, request_id: int, rating: Rating) -> Request:
        """评单: satisfied or basically satisfied closes; unsatisfied reopens (重办)."""
        if rating is Rating.NOT_RATED:
            raise InvalidInput(N_("Please choose one of the answers."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._own(tx, actor, request_id, "request.rate")
            if request.status is not Status.RESOLVED:
                if request.rating not in (None, Rating.NOT_RATED):
                    raise InvalidTransition(N_("You have already rated this request."))
                raise InvalidTransition(N_("This request is not waiting for a rating."))
            # The rating first: it causes what follows (closed, or reopened: 重办).
            await record(tx, now, request, "rating", actor=actor, note=rating.value)
            if rating is Rating.UNSATISFIED:
                request = await self.flow.transition(
                    tx,
                    request,
                    Status.REOPENED,
                    actor=actor,
                    note=N_("the resident was not satisfied"),
                    rating=rating.value,
                    rated_at=now,
                )
                await self.flow.tell_admins(tx, request, views.unsatisfied_flag)
                await self._back_to_assignee(tx, request)
            else:
                request = await self.flow.transition(
                    tx,
                    request,
                    Status.CLOSED,
                    actor=actor,
                    note=None,
                    rating=rating.value,
                    rated_at=now,
                )
        return request

    async def comment(self, actor: Actor, request_id: int, text: str) -> None:
        """The optional comment that goes with a rating."""
        text = COMMENT.accept(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._own(tx, actor, request_id, "request.comment")
            if request.rating is None:
                raise InvalidTransition(N_("This request is not waiting for a rating."))
            await tx.requests.set_comment(request.id, text, now)
            await record(tx, now, request, "comment", actor=actor, note=text)

    async def resolve(self, actor: Actor, request_id: int, note: str) -> Request:
        """Mark a request resolved (by its assignee or an admin of its area); ask for a rating."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None:
                raise NotFound(N_("That request does not exist."))
            if request.assignee_id != actor.id and not await self._administers(tx, actor, request):
                raise Refused(
                    NotAllowed(
                        N_("Only the member who took it, or an administrator, can do this.")
                    ),
                    action="request.resolve",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="neither its member nor an administrator of its area",
                )
            return await self.flow.transition(tx, request, Status.RESOLVED, actor=actor, note=note)

    async def _back_to_assignee(self, tx: Tx, request: Request) -> None:
        """重办: the member who did it gets it back, reopened."""
        if request.assignee_id is None:
            return
        assignee = await tx.people.get(request.assignee_id)
        if assignee is None:
            return
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        now = self.clock.now()
        await self.flow.send(
            tx,
            assignee,
            lambda t, lang: task_views.reopened_card(t, lang, view, now, self.config.tz),
        )

    # -- helpers -------------------------------------------------------------------------
    def _home(self, actor: Actor) -> int:
        if actor.person.home_unit_id is None:
            raise NotAllowed(N_("Please choose your compound first: send /start."))
        return actor.person.home_unit_id

    async def _own(self, tx: Tx, actor: Actor, request_id: int, action: str) -> Request:
        """The request, if the actor filed it; anyone else's try is a refusal audited as
        ``action`` (call inside :func:`audited_refusals`)."""
        request = await tx.requests.get(request_id)
        if request is None:
            raise NotFound(N_("That request does not exist."))
        if request.resident_id != actor.id:
            raise Refused(
                NotAllowed(N_("Only the resident who filed it can do this.")),
                action=action,
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="not the resident who filed it",
            )
        return request

    async def _administers(self, tx: Tx, actor: Actor, request: Request) -> bool:
        compound = await tx.org.get(request.compound_id)
        return compound is not None and await administers(tx, actor, compound)


def source_key(actor: Actor, nonce: str, kind: str = "intake") -> str:
    """What marks a request as filed by one flow of ``kind`` (a repeated Confirm files it
    once): ``intake``, or ``order`` for a service order."""
    return f"{kind}:{actor.id}:{nonce}"
