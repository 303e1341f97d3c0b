"""/activities, the buttons of activity cards (sign up, cancel, check in, feedback), the
organiser's panel (roll call, the check-in code, end, call off) and /checkin CODE."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models.activities import CheckinMethod, Feedback
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.views import activities as views
from bot.views.common import MAIN_MENU, main_keyboard
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = [
    "CHECKIN",
    "checkin_by_location",
    "checkin_by_typed_code",
    "handlers",
    "show_activities",
]

LOG = logging.getLogger(__name__)

CHECKIN = "checkin_code"  # the wait for a check-in code after Check in
CODE_SHAPE = re.compile(r"\s*\d{3}\s?\d{3}\s*")  # a check-in code as shown: "963 757"
_FEEDBACK = {"g": Feedback.GOOD, "f": Feedback.FAIR, "p": Feedback.POOR}


async def show_activities(update: Update, context: GridContext, actor: Actor) -> None:
    """What the person can join near them, and what they run."""
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    joinable, running = await svc.activities.upcoming(actor)
    try:
        can_publish = bool(await svc.activities.areas(actor))
    except DomainError:
        can_publish = False
    await reply(
        update,
        context,
        views.activity_list(
            t, language, joinable, running, svc.config.tz, can_publish=can_publish
        ),
    )


async def activities_command(update: Update, context: GridContext) -> None:
    """List the volunteer activities."""
    await show_activities(update, context, await context.actor(update))


BUTTONS: Buttons[None] = Buttons(views.ACTIVITY)


async def _card(press: Press, activity_id: int) -> OutMessage:
    svc = press.services
    view = await svc.activities.view(press.actor, activity_id)
    return views.card(press.t, press.language, view, svc.config.tz)


@BUTTONS.on("v")
async def view_activity(press: Press) -> None:
    """One activity as a card."""
    message = await _card(press, press.int(0))
    await press.answer()
    await press.reply(message)


@BUTTONS.on("s")
async def sign_up(press: Press) -> None:
    """Sign up (or join the waiting list when full)."""
    svc = press.services
    view = await svc.activities.sign_up(press.actor, press.int(0))
    await press.answer()
    await press.edit(views.card(press.t, press.language, view, svc.config.tz))


@BUTTONS.on("c")
async def withdraw(press: Press) -> None:
    """Cancel one's sign-up or place on the waiting list."""
    svc = press.services
    view = await svc.activities.withdraw(press.actor, press.int(0))
    await press.answer(press.t("Your sign-up is cancelled."))
    await press.edit(views.card(press.t, press.language, view, svc.config.tz))


@BUTTONS.on("ci")
async def check_in(press: Press) -> None:
    """Check in: the code from the organiser's phone is typed next, or the location shared."""
    svc = press.services
    activity = await svc.activities.checkin_target(press.actor, press.int(0))
    assert press.context.user_data is not None
    press.context.user_data[AWAITING_KEY] = {
        "kind": CHECKIN,
        "activity_id": activity.id,
        "since": svc.clock.now().isoformat(),
    }
    await press.answer()
    await press.reply(
        views.checkin_prompt(press.t, activity, main_keyboard(press.actor.roles, press.t))
    )


@BUTTONS.on("fb")
async def feedback(press: Press) -> None:
    """The answer to "how was it?"."""
    answer = _FEEDBACK.get(press.arg(1))
    if answer is None:
        raise StaleButton(press.cb)
    await press.services.activities.feedback(press.actor, press.int(0), answer)
    await press.answer()
    await press.edit(views.feedback_thanks(press.t, answer))


# -- the organiser ---------------------------------------------------------------------------
@BUTTONS.on("p")
async def panel(press: Press) -> None:
    """The activity as its organiser runs it."""
    svc = press.services
    view = await svc.activities.view(press.actor, press.int(0))
    await press.answer()
    await press.reply(
        views.organiser_panel(press.t, press.language, view, svc.config.tz, svc.clock.now())
    )


@BUTTONS.on("roll")
async def roll(press: Press) -> None:
    """点名: everyone signed up, a button each."""
    activity, attendance = await press.services.activities.roll(press.actor, press.int(0))
    await press.answer()
    message = views.roll_call(press.t, activity, attendance)
    if press.arg(1, "") == views.REFRESH:
        await press.edit(message)
    else:
        await press.reply(message)


@BUTTONS.on("mk")
async def mark(press: Press) -> None:
    """Tick someone present (or take the tick back)."""
    activity, attendance = await press.services.activities.mark(
        press.actor, press.int(0), press.int(1)
    )
    await press.answer()
    await press.edit(views.roll_call(press.t, activity, attendance))


@BUTTONS.on("code")
async def code(press: Press) -> None:
    """The check-in code of this minute, on the organiser's phone."""
    svc = press.services
    activity, current, until = await svc.activities.code(press.actor, press.int(0))
    await press.answer()
    message = views.code_message(press.t, activity, current, until, svc.config.tz)
    if press.arg(1, "") == views.REFRESH:
        await press.edit(message)
    else:
        await press.reply(message)


@BUTTONS.on("end")
async def end(press: Press) -> None:
    """End the activity: hours and points to who came."""
    activity, attended, signed = await press.services.activities.finish(press.actor, press.int(0))
    await press.answer()
    await press.edit(views.finished(press.t, activity, attended, signed, activity.hours))


@BUTTONS.on("off")
async def call_off(press: Press) -> None:
    """Call the activity off: everyone signed up is told."""
    activity = await press.services.activities.cancel(press.actor, press.int(0))
    await press.answer()
    await press.edit(views.called_off(press.t, press.language, activity, press.services.config.tz))


# -- check-in by code or location ------------------------------------------------------------
async def _code(update: Update, context: GridContext, text: str) -> None:
    actor = await context.actor(update)
    t = context.t(actor)
    try:
        activity = await context.services.activities.check_in_code(actor, text)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    message = views.checked_in(t, activity, CheckinMethod.CODE)
    await reply(update, context, _with_menu(message, t, actor))


def _with_menu(message: OutMessage, t: Any, actor: Actor) -> OutMessage:
    """The answer, bringing the main keyboard back (the check-in keyboard folds away)."""
    return OutMessage(message.text, keyboard=main_keyboard(actor.roles, t))


async def checkin_command(update: Update, context: GridContext) -> None:
    """/checkin 123456: check in with the organiser's code."""
    actor = await context.actor(update)
    if not context.args:
        await reply(update, context, views.checkin_hint(context.t(actor)))
        return
    await _code(update, context, "".join(context.args))


async def typed_code(update: Update, context: GridContext) -> None:
    """The code typed after Check in."""
    assert update.message is not None
    await _code(update, context, update.message.text or "")


async def checkin_by_typed_code(update: Update, context: GridContext, actor: Actor) -> bool:
    """Six digits sent outside any step (the code screen says "send it to me"): the
    organiser's code, when a check-in runs for the person. False when it is not about one."""
    text = (update.message.text if update.message else None) or ""
    if not CODE_SHAPE.fullmatch(text) or not await context.services.activities.awaits_check_in(
        actor
    ):
        return False
    await _code(update, context, text)
    return True


async def checkin_by_location(update: Update, context: GridContext, actor: Actor) -> bool:
    """A shared location checks the person in to an activity running near it. True when it
    was about a check-in (done, or too far: they were told); False when no check-in runs."""
    assert update.message is not None and update.message.location is not None
    svc = context.services
    t = context.t(actor)
    location = update.message.location
    activity, distance = await svc.activities.check_in_location(
        actor, location.latitude, location.longitude
    )
    if activity is None and distance is None:
        return False
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    if activity is not None:
        message = views.checked_in(t, activity, CheckinMethod.LOCATION)
    else:
        assert distance is not None
        message = views.too_far(t, distance, svc.config.activities.checkin_radius_m)
    await reply(update, context, _with_menu(message, t, actor))
    return True


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    return [
        CommandHandler("activities", activities_command, filters.ChatType.PRIVATE),
        CommandHandler("checkin", checkin_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
        MessageHandler(
            Awaiting(user_data, frozenset({CHECKIN}))
            & filters.TEXT
            & ~filters.COMMAND
            & ~menu_labels(all_menu),
            typed_code,
        ),
    ]
