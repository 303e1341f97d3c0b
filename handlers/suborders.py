"""报到、处置: a department's staff work their sub-orders. /suborders, and the buttons of a
sub-order's card: sign for it, return it (a reason typed next), on site (a location shared
next, or without one), a progress note, photos, done (a report typed next), and for the lead
department, resolve the request (the answer for the resident typed next); the answers to a
joint meeting.

Free-form answers are waits in the person's user data, like the members' task answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from telegram import InputMediaPhoto, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_, I18n
from bot.messages import OutMessage
from bot.models.whistle import MeetingForm, MeetingStep
from bot.services.intake import AWAITING_KEY
from bot.views import suborders as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.filters import Awaiting, menu_labels
from handlers.wizard import Turn, Wizard

__all__ = ["MEETING", "handlers"]

LOG = logging.getLogger(__name__)

# What the bot waits for after a button: the kind of answer and its prompt.
WAITS = {
    "rt": "so_return",
    "nt": "so_note",
    "ph": "so_photo",
    "cp": "so_complete",
    "rs": "so_resolve",
    "os": "so_site",
}
PROMPT = {
    "so_return": "return",
    "so_note": "note",
    "so_photo": "photo",
    "so_complete": "complete",
    "so_resolve": "resolve",
    "so_site": "on_site",
}


def _await(press: Press, kind: str, order_id: int, **extra: object) -> None:
    assert press.context.user_data is not None
    press.context.user_data[AWAITING_KEY] = {
        "kind": kind,
        "order_id": order_id,
        "since": press.services.clock.now().isoformat(),
        **extra,
    }


async def suborders_command(update: Update, context: GridContext) -> None:
    """List the open sub-orders of the person's departments."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    try:
        items = await svc.suborders.mine(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    language = actor.person.language or svc.i18n.default
    await reply(
        update, context, views.orders_list(t, language, items, svc.clock.now(), svc.config.tz)
    )


BUTTONS: Buttons[None] = Buttons(views.ORDERS)


async def _card(press: Press, order_id: int) -> OutMessage:
    svc = press.services
    view = await svc.suborders.view(press.actor, order_id)
    return views.order_card(press.t, press.language, view, svc.clock.now(), svc.config.tz)


@BUTTONS.on("v")
async def open_order(press: Press) -> None:
    """One sub-order as a card, with what can be done now."""
    message = await _card(press, press.int(0))
    await press.answer()
    await press.reply(message)


@BUTTONS.on("pv")
async def photos(press: Press) -> None:
    """The request's photos."""
    found = await press.services.suborders.photos(press.actor, press.int(0))
    await press.answer()
    chat = press.update.effective_chat
    assert chat is not None
    if len(found) == 1:
        await press.context.bot.send_photo(chat.id, found[0])
    elif found:
        await press.context.bot.send_media_group(chat.id, [InputMediaPhoto(p) for p in found[:10]])


@BUTTONS.on("sg")
async def sign(press: Press) -> None:
    """签收."""
    await press.services.suborders.sign(press.actor, press.int(0))
    await press.answer(press.t("Signed for."))
    await press.edit(await _card(press, press.int(0)))


@BUTTONS.on("rt")
async def return_kinds(press: Press) -> None:
    """退单: why (another department's responsibility, or another reason)."""
    order = await press.services.suborders.returnable(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.return_kinds(press.t, order.id))


@BUTTONS.on("rk")
async def return_reason(press: Press) -> None:
    """The kind of return is chosen: the reason is typed next."""
    order_id, kind = press.int(0), press.int(1)
    if kind not in (0, 1):
        raise StaleButton(press.cb)
    await press.services.suborders.returnable(press.actor, order_id)
    _await(press, "so_return", order_id, dispute=kind == 0)
    await press.answer()
    await press.edit(views.prompt(press.t, "return", order_id))


@BUTTONS.on("nt", "ph", "cp", "rs", "os")
async def ask(press: Press) -> None:
    """Begin an action whose text (photos, location) comes next."""
    order_id = press.int(0)
    await press.services.suborders.view(press.actor, order_id)  # checks the department
    kind = WAITS[press.action]
    _await(press, kind, order_id)
    await press.answer()
    await press.reply(views.prompt(press.t, PROMPT[kind], order_id))


@BUTTONS.on("on")
async def on_site_without_location(press: Press) -> None:
    """On site, without sharing a location."""
    await press.services.suborders.on_site(press.actor, press.int(0))
    _stop_waiting(press.context)
    await press.answer()
    await press.edit(views.done(press.t, "on_site"))


@BUTTONS.on("x")
async def stop(press: Press) -> None:
    """Cancel the action in progress (or Done after photos)."""
    waiting = _stop_waiting(press.context)
    await press.answer()
    what = "cancelled" if (waiting or {}).get("kind") != "so_photo" else "noted"
    await press.edit(views.done(press.t, what))


@BUTTONS.on("ma")
async def answer_meeting(press: Press) -> None:
    """Attend a joint meeting, or not (for one's department, unit, or oneself)."""
    choice = press.int(1)
    if choice not in (0, 1):
        raise StaleButton(press.cb)
    await press.services.suborders.answer_meeting(press.actor, press.int(0), bool(choice))
    await press.answer(press.t("Your answer is recorded."))


def _stop_waiting(context: GridContext) -> dict[str, Any] | None:
    assert context.user_data is not None
    waiting = context.user_data.get(AWAITING_KEY)
    if waiting and str(waiting.get("kind", "")).startswith("so_"):
        return context.user_data.pop(AWAITING_KEY)  # type: ignore[no-any-return]
    return None


async def awaited_answer(update: Update, context: GridContext) -> None:
    """The text, photo or location a department's action waits for."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    waiting = context.user_data.get(AWAITING_KEY) or {}
    kind, order_id = waiting.get("kind"), int(waiting.get("order_id", 0))
    message = update.message
    try:
        if kind == "so_photo":
            if not message.photo:
                await reply(update, context, OutMessage(t("Please send a photo, or press Done.")))
                return
            count = await svc.suborders.add_photo(actor, order_id, message.photo[-1].file_id)
            await reply(update, context, views.photo_saved(t, count))
            return
        if kind == "so_site":
            if message.location is None:
                await reply(update, context, views.prompt(t, "on_site", order_id))
                return
            await svc.suborders.on_site(
                actor,
                order_id,
                latitude=message.location.latitude,
                longitude=message.location.longitude,
            )
            done = "on_site"
        elif message.text is None:
            await reply(update, context, OutMessage(t("Please send some text.")))
            return
        elif kind == "so_return":
            dispute = bool(waiting.get("dispute"))
            await svc.suborders.give_back(actor, order_id, message.text, dispute=dispute)
            done = "returned"
        elif kind == "so_note":
            await svc.suborders.note(actor, order_id, message.text)
            done = "noted"
        elif kind == "so_complete":
            await svc.suborders.complete(actor, order_id, message.text)
            done = "completed"
        else:
            await svc.suborders.resolve(actor, order_id, message.text)
            done = "resolved"
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)
    await reply(update, context, views.done(t, done))


# -- proposing a joint on-site meeting: a guided flow ------------------------------------------
MEETING: Wizard[MeetingForm] = Wizard(
    "meeting",
    MeetingForm,
    prefix=views.MEETING_FLOW,
    starts=("go",),
    cancelled=views.meeting_cancelled,
    set_aside=views.meeting_set_aside,
)
MEETING_DAYS = 7  # the next working days offered


@MEETING.start
async def begin_meeting(turn: Turn[MeetingForm], _stored: MeetingForm | None) -> MeetingForm:
    """Begin on a sub-order the actor's department has signed for."""
    order = await turn.services.suborders.working(turn.actor, turn.int(0))
    turn.form.order_id = order.id
    return turn.form


def _days(turn: Turn[MeetingForm]) -> list[date]:
    """The next working days, today first (when some of it is left)."""
    svc = turn.services
    today = svc.clock.now().astimezone(svc.config.tz).date()
    days: list[date] = []
    day = today
    while len(days) < MEETING_DAYS and day <= today + timedelta(days=30):
        if svc.calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


@MEETING.prompt(MeetingStep.DAY)
def ask_day(turn: Turn[MeetingForm]) -> OutMessage:
    """On which day."""
    return views.meeting_day_prompt(turn.t, _days(turn))


@MEETING.prompt(MeetingStep.TIME)
def ask_time(turn: Turn[MeetingForm]) -> OutMessage:
    """At what time."""
    assert turn.form.day is not None
    return views.meeting_time_prompt(turn.t, turn.form.day)


MEETING.ask(MeetingStep.PLACE, views.meeting_place_prompt)


@MEETING.prompt(MeetingStep.CONFIRM)
def ask_confirm(turn: Turn[MeetingForm]) -> OutMessage:
    """Propose it?"""
    tz = turn.services.config.tz
    assert turn.form.place is not None
    when = turn.form.meets_at(tz)
    return views.meeting_confirm(turn.t, when, turn.form.place, tz, turn.form.nonce)


@MEETING.button(MeetingStep.DAY, "d")
async def day(turn: Turn[MeetingForm]) -> MeetingStep:
    """The day."""
    chosen = {f"{d:%Y%m%d}": d for d in _days(turn)}
    turn.form.day = turn.pick(chosen)
    await turn.close()
    return MeetingStep.TIME


@MEETING.button(MeetingStep.TIME, "h")
async def hour(turn: Turn[MeetingForm]) -> MeetingStep:
    """The time (a day's time already past is refused)."""
    times = {t.replace(":", ""): t for t in views.MEETING_TIMES}
    turn.form.time = turn.pick(times)
    if turn.form.meets_at(turn.services.config.tz) <= turn.services.clock.now():
        raise InvalidInput(N_("That time has passed; please choose a later one."))
    await turn.close()
    return MeetingStep.PLACE


@MEETING.text(MeetingStep.PLACE)
async def place(turn: Turn[MeetingForm], text: str) -> MeetingStep:
    """Where."""
    turn.form.set_place(text)
    return MeetingStep.CONFIRM


@MEETING.finish(MeetingStep.CONFIRM, "ok")
async def propose(turn: Turn[MeetingForm]) -> None:
    """Send the invitations (with the end of this flow)."""
    assert turn.form.place is not None
    when = turn.form.meets_at(turn.services.config.tz)
    await turn.services.suborders.propose_meeting(
        turn.actor, turn.form.order_id, when, turn.form.place, turn.end()
    )
    await turn.close()
    await turn.reply(views.meeting_proposed(turn.t))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    waiting = Awaiting(user_data, frozenset(WAITS.values()))
    return [
        CommandHandler("suborders", suborders_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
        MessageHandler(waiting & ~filters.COMMAND & ~menu_labels(all_menu), awaited_answer),
    ]
