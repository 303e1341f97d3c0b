"""Broadcasts (通知): an administrator's notice to the residents and members of their area.

An admin picks an audience inside their scope (residents, members or both; optionally one unit
below, one service team or one member type), composes the text (always HTML-escaped; the only
formatting is the "bold title" switch) and an optional photo, sees the exact message and the
exact number of recipients, and sends. Sending writes the broadcast, one outbox row per
recipient (batch ``broadcast:<id>``) and the audit row in one transaction; the outbox delivers
at its configured rate. :meth:`BroadcastService.progress` reads the batch's counts for the live
progress message and closes the broadcast once nothing is left; :meth:`BroadcastService.cancel`
stops the rest. Every permission check is here.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, model_validator

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import BROADCAST, clean, visible
from bot.i18n import N_
from bot.messages import OutMessage
from bot.models import FlowEnd, MemberType, OrgUnit, ServiceTeam
from bot.models.broadcast import (
    AreaChoice,
    AudienceKind,
    AudienceView,
    Broadcast,
    BroadcastState,
    BroadcastSummary,
    Progress,
    Reach,
    Recipient,
)
from bot.models.forms import Form
from bot.outbox import CAPTION_LIMIT
from bot.services.scope import Refused, admin_units, audited_refusals
from bot.views.common import esc

if TYPE_CHECKING:
    from bot.clock import Clock, Pacer
    from bot.config import Config
    from bot.outbox import Notifier
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = [
    "MAX_TEXT",
    "Audience",
    "BroadcastDraft",
    "BroadcastService",
    "Content",
    "DraftStep",
    "render_html",
]

LOG = logging.getLogger(__name__)

MAX_TEXT = 4096  # Telegram's limit for a message's text
ACTION = "broadcast"


class Audience(BaseModel):
    """Who receives a notice: everyone of ``kind`` in ``unit_id`` and below, optionally only the
    members of one team or of one type."""

    model_config = ConfigDict(frozen=True)

    kind: AudienceKind
    unit_id: int
    team_id: int | None = None
    member_type: MemberType | None = None

    @model_validator(mode="after")
    def _filters_need_members(self) -> Audience:
        if self.kind is not AudienceKind.MEMBERS and (
            self.team_id is not None or self.member_type is not None
        ):
            raise ValueError("team and member type narrow an audience of members only")
        return self


def render_html(text: str, bold_title: bool) -> str:
    """The admin's text as Telegram HTML: escaped; with ``bold_title`` the first line is bold."""
    text = text.strip()
    if not bold_title:
        return esc(text)
    first, newline, rest = text.partition("\n")
    return f"<b>{esc(first)}</b>{newline}{esc(rest)}"


@dataclass(frozen=True)
class Content:
    """What the notice says: the admin's plain text, an optional photo, the bold-title switch."""

    text: str
    photo: str | None = None
    bold_title: bool = False

    @property
    def html(self) -> str:
        return render_html(self.text, self.bold_title)

    def message(self) -> OutMessage:
        """The message exactly as every recipient gets it."""
        return OutMessage(self.html, photos=(self.photo,) if self.photo else ())

    def check(self) -> None:
        """Raise :class:`InvalidInput` unless Telegram will take it as one message."""
        if not self.text.strip():
            raise InvalidInput(N_("The notice needs some text."))
        if len(self.text.strip()) > MAX_TEXT:
            raise InvalidInput(
                N_("The text is too long: at most {limit} characters."), limit=MAX_TEXT
            )
        if self.photo is not None and len(self.html) > CAPTION_LIMIT:
            # One photo carries the text as its caption: one message per recipient.
            raise InvalidInput(
                N_(
                    "With a photo the text can be at most {limit} characters. "
                    "Shorten it or remove the photo."
                ),
                limit=CAPTION_LIMIT,
            )


class DraftStep(StrEnum):
    KIND = "kind"
    AREA = "area"
    FILTER = "filter"
    COMPOSE = "compose"
    PREVIEW = "preview"
    EDIT = "edit"


class BroadcastDraft(Form):
    """A notice being put together (kept in the admin's user data, so it survives restarts).
    Its nonce is new with every preview: only the latest preview's buttons act."""

    nonce: str = ""
    step: DraftStep = DraftStep.KIND
    kind: AudienceKind | None = None
    browsing: int | None = None  # the unit shown in the drill-down; None: the top
    unit_id: int | None = None  # the unit chosen
    team_id: int | None = None
    member_type: MemberType | None = None
    text: str | None = None
    photo: str | None = None
    bold_title: bool = False

    def audience(self) -> Audience:
        if self.kind is None or self.unit_id is None:
            raise InvalidInput(N_("Choose who should receive the notice first."))
        return Audience(
            kind=self.kind,
            unit_id=self.unit_id,
            team_id=self.team_id,
            member_type=self.member_type,
        )

    def content(self) -> Content:
        return Content(self.text or "", self.photo, self.bold_title)

    def set_text(self, text: str) -> None:
        text = BROADCAST.accept(text)
        Content(text, self.photo, self.bold_title).check()
        self.text = text

    def set_photo(self, file_id: str, caption: str | None) -> None:
        """Attach (or replace) the photo; a caption with something readable replaces the
        text."""
        caption = clean(caption or "", multiline=True)
        text = caption if visible(caption) else self.text
        if text:
            Content(text, file_id, self.bold_title).check()
        self.photo, self.text = file_id, text

    def toggle_bold(self) -> None:
        Content(self.text or "", self.photo, not self.bold_title).check()
        self.bold_title = not self.bold_title

    def renew(self) -> str:
        """A new nonce: only the latest preview's buttons act."""
        self.nonce = secrets.token_hex(4)
        return self.nonce


class BroadcastService:
    def __init__(
        self, db: Database, clock: Clock, pacer: Pacer, notifier: Notifier, config: Config
    ) -> None:
        self.db = db
        self.clock = clock
        self.pacer = pacer
        self.notifier = notifier
        self.config = config
        # First progress sample per broadcast (monotonic time, rows handled), for the rate.
        self._samples: dict[int, tuple[float, int]] = {}

    # -- checks --------------------------------------------------------------------------
    async def _scopes(self, tx: Tx, actor: Actor, action: str) -> list[OrgUnit]:
        """The actor's admin units (an area inside another is shown once, in the bigger)."""
        units = await admin_units(tx, actor)
        if not units:
            raise Refused(
                NotAllowed(N_("Only administrators can send notices.")),
                action=action,
                subject="broadcast",
                unit_id=None,
                reason="not an admin",
            )
        roots = [u for u in units if not any(o.id != u.id and o.contains(u) for o in units)]
        return sorted(roots, key=lambda u: u.path)

    async def _in_scope(self, tx: Tx, actor: Actor, unit_id: int, action: str) -> OrgUnit:
        scopes = await self._scopes(tx, actor, action)
        unit = await tx.org.get(unit_id)
        if unit is None:
            raise NotFound(N_("That place does not exist (any more)."))
        if not any(scope.contains(unit) for scope in scopes):
            raise Refused(
                NotAllowed(N_("You can only send notices to your own area.")),
                action=action,
                subject=f"unit:{unit.code}",
                unit_id=unit.id,
                reason="outside the admin's area",
            )
        return unit

    async def _view(self, tx: Tx, audience: Audience, unit: OrgUnit | None = None) -> AudienceView:
        unit = unit or await tx.org.get(audience.unit_id)
        if unit is None:
            raise NotFound(N_("That place does not exist (any more)."))
        team = None
        if audience.team_id is not None:
            team = next((t for t in await tx.org.teams() if t.id == audience.team_id), None)
            if team is None:
                raise NotFound(N_("That service team does not exist (any more)."))
        return AudienceView(audience.kind, unit, team, audience.member_type)

    async def _recipients(self, tx: Tx, view: AudienceView) -> list[Recipient]:
        return await tx.broadcasts.recipients(
            view.unit,
            residents=view.kind is not AudienceKind.MEMBERS,
            members=view.kind is not AudienceKind.RESIDENTS,
            team_id=view.team.id if view.team else None,
            member_type=view.member_type,
        )

    # -- putting a notice together -------------------------------------------------------
    async def begin(self, actor: Actor) -> None:
        """Refuse (and audit) anyone who is not an administrator before anything is asked."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            await self._scopes(tx, actor, ACTION)

    async def browse(self, actor: Actor, unit_id: int | None) -> AreaChoice:
        """The drill-down inside the scope: the admin's units, or a unit and what lies below."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            roots = await self._scopes(tx, actor, ACTION)
            if unit_id is None:
                if len(roots) > 1:
                    return AreaChoice(None, roots, None)
                unit = roots[0]
            else:
                unit = await self._in_scope(tx, actor, unit_id, ACTION)
            if any(root.id == unit.id for root in roots):
                back = 0 if len(roots) > 1 else None
            else:
                back = unit.parent_id
            return AreaChoice(unit, await tx.org.children(unit.id), back)

    async def teams(self) -> list[ServiceTeam]:
        async with self.db.read() as tx:
            return await tx.org.teams()

    async def reach(self, actor: Actor, audience: Audience) -> Reach:
        """The audience as the admin will see it, and exactly how many people are in it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            unit = await self._in_scope(tx, actor, audience.unit_id, ACTION)
            view = await self._view(tx, audience, unit)
            return Reach(view, len(await self._recipients(tx, view)))

    # -- sending -------------------------------------------------------------------------
    async def send(
        self, actor: Actor, audience: Audience, content: Content, end: FlowEnd | None = None
    ) -> Broadcast:
        """Queue the notice for everyone in the audience: the broadcast, its outbox rows, the
        audit row and the end of the /broadcast conversation (``end``) commit together."""
        content.check()
        now = self.clock.now()
        message = content.message()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            unit = await self._in_scope(tx, actor, audience.unit_id, ACTION)
            view = await self._view(tx, audience, unit)
            recipients = await self._recipients(tx, view)
            if not recipients:
                raise InvalidInput(N_("Nobody is in this audience yet."))
            broadcast = await tx.broadcasts.create(
                actor_id=actor.id,
                unit_id=unit.id,
                audience=audience.model_dump(mode="json"),
                text=content.html,
                photo_file_id=content.photo,
                recipients=len(recipients),
                progress_chat_id=actor.person.telegram_id,
                now=now,
            )
            for recipient in recipients:
                await self.notifier.send(
                    tx,
                    recipient.telegram_id,
                    message,
                    batch=broadcast.batch,
                    dedup_key=f"broadcast:{broadcast.id}:{recipient.person_id}",
                )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=ACTION,
                subject=f"broadcast:{broadcast.id}",
                unit_id=unit.id,
                before=None,
                after={
                    "audience": audience.model_dump(mode="json"),
                    "unit": unit.code,
                    "recipients": len(recipients),
                    "photo": content.photo is not None,
                },
                now=now,
            )
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"broadcast:{broadcast.id}", now=now
                )
        self._samples[broadcast.id] = (self.pacer.monotonic(), 0)
        LOG.info("broadcast %d queued for %d people", broadcast.id, len(recipients))
        return broadcast

    async def attach_progress(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Remember the message that shows the progress (edited until the end)."""
        async with self.db.transaction() as tx:
            await tx.broadcasts.set_progress_message(broadcast_id, chat_id, message_id)

    async def progress(self, broadcast_id: int) -> Progress:
        """The counts of the batch; a broadcast with nothing left is done from now on."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            broadcast = await tx.broadcasts.get(broadcast_id)
            if broadcast is None:
                raise NotFound(N_("That notice does not exist."))
            counts = await tx.outbox.counts(batch=broadcast.batch)
            remaining = counts.pending + counts.inflight
            if remaining == 0 and broadcast.state is BroadcastState.SENDING:
                await tx.broadcasts.finish(broadcast.id, BroadcastState.DONE, now)
                broadcast = await tx.broadcasts.get(broadcast.id)
                assert broadcast is not None
                LOG.info("broadcast %d done", broadcast.id)
            audience = await self._view(tx, Audience.model_validate(broadcast.audience))
            reasons = await tx.broadcasts.failure_reasons(broadcast.batch)
            person = (
                await tx.people.get(broadcast.actor_id) if broadcast.actor_id is not None else None
            )
        handled = counts.sent + counts.undeliverable + counts.failed
        rate, eta = self._pace(broadcast.id, handled, remaining)
        if remaining == 0:
            self._samples.pop(broadcast.id, None)
        return Progress(
            broadcast=broadcast,
            audience=audience,
            language=person.language if person else None,
            sent=counts.sent,
            blocked=counts.undeliverable,
            failed=counts.failed,
            cancelled=counts.cancelled,
            remaining=remaining,
            rate=rate,
            eta_seconds=eta,
            reasons=reasons,
        )

    def _pace(self, broadcast_id: int, handled: int, remaining: int) -> tuple[float | None, float]:
        """Rows handled per second since the first sample, and the seconds still needed (at
        the configured rate while nothing has been measured)."""
        now = self.pacer.monotonic()
        since, handled_then = self._samples.setdefault(broadcast_id, (now, handled))
        elapsed = now - since
        rate = (handled - handled_then) / elapsed if elapsed > 0 else 0.0
        if rate <= 0:
            return None, remaining / self.config.outbox.rate_per_second
        return rate, remaining / rate

    async def cancel(self, actor: Actor, broadcast_id: int) -> int:
        """Stop a broadcast: its queued rows are cancelled; return how many."""
        now = self.clock.now()
        action = f"{ACTION}.cancel"
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            broadcast = await tx.broadcasts.get(broadcast_id)
            if broadcast is None:
                raise NotFound(N_("That notice does not exist."))
            scopes = await self._scopes(tx, actor, action)
            unit = await tx.org.get(broadcast.unit_id)
            if unit is None or not any(scope.contains(unit) for scope in scopes):
                raise Refused(
                    NotAllowed(N_("Only administrators of its area can stop this notice.")),
                    action=action,
                    subject=f"broadcast:{broadcast.id}",
                    unit_id=broadcast.unit_id,
                    reason="outside the admin's area",
                )
            if not await tx.broadcasts.finish(broadcast.id, BroadcastState.CANCELLED, now):
                raise InvalidTransition(N_("This notice has already finished."))
            cancelled = await tx.outbox.cancel_batch(broadcast.batch, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=action,
                subject=f"broadcast:{broadcast.id}",
                unit_id=broadcast.unit_id,
                before={"state": broadcast.state.value},
                after={"state": BroadcastState.CANCELLED.value, "cancelled": cancelled},
                now=now,
            )
        LOG.info("broadcast %d cancelled, %d messages not sent", broadcast_id, cancelled)
        return cancelled

    async def sending(self) -> list[Broadcast]:
        """Broadcasts still going out (to pick up their progress after a restart)."""
        async with self.db.read() as tx:
            return await tx.broadcasts.sending()

    # -- looking back --------------------------------------------------------------------
    async def recent(self, actor: Actor, limit: int = 10) -> list[BroadcastSummary]:
        """The latest notices sent inside the actor's scope, with their counts."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, f"{ACTION}.list")
            out = []
            for broadcast in await tx.broadcasts.in_units(scopes, limit):
                audience = await self._view(tx, Audience.model_validate(broadcast.audience))
                counts = await tx.outbox.counts(batch=broadcast.batch)
                out.append(BroadcastSummary(broadcast, audience, counts))
        return out
