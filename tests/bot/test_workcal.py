"""The working calendar: working days (weekdays, holidays, make-up working days) and hours,
and time counted in working time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_config
from bot.workcal import WorkingCalendar, parse_days, parse_span

TZ = ZoneInfo("Asia/Shanghai")
# The State Council's notice of 2025-11-04 on the holidays of 2026.
HOLIDAYS_2026 = [
    "2026-01-01..2026-01-03",
    "2026-02-15..2026-02-23",
    "2026-04-04..2026-04-06",
    "2026-05-01..2026-05-05",
    "2026-06-19..2026-06-21",
    "2026-09-25..2026-09-27",
    "2026-10-01..2026-10-07",
]
WORKDAYS_2026 = [
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]
TWO_HOURS = timedelta(hours=2)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture
def calendar() -> WorkingCalendar:
    config = load_config(None, calendar={"holidays": HOLIDAYS_2026, "workdays": WORKDAYS_2026})
    return config.working_calendar()


def test_friday_evening_before_a_holiday_counts_from_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    # Friday 3 April 2026, 17:30; 清明节 is Saturday to Monday: the next working day is Tuesday.
    assert calendar.add(local(2026, 4, 3, 17, 30), TWO_HOURS) == local(2026, 4, 7, 10, 30)


def test_a_listed_make_up_saturday_counts_as_working(calendar: WorkingCalendar) -> None:
    # Friday 9 October 2026, 17:30; Saturday 10 October is worked (调休上班).
    assert calendar.is_working_day(date(2026, 10, 10))
    assert calendar.add(local(2026, 10, 9, 17, 30), TWO_HOURS) == local(2026, 10, 10, 10, 30)
    # The eve of the Spring Festival: Saturday 14 February is worked, then nine days off.
    assert calendar.add(local(2026, 2, 13, 17, 0), TWO_HOURS) == local(2026, 2, 14, 10, 0)
    assert calendar.add(local(2026, 2, 14, 17, 0), TWO_HOURS) == local(2026, 2, 24, 10, 0)


def test_an_ordinary_saturday_and_a_holiday_do_not_count(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 11, 28))  # a Saturday
    assert not calendar.is_working_day(date(2026, 10, 1))  # 国庆节, a Thursday
    assert calendar.add(local(2026, 9, 30, 16, 30), TWO_HOURS) == local(2026, 10, 8, 9, 30)


def test_the_lunch_break_and_the_night_do_not_count(calendar: WorkingCalendar) -> None:
    assert calendar.add(local(2026, 11, 26, 11, 0), TWO_HOURS) == local(2026, 11, 26, 15, 30)
    assert calendar.add(local(2026, 11, 26, 20, 0), TWO_HOURS) == local(2026, 11, 27, 10, 30)
    assert calendar.add(local(2026, 11, 26, 7, 0), TWO_HOURS) == local(2026, 11, 26, 10, 30)
    assert not calendar.is_working_time(local(2026, 11, 26, 12, 30))
    assert calendar.is_working_time(local(2026, 11, 26, 14, 30))
    # A UTC time in, the same moment out.
    start = local(2026, 11, 26, 10, 0).astimezone(UTC)
    assert calendar.add(start, TWO_HOURS) == local(2026, 11, 26, 12, 0)


def test_working_days_and_time_between(calendar: WorkingCalendar) -> None:
    assert calendar.day_length == timedelta(hours=6, minutes=30)
    # Ten working days from Thursday 26 November 2026, 10:30: Thursday 10 December, 10:30.
    assert calendar.add_days(local(2026, 11, 26, 10, 30), 10) == local(2026, 12, 10, 10, 30)
    assert calendar.between(local(2026, 11, 26, 10, 0), local(2026, 11, 26, 16, 35)) == timedelta(
        hours=4, minutes=5
    )
    assert calendar.between(local(2026, 4, 3, 17, 0), local(2026, 4, 7, 9, 0)) == timedelta(
        hours=1
    )
    assert calendar.between(local(2026, 4, 7), local(2026, 4, 3)) == timedelta(0)
    assert calendar.next_working_moment(local(2026, 4, 4, 12, 0)) == local(2026, 4, 7, 8, 30)


def test_spans_and_days_are_parsed_with_clear_errors() -> None:
    assert parse_span("08:30-12:00").length == timedelta(hours=3, minutes=30)
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_span("12:00-08:30")
    with pytest.raises(ValueError, match="is not a span"):
        parse_span("morning")
    assert parse_days(["2026-10-01..2026-10-03", "2026-10-10"]) == {
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 3),
        date(2026, 10, 10),
    }
    with pytest.raises(ValueError, match="is not a date"):
        parse_days(["2026-13-01"])
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(TZ, [parse_span("08:00-12:00"), parse_span("11:00-17:00")])


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"hours": ["9-17"]}, "calendar.hours"),
        ({"hours": []}, "calendar.hours"),
        ({"days_off": [0]}, "calendar.days_off"),
        ({"holidays": ["2026-10-08..2026-10-01"]}, "calendar.holidays"),
        ({"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]}, "both a holiday"),
    ],
)
def test_a_bad_calendar_stops_with_one_line(calendar: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, calendar=calendar)
