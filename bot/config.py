"""Configuration: a TOML file read into pydantic models, overridable from the environment.

Precedence, highest first: ``GRIDBOT_SECTION__KEY`` environment variables, the TOML file given
by ``--config`` or ``GRIDBOT_CONFIG``, the defaults below. ``config.example.toml`` documents
every key.
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

if TYPE_CHECKING:
    from bot.workcal import WorkingCalendar

__all__ = ["Config", "ConfigError", "load_config"]

ENV_CONFIG = "GRIDBOT_CONFIG"
LANGUAGES = ("zh_CN", "en")


class ConfigError(Exception):
    """A configuration problem, told to the operator in one line."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BotSection(_Section):
    token: SecretStr | None = None
    username: str = "GridbotDemoBot"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"


class StorageSection(_Section):
    # The store: "postgresql://user:password@host/db", or "sqlite:PATH"; unset, the SQLite file
    # ``database``.
    url: str | None = None
    database: Path = Path("gridbot.db")
    # Optional read replica for statistics, exports and charts.
    read_url: str | None = None

    @field_validator("url", "read_url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from storage.db import StoreUrl

        StoreUrl(value.strip())  # raises ValueError with the accepted forms
        return value.strip()

    @property
    def store_url(self) -> str:
        """Where the bot's data lives."""
        return self.url or f"sqlite:{self.database}"

    @property
    def reports_url(self) -> str:
        """Where statistics, exports and charts read from."""
        return self.read_url or self.store_url


class HaSection(_Section):
    # A standby `gridbot run` takes over at most this many seconds after the active process
    # or its machine died (PostgreSQL; see the README's Deployment section).
    takeover_seconds: float = Field(10.0, ge=2.0, le=600.0)


class LocaleSection(_Section):
    timezone: str = "Asia/Shanghai"
    default_language: Literal["zh_CN", "en"] = "zh_CN"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class AdminGrant(_Section):
    telegram_id: int
    unit: str


class RequestsSection(_Section):
    number_prefix: str = Field("DZ", pattern=r"^[A-Z]{1,6}$")
    conversation_timeout_minutes: int = Field(30, ge=1, le=24 * 60)


class TierDeadlines(_Section):
    accept_minutes: int = Field(ge=1)
    resolve_minutes: int = Field(ge=1)


class DeadlinesSection(_Section):
    urgent: TierDeadlines = TierDeadlines(accept_minutes=30, resolve_minutes=24 * 60)
    important: TierDeadlines = TierDeadlines(accept_minutes=24 * 60, resolve_minutes=7 * 24 * 60)
    difficult: TierDeadlines = TierDeadlines(
        accept_minutes=3 * 24 * 60, resolve_minutes=30 * 24 * 60
    )
    auto_close_days: int = Field(3, ge=1)


class QuietHoursSection(_Section):
    start: time = time(22, 0)
    end: time = time(7, 0)


class OutboxSection(_Section):
    rate_per_second: float = Field(25.0, gt=0, le=30)
    per_chat_interval_seconds: float = Field(1.0, ge=0)
    max_attempts: int = Field(8, ge=1)
    # A call whose outcome is unknown (it timed out, or the process died while it was on its
    # way) may have been delivered: it is sent again at most this many times, then the row is
    # marked "unknown". 0: never sent twice, 1 (default): at most one duplicate.
    unknown_retries: int = Field(1, ge=0, le=5)
    max_in_flight: int = Field(16, ge=1, le=256)
    # Benchmarks only: time runs this many times faster (rates multiplied, pauses divided),
    # matching the emulator's scaled flood limits. Keep 1 against real Telegram.
    time_scale: float = Field(1.0, ge=1.0, le=1000.0)


class RetentionSection(_Section):
    # Days a settled outbox row keeps what it said; then its payload is blanked.
    outbox_days: int = Field(30, ge=1, le=3650)


class SchedulerSection(_Section):
    sweep_seconds: float = Field(30.0, gt=0)


class DispatchSection(_Section):
    min_pool: int = Field(3, ge=1)
    # Weekday working hours (local time): in-service members get no non-urgent work then.
    day_start: time = time(8, 0)
    day_end: time = time(18, 0)


class BroadcastSection(_Section):
    # How often the progress message of a running broadcast is edited, in seconds.
    progress_seconds: float = Field(3.0, ge=1.0)


class ApiSection(_Section):
    """The Open311 GeoReport v2 server (``gridbot api``, or inside ``gridbot run``)."""

    enabled: bool = False  # also serve the API inside `gridbot run`
    listen: str = Field("127.0.0.1:8311", pattern=r"^.+:\d{1,5}$")
    jurisdiction_id: str = ""  # when set, a jurisdiction_id given must match it
    language: Literal["zh_CN", "en"] = "zh_CN"  # of names, notes and error descriptions
    service_type: Literal["realtime", "batch"] = "realtime"
    requests_per_minute: int = Field(60, ge=1, le=100_000)  # per key (or per address)
    coordinate_decimals: int = Field(3, ge=0, le=6)  # public reads: about 100 m
    match_radius_m: float = Field(1500.0, gt=0)  # coordinates only: nearest compound within


class HotspotsSection(_Section):
    """热点发现、每月一题、未诉先办: the monthly proposals to community admins."""

    enabled: bool = True
    day: int = Field(1, ge=1, le=28)  # day of the month the proposals go out (local)
    hour: int = Field(9, ge=0, le=23)  # from this local hour on
    topics: int = Field(3, ge=1, le=10)  # at most this many topics per community
    min_recent: int = Field(5, ge=2)  # voices in the last 30 days (requests and "me too")
    min_seasonal: int = Field(4, ge=2)  # requests in the same month last year


class ConsultationSection(_Section):
    """议事协商 and 业主表决: the default clocks of consultations, owners' votes and action items,
    and the monthly property-service rating (物业服务评议)."""

    close_days: int = Field(7, ge=1, le=90)  # discussion and seat votes, by default
    objection_days: int = Field(7, ge=1, le=60)  # 公示: residents may object this long
    owners_vote_days: int = Field(14, ge=1, le=90)  # an owners' vote, by default
    action_days: int = Field(30, ge=1, le=365)  # an action item's deadline, by default
    rating: bool = True  # ask residents to rate their property company every month
    rating_day: int = Field(25, ge=1, le=28)  # from this day of the month (local) ...
    rating_hour: int = Field(10, ge=0, le=23)  # ... and this hour on
    rating_days: int = Field(7, ge=1, le=28)  # answers are taken this long


class PointsSection(_Section):
    """积分: what earns points, and how long a redemption code is good for."""

    per_hour: int = Field(10, ge=0, le=1000)  # per volunteer hour of an activity attended
    per_task: int = Field(5, ge=0, le=1000)  # per request done as its member (closed)
    code_minutes: int = Field(30, ge=5, le=24 * 60)  # a redemption code shown at the station


class ActivitiesSection(_Section):
    """志愿服务活动: reminders and check-in."""

    remind_before_hours: tuple[float, ...] = (24.0, 1.0)  # reminders: the day and the hour before
    checkin_radius_m: float = Field(300.0, gt=0, le=5000)  # a shared location this close
    close_after_minutes: int = Field(30, ge=0, le=24 * 60)  # closes by itself after its end


class CalendarSection(_Section):
    """The working calendar of departments (工作日历): working hours, days off, holidays and
    make-up working days (调休上班), from the State Council's notice of each year."""

    hours: list[str] = ["08:30-12:00", "14:30-17:30"]  # local time, one or more spans a day
    days_off: list[int] = [6, 7]  # ISO weekdays: 6 Saturday, 7 Sunday
    holidays: list[str] = []  # "2026-10-01" or "2026-10-01..2026-10-07"
    workdays: list[str] = []  # make-up working days on a weekend, e.g. "2026-10-10"

    @field_validator("hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        from bot.workcal import WorkingCalendar, parse_span

        if not value:
            raise ValueError("give at least one span of working hours, e.g. 08:30-12:00")
        WorkingCalendar(UTC, [parse_span(v) for v in value])  # raises when they overlap
        return value

    @field_validator("days_off")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(not 1 <= d <= 7 for d in value) or len(set(value)) >= 7:
            raise ValueError("days_off are ISO weekdays 1 (Monday) to 7 (Sunday), not all seven")
        return value

    @field_validator("holidays", "workdays")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        from bot.workcal import parse_days

        parse_days(value)
        return value

    @model_validator(mode="after")
    def _no_clash(self) -> CalendarSection:
        from bot.workcal import parse_days

        clash = parse_days(self.holidays) & parse_days(self.workdays)
        if clash:
            raise ValueError(f"{min(clash)} is both a holiday and a make-up working day")
        return self


class WhistleSection(_Section):
    """吹哨报到: the clocks of departments' sub-orders, in working time."""

    sign_hours: float = Field(2.0, gt=0, le=80)  # sign for (签收) within, in working hours
    complete_days: int = Field(10, ge=1, le=120)  # complete within, in working days
    # An unsigned or late sub-order goes to the department's head at its deadline, and to the
    # district's administrators once this share of the window has passed again.
    district_after: float = Field(1.0, gt=0, le=10)


class PerformanceSection(_Section):
    concurrent_updates: int = Field(64, ge=1, le=1024)


class Config(BaseSettings):
    """All settings of one Gridbot deployment."""

    model_config = SettingsConfigDict(
        env_prefix="GRIDBOT_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    bot: BotSection = BotSection()
    storage: StorageSection = StorageSection()
    locale: LocaleSection = LocaleSection()
    admins: list[AdminGrant] = []
    requests: RequestsSection = RequestsSection()
    deadlines: DeadlinesSection = DeadlinesSection()
    quiet_hours: QuietHoursSection = QuietHoursSection()
    outbox: OutboxSection = OutboxSection()
    scheduler: SchedulerSection = SchedulerSection()
    retention: RetentionSection = RetentionSection()
    dispatch: DispatchSection = DispatchSection()
    performance: PerformanceSection = PerformanceSection()
    broadcast: BroadcastSection = BroadcastSection()
    ha: HaSection = HaSection()
    api: ApiSection = ApiSection()
    hotspots: HotspotsSection = HotspotsSection()
    consultation: ConsultationSection = ConsultationSection()
    points: PointsSection = PointsSection()
    activities: ActivitiesSection = ActivitiesSection()
    calendar: CalendarSection = CalendarSection()
    whistle: WhistleSection = WhistleSection()

    _source: str = PrivateAttr("defaults")
    _from_file: bool = PrivateAttr(False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file, which arrives as init arguments.
        return (env_settings, init_settings)

    @property
    def source(self) -> str:
        """Where the settings came from, for messages."""
        return self._source

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.locale.timezone)

    def working_calendar(self) -> WorkingCalendar:
        """The departments' working calendar of ``[calendar]`` in the local time zone."""
        from bot.workcal import WorkingCalendar, parse_days, parse_span

        spec = self.calendar
        return WorkingCalendar(
            self.tz,
            [parse_span(h) for h in spec.hours],
            days_off=spec.days_off,
            holidays=parse_days(spec.holidays),
            workdays=parse_days(spec.workdays),
        )

    def require_token(self) -> str:
        """Return the bot token or raise a one-line :class:`ConfigError`."""
        if self.bot.token is None or not self.bot.token.get_secret_value().strip():
            if self._from_file:
                raise ConfigError(
                    f"config error: bot.token is not set in {self._source} "
                    "(set it there or in GRIDBOT_BOT__TOKEN)"
                )
            raise ConfigError(
                "config error: bot.token is not set (no config file given: pass --config "
                "PATH or set GRIDBOT_CONFIG, or set GRIDBOT_BOT__TOKEN)"
            )
        return self.bot.token.get_secret_value().strip()


def _describe(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Read the configuration from ``path`` (or ``$GRIDBOT_CONFIG``) and the environment.

    Raises :class:`ConfigError` with a single line that names the key and the file.
    """
    raw_path = path if path is not None else os.environ.get(ENV_CONFIG)
    data: dict[str, Any] = {}
    source = "defaults and environment"
    if raw_path:
        file = Path(raw_path)
        source = str(file)
        try:
            with file.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config error: file {file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config error: {file} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"config error: cannot read {file}: {exc.strerror}") from None
    data.update(overrides)
    try:
        config = Config(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _describe(tuple(err["loc"]))
        where = source if raw_path else "the environment"
        raise ConfigError(f"config error: {key}: {err['msg']} (in {where})") from None
    config._source = source
    config._from_file = bool(raw_path)
    return config
