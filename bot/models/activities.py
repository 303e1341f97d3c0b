"""志愿服务活动: activities, sign-ups with a waiting list, check-in and volunteer hours."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.models.core import OrgUnit, ServiceTeam, Station

__all__ = [
    "CHECKIN_EARLY",
    "Activity",
    "ActivityForm",
    "ActivityState",
    "ActivityView",
    "Attendance",
    "Audience",
    "CheckinMethod",
    "Feedback",
    "Signup",
    "SignupState",
]

# Check-in opens this long before the start (people arrive early) and closes at the end.
CHECKIN_EARLY = timedelta(minutes=30)


class Audience(StrEnum):
    """Who is invited: party members, volunteers (热心群众), residents."""

    MEMBERS = "members"
    VOLUNTEERS = "volunteers"
    RESIDENTS = "residents"


class ActivityState(StrEnum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class SignupState(StrEnum):
    SIGNED = "signed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class CheckinMethod(StrEnum):
    ROLL = "roll"  # the organiser's roll call
    CODE = "code"  # the code on the organiser's phone
    LOCATION = "location"  # a shared location near the venue


class Feedback(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class Activity(_Row):
    id: int
    title: str
    description: str = ""
    unit_id: int
    team_id: int | None = None
    station_id: int | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    audience: tuple[Audience, ...]
    organiser_id: int | None = None
    state: ActivityState = ActivityState.PUBLISHED
    secret: str
    invited: int = 0
    created_at: datetime
    finished_at: datetime | None = None

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, value: object) -> object:
        return tuple(v for v in value.split(",") if v) if isinstance(value, str) else value

    @property
    def hours(self) -> float:
        """Its length in hours, to the quarter hour: the hours credited to who came."""
        quarters = round((self.ends_at - self.starts_at) / timedelta(minutes=15))
        return quarters / 4

    def checkin_open(self, now: datetime) -> bool:
        """Check-in runs from shortly before the start to the end."""
        return (
            self.state is ActivityState.PUBLISHED
            and self.starts_at - CHECKIN_EARLY <= now <= self.ends_at
        )


class Signup(_Row):
    activity_id: int
    person_id: int
    state: SignupState
    queued_at: datetime
    checked_in_at: datetime | None = None
    checkin_method: CheckinMethod | None = None
    hours: float = 0.0
    feedback: Feedback | None = None

    @property
    def attended(self) -> bool:
        return self.checked_in_at is not None


@dataclass(frozen=True)
class ActivityView:
    """An activity with what a card shows: where, who runs it, how full, and the viewer's
    own place (signed up, waiting n-th, or not)."""

    activity: Activity
    unit: OrgUnit
    station: Station | None
    team: ServiceTeam | None
    signed: int
    waiting: int
    mine: Signup | None = None
    position: int | None = None  # on the waiting list, counting from 1
    attended: int = 0

    @property
    def full(self) -> bool:
        return self.signed >= self.activity.capacity


@dataclass(frozen=True)
class Attendance:
    """One person on an activity's roll: their name and whether they are checked in."""

    person_id: int
    name: str
    state: SignupState
    checked_in: bool
    method: CheckinMethod | None = None


class ActivityForm(BaseModel):
    """The draft of an activity being published."""

    nonce: str = Field(default_factory=lambda: secrets.token_hex(8))
    step: str = "title"  # title, details, day, time, length, place, capacity, audience, summary
    unit_id: int | None = None
    title: str | None = None
    description: str = ""
    day: date | None = None
    start: str | None = None  # "HH:MM", local
    minutes: int | None = None
    station_id: int | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    audience: list[Audience] = []
    team_id: int | None = None
