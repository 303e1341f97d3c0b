"""What ``/me`` shows: everything the bot keeps about one person."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models.core import Department, OrgUnit, Person, RoleGrant, ServiceTeam

__all__ = ["Profile"]


@dataclass(frozen=True)
class Profile:
    """Everything the bot keeps about one person, for ``/me``."""

    person: Person
    home: list[OrgUnit]  # the path from the district down to the compound
    grants: list[tuple[RoleGrant, OrgUnit]]
    # The departments of department-scoped grants (a liaison's, a head's), by id.
    departments: dict[int, Department] = field(default_factory=dict)
    # The teams of team-scoped grants (a team leader's), by id.
    teams: dict[int, ServiceTeam] = field(default_factory=dict)
