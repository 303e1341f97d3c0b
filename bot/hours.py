"""Opening hours: read from the org file, asked "open now?", grouped for display.

A station's hours are spans (:class:`~bot.models.OpeningSpan`): days of the week (0 = Monday)
and a local time range, e.g. Monday to Friday 09:00-12:00 and 14:30-17:30 is two spans. The org
file writes them as ``{ days = "mon-fri", times = ["09:00-12:00", "14:30-17:30"] }``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from bot.models import OpeningSpan

__all__ = [
    "DAY_CODES",
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


def is_open(spans: Iterable[OpeningSpan], local: datetime) -> bool:
    """Open at the local time ``local``?"""
    moment = local.time()
    return any(local.weekday() in span.days and span.open <= moment < span.close for span in spans)


def next_change(spans: Sequence[OpeningSpan], local: datetime) -> datetime | None:
    """When it closes (open now) or opens next (closed now), in the next seven days; None when
    it has no hours."""
    open_now = is_open(spans, local)
    moments: list[datetime] = []
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        for span in spans:
            if day.weekday() not in span.days:
                continue
            edge = span.close if open_now else span.open
            moment = datetime.combine(day, edge, local.tzinfo)
            if moment > local and (open_now or not is_open(spans, moment - timedelta(seconds=1))):
                moments.append(moment)
    if open_now:
        # The first closing that is not the opening of the next span at the same moment.
        for moment in sorted(moments):
            if not is_open(spans, moment):
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
