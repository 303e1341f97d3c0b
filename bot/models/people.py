"""What ``/me`` shows: everything the bot keeps about one person."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.core import OrgUnit, Person, RoleGrant

__all__ = ["Profile"]


@dataclass(frozen=True)
class Profile:
    """Everything the bot keeps about one person, for ``/me``."""

    person: Person
    home: list[OrgUnit]  # the path from the district down to the compound
    grants: list[tuple[RoleGrant, OrgUnit]]
