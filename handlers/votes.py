"""业主表决: /votes and the ballot buttons of owners, the chair's tally and paper ballots, and
/bind (an owner binding their household by its one-time code); paper ballots are a guided
flow (:data:`PAPER`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.models.consult import PaperForm, PaperStep
from bot.views import votes as views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.waits import Answer, Wait, Waits
from handlers.wizard import DONE, Done, Next, Turn, Wizard

__all__ = ["PAPER", "bind_by_link", "handlers"]

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


PAPER: Wizard[PaperForm] = Wizard(
    "paper_ballots",
    PaperForm,
    prefix=views.PAPER,
    starts=("go",),
    set_aside=views.paper_set_aside,
)
PAPER.ask(PaperStep.BALLOT, views.paper_prompt)


@PAPER.start
async def begin_paper(turn: Turn[PaperForm], _stored: PaperForm | None) -> PaperForm:
    """Paper ballots of a vote (its chair, the owners' committee, the community)."""
    await turn.services.owners_vote.tally(turn.actor, turn.int(0))  # checks who may
    turn.form.vote_id = turn.int(0)
    return turn.form


@PAPER.text(PaperStep.BALLOT)
async def paper(turn: Turn[PaperForm], text: str) -> Next:
    """One ballot (``3-1-502 agree``): recorded at once; the next one is typed after it."""
    household_text, _, choice_text = text.strip().partition(" ")
    household, choice, before = await turn.services.owners_vote.record_paper(
        turn.actor, turn.form.vote_id, household_text, choice_text
    )
    turn.form.recorded += 1
    await turn.reply(views.paper_recorded(turn.t, household, choice, before is not None))
    return None


@PAPER.button(PaperStep.BALLOT, "done")
async def paper_done(turn: Turn[PaperForm]) -> Done:
    """No more paper ballots for now."""
    await turn.close()
    await turn.reply(views.paper_done(turn.t, turn.form.recorded))
    return DONE


WAITS = Waits(Wait("bind_code", bind_answer))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("votes", votes_command, filters.ChatType.PRIVATE),
        CommandHandler("bind", bind_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
        WAITS.handler(i18n, user_data),
    ]
