"""Broadcasts (通知): the notice as stored, its audience as shown, and where its sending
stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.models.core import MemberType, OrgUnit, OutboxCounts, ServiceTeam

__all__ = [
    "AreaChoice",
    "AudienceKind",
    "AudienceView",
    "Broadcast",
    "BroadcastState",
    "BroadcastSummary",
    "Progress",
    "Reach",
    "Recipient",
]


class BroadcastState(StrEnum):
    SENDING = "sending"
    CANCELLED = "cancelled"
    DONE = "done"


class Broadcast(BaseModel):
    """One notice and where its progress is shown."""

    model_config = ConfigDict(frozen=True)

    id: int
    actor_id: int | None
    unit_id: int
    audience: dict[str, Any]
    text: str
    photo_file_id: str | None = None
    recipients: int
    state: BroadcastState
    progress_chat_id: int
    progress_message_id: int | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def batch(self) -> str:
        """The outbox batch of its messages."""
        return f"broadcast:{self.id}"


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: int
    telegram_id: int


class AudienceKind(StrEnum):
    RESIDENTS = "residents"
    MEMBERS = "members"
    BOTH = "both"


@dataclass(frozen=True)
class AreaChoice:
    """One step of the drill-down inside the admin's scope."""

    unit: OrgUnit | None  # None: the admin's units, to pick one (they administer several)
    options: list[OrgUnit]
    back: int | None  # where "back" goes: a unit id, 0 for the top, None for nowhere


@dataclass(frozen=True)
class AudienceView:
    """An audience with its unit and team, for showing it."""

    kind: AudienceKind
    unit: OrgUnit
    team: ServiceTeam | None = None
    member_type: MemberType | None = None


@dataclass(frozen=True)
class Reach:
    """An audience and how many people are in it now."""

    audience: AudienceView
    count: int


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands, from the outbox counts of its batch."""

    broadcast: Broadcast
    audience: AudienceView
    language: str | None  # the sender's (for their progress message)
    sent: int
    blocked: int  # blocked the bot: undeliverable
    failed: int
    cancelled: int
    remaining: int  # pending or in flight
    rate: float | None  # messages handled per second, measured; None before any
    eta_seconds: float | None
    reasons: list[tuple[str, int]]  # why rows failed, grouped

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed + self.cancelled + self.remaining

    @property
    def handled(self) -> int:
        return self.sent + self.blocked + self.failed

    @property
    def finished(self) -> bool:
        """Nothing more will happen: the report is final."""
        return self.broadcast.state is not BroadcastState.SENDING and self.remaining == 0


@dataclass(frozen=True)
class BroadcastSummary:
    broadcast: Broadcast
    audience: AudienceView
    counts: OutboxCounts
