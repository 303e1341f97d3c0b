"""Pieces shared by several views."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import TypeVar

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, ReplyButton
from bot.models import OrgUnit, Role

__all__ = [
    "MAIN_MENU",
    "MY_REQUESTS",
    "RAISE_REQUEST",
    "SERVICE_MENU",
    "distance_text",
    "esc",
    "fmt_age",
    "fmt_time",
    "main_keyboard",
    "ticked",
    "unit_path",
]

RAISE_REQUEST = N_("Raise a request")
MY_REQUESTS = N_("My requests")
SERVICE_MENU = N_("Service menu")  # 菜单式服务: the teams' projects, activities, stations, points

# Reply-keyboard buttons of the main menu, by the roles that see them. Handlers recognise a
# tapped button by comparing its text with these labels in every language.
MAIN_MENU: tuple[tuple[str, frozenset[Role] | None], ...] = (
    (RAISE_REQUEST, None),
    (SERVICE_MENU, None),
    (MY_REQUESTS, None),
    (N_("Help"), None),
    (N_("My data"), None),
)


def esc(text: str | None) -> str:
    """Escape user-provided text for Telegram HTML."""
    return escape(text or "", quote=False)


def unit_path(units: list[OrgUnit], language: str, sep: str = " › ") -> str:
    return sep.join(esc(u.label(language)) for u in units)


def distance_text(t: Translator, metres: float) -> str:
    """A distance as a person reads it: metres (rounded to tens from 100 m), then km."""
    if metres < 1000:
        return t("{n} m").format(n=round(metres / 10) * 10 if metres >= 100 else round(metres))
    return t("{km} km").format(km=f"{metres / 1000:.1f}")


def fmt_time(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def main_keyboard(roles: set[Role], t: Translator) -> tuple[tuple[ReplyButton, ...], ...]:
    labels = [t(label) for label, need in MAIN_MENU if need is None or roles & need]
    return tuple(
        tuple(ReplyButton(label) for label in labels[i : i + 2]) for i in range(0, len(labels), 2)
    )


Option = TypeVar("Option", bound=str)  # an option of a multiple choice (a StrEnum)


def ticked(
    t: Translator,
    names: Mapping[Option, str],
    chosen: Collection[str],
    feature: str,
    action: str,
) -> list[Button]:
    """A button per option (``names``: value -> msgid), ✅ on the chosen ones; pressing one
    sends ``<feature>1:<action>:<value>`` (a multiple choice: tick, untick, then Done)."""
    return [
        Button(("✅ " if value in chosen else "") + t(name), cbdata.encode(feature, action, value))
        for value, name in names.items()
    ]


def fmt_age(t: Translator, age: timedelta) -> str:
    """How long ago, roughly: 'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return t("just now")
    if minutes < 60:
        return t.ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.ngettext("{n} hour ago", "{n} hours ago", hours).format(n=hours)
    days = hours // 24
    return t.ngettext("{n} day ago", "{n} days ago", days).format(n=days)
