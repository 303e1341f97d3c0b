"""The core entities shared by services and repositories (plain pydantic, no Telegram types)."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from bot.lifecycle import Status

__all__ = [
    "EXTENSION_DAYS",
    "OFFICE_ROLES",
    "AdminCard",
    "ApiKey",
    "AuditEntry",
    "Availability",
    "Category",
    "Department",
    "FlowEnd",
    "HandledBy",
    "Invitation",
    "Level",
    "Member",
    "MemberStatus",
    "MemberType",
    "OpeningSpan",
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
    "Topic",
    "TopicKind",
    "TopicState",
    "Visit",
]


class Level(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    COMPOUND = "compound"

    @property
    def depth(self) -> int:
        return list(Level).index(self)

    def child(self) -> Level | None:
        order = list(Level)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Role(StrEnum):
    RESIDENT = "resident"
    MEMBER = "member"
    ADMIN = "admin"
    SEAT = "seat"  # holds a seat in one of the parties of a compound (at the compound)
    OWNER = "owner"  # bound to a household of a compound (业主), at the compound
    TEAM_LEADER = "team_leader"  # 队长: leads one service team in a unit (table team_leaders)
    # Scoped to a department (``RoleGrant.department_id``): its liaison (联络员) acts on its
    # sub-orders; its head (负责人) also hears of the late ones.
    DEPARTMENT = "department"
    DEPARTMENT_HEAD = "department_head"
    # 第一书记: attached to a community (``RoleGrant.unit_id``), seconded by a paired city unit.
    FIRST_SECRETARY = "first_secretary"


# Roles held for work outside one's home: their holders may use the bot without a home
# compound (an administrator, a department's staff, a first secretary, a seat holder such as
# the property company's manager).
OFFICE_ROLES = frozenset(
    {Role.ADMIN, Role.DEPARTMENT, Role.DEPARTMENT_HEAD, Role.FIRST_SECRETARY, Role.SEAT}
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class OrgUnit(_Model):
    id: int
    code: str
    name: str
    name_en: str | None = None
    level: Level
    parent_id: int | None = None
    path: str
    has_property_company: bool = True
    sort: int = 0
    households: int | None = None  # compounds: for requests per 100 households
    latitude: float | None = None  # compounds: a centre point (WGS 84)
    longitude: float | None = None

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def contains(self, other: OrgUnit) -> bool:
        """True when ``other`` is this unit or lies below it."""
        return other.path.startswith(self.path)


class OpeningSpan(_Model):
    """A station is open on ``days`` (0 = Monday) from ``open`` to ``close`` (local time)."""

    days: tuple[int, ...]
    open: time
    close: time


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


class Station(_Model):
    id: int
    code: str
    name: str
    unit_id: int
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    function_areas: list[str] = []
    opening_hours: str = ""  # a note shown as written (e.g. closed on public holidays)
    hours: list[OpeningSpan] = []  # when it is open, structured
    open_on_holidays: bool = False  # else closed on public holidays ([calendar])


class ServiceTeam(_Model):
    """A party members' service team and its project (一队一项目): what the project offers,
    when and where, in Chinese and English, and the category its orders are filed in."""

    id: int
    code: str
    name: str
    name_en: str | None = None
    project: str
    project_en: str | None = None
    sort: int = 0
    offers: str = ""
    offers_en: str | None = None
    schedule: str = ""
    schedule_en: str | None = None
    venue: str = ""
    venue_en: str | None = None
    order_category: str | None = None  # a category code

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def project_label(self, language: str) -> str:
        return self.project_en if language == "en" and self.project_en else self.project

    def offers_label(self, language: str) -> str:
        return self.offers_en if language == "en" and self.offers_en else self.offers

    def schedule_label(self, language: str) -> str:
        return self.schedule_en if language == "en" and self.schedule_en else self.schedule

    def venue_label(self, language: str) -> str:
        return self.venue_en if language == "en" and self.venue_en else self.venue


class Person(_Model):
    id: int
    telegram_id: int
    display_name: str = ""
    username: str | None = None
    language: str | None = None
    home_unit_id: int | None = None
    phone: str | None = None
    unreachable: bool = False
    created_at: datetime
    updated_at: datetime


class RoleGrant(_Model):
    id: int
    person_id: int
    role: Role
    unit_id: int  # the unit the role is held at (a department role: the area it serves)
    department_id: int | None = None  # a department role's department
    granted_by: int | None = None
    granted_at: datetime
    revoked_at: datetime | None = None
    team_id: int | None = None  # a team leader's team


class Invitation(_Model):
    """A single-use invitation link: opening it grants what its ``kind`` says, at
    ``target_id`` (a unit for an administrator, a department, a pairing ...)."""

    token: str
    kind: str
    target_id: int
    created_by: int | None = None
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None
    unit_id: int | None = None  # the area it is for (a team leader's: where they lead)


class AuditEntry(_Model):
    id: int
    actor_id: int | None
    actor_label: str
    action: str
    subject: str
    unit_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class OutboxRow(_Model):
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    status: str
    attempts: int = 0
    uncertain: int = 0  # attempts whose outcome is unknown (a timeout, a crash in flight)
    dedup_key: str | None = None
    ref_id: int | None = None
    batch: str | None = None
    message_id: int | None = None
    error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True)
class OutboxCounts:
    """How many outbox rows are in each state, and the age of the oldest pending one."""

    pending: int
    inflight: int
    sent: int
    failed: int
    undeliverable: int
    cancelled: int
    unknown: int
    oldest_pending: datetime | None


# The extensions of a deadline on offer, in days (an admin's, or a member's ask).
EXTENSION_DAYS = (1, 3, 7)


class Tier(StrEnum):
    """急事立刻办 / 要事商议办 / 难事合力办."""

    URGENT = "urgent"
    IMPORTANT = "important"
    DIFFICULT = "difficult"


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意
    NOT_RATED = "not_rated"  # closed without an answer


class HandledBy(StrEnum):
    """Who handles the requests of a category."""

    MEMBERS = "members"  # offered to the members nearby (党员接单)
    PROPERTY_COMPANY = "property_company"  # the compound's 物业
    ADMINS = "admins"  # the community's administrators


class Category(_Model):
    id: int
    code: str
    name: str
    name_en: str
    default_tier: Tier
    team_code: str | None = None
    is_opinion: bool = False
    handled_by: HandledBy = HandledBy.MEMBERS
    sort: int = 0
    active: bool = True

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name


class Request(_Model):
    id: int
    number: str
    resident_id: int | None
    contact_name: str | None = None
    contact_phone: str | None = None
    anonymous: bool = False
    compound_id: int
    category_id: int
    tier: Tier
    status: Status
    description: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    assignee_id: int | None = None
    rating: Rating | None = None
    rating_comment: str | None = None
    created_at: datetime
    updated_at: datetime
    triaged_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rated_at: datetime | None = None
    accept_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    waiting_since: datetime | None = None
    escalation_level: str | None = None
    channel: str = "telegram"  # telegram, api (a city system), community (pre-emptive)
    route: str | None = None  # who it went to: pool, admins, property_company ... (dispatch)
    service_team_id: int | None = None  # a service order (点单) of this team's project
    preferred_slots: list[str] = []  # a service order's preferred time slots
    handled_by: HandledBy | None = None  # who handles it, when not its category's handlers

    @field_validator("preferred_slots", mode="before")
    @classmethod
    def _slots(cls, value: object) -> object:
        """Stored as a JSON list (NULL for a request that is no service order)."""
        if value is None:
            return []
        return json.loads(value) if isinstance(value, str) else value


class RequestPhoto(_Model):
    id: int
    request_id: int
    file_id: str
    kind: str
    added_by: int | None = None
    added_at: datetime


class RequestEvent(_Model):
    id: int
    request_id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    kind: str
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None


class RequestView(_Model):
    """A request with what a screen needs around it, as one person may see it."""

    request: Request
    category: Category
    compound_path: list[OrgUnit]
    photos: list[RequestPhoto] = []
    events: list[RequestEvent] = []
    supporters: int = 0
    assignee_name: str | None = None
    is_owner: bool = False
    can_cancel: bool = False
    can_add_info: bool = False
    source_system: str | None = None  # the city system that submitted it (the API key's name)
    service_team: ServiceTeam | None = None  # a service order: the team whose project it is
    # The departments named on its timeline (吹哨报到: "城管执法局已签收"), by id.
    departments: dict[int, Department] = {}
    # Who has it besides a member: "whistle" (departments), "consultation" (the parties).
    held_by: str | None = None


class MemberType(StrEnum):
    IN_SERVICE = "in_service"  # 在职党员
    UNEMPLOYED_OR_RETIRED = "unemployed_or_retired"  # 无职党员
    VOLUNTEER = "volunteer"  # 热心群众 (non-party)


class Availability(StrEnum):
    WEEKDAY_DAY = "weekday_day"
    WEEKDAY_EVENING = "weekday_evening"
    WEEKEND = "weekend"


class MemberStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Member(_Model):
    """A registered party member or volunteer (报到), with the four clarities (四清楚)."""

    person_id: int
    real_name: str
    work_unit: str | None = None
    compound_id: int
    phone: str
    member_type: MemberType
    skills: list[str] = []
    availability: list[Availability] = []
    share_phone: bool = False
    status: MemberStatus = MemberStatus.PENDING
    reject_reason: str | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    paused_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    team_ids: list[int] = []

    def active_at(self, when: datetime) -> bool:
        """Approved and not on leave at ``when``."""
        return self.status is MemberStatus.APPROVED and (
            self.paused_until is None or self.paused_until <= when
        )


class TaskCard(_Model):
    id: int
    request_id: int
    person_id: int
    kind: str
    outbox_id: int | None = None
    state: str
    created_at: datetime


class AdminCard(_Model):
    """A card about a request in an administrator's chat (a flag, an escalation card)."""

    id: int
    request_id: int
    person_id: int
    outbox_id: int


class Visit(_Model):
    """A member's household visit (走访)."""

    id: int
    person_id: int | None
    compound_id: int
    households: int
    people: int
    note: str | None = None
    opinion_request_id: int | None = None
    visited_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class FlowEnd:
    """The end of one person's guided conversation, committed by the service in the same
    transaction as the effect that ends it (the request filed, the visit logged ...).

    ``name`` is the ``ConversationHandler``'s name; the conversation's form lives in
    ``user_data[name]``. The transaction stores ``user_data`` without the form and deletes the
    conversation's state; once it commits, the form is also taken out of the live
    ``user_data`` (PTB's own dict), so nothing of the form can be written back later.
    ``nonce`` (the form's) is recorded as finished: a leftover copy of the form is dropped at
    start-up, and a repeated final press finds what it made.
    """

    name: str
    key: tuple[int | str, ...]  # the conversation key: (chat id, user id)
    user_id: int  # the Telegram user whose user_data holds the form
    user_data: MutableMapping[str, Any]
    nonce: str | None = None


class ApiKey(_Model):
    """A client system's key to the Open311 API (only its hash is stored)."""

    id: int
    name: str
    prefix: str
    unit_ids: list[int] = []
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class TopicKind(StrEnum):
    MONTHLY = "monthly"  # 每月一题
    PREEMPTIVE = "preemptive"  # 未诉先办


class TopicState(StrEnum):
    PROPOSED = "proposed"
    DISMISSED = "dismissed"
    CONVERTED = "converted"


class Topic(_Model):
    """A recurring problem proposed to a community's admins, and what became of it."""

    id: int
    unit_id: int  # the community
    scope_id: int  # where: a compound, or the community itself
    kind: TopicKind
    month: str  # YYYY-MM
    signature: str
    label: str
    category_id: int | None = None
    evidence: dict[str, Any]
    score: float
    rank: int
    state: TopicState = TopicState.PROPOSED
    reason: str | None = None
    converted_kind: str | None = None
    converted_ref: str | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    created_at: datetime
