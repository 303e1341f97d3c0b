"""四位一体: the parties of a compound, their seats, and what screens show of them.

A compound has up to three parties of its own — its party branch, its owners' committee and its
property company or, where there is none, a self-management group (their Chinese names are in
bot/views/parties.py). The fourth party, the community party organisation, is the community's
administrators. A compound with none of the three (an unmanaged compound) is run by the
community itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.models.core import OrgUnit

__all__ = [
    "ROLES_OF",
    "WORKING_PARTIES",
    "CompoundParties",
    "Party",
    "PartyKind",
    "Seat",
    "SeatHolding",
    "SeatRole",
]


class PartyKind(StrEnum):
    BRANCH = "branch"  # 小区党支部: leads (唱主角)
    OWNERS_COMMITTEE = "owners_committee"  # 业主委员会: supervises (监督者)
    PROPERTY_COMPANY = "property_company"  # 物业公司: serves (服务者)
    SELF_MANAGEMENT_GROUP = "self_management_group"  # 自管小组: runs a compound with no 物业


class SeatRole(StrEnum):
    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    BRANCH_COMMITTEE = "branch_committee"  # 支委
    DIRECTOR = "director"  # 业委会主任
    DEPUTY_DIRECTOR = "deputy_director"  # 副主任
    COMMITTEE_MEMBER = "committee_member"  # 委员
    MANAGER = "manager"  # 物业经理
    STAFF = "staff"  # 物业员工
    LEADER = "leader"  # 自管小组组长
    GROUP_MEMBER = "group_member"  # 组员


# The roles a seat of each party may have, the leading one first.
ROLES_OF: dict[PartyKind, tuple[SeatRole, ...]] = {
    PartyKind.BRANCH: (SeatRole.SECRETARY, SeatRole.DEPUTY_SECRETARY, SeatRole.BRANCH_COMMITTEE),
    PartyKind.OWNERS_COMMITTEE: (
        SeatRole.DIRECTOR,
        SeatRole.DEPUTY_DIRECTOR,
        SeatRole.COMMITTEE_MEMBER,
    ),
    PartyKind.PROPERTY_COMPANY: (SeatRole.MANAGER, SeatRole.STAFF),
    PartyKind.SELF_MANAGEMENT_GROUP: (SeatRole.LEADER, SeatRole.GROUP_MEMBER),
}

# The parties whose seat holders do property work (accept and complete requests).
WORKING_PARTIES = (PartyKind.PROPERTY_COMPANY, PartyKind.SELF_MANAGEMENT_GROUP)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class Party(_Model):
    id: int
    compound_id: int
    kind: PartyKind
    name: str


class Seat(_Model):
    """A place in a party; vacant without a holder, linked once its holder is in the bot."""

    id: int
    code: str
    party_id: int
    role: SeatRole
    holder_name: str | None = None
    person_id: int | None = None
    sort: int = 0
    linked_at: datetime | None = None

    @property
    def vacant(self) -> bool:
        return self.holder_name is None and self.person_id is None


@dataclass(frozen=True)
class SeatHolding:
    """One seat with its party and compound, as a screen names it."""

    seat: Seat
    party: Party
    compound: OrgUnit
    person_name: str | None = None  # the holder's name in the bot, once linked
    cross: tuple[SeatRole, ...] = ()  # the holder's other seats in this compound (交叉任职)
    cross_parties: tuple[PartyKind, ...] = ()

    @property
    def name(self) -> str | None:
        return self.seat.holder_name or self.person_name


@dataclass(frozen=True)
class CompoundParties:
    """A compound's parties and seats (one block of /org and ``gridbot org show``)."""

    compound: OrgUnit
    parties: list[tuple[Party, list[SeatHolding]]] = field(default_factory=list)

    @property
    def kinds(self) -> set[PartyKind]:
        return {party.kind for party, _ in self.parties}

    @property
    def unmanaged(self) -> bool:
        """三无小区: no property company, and no branch, owners' committee or self-management
        group: the community acts for it."""
        return not self.compound.has_property_company and not self.kinds
