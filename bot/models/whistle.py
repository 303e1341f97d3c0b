"""难事合力办: departments and their people, whistles and their sub-orders, joint meetings, and
what the screens about them show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.errors import InvalidInput
from bot.freetext import ASK, NOTE, PLACE
from bot.i18n import N_
from bot.models.core import Department, OrgUnit, Person, Rating, RequestView, _Model
from bot.models.forms import Form
from bot.suborders import ACTIVE, SubOrderRole, SubOrderState

__all__ = [
    "DepartmentPost",
    "Joined",
    "Meeting",
    "MeetingForm",
    "MeetingParty",
    "MeetingStep",
    "MeetingView",
    "Pairing",
    "PairingLine",
    "Post",
    "StaffLine",
    "SubOrder",
    "SubOrderEvent",
    "SubOrderView",
    "Whistle",
    "WhistleDraft",
    "WhistleOptions",
    "WhistlePart",
    "WhistleState",
    "WhistleStep",
    "WhistleView",
]

MAX_PARTS = 8  # departments summoned by one whistle at once


class Post(StrEnum):
    """What an invitation link makes of whoever opens it."""

    LIAISON = "liaison"  # 联络员 of a department
    HEAD = "head"  # 负责人 of a department
    FIRST_SECRETARY = "first_secretary"  # 第一书记 of a community


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
    # Whether the viewer takes the whistler's decisions (an administrator of its area), not
    # a first secretary who follows it.
    manage: bool = True

    @property
    def lead(self) -> tuple[SubOrder, Department] | None:
        """The live lead (主办): signed or waiting, else the one that completed."""
        leads = [(s, d) for s, d in self.sub_orders if s.is_lead]
        live = [(s, d) for s, d in leads if s.state in ACTIVE]
        done = [(s, d) for s, d in leads if s.state is SubOrderState.COMPLETED]
        found = live or done
        return found[-1] if found else None


@dataclass(frozen=True)
class StaffLine:
    """One person's post in a department (the staff list of an administrator)."""

    person: Person
    department: Department
    post: Post


class WhistlePart(BaseModel):
    """One department of a whistle being prepared, and what is asked of it."""

    department_id: int
    lead: bool = False
    ask: str | None = None


class WhistleStep(StrEnum):
    """The steps of blowing the whistle."""

    DEPARTMENTS = "departments"  # which departments (several)
    LEAD = "lead"  # which of them leads
    ASK = "ask"  # what is asked of each, one message per department
    NOTE = "note"  # a note for every department (may be skipped)
    SUMMARY = "summary"  # check, share the resident's contact or not, send


class WhistleDraft(Form):
    """A whistle being prepared: the form of its guided flow (plain data, in user_data)."""

    step: WhistleStep = WhistleStep.DEPARTMENTS
    request_id: int = 0
    parts: list[WhistlePart] = Field(default_factory=list)
    note: str | None = None
    share_contact: bool = False
    topic_id: int | None = None

    def part(self, department_id: int) -> WhistlePart | None:
        return next((p for p in self.parts if p.department_id == department_id), None)

    @property
    def lead(self) -> WhistlePart | None:
        return next((p for p in self.parts if p.lead), None)

    def toggle(self, department_id: int) -> None:
        """Pick a department, or unpick it (what was asked of it goes with it)."""
        if self.part(department_id) is None:
            self.parts = [*self.parts, WhistlePart(department_id=department_id)]
        else:
            self.parts = [p for p in self.parts if p.department_id != department_id]

    def choose_lead(self, department_id: int | None) -> None:
        """``department_id`` leads, the others assist (None: every one assists)."""
        self.parts = [
            p.model_copy(update={"lead": p.department_id == department_id}) for p in self.parts
        ]

    @property
    def unasked(self) -> WhistlePart | None:
        """The next department nothing has been asked of yet."""
        return next((p for p in self.parts if p.ask is None), None)

    def set_ask(self, text: str) -> None:
        """What the next department is asked (ASK's rules: cleaned, at most 500 characters)."""
        part = self.unasked
        if part is None:
            raise InvalidInput(N_("Every department already has its ask."))
        asked = ASK.accept(text)
        self.parts = [p.model_copy(update={"ask": asked}) if p is part else p for p in self.parts]

    def same_ask(self) -> None:
        """The next department is asked the same as the one before it."""
        asked = [p.ask for p in self.parts if p.ask is not None]
        if not asked:
            raise InvalidInput(N_("Write what each department should do."))
        self.set_ask(asked[-1])

    def set_note(self, text: str) -> None:
        self.note = NOTE.with_limit(1000).accept(text)


class MeetingStep(StrEnum):
    """The steps of proposing a joint on-site meeting."""

    DAY = "day"
    TIME = "time"
    PLACE = "place"
    CONFIRM = "confirm"


class MeetingForm(Form):
    """A joint on-site meeting being proposed by a department on its sub-order."""

    step: MeetingStep = MeetingStep.DAY
    order_id: int = 0
    day: date | None = None
    time: str | None = None  # "HH:MM", local
    place: str | None = None

    def set_place(self, text: str) -> None:
        self.place = PLACE.accept(text)

    def meets_at(self, tz: tzinfo) -> datetime:
        """The chosen day and time, local, as an aware time."""
        assert self.day is not None and self.time is not None
        return datetime.combine(self.day, time.fromisoformat(self.time), tz)


@dataclass(frozen=True)
class WhistleOptions:
    """What a whistle on a request may summon: the departments serving its area, and those
    already on it (a second whistle adds departments; the lead stays)."""

    request: RequestView
    departments: list[Department]
    on_it: list[tuple[SubOrder, Department]]

    @property
    def needs_lead(self) -> bool:
        return not any(
            o.is_lead and o.state in ACTIVE | {SubOrderState.COMPLETED} for o, _d in self.on_it
        )

    def available(self) -> list[Department]:
        """The departments not already working on it."""
        busy = {d.id for o, d in self.on_it if o.state in ACTIVE}
        return [d for d in self.departments if d.id not in busy]


@dataclass(frozen=True)
class Joined:
    """What an invitation link made of the person who opened it."""

    post: Post
    department: Department | None
    community: OrgUnit | None
    partner: str | None


@dataclass(frozen=True)
class PairingLine:
    """A community's pairing and its first secretaries, for an administrator."""

    pairing: Pairing
    community: OrgUnit
    secretaries: list[str]  # their names
