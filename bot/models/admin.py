"""What an administrator's screens show: the request queue."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.models.core import RequestView

__all__ = ["Queue", "QueueFilter"]


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
