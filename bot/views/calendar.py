"""Days and times as people read them: weekday names, a time span, opening hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.hours import day_runs, group_spans
from bot.i18n import N_, NC_, Translator
from bot.models import OpeningSpan

__all__ = ["WEEKDAYS", "days_label", "fmt_span_of_time", "hours_label", "weekday"]

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
_LIST = NC_("list separator", ", ")
_GROUPS = NC_("group separator", "; ")


def weekday(t: Translator, day: int) -> str:
    return t(WEEKDAYS[day])


def fmt_span_of_time(t: Translator, start: datetime, end: datetime, tz: tzinfo) -> str:
    """'2026-11-28 Sat 09:00–11:00' (the end's date too when it is another day)."""
    first, last = start.astimezone(tz), end.astimezone(tz)
    until = f"{last:%H:%M}" if last.date() == first.date() else f"{last:%Y-%m-%d %H:%M}"
    return f"{first:%Y-%m-%d} {weekday(t, first.weekday())} {first:%H:%M}–{until}"


def days_label(t: Translator, days: Sequence[int]) -> str:
    """'Mon–Fri', 'Sat, Sun', 'Every day'."""
    if tuple(days) == tuple(range(7)):
        return t("Every day")
    parts = []
    for run in day_runs(days):
        if len(run) >= 3:
            parts.append(
                t("{first} to {last}").format(first=weekday(t, run[0]), last=weekday(t, run[-1]))
            )
        else:
            parts += [weekday(t, day) for day in run]
    return t(_LIST).join(parts)


def hours_label(t: Translator, spans: Sequence[OpeningSpan]) -> str:
    """'Mon to Fri 09:00–12:00, 14:30–17:30; Sat 09:00–12:00'."""
    return t(_GROUPS).join(
        f"{days_label(t, days)} " + t(_LIST).join(f"{s.open:%H:%M}–{s.close:%H:%M}" for s in group)
        for days, group in group_spans(spans)
    )
