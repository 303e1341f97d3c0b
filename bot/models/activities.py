"""志愿服务活动: activities, sign-ups with a waiting list, check-in and volunteer hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import InvalidInput
from bot.freetext import ADDRESS, DETAILS, TITLE
from bot.i18n import N_
from bot.models.core import OrgUnit, ServiceTeam, Station
from bot.models.forms import Form

__all__ = [
    "CHECKIN_EARLY",
    "LENGTHS",
    "MAX_CAPACITY",
    "Activity",
    "ActivityForm",
    "ActivityState",
    "ActivityStep",
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
MAX_CAPACITY = 500


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


class ActivityStep(StrEnum):
    AREA = "area"
    TITLE = "title"
    DETAILS = "details"
    DAY = "day"
    TIME = "time"
    LENGTH = "length"
    PLACE = "place"
    ADDRESS = "address"
    CAPACITY = "capacity"
    AUDIENCE = "audience"
    TEAM = "team"
    SUMMARY = "summary"


# The lengths an organiser picks from, in minutes; the days ahead an activity may be set.
LENGTHS = (60, 90, 120, 180, 240)
DAYS_AHEAD = 90
# 9:30, 19：00, 9点, 9点30分 (点 \u70b9, 分 \u5206); 2026-12-05, 12-05, 12月5日 (年 月 日).
_TIME = re.compile(r"^\s*(\d{1,2})\s*[:\uff1a.\u70b9]\s*(\d{2})?\s*(\u5206)?\s*$")
_DATE = re.compile(
    r"^\s*(?:(\d{4})\s*[-/.\u5e74]\s*)?(\d{1,2})\s*[-/.\u6708]\s*(\d{1,2})\s*\u65e5?\s*$"
)


class ActivityForm(Form):
    """The draft of an activity being published, with its rules."""

    step: ActivityStep = ActivityStep.AREA
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
    audience: list[Audience] = Field(default_factory=list)
    team_id: int | None = None

    def set_title(self, text: str) -> None:
        self.title = TITLE.accept(text)

    def set_details(self, text: str) -> None:
        self.description = DETAILS.accept(text)

    def set_day(self, text: str, today: date) -> None:
        """A date typed (2026-12-05, 12-05, 12月5日) or from a button (its ISO form)."""
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError(text)
            year = int(match.group(1)) if match.group(1) else today.year
            day = date(year, int(match.group(2)), int(match.group(3)))
            if match.group(1) is None and day < today:
                day = day.replace(year=today.year + 1)  # "01-05" in December: next year's
        except ValueError:
            raise InvalidInput(
                N_("Please give the day as a date, for example {example}."), example="12-05"
            ) from None
        if not today <= day <= today + timedelta(days=DAYS_AHEAD):
            raise InvalidInput(
                N_("Please choose a day from today to {days} days ahead."), days=DAYS_AHEAD
            )
        self.day = day

    def set_start(self, text: str) -> None:
        """A start time: 9:30, 09:30, 19：00, 9点, 9点30."""
        match = _TIME.match(text)
        hours = int(match.group(1)) if match else -1
        minutes = int(match.group(2) or 0) if match else -1
        if not (0 <= hours <= 23 and 0 <= minutes <= 59):
            raise InvalidInput(N_("Please give the start time like {example}."), example="9:30")
        self.start = f"{hours:02d}:{minutes:02d}"

    def set_minutes(self, minutes: int) -> None:
        if minutes not in LENGTHS:
            raise InvalidInput(N_("Please choose one of the lengths offered."))
        self.minutes = minutes

    def set_station(self, station_id: int) -> None:
        self.station_id = station_id
        self.address = self.latitude = self.longitude = None

    def set_address(self, text: str) -> None:
        self.address = ADDRESS.accept(text)
        self.station_id = None

    def set_location(self, latitude: float, longitude: float) -> None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidInput(N_("That location is not valid."))
        self.latitude, self.longitude = latitude, longitude
        self.station_id = None

    def set_capacity(self, text: str) -> None:
        digits = text.strip()
        if not digits.isdigit() or not 1 <= int(digits) <= MAX_CAPACITY:
            raise InvalidInput(
                N_("Please give the number of places, from 1 to {limit}."), limit=MAX_CAPACITY
            )
        self.capacity = int(digits)

    def toggle(self, audience: Audience) -> None:
        if audience in self.audience:
            self.audience.remove(audience)
        else:
            self.audience.append(audience)
            self.audience.sort(key=list(Audience).index)

    def check_audience(self) -> None:
        if not self.audience:
            raise InvalidInput(N_("Please choose who is invited."))
