"""Messages of the stations residents can find: the nearest three, and a station's page."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import cbdata
from bot.i18n import NC_, Translator
from bot.messages import Button, OutMessage, ReplyButton, Venue, rows
from bot.models import Station
from bot.models.stations import NearbyStation, StationPage, StationStatus
from bot.views.activities import ACTIVITY
from bot.views.calendar import fmt_span_of_time, hours_label, weekday
from bot.views.common import distance_text, esc, unit_path
from bot.views.service import MENU

__all__ = [
    "SHARE_LOCATION_FOR_STATIONS",
    "STATIONS",
    "distance_text",
    "nearest",
    "page",
    "status_text",
    "where_prompt",
]

STATIONS = "sn"
SHARE_LOCATION_FOR_STATIONS = NC_("stations", "📍 Share my location")
_LIST = NC_("list separator", ", ")
_GROUPS = NC_("group separator", "; ")


def _moment(t: Translator, when: datetime, now: datetime, tz: tzinfo) -> str:
    local, today = when.astimezone(tz), now.astimezone(tz)
    if local.date() == today.date():
        return f"{local:%H:%M}"
    if (local.date() - today.date()).days < 7:
        return f"{weekday(t, local.weekday())} {local:%H:%M}"
    return f"{local:%m-%d} {weekday(t, local.weekday())} {local:%H:%M}"  # after a long holiday


def status_text(t: Translator, status: StationStatus, now: datetime, tz: tzinfo) -> str:
    if not status.known:
        return t("⚪ Opening hours not known")
    if status.open:
        if status.change is None:
            return t("🟢 Open now")
        return t("🟢 Open now, until {time}").format(time=_moment(t, status.change, now, tz))
    if status.change is None:
        return t("🔴 Closed")
    when = _moment(t, status.change, now, tz)
    if status.holiday:
        return t("🔴 Closed for the public holiday, opens {time}").format(time=when)
    return t("🔴 Closed now, opens {time}").format(time=when)


def _facts(t: Translator, station: Station) -> list[str]:
    lines = []
    if station.hours:
        notes = [
            t("open on public holidays")
            if station.open_on_holidays
            else t("closed on public holidays"),
            *([esc(station.opening_hours)] if station.opening_hours else []),
        ]
        hours = t("{hours} ({note})").format(
            hours=hours_label(t, station.hours), note=t(_GROUPS).join(notes)
        )
        lines.append(t("Opening hours: {hours}").format(hours=hours))
    elif station.opening_hours:
        lines.append(t("Opening hours: {hours}").format(hours=esc(station.opening_hours)))
    if station.function_areas:
        lines.append(
            t("Function areas: {areas}").format(
                areas=t(_LIST).join(esc(a) for a in station.function_areas)
            )
        )
    if station.address:
        lines.append(t("Address: {address}").format(address=esc(station.address)))
    return lines


def _venue(station: Station) -> Venue | None:
    if station.latitude is None or station.longitude is None:
        return None
    return Venue(
        station.latitude, station.longitude, station.name, station.address or station.name
    )


def nearest(t: Translator, found: list[NearbyStation], now: datetime, tz: tzinfo) -> OutMessage:
    """The nearest stations, each with distance, open now, hours, functions, address, a pin
    and a button to its page."""
    if not found:
        return OutMessage(t("No service station has a place on the map yet."))
    lines = [t("📍 <b>Service stations nearest to you</b>")]
    for n, near in enumerate(found, 1):
        lines += [
            "",
            f"{n}. <b>{esc(near.station.name)}</b> · {distance_text(t, near.distance_m)}",
            status_text(t, near.status, now, tz),
            *_facts(t, near.station),
        ]
    lines += ["", t("The pins follow; tap one for directions.")]
    buttons = [
        Button(f"{n}. {near.station.name}", cbdata.encode(STATIONS, "p", near.station.id))
        for n, near in enumerate(found, 1)
    ]
    venues = tuple(v for v in (_venue(near.station) for near in found) if v is not None)
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=1), venues=venues)


def where_prompt(t: Translator, menu: tuple[tuple[ReplyButton, ...], ...]) -> OutMessage:
    """/stations: ask for a location, with the button above the main menu's (it stays there
    until the next menu, so nothing has to bring the menu back)."""
    return OutMessage(
        t(
            "Share your location and I will show the three service stations nearest to you,"
            " whether they are open now, and the way there."
        ),
        keyboard=(
            (ReplyButton(t(SHARE_LOCATION_FOR_STATIONS), request_location=True),),
            *menu,
        ),
    )


def page(
    t: Translator, language: str, station_page: StationPage, now: datetime, tz: tzinfo
) -> OutMessage:
    """A station's page: where, open now, hours, functions, upcoming activities, the menu."""
    station = station_page.station
    lines = [
        f"🏠 <b>{esc(station.name)}</b>",
        unit_path(station_page.path[1:], language),
        status_text(t, station_page.status, now, tz),
        *_facts(t, station),
        "",
        t("<b>Coming up here</b>"),
    ]
    buttons: list[Button] = []
    for view in station_page.activities:
        when = fmt_span_of_time(t, view.activity.starts_at, view.activity.ends_at, tz)
        places = t("{signed}/{capacity} signed up").format(
            signed=view.signed, capacity=view.activity.capacity
        )
        lines.append(f"🙌 {esc(view.activity.title)} · {when} · {places}")
        buttons.append(
            Button(
                "🙌 " + view.activity.title[:30], cbdata.encode(ACTIVITY, "v", view.activity.id)
            )
        )
    if not station_page.activities:
        lines.append(t("No activities planned here yet."))
    if station_page.teams:
        lines += [
            "",
            t("<b>Service menu</b>: {n} team projects you can order, e.g. {examples}").format(
                n=len(station_page.teams),
                examples=t(_LIST).join(
                    esc(team.project_label(language)) for team in station_page.teams[:3]
                ),
            ),
        ]
        buttons.append(Button(t("🧭 Service menu"), cbdata.encode(MENU, "menu")))
    venue = _venue(station)
    return OutMessage(
        "\n".join(lines),
        buttons=rows(*buttons, width=1),
        venues=(venue,) if venue else (),
    )
