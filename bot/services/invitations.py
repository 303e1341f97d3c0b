"""Invitation links: one mechanism for every role that is given by a link.

An administrator's link (for a unit below theirs), a department's liaison's or head's, a
community's first secretary's — and any role a later feature hands out the same way — is a
row of ``invitations``: a random token, the ``kind`` of role it grants, the ``target_id`` it
grants it at (a unit, a department, a pairing, a service team ...), the area it is for
(``unit_id``: where a team's leader leads), who made it and until when. The deep link is
``t.me/<bot>?start=inv_<token>``.

A feature adds a kind by registering its grant (:meth:`InvitationService.register`): given the
transaction, the person opening the link and the stored invitation, it gives the role and says
what it gave (:class:`Granted`). It issues its links with :meth:`InvitationService.issue` inside
its own transaction, after its own permission check, with the audit row of the issue.

Opening a link (:meth:`InvitationService.accept`) takes it in one conditional update (unused,
not expired), so of two people opening it at once exactly one gets it, then runs the kind's
grant and writes the ``role.grant`` audit row, all in one transaction: a grant that fails
(its department closed meanwhile) leaves the link unused.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.errors import InvalidInput
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.models import Invitation
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["PREFIX", "TTL", "Accepted", "Grant", "Granted", "InvitationService"]

LOG = logging.getLogger(__name__)

PREFIX = "inv_"
# Administrators' links made before there was one mechanism (their tokens were carried over).
_OLD_PREFIXES = ("adm_",)
TTL = timedelta(days=7)


@dataclass(frozen=True)
class Granted:
    """What a kind's grant gave: the unit the ``role.grant`` audit row is filed under, what it
    records besides the role (``{"department": "CGJ"}``), and what the person is told (the
    model the kind's view renders). A link that gives a part rather than a role (taking part
    in a consultation) names its own audit ``action`` and ``subject``."""

    unit_id: int
    details: dict[str, object] = field(default_factory=dict)
    shown: Any = None
    action: str = "role.grant"
    subject: str | None = None  # default: the person


@dataclass(frozen=True)
class Accepted:
    """An opened link: its kind (which view tells it) and what the grant gave."""

    kind: str
    shown: Any


# A kind's grant: (the transaction, who opened the link, the invitation taken, now).
Grant = Callable[["Tx", "Actor", "Invitation", "datetime"], Awaitable[Granted]]


class InvitationService:
    def __init__(self, db: Database, clock: Clock, people: PeopleService) -> None:
        self.db = db
        self.clock = clock
        self.people = people
        self._grants: dict[str, Grant] = {}

    def register(self, kind: str, grant: Grant) -> None:
        """Make links of ``kind`` give what ``grant`` gives."""
        if kind in self._grants:
            raise ValueError(f"invitation kind {kind!r} registered twice")
        self._grants[kind] = grant

    @staticmethod
    def is_link(payload: str) -> bool:
        """Is this /start payload an invitation link?"""
        return payload.startswith((PREFIX, *_OLD_PREFIXES))

    async def issue(
        self,
        tx: Tx,
        actor: Actor,
        kind: str,
        target_id: int,
        *,
        action: str,
        subject: str,
        unit_id: int | None,
        after: dict[str, object] | None = None,
        until: datetime | None = None,
        only: bool = False,
    ) -> str:
        """Store a link of ``kind`` at ``target_id`` for the area ``unit_id``, made by
        ``actor`` (whose right to make it the caller has checked), with its audit row
        (``action`` on ``subject``, filed under ``unit_id``); return the deep-link payload.
        It lives :data:`TTL`, or until ``until`` if sooner; ``only``: the earlier open links
        of ``kind`` at ``target_id`` stop working (one per seat)."""
        if kind not in self._grants:
            raise ValueError(f"invitation kind {kind!r} is not registered")
        now = self.clock.now()
        token = secrets.token_urlsafe(12)
        expires_at = now + TTL if until is None else min(now + TTL, until)
        if only:
            await tx.invitations.expire(kind, target_id, now)
        await tx.invitations.add(
            token,
            kind,
            target_id,
            created_by=actor.id,
            now=now,
            expires_at=expires_at,
            unit_id=unit_id,
        )
        await tx.audit.record(
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            subject=subject,
            unit_id=unit_id,
            before=None,
            after={**(after or {}), "expires_at": expires_at},
            now=now,
        )
        return f"{PREFIX}{token}"

    @staticmethod
    async def expire(tx: Tx, kind: str, target_id: int, now: datetime) -> int:
        """The open links of ``kind`` at ``target_id`` stop working (a seat vacated)."""
        return await tx.invitations.expire(kind, target_id, now)

    async def accept(self, actor: Actor, payload: str) -> Accepted:
        """Opening a link: take it (once, before it expires) and hold what it grants."""
        token = payload
        for prefix in (PREFIX, *_OLD_PREFIXES):
            token = token.removeprefix(prefix)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            invitation = await tx.invitations.use(token, actor.id, now)
            grant = None if invitation is None else self._grants.get(invitation.kind)
            if invitation is None or grant is None:
                raise InvalidInput(N_("This invitation is not valid any more. Ask for a new one."))
            granted = await grant(tx, actor, invitation, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=granted.action,
                subject=granted.subject or f"person:{actor.id}",
                unit_id=granted.unit_id,
                before=None,
                after={
                    "role": invitation.kind,
                    **granted.details,
                    "invited_by": invitation.created_by,
                },
                now=now,
            )
        await self.people.refresh_menu(await self.people.actor(actor.id))
        return Accepted(invitation.kind, granted.shown)
