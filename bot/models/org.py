"""The org tree as screens show it: one step of the drill-down, an admin's area."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.core import OrgUnit, Station

__all__ = ["AreaView", "Choice"]


@dataclass(frozen=True)
class Choice:
    """One step of the drill-down: where we are and what can be picked below."""

    unit: OrgUnit | None  # None: the top
    options: list[OrgUnit]
    parent_id: int | None  # where "back" goes; None at the top


@dataclass(frozen=True)
class AreaView:
    """An admin's area: the units under them and the stations in it."""

    root: OrgUnit
    units: list[OrgUnit]
    stations: list[Station]
