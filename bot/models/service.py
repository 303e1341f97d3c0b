"""菜单式服务: the service menu and its orders (点单), as the screens show them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from bot.errors import InvalidInput
from bot.freetext import NEED
from bot.i18n import N_
from bot.models.core import Category, OrgUnit, Person, Request, ServiceTeam
from bot.models.forms import Form

__all__ = [
    "HeldLeadership",
    "Leadership",
    "MenuEntry",
    "OrderForm",
    "OrderStep",
    "TeamLeaders",
    "TeamOrder",
    "TimeSlot",
]


class TimeSlot(StrEnum):
    """When the resident would like the service (any number of them)."""

    WEEKDAY_MORNING = "wd_am"
    WEEKDAY_AFTERNOON = "wd_pm"
    WEEKDAY_EVENING = "wd_ev"
    WEEKEND = "we"


class OrderStep(StrEnum):
    NEED = "need"
    SLOTS = "slots"
    CONTACT = "contact"
    SUMMARY = "summary"


class OrderForm(Form):
    """The draft of one service order: the team's project, what is needed, when, contact."""

    step: OrderStep = OrderStep.NEED
    team_id: int = 0
    need: str | None = None
    slots: list[TimeSlot] = Field(default_factory=list)
    phone: str | None = None

    def set_need(self, text: str) -> None:
        self.need = NEED.accept(text)

    def toggle(self, slot: TimeSlot) -> None:
        if slot in self.slots:
            self.slots.remove(slot)
        else:
            self.slots.append(slot)
            self.slots.sort(key=list(TimeSlot).index)

    def check_slots(self) -> None:
        if not self.slots:
            raise InvalidInput(N_("Please choose at least one time that suits you."))


@dataclass(frozen=True)
class MenuEntry:
    """One team's project on the menu, with how many members of the person's community
    serve in it."""

    team: ServiceTeam
    members_nearby: int


@dataclass(frozen=True)
class TeamOrder:
    """A service order as a team leader's list shows it."""

    request: Request
    team: ServiceTeam
    category: Category
    compound_path: list[OrgUnit]
    assignee_name: str | None


@dataclass(frozen=True)
class Leadership:
    """A team led in a unit (and everything below it)."""

    team: ServiceTeam
    unit: OrgUnit


@dataclass(frozen=True)
class HeldLeadership:
    """Someone leading a team in a unit."""

    person: Person
    team_id: int
    unit: OrgUnit


@dataclass(frozen=True)
class TeamLeaders:
    """A team as an administrator manages its leaders: those leading it in the
    administrator's areas, and the areas where they may invite one."""

    team: ServiceTeam
    leaders: list[HeldLeadership]
    areas: list[OrgUnit]
