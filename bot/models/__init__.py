"""Domain models: plain data shared by services, repositories and views (no Telegram types).

The core entities are in :mod:`bot.models.core` and importable from here; what one feature's
screens show lives beside them (``bot.models.intake``, ``.stats``, ``.broadcast`` ...), so
views render models and never reach back into the services.
"""

from bot.models.core import (
    AuditEntry,
    Availability,
    Category,
    Level,
    Member,
    MemberStatus,
    MemberType,
    OrgUnit,
    OutboxCounts,
    OutboxRow,
    Person,
    Rating,
    Request,
    RequestEvent,
    RequestPhoto,
    RequestView,
    Role,
    RoleGrant,
    ServiceTeam,
    Station,
    TaskCard,
    Tier,
    Visit,
)

__all__ = [
    "AuditEntry",
    "Availability",
    "Category",
    "Level",
    "Member",
    "MemberStatus",
    "MemberType",
    "OrgUnit",
    "OutboxCounts",
    "OutboxRow",
    "Person",
    "Rating",
    "Request",
    "RequestEvent",
    "RequestPhoto",
    "RequestView",
    "Role",
    "RoleGrant",
    "ServiceTeam",
    "Station",
    "TaskCard",
    "Tier",
    "Visit",
]
