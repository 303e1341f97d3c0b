"""Onboarding: /start (with an optional compound deep link), language, compound drill-down.

The steps are derived from what is stored (language chosen? home compound set?), so there is
no conversation state to lose: any message from someone not yet set up re-asks the current step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, TypeHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import LANGUAGES, Translator
from bot.messages import OutMessage
from bot.models import OFFICE_ROLES, Level
from bot.models.whistle import Post
from bot.services.admin import INVITATION as ADMIN_INVITATION
from bot.services.consult import MEMBER_INVITATION, REPRESENTATIVE_INVITATION
from bot.services.households import BIND_PREFIX
from bot.services.leaders import INVITATION as LEADER_INVITATION
from bot.services.parties import SEAT_INVITATION
from bot.services.people import Actor, guess_language
from bot.views import admin as admin_views
from bot.views import consult as consult_views
from bot.views import departments as department_views
from bot.views import leaders as leader_views
from bot.views import parties as party_views
from bot.views import people as views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import Caller, edit, reply, say_error
from handlers.stations import STATION_LINK_PREFIX, show_page

if TYPE_CHECKING:
    pass

__all__ = ["gate_handlers", "handlers", "has_home", "is_onboarded", "prompt_current_step"]

LOG = logging.getLogger(__name__)

DEEP_LINK_PREFIX = "c_"


def is_onboarded(actor: Actor) -> bool:
    """Language chosen, and a home compound (admins may skip the compound)."""
    person = actor.person
    return person.language is not None and (
        person.home_unit_id is not None or bool(actor.roles & OFFICE_ROLES)
    )


async def prompt_current_step(update: Update, context: GridContext, actor: Actor) -> None:
    """Ask again for whatever onboarding still needs."""
    if actor.person.language is None:
        translators = [context.services.i18n.get(lang) for lang in LANGUAGES]
        await reply(update, context, views.language_prompt(translators, first_time=True))
        return
    await _show_places(update, context, actor, None, as_edit=False)


async def has_home(caller: Caller) -> bool:
    """Onboarded with a home compound (what a resident's flow needs); if not, the missing
    onboarding step is asked instead."""
    actor = caller.actor
    if is_onboarded(actor) and actor.person.home_unit_id is not None:
        return True
    await prompt_current_step(caller.update, caller.context, actor)
    return False


async def gate(update: Update, context: GridContext) -> None:
    """Nobody is stored before they start: /start (or a language chosen on its prompt) creates
    the person. Anyone else the bot does not know — new, or forgotten at their request — is
    shown how to start, and nothing of theirs is kept."""
    user = update.effective_user
    if user is None or user.is_bot or _starts(update):
        return
    services = context.services
    if await services.people.known(user.id):
        return
    query, chat = update.callback_query, update.effective_chat
    if query is not None:
        t = services.i18n.get(guess_language(user.language_code))
        await query.answer(t("Please send /start to begin."), show_alert=True)
    elif update.message is not None and chat is not None and chat.type == chat.PRIVATE:
        translators = [services.i18n.get(lang) for lang in LANGUAGES]
        await reply(update, context, views.start_first(translators))
    raise ApplicationHandlerStop


def _starts(update: Update) -> bool:
    """/start (with or without a payload), or a language picked on the first prompt."""
    message, query = update.message, update.callback_query
    if message is not None and message.text is not None:
        command = message.text.split(maxsplit=1)[0] if message.text.strip() else ""
        return command.split("@", 1)[0] == "/start"
    return query is not None and (query.data or "").startswith(
        cbdata.encode(views.ONBOARDING, "lang")
    )


# What opening an invitation link tells, by its kind (bot/services/invitations.py): a view of
# (translator, language, what the kind's grant gave). A feature with a kind of its own adds it.
INVITATION_VIEWS: dict[str, Callable[[Translator, str, Any], OutMessage]] = {
    ADMIN_INVITATION: admin_views.invite_accepted,
    Post.LIAISON.value: department_views.joined,
    Post.HEAD.value: department_views.joined,
    Post.FIRST_SECRETARY.value: department_views.joined,
    SEAT_INVITATION: party_views.seat_filled,
    REPRESENTATIVE_INVITATION: consult_views.joined,
    MEMBER_INVITATION: consult_views.joined,
    LEADER_INVITATION: leader_views.joined,
}


async def start(update: Update, context: GridContext) -> None:
    """Start onboarding, act on a deep link (an invitation, a household's code, a compound's
    poster), or greet someone set up."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    payload = context.args[0] if context.args else ""
    if svc.invitations.is_link(payload):
        try:
            accepted = await svc.invitations.accept(actor, payload)
        except DomainError as err:
            await say_error(update, context, t, err)
        else:
            actor = await svc.people.actor(actor.id)
            language = actor.person.language or svc.i18n.default
            view = INVITATION_VIEWS[accepted.kind]
            await reply(update, context, view(t, language, accepted.shown))
        if actor.person.language is not None:
            return
    elif payload.startswith(BIND_PREFIX):  # a household's slip (its QR code)
        from handlers.votes import bind_by_link

        await bind_by_link(update, context, payload)
        actor = await svc.people.actor(actor.id)
        if actor.person.language is not None:
            return
    elif payload.startswith(STATION_LINK_PREFIX):
        # A station's poster: its page first; someone new goes on to choose a language.
        try:
            await show_page(update, context, actor, payload.removeprefix(STATION_LINK_PREFIX))
        except DomainError as err:
            await say_error(update, context, t, err)
        if is_onboarded(actor):
            return
    elif payload.startswith(DEEP_LINK_PREFIX):
        code = payload.removeprefix(DEEP_LINK_PREFIX)
        unit = await svc.org.compound_by_code(code)
        if unit is None:
            await reply(update, context, views.unknown_code(t, code))
        else:
            actor, unit = await svc.people.set_home(actor, unit.id)
            if actor.person.language is not None:
                path = await svc.org.path(unit)
                await reply(
                    update,
                    context,
                    views.done_message(t, actor.person.language, actor.roles, path),
                )
                return
    if actor.person.language is None or (
        actor.person.home_unit_id is None and not actor.roles & OFFICE_ROLES
    ):
        # New, or in the middle of onboarding: begin again from the language.
        translators = [svc.i18n.get(lang) for lang in LANGUAGES]
        await reply(update, context, views.language_prompt(translators, first_time=True))
        return
    home = await svc.org.unit(actor.person.home_unit_id) if actor.person.home_unit_id else None
    home_path = await svc.org.path(home) if home else None
    await reply(
        update, context, views.welcome_back(t, actor.person.language, actor.roles, home_path)
    )
    await reply(update, context, views.change_place_button(t))


async def language_command(update: Update, context: GridContext) -> None:
    """Offer the languages (/lang)."""
    translators = [context.services.i18n.get(lang) for lang in LANGUAGES]
    await reply(update, context, views.language_prompt(translators, first_time=False))


BUTTONS: Buttons[None] = Buttons(views.ONBOARDING)


@BUTTONS.on("lang")
async def choose_language(press: Press) -> None:
    """Store the chosen language, then go on to the compound if it is still missing."""
    language = press.arg(0)
    if language not in LANGUAGES:
        raise StaleButton(press.cb)
    svc = press.services
    actor = await svc.people.set_language(press.actor, language)
    t = press.context.t(actor)
    await press.answer()
    if actor.person.home_unit_id is None:
        # Admins see the same choice, with a button to skip it.
        await _show_places(press.update, press.context, actor, None, as_edit=True)
        return
    await press.edit(views.language_set(t, language))
    home = await svc.org.unit(actor.person.home_unit_id)
    path = await svc.org.path(home) if home else None
    await press.reply(views.done_message(t, language, actor.roles, path))


async def _show_places(
    update: Update, context: GridContext, actor: Actor, unit_id: int | None, *, as_edit: bool
) -> None:
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    choice = await svc.org.browse(unit_id)
    if choice.unit is None and not choice.options:
        office = bool(actor.roles & OFFICE_ROLES)
        await reply(update, context, views.empty_org(t, is_admin=office))
        return
    path = await svc.org.path(choice.unit) if choice.unit else []
    can_skip = bool(actor.roles & OFFICE_ROLES)
    message = views.drill_down(choice, t, language, can_skip=can_skip, path=path)
    if as_edit and update.callback_query is not None:
        await edit(update.callback_query, message)
    else:
        await reply(update, context, message)


@BUTTONS.on("top")
async def top(press: Press) -> None:
    """Back to the top of the drill-down."""
    await press.answer()
    await _show_places(press.update, press.context, press.actor, None, as_edit=True)


@BUTTONS.on("skip")
async def skip_home(press: Press) -> None:
    """An administrator (or a department's staff, a first secretary) who lives elsewhere goes
    on without a home compound."""
    if not press.actor.roles & OFFICE_ROLES:
        raise StaleButton(press.cb)
    await press.answer()
    # The drill-down loses its buttons; the menu keyboard comes with a message of its own
    # (an edited message cannot carry one).
    await press.query.edit_message_reply_markup(None)
    await press.reply(views.done_message(press.t, press.language, press.actor.roles, None))


@BUTTONS.on("u")
async def choose_place(press: Press) -> None:
    """Go down one level, or store the compound when one is picked."""
    svc = press.services
    unit = await svc.org.unit(press.int(0))
    if unit is None:
        raise StaleButton(press.cb)
    if unit.level is not Level.COMPOUND:
        await press.answer()
        await _show_places(press.update, press.context, press.actor, unit.id, as_edit=True)
        return
    actor, unit = await svc.people.set_home(press.actor, unit.id)
    await press.answer()
    path = await svc.org.path(unit)
    await press.edit(views.place_set(path, press.language))
    await press.reply(views.done_message(press.t, press.language, actor.roles, path))


def gate_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered in a group before every other: see :func:`gate`."""
    return [TypeHandler(Update, gate)]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        # Private chats only, like every command that answers about the person.
        CommandHandler("start", start, filters.ChatType.PRIVATE),
        CommandHandler("lang", language_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
