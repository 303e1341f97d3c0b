"""难事合力办: departments and their people, whistles and their sub-orders, joint meetings, and
what the screens about them show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.models.core import OrgUnit, Person, Rating, RequestView, _Model
from bot.suborders import ACTIVE, SubOrderRole, SubOrderState

__all__ = [
    "Department",
    "DepartmentPost",
    "Meeting",
    "MeetingParty",
    "MeetingView",
    "Pairing",
    "Post",
    "StaffLine",
    "SubOrder",
    "SubOrderEvent",
    "SubOrderView",
    "Whistle",
    "WhistleState",
    "WhistleView",
]


class Post(StrEnum):
    """What an invitation link makes of whoever opens it."""

    LIAISON = "liaison"  # 联络员 of a department
    HEAD = "head"  # 负责人 of a department
    FIRST_SECRETARY = "first_secretary"  # 第一书记 of a community


class Department(_Model):
    """A functional department (职能部门) or its local branch, serving an area."""

    id: int
    code: str
    name: str
    short_name: str
    name_en: str | None = None
    unit_id: int  # the area it serves: the district, or a street for a local branch
    parent_id: int | None = None  # a branch's district department
    sort: int = 0
    active: bool = True

    def label(self, language: str) -> str:
        """The name residents and staff read: 城管执法局 (the English name in English)."""
        return self.name_en if language == "en" and self.name_en else self.short_name


class DepartmentPost(_Model):
    """Someone's live post in a department."""

    id: int
    department_id: int
    person_id: int
    post: Post
    granted_at: datetime


class Pairing(_Model):
    """结对共建: a city unit paired with a community, which seconds its first secretary."""

    id: int
    community_id: int
    partner: str


class WhistleState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # the lead resolved the request; waiting for the rating
    CLOSED = "closed"  # the request is closed
    CANCELLED = "cancelled"


class Whistle(_Model):
    id: int
    request_id: int
    unit_id: int
    blown_by: int | None = None
    share_contact: bool = False
    note: str | None = None
    topic_id: int | None = None
    state: WhistleState = WhistleState.OPEN
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: int | None = None


class SubOrder(_Model):
    id: int
    whistle_id: int
    request_id: int
    department_id: int
    role: SubOrderRole
    ask: str
    state: SubOrderState = SubOrderState.SENT
    ruled: bool = False
    replaces_id: int | None = None
    sent_at: datetime
    sign_due_at: datetime
    signed_at: datetime | None = None
    signed_by: int | None = None
    on_site_at: datetime | None = None
    complete_due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: int | None = None
    report: str | None = None
    returned_at: datetime | None = None
    returned_by: int | None = None
    return_reason: str | None = None
    dispute: bool = False
    decided_at: datetime | None = None
    decided_by: int | None = None
    escalation_level: str | None = None
    rating: Rating | None = None
    rated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def is_lead(self) -> bool:
        return self.role is SubOrderRole.LEAD


class SubOrderEvent(_Model):
    id: int
    sub_order_id: int
    at: datetime
    actor_id: int | None = None
    actor_label: str
    kind: str
    note: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Meeting(_Model):
    """A joint on-site meeting (联合现场会) proposed on a whistle."""

    id: int
    whistle_id: int
    department_id: int | None = None  # the proposer's department (None: the whistler)
    proposed_by: int | None = None
    meets_at: datetime
    place: str
    state: str = "proposed"
    created_at: datetime


class MeetingParty(_Model):
    """One party asked to a meeting, and their answer."""

    id: int
    meeting_id: int
    department_id: int | None = None
    unit_id: int | None = None
    person_id: int | None = None
    answer: str | None = None  # yes, no
    answered_at: datetime | None = None


@dataclass(frozen=True)
class MeetingView:
    """A meeting with its parties named (departments, the whistling unit, first secretaries)."""

    meeting: Meeting
    proposer: str  # the proposing department's name, or the whistling unit's
    parties: list[tuple[MeetingParty, str]]  # each with the name to show


@dataclass(frozen=True)
class SubOrderView:
    """A sub-order as its department sees it: what is asked, where, and what the whistle
    shares (the resident's name and phone only when the whistler ticked "share contact")."""

    sub_order: SubOrder
    department: Department
    request: RequestView
    whistle: Whistle
    whistler_unit: OrgUnit
    others: list[tuple[SubOrder, Department]]  # the other departments on the whistle
    events: list[SubOrderEvent] = field(default_factory=list)
    meetings: list[MeetingView] = field(default_factory=list)
    contact_name: str | None = None  # only with share_contact
    contact_phone: str | None = None

    @property
    def lead(self) -> Department | None:
        if self.sub_order.is_lead:
            return self.department
        return next((d for s, d in self.others if s.is_lead and s.state in ACTIVE), None)


@dataclass(frozen=True)
class WhistleView:
    """A whistle as the whistler, the district and first secretaries see it."""

    whistle: Whistle
    request: RequestView
    unit: OrgUnit
    sub_orders: list[tuple[SubOrder, Department]]
    meetings: list[MeetingView] = field(default_factory=list)
    joiners: list[Person] = field(default_factory=list)

    @property
    def lead(self) -> tuple[SubOrder, Department] | None:
        """The live lead (主办): signed or waiting, else the one that completed."""
        leads = [(s, d) for s, d in self.sub_orders if s.is_lead]
        live = [(s, d) for s, d in leads if s.state in ACTIVE]
        done = [(s, d) for s, d in leads if s.state is SubOrderState.COMPLETED]
        return (live or done or [None])[-1]


@dataclass(frozen=True)
class StaffLine:
    """One person's post in a department (the staff list of an administrator)."""

    person: Person
    department: Department
    post: Post
