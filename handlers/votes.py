"""业主表决: /votes and the ballot buttons of owners, the chair's tally and paper ballots, and
/bind (an owner binding their household by its one-time code)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.views import votes as views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.waits import Answer, Wait, Waits

__all__ = ["bind_by_link", "handlers"]

LOG = logging.getLogger(__name__)


async def votes_command(update: Update, context: GridContext) -> None:
    """The open owners' votes of the person's households."""
    actor = await context.actor(update)
    svc = context.services
    language = actor.person.language or svc.i18n.default
    found = await svc.owners_vote.open_for(actor)
    await reply(
        update, context, views.votes_list(context.t(actor), language, found, svc.config.tz)
    )


async def bind_command(update: Update, context: GridContext) -> None:
    """/bind CODE, or /bind and then the code."""
    actor = await context.actor(update)
    if context.args:
        await _bind(update, context, " ".join(context.args))
        return
    WAITS.start(context, "bind_code")
    await reply(update, context, views.bind_prompt(context.t(actor)))


async def bind_by_link(update: Update, context: GridContext, payload: str) -> None:
    """/start h_CODE: a slip's QR code was scanned."""
    await _bind(update, context, payload)


async def _bind(update: Update, context: GridContext, code: str) -> None:
    actor = await context.actor(update)
    t = context.t(actor)
    svc = context.services
    try:
        household, compound = await svc.households.bind(actor, code)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    language = actor.person.language or svc.i18n.default
    await reply(update, context, views.bound(t, language, household, compound))


async def bind_answer(answer: Answer) -> None:
    svc = answer.context.services
    household, compound = await svc.households.bind(answer.actor, answer.text or "")
    await answer.reply(views.bound(answer.t, answer.language, household, compound))


BUTTONS: Buttons[None] = Buttons(views.VOTES)


@BUTTONS.on("b")
async def ballot(press: Press) -> None:
    """The vote as the person sees it: their households, choices and buttons."""
    svc = press.services
    view = await svc.owners_vote.ballot(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.ballot(press.t, press.language, view, svc.config.tz))


@BUTTONS.on("c")
async def cast(press: Press) -> None:
    """An owner's ballot for one household (a later one replaces it until the close)."""
    choice = views.choice_of(press.arg(2))
    if choice is None:
        raise StaleButton(press.cb)
    svc = press.services
    view, before = await svc.owners_vote.cast(press.actor, press.int(0), press.int(1), choice)
    household = next((h for h, _c in view.mine if h.id == press.int(1)), None)
    if household is None:
        raise StaleButton(press.cb)
    await press.answer(views.cast_ack(press.t, household, choice, changed=before is not None))
    await press.edit(views.ballot(press.t, press.language, view, svc.config.tz))


@BUTTONS.on("t", "tr")
async def tally(press: Press) -> None:
    """The live tally for the chair, the owners' committee and the community (refreshed in
    place)."""
    svc = press.services
    view = await svc.owners_vote.tally(press.actor, press.int(0))
    await press.answer()
    message = views.tally_message(press.t, press.language, view, svc.config.tz)
    if press.action == "tr":
        await press.edit(message)
    else:
        await press.reply(message)


@BUTTONS.on("p")
async def paper_ask(press: Press) -> None:
    """Record a paper ballot: the household and choice are typed next."""
    await press.services.owners_vote.tally(press.actor, press.int(0))  # checks who may
    WAITS.start(press.context, "paper_ballot", vote_id=press.int(0))
    await press.answer()
    await press.reply(views.paper_prompt(press.t))


async def paper(answer: Answer) -> None:
    household_text, _, choice_text = (answer.text or "").strip().partition(" ")
    svc = answer.context.services
    household, choice, before = await svc.owners_vote.record_paper(
        answer.actor, answer.int("vote_id"), household_text, choice_text
    )
    WAITS.start(answer.context, "paper_ballot", vote_id=answer.int("vote_id"))  # the next one
    await answer.reply(views.paper_recorded(answer.t, household, choice, before is not None))


WAITS = Waits(Wait("bind_code", bind_answer), Wait("paper_ballot", paper))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("votes", votes_command, filters.ChatType.PRIVATE),
        CommandHandler("bind", bind_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
        WAITS.handler(i18n, user_data),
    ]
