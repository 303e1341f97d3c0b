"""What an administrator's screens show: the request queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.models.core import RequestView

__all__ = ["AuditLine", "Queue", "QueueFilter"]


class QueueFilter(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    UNASSIGNED = "unassigned"
    RETURNED = "returned"
    RATING = "rating"  # resolved, waiting for the resident's rating
    ALL = "all"


@dataclass(frozen=True)
class Queue:
    items: list[RequestView]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as an administrator reads it: who by name, what it was done to by
    its number or name. ``actor`` and ``subject`` are the stored codes when there is no name
    (the bot itself, the command line, someone deleted at their request)."""

    at: datetime
    actor: str
    action: str
    subject: str
    unit_id: int | None = None  # where it happened
    actor_named: bool = False
    subject_named: bool = False
