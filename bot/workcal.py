"""The working calendar (工作日历): which days are working days, which hours of them are working
hours, and time counted in working time.

Departments answer a whistle in working time: a sign-for window of two working hours opened at
17:30 on the Friday before a holiday ends on the next working day. A day is a working day when
it is a weekday and not a listed holiday, or when it is a listed make-up working day (a
Saturday or Sunday worked in exchange for a longer holiday). The lists come from the
configuration (``[calendar]``), copied each year from the State Council's notice.

Pure and timezone-aware: times in and out are aware datetimes; days and hours are those of the
configured time zone. Nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise

__all__ = ["Span", "WorkingCalendar", "parse_days", "parse_span"]

# How far ahead the calendar looks for working time before it gives up (a configuration that
# lists a whole year of holidays must not make the bot loop forever).
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Span:
    """Working hours within one day: ``start`` to ``end`` local time (``start < end``)."""

    start: time
    end: time

    @property
    def length(self) -> timedelta:
        return _on(date.min, self.end) - _on(date.min, self.start)


def _on(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment)


def parse_span(text: str) -> Span:
    """``"08:30-12:00"`` as a :class:`Span` (ValueError with the reason otherwise)."""
    first, sep, last = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a span like 08:30-12:00")
    try:
        start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a span like 08:30-12:00") from None
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts")
    return Span(start, end)


def parse_days(items: Iterable[str]) -> frozenset[date]:
    """Days given one by one (``"2026-10-01"``) or as ranges (``"2026-10-01..2026-10-07"``)."""
    days: set[date] = set()
    for item in items:
        first, sep, last = item.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            stop = date.fromisoformat(last.strip()) if sep else start
        except ValueError:
            raise ValueError(f"{item!r} is not a date (YYYY-MM-DD) or a range a..b") from None
        if stop < start:
            raise ValueError(f"{item!r} ends before it starts")
        if (stop - start).days > HORIZON_DAYS:
            raise ValueError(f"{item!r} is longer than {HORIZON_DAYS} days")
        days.update(start + timedelta(days=n) for n in range((stop - start).days + 1))
    return frozenset(days)


class WorkingCalendar:
    """Working days and hours, and arithmetic in working time."""

    def __init__(
        self,
        tz: tzinfo,
        spans: Iterable[Span],
        *,
        days_off: Iterable[int] = (6, 7),
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> None:
        self.tz = tz
        self.spans = tuple(sorted(spans, key=lambda s: s.start))
        if not self.spans:
            raise ValueError("a working calendar needs working hours")
        for before, after in pairwise(self.spans):
            if after.start < before.end:
                raise ValueError("working hours overlap")
        self.days_off = frozenset(days_off)  # ISO weekdays: 6 Saturday, 7 Sunday
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        clash = self.holidays & self.workdays
        if clash:
            raise ValueError(f"{min(clash)} is both a holiday and a working day")

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day."""
        return sum((s.length for s in self.spans), timedelta())

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.isoweekday() not in self.days_off

    def is_working_time(self, when: datetime) -> bool:
        local = when.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        moment = local.time()
        return any(s.start <= moment < s.end for s in self.spans)

    def _periods(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working periods from ``start`` on (the first cut at ``start``), as aware times."""
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(HORIZON_DAYS):
            if self.is_working_day(day):
                for span in self.spans:
                    begin = datetime.combine(day, span.start, self.tz)
                    end = datetime.combine(day, span.end, self.tz)
                    if end <= local:
                        continue
                    yield max(begin, local), end
            day += timedelta(days=1)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment ``amount`` of working time after ``start`` (a window opened outside
        working hours starts counting at the next working moment). Zero or less: ``start``."""
        if amount <= timedelta(0):
            return start
        left = amount
        for begin, end in self._periods(start):
            if end - begin >= left:
                return (begin + left).astimezone(start.tzinfo)
            left -= end - begin
        raise ValueError(f"no working time within {HORIZON_DAYS} days of {start}")

    def add_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days of working time after ``start``."""
        return self.add(start, self.day_length * days)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        total = timedelta()
        if end <= start:
            return total
        for begin, stop in self._periods(start):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total

    def next_working_moment(self, when: datetime) -> datetime:
        """``when`` if it is working time, else the start of the next working period."""
        for begin, _end in self._periods(when):
            return begin.astimezone(when.tzinfo)
        raise ValueError(f"no working time within {HORIZON_DAYS} days of {when}")
