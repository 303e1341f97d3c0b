"""Opening hours: read from the org file, asked "open now?", grouped for display.

A station's hours are spans (:class:`~bot.models.OpeningSpan`): days of the week (0 = Monday)
and a local time range, e.g. Monday to Friday 09:00-12:00 and 14:30-17:30 is two spans. The org
file writes them as ``{ days = "mon-fri", times = ["09:00-12:00", "14:30-17:30"] }``.

A station that keeps the working calendar (:class:`~bot.workcal.WorkingCalendar`, from
``[calendar]``) is closed on its public holidays and open on its make-up working days (a
weekend day worked instead of a holiday) as on a weekday (the hours of the first of Monday to
Friday it opens); one that stays open on holidays keeps its week as it is (:class:`Week`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.models import OpeningSpan
from bot.workcal import WorkingCalendar

__all__ = [
    "DAY_CODES",
    "Week",
    "day_runs",
    "days_text",
    "group_spans",
    "is_open",
    "next_change",
    "parse_days",
    "parse_spans",
    "spans_text",
]

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_days(text: str) -> tuple[int, ...]:
    """``"mon-fri"``, ``"sat,sun"``, ``"mon,wed-fri"`` or ``"daily"`` as day numbers."""
    text = text.strip().lower()
    if text in ("daily", "every day", "mon-sun"):
        return tuple(range(7))
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAY_CODES or (last and last not in DAY_CODES):
            raise ValueError(
                f'days "{text}" must be day codes ({", ".join(DAY_CODES)}), ranges like'
                ' "mon-fri", lists like "sat,sun", or "daily"'
            )
        start = DAY_CODES.index(first)
        stop = DAY_CODES.index(last) if last else start
        if stop < start:
            raise ValueError(f'day range "{part.strip()}" runs backwards')
        days.update(range(start, stop + 1))
    return tuple(sorted(days))


def _clock(hours: str, minutes: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(23, 59, 59)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"{hours}:{minutes} is not a time of day")
    return time(h, m)


def parse_spans(days: str, times: Sequence[str]) -> list[OpeningSpan]:
    """One group of the org file: the days and their time ranges (``"09:00-12:00"``)."""
    day_numbers = parse_days(days)
    if not times:
        raise ValueError(f'days "{days}" need at least one time range like "09:00-12:00"')
    spans = []
    for text in times:
        match = _RANGE.match(text.strip())
        if match is None:
            raise ValueError(f'time range "{text}" must look like "09:00-12:00"')
        opens, closes = _clock(*match.group(1, 2)), _clock(*match.group(3, 4))
        if closes <= opens:
            raise ValueError(f'time range "{text}" must end after it starts')
        spans.append(OpeningSpan(days=day_numbers, open=opens, close=closes))
    return spans


# How far ahead "opens next" looks: past the longest run of holidays (春节 is nine days).
HORIZON_DAYS = 31


@dataclass(frozen=True)
class Week:
    """When a station is open: its spans, and the working calendar it keeps (None: the same
    every week, holidays or not)."""

    spans: Sequence[OpeningSpan]
    calendar: WorkingCalendar | None = None

    def on(self, day: date) -> list[OpeningSpan]:
        """The spans it keeps on ``day`` (a local date)."""
        if self.calendar is not None:
            if day in self.calendar.holidays:
                return []
            if day in self.calendar.workdays:
                return self._weekday()
        return [span for span in self.spans if day.weekday() in span.days]

    def closed_for_holiday(self, day: date) -> bool:
        """Closed all ``day`` because it is a public holiday (it would open otherwise)?"""
        return (
            self.calendar is not None
            and day in self.calendar.holidays
            and any(day.weekday() in span.days for span in self.spans)
        )

    def _weekday(self) -> list[OpeningSpan]:
        for weekday in range(5):
            spans = [span for span in self.spans if weekday in span.days]
            if spans:
                return spans
        return []


def is_open(week: Week, local: datetime) -> bool:
    """Open at the local time ``local``?"""
    moment = local.time()
    return any(span.open <= moment < span.close for span in week.on(local.date()))


def next_change(week: Week, local: datetime) -> datetime | None:
    """When it closes (open now) or opens next (closed now), within a month; None when it has
    no hours then."""
    open_now = is_open(week, local)
    moments: list[datetime] = []
    for offset in range(HORIZON_DAYS + 1):
        day = (local + timedelta(days=offset)).date()
        for span in week.on(day):
            edge = span.close if open_now else span.open
            moment = datetime.combine(day, edge, local.tzinfo)
            if moment > local and (open_now or not is_open(week, moment - timedelta(seconds=1))):
                moments.append(moment)
        if moments and not open_now:
            break  # the first day it opens again
    if open_now:
        # The first closing that is not the opening of the next span at the same moment.
        for moment in sorted(moments):
            if not is_open(week, moment):
                return moment
        return None
    return min(moments, default=None)


def group_spans(spans: Sequence[OpeningSpan]) -> list[tuple[tuple[int, ...], list[OpeningSpan]]]:
    """The spans grouped by their days, in the order of the week: what a sign would show."""
    groups: dict[tuple[int, ...], list[OpeningSpan]] = {}
    for span in spans:
        groups.setdefault(span.days, []).append(span)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0] if item[0] else 7, item[0]))
    return [(days, sorted(items, key=lambda s: s.open)) for days, items in ordered]


def day_runs(days: Sequence[int]) -> list[list[int]]:
    """Days grouped into runs of consecutive days: [0, 1, 2, 4] is [[0, 1, 2], [4]]."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def days_text(days: Sequence[int]) -> str:
    """Day numbers in the org file's own words: ``mon-fri``, ``sat,sun``, ``daily``."""
    if tuple(days) == tuple(range(7)):
        return "daily"
    return ",".join(
        DAY_CODES[run[0]] if len(run) == 1 else f"{DAY_CODES[run[0]]}-{DAY_CODES[run[-1]]}"
        for run in day_runs(days)
    )


def spans_text(spans: Sequence[OpeningSpan]) -> str:
    """Opening hours for the operator: ``mon-fri 09:00-12:00, 14:30-17:30; sat 09:00-12:00``."""
    return "; ".join(
        f"{days_text(days)} " + ", ".join(f"{s.open:%H:%M}-{s.close:%H:%M}" for s in group)
        for days, group in group_spans(spans)
    )
