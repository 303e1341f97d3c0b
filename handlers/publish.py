"""Publishing a volunteer activity (志愿服务活动): a guided flow for administrators and team
leaders.

Steps: the area (when the organiser has several), title, details (or Skip), day, start time,
length, place (a station of the area, or an address or a shared location), capacity, who is
invited, the team (a team leader's own is given), then a preview with exactly how many will be
invited, and Publish: the activity, its reminders and the invitations commit with the end of
this flow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from telegram import Location

from bot.messages import OutMessage
from bot.models.activities import ActivityForm, ActivityStep, Audience
from bot.views import activities as views
from bot.views.common import main_keyboard
from handlers.buttons import StaleButton
from handlers.common import Caller
from handlers.wizard import Turn, Wizard

__all__ = ["PUBLISH"]

PUBLISH: Wizard[ActivityForm] = Wizard(
    "publish",
    ActivityForm,
    prefix=views.PUBLISH,
    commands=("publish",),
    starts=("new",),
)


@PUBLISH.start
async def begin(turn: Turn[ActivityForm], stored: ActivityForm | None) -> ActivityForm:
    """Begin (administrators and team leaders only: the others are told why not); one area
    is chosen at once, a team leader's team too."""
    areas = await turn.services.activities.areas(turn.actor)
    if len(areas) == 1:
        unit, team = areas[0]
        turn.form.unit_id = unit.id
        turn.form.team_id = team.id if team else None
        turn.form.step = ActivityStep.TITLE
    return turn.form


@PUBLISH.prompt(ActivityStep.AREA)
async def ask_area(turn: Turn[ActivityForm]) -> OutMessage:
    """Which area the activity is for."""
    areas = await turn.services.activities.areas(turn.actor)
    return views.area_prompt(turn.t, turn.language, areas)


PUBLISH.ask(ActivityStep.TITLE, views.title_prompt)
PUBLISH.ask(ActivityStep.DETAILS, views.details_prompt)


@PUBLISH.prompt(ActivityStep.DAY)
def ask_day(turn: Turn[ActivityForm]) -> OutMessage:
    """Which day: the next fortnight as buttons, or a typed date."""
    today = turn.services.clock.now().astimezone(turn.services.config.tz).date()
    return views.day_prompt(turn.t, today)


PUBLISH.ask(ActivityStep.TIME, views.time_prompt)
PUBLISH.ask(ActivityStep.LENGTH, views.length_prompt)


@PUBLISH.prompt(ActivityStep.PLACE)
async def ask_place(turn: Turn[ActivityForm]) -> OutMessage:
    """Where: the area's stations, or another place."""
    assert turn.form.unit_id is not None
    stations, _teams = await turn.services.activities.choices(turn.actor, turn.form.unit_id)
    return views.place_prompt(turn.t, stations)


PUBLISH.ask(ActivityStep.ADDRESS, views.address_prompt)
PUBLISH.ask(ActivityStep.CAPACITY, views.capacity_prompt)


@PUBLISH.prompt(ActivityStep.AUDIENCE)
def ask_audience(turn: Turn[ActivityForm]) -> OutMessage:
    """Who is invited (ticked ones marked)."""
    return views.audience_prompt(turn.t, turn.form)


@PUBLISH.prompt(ActivityStep.TEAM)
async def ask_team(turn: Turn[ActivityForm]) -> OutMessage | ActivityStep:
    """Which team runs it (a team leader's is given: straight to the preview)."""
    assert turn.form.unit_id is not None
    _stations, teams = await turn.services.activities.choices(turn.actor, turn.form.unit_id)
    if len(teams) == 1:
        turn.form.team_id = teams[0].id
        return ActivityStep.SUMMARY
    return views.team_prompt(turn.t, turn.language, teams)


@PUBLISH.prompt(ActivityStep.SUMMARY)
async def preview(turn: Turn[ActivityForm]) -> OutMessage:
    """The activity as it will be published, and exactly how many will be invited."""
    view, count = await turn.services.activities.preview(turn.actor, turn.form)
    tz = turn.services.config.tz
    return views.preview(turn.t, turn.language, view, count, turn.form.nonce, tz)


@PUBLISH.button(ActivityStep.AREA, "area")
async def choose_area(turn: Turn[ActivityForm]) -> ActivityStep:
    """The area chosen (one of the organiser's)."""
    areas = {unit.id: team for unit, team in await turn.services.activities.areas(turn.actor)}
    unit_id = turn.int(0)
    if unit_id not in areas:
        raise StaleButton(turn.cb)
    team = areas[unit_id]
    turn.form.unit_id, turn.form.team_id = unit_id, team.id if team else None
    await turn.close()
    return ActivityStep.TITLE


@PUBLISH.text(ActivityStep.TITLE)
async def title(turn: Turn[ActivityForm], text: str) -> ActivityStep:
    """The title."""
    turn.form.set_title(text)
    return ActivityStep.DETAILS


@PUBLISH.skip(ActivityStep.DETAILS)
async def no_details(turn: Turn[ActivityForm]) -> ActivityStep:
    """No details."""
    turn.form.description = ""
    return ActivityStep.DAY


@PUBLISH.text(ActivityStep.DETAILS)
async def details(turn: Turn[ActivityForm], text: str) -> ActivityStep:
    """What the activity is about, what to bring."""
    turn.form.set_details(text)
    return ActivityStep.DAY


# Steps answered with a button or by typing: how the form takes the answer, the step after.
Take = Callable[[Turn[ActivityForm], str], None]
_ANSWERS: dict[ActivityStep, tuple[Take, ActivityStep]] = {
    ActivityStep.DAY: (lambda turn, v: turn.form.set_day(v, _today(turn)), ActivityStep.TIME),
    ActivityStep.TIME: (lambda turn, v: turn.form.set_start(v), ActivityStep.LENGTH),
    ActivityStep.CAPACITY: (lambda turn, v: turn.form.set_capacity(v), ActivityStep.AUDIENCE),
}


@PUBLISH.button(ActivityStep.DAY, "day")
@PUBLISH.button(ActivityStep.TIME, "time")
@PUBLISH.button(ActivityStep.CAPACITY, "cap")
async def pressed(turn: Turn[ActivityForm]) -> ActivityStep:
    """A day of the next fortnight, a usual start time, a usual number of places."""
    take, after = _ANSWERS[turn.form.step]
    take(turn, turn.arg(0))
    await turn.close()
    return after


@PUBLISH.text(*_ANSWERS)
async def typed(turn: Turn[ActivityForm], text: str) -> ActivityStep:
    """A typed date (12-05), start time (9:30) or number of places."""
    take, after = _ANSWERS[turn.form.step]
    take(turn, text)
    return after


@PUBLISH.button(ActivityStep.LENGTH, "len")
async def length(turn: Turn[ActivityForm]) -> ActivityStep:
    """How long it lasts."""
    turn.form.set_minutes(turn.int(0))
    await turn.close()
    return ActivityStep.PLACE


@PUBLISH.button(ActivityStep.PLACE, "st")
async def station(turn: Turn[ActivityForm]) -> ActivityStep:
    """A station of the area."""
    assert turn.form.unit_id is not None
    stations, _ = await turn.services.activities.choices(turn.actor, turn.form.unit_id)
    chosen = next((s for s in stations if s.id == turn.int(0)), None)
    if chosen is None:
        raise StaleButton(turn.cb)
    turn.form.set_station(chosen.id)
    await turn.close()
    return ActivityStep.CAPACITY


@PUBLISH.button(ActivityStep.PLACE, "other")
async def other_place(turn: Turn[ActivityForm]) -> ActivityStep:
    """Another place: its address, or a location."""
    await turn.close()
    return ActivityStep.ADDRESS


@PUBLISH.text(ActivityStep.ADDRESS)
async def address(turn: Turn[ActivityForm], text: str) -> ActivityStep:
    """The address of another place."""
    turn.form.set_address(text)
    return ActivityStep.CAPACITY


@PUBLISH.location(ActivityStep.ADDRESS)
async def location(turn: Turn[ActivityForm], where: Location) -> ActivityStep:
    """A place shared on the map (check-in by location works there)."""
    turn.form.set_location(where.latitude, where.longitude)
    return ActivityStep.CAPACITY


@PUBLISH.button(ActivityStep.AUDIENCE, "aud")
async def audience(turn: Turn[ActivityForm]) -> None:
    """Tick or untick who is invited."""
    turn.form.toggle(turn.choice(Audience))
    await turn.edit(views.audience_prompt(turn.t, turn.form))


@PUBLISH.button(ActivityStep.AUDIENCE, "audok")
async def audience_done(turn: Turn[ActivityForm]) -> ActivityStep:
    """Who is invited, chosen."""
    turn.form.check_audience()
    await turn.close()
    return ActivityStep.TEAM


@PUBLISH.button(ActivityStep.TEAM, "team")
async def team(turn: Turn[ActivityForm]) -> ActivityStep:
    """The team that runs it (0: none)."""
    assert turn.form.unit_id is not None
    _, teams = await turn.services.activities.choices(turn.actor, turn.form.unit_id)
    team_id = turn.int(0)
    if team_id and team_id not in {t.id for t in teams}:
        raise StaleButton(turn.cb)
    turn.form.team_id = team_id or None
    await turn.close()
    return ActivityStep.SUMMARY


@PUBLISH.finish(ActivityStep.SUMMARY, "ok")
async def publish(turn: Turn[ActivityForm]) -> None:
    """Publish it and send the invitations (with the end of this flow)."""
    published = await turn.services.activities.publish(turn.actor, turn.form, turn.end())
    await turn.close()
    await turn.reply(_published(turn, published.activity.title, published.invited))


@PUBLISH.again
async def published_already(caller: Caller, nonce: str) -> OutMessage | None:
    """Publish pressed again: the same activity."""
    activity = await caller.services.activities.published(caller.actor, nonce)
    return None if activity is None else _published(caller, activity.title, activity.invited)


def _today(turn: Turn[ActivityForm]) -> date:
    return turn.services.clock.now().astimezone(turn.services.config.tz).date()


def _published(caller: Caller, title: str, invited: int) -> OutMessage:
    """Published: how many were invited; the main keyboard comes back."""
    return OutMessage(
        views.published(caller.t, title, invited),
        keyboard=main_keyboard(caller.actor.roles, caller.t),
    )
