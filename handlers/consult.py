"""/consult: consultations (议事协商) — their cards and buttons, the discussion, seat votes,
the decision, publication and objections, action items (/items)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import NotAllowed
from bot.i18n import I18n
from bot.models.consult import ParticipantKind
from bot.views import consult as views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply
from handlers.waits import Answer, Wait, Waits

__all__ = ["BUTTONS", "WAITS", "handlers"]

LOG = logging.getLogger(__name__)


async def consult_command(update: Update, context: GridContext) -> None:
    """The person's consultations, and convening one (the community, a branch secretary)."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    items = await svc.consult.mine(actor)
    try:
        await svc.consult.convening_compounds(actor)
        can_convene = True
    except NotAllowed:
        can_convene = False
    if not items and not can_convene:
        await reply(update, context, views.consultations_list(t, language, [], can_convene=False))
        return
    await reply(update, context, views.consultations_list(t, language, items, can_convene))


async def items_command(update: Update, context: GridContext) -> None:
    """The person's open action items (and their parties')."""
    actor = await context.actor(update)
    svc = context.services
    items = await svc.decisions.my_items(actor)
    await reply(update, context, views.items_list(context.t(actor), items, svc.config.tz))


BUTTONS: Buttons[None] = Buttons(views.CONSULT)


@BUTTONS.on("list")
async def consultations(press: Press) -> None:
    """The consultations (from the administrators' menu)."""
    await press.answer()
    await consult_command(press.update, press.context)


async def _card(press: Press, consultation_id: int, *, edit: bool = False) -> None:
    svc = press.services
    view = await svc.consult.view(press.actor, consultation_id)
    is_chair = view.is_chair or await svc.consult.stands_in(press.actor, consultation_id)
    message = views.consultation_card(
        press.t, press.language, view, svc.config.tz, is_chair=is_chair
    )
    await press.answer()
    if edit:
        await press.edit(message)
    else:
        await press.reply(message)


@BUTTONS.on("o")
async def open_card(press: Press) -> None:
    """Where the consultation stands, with what the person can do."""
    await _card(press, press.int(0))


@BUTTONS.on("hist")
async def discussion(press: Press) -> None:
    """The discussion so far."""
    svc = press.services
    view = await svc.consult.view(press.actor, press.int(0))
    rows = await svc.consult.history(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.history(press.t, view.consultation, rows, svc.config.tz))


@BUTTONS.on("say")
async def speak(press: Press) -> None:
    """Speak in the discussion: the next text or photo goes to every participant."""
    view = await press.services.consult.view(press.actor, press.int(0))
    if view.viewer is None:
        await press.answer(press.t("Only the participants of this consultation can speak in it."))
        return
    WAITS.start(press.context, "consult_say", consultation_id=view.consultation.id)
    await press.answer()
    await press.reply(views.say_prompt(press.t, view.consultation))


async def said(answer: Answer) -> None:
    svc = answer.context.services
    consultation_id = answer.int("consultation_id")
    reached = await svc.consult.say(
        answer.actor, consultation_id, text=answer.text, photo=answer.photo
    )
    view = await svc.consult.view(answer.actor, consultation_id)
    await answer.reply(views.said_ack(answer.t, view.consultation, reached))


@BUTTONS.on("pp")
async def proposal(press: Press) -> None:
    """A proposal's card, to vote on."""
    consultation, view, can_vote = await press.services.seat_votes.proposal_for(
        press.actor, press.int(0)
    )
    await press.answer()
    await press.reply(
        views.proposal_card(
            press.t, press.language, consultation, view, can_vote, press.services.config.tz
        )
    )


@BUTTONS.on("pv")
async def vote(press: Press) -> None:
    """A seat vote on one option: agree, disagree or abstain (changeable until it closes)."""
    choice = views.choice_of(press.arg(2))
    if choice is None:
        raise StaleButton(press.cb)
    svc = press.services
    consultation, view = await svc.seat_votes.seat_vote(
        press.actor, press.int(0), press.int(1), choice
    )
    await press.answer(
        press.t("Your vote: {choice}").format(choice=press.t(views.CHOICE_NAMES[choice]))
    )
    await press.edit(
        views.proposal_card(press.t, press.language, consultation, view, True, svc.config.tz)
    )


@BUTTONS.on("pc")
async def close_proposal(press: Press) -> None:
    """The chair closes the vote on a proposal."""
    await press.services.seat_votes.close_proposal(press.actor, press.int(0))
    await press.answer(press.t("Voting closed."))


# What the chair types next: the decision, or why the consultation is cancelled.
CHAIR_ASKS = {
    "dec": ("consult_decision", "consultation.decide", views.decision_prompt),
    "cx": ("consult_cancel", "consultation.cancel", views.cancel_prompt),
}


@BUTTONS.on(*CHAIR_ASKS)
async def chair_ask(press: Press) -> None:
    """Record the decision, or cancel the consultation: typed next."""
    wait, action, prompt = CHAIR_ASKS[press.action]
    if press.action == "dec":  # not while an owners' vote is open
        consultation = await press.services.decisions.require_decider(press.actor, press.int(0))
    else:
        consultation = await press.services.consult.require_chair(
            press.actor, press.int(0), action
        )
    WAITS.start(press.context, wait, consultation_id=consultation.id)
    await press.answer()
    await press.reply(prompt(press.t, consultation))


async def decided(answer: Answer) -> None:
    consultation = await answer.context.services.decisions.decide(
        answer.actor, answer.int("consultation_id"), answer.text or ""
    )
    await answer.reply(views.decided(answer.t, consultation))


@BUTTONS.on("pub")
async def publish(press: Press) -> None:
    """公示: publish the decision to the compound's residents and owners."""
    svc = press.services
    consultation, told = await svc.decisions.publish(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.published(press.t, consultation, told, svc.config.tz))


@BUTTONS.on("obj")
async def object_ask(press: Press) -> None:
    """Object to a published decision: the reason is typed next."""
    consultation = await press.services.decisions.objectable(press.actor, press.int(0))
    WAITS.start(press.context, "consult_objection", consultation_id=consultation.id)
    await press.answer()
    await press.reply(views.objection_prompt(press.t, consultation))


async def objected(answer: Answer) -> None:
    await answer.context.services.decisions.object(
        answer.actor, answer.int("consultation_id"), answer.text or ""
    )
    await answer.reply(views.objection_received(answer.t))


@BUTTONS.on("invr", "invm")
async def invite(press: Press) -> None:
    """A one-time link for a resident representative or a party member."""
    kind = ParticipantKind.MEMBER if press.action == "invm" else ParticipantKind.REPRESENTATIVE
    consultation, payload = await press.services.consult.invite(press.actor, press.int(0), kind)
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.reply(
        views.invite_link(press.t, consultation, link, kind is ParticipantKind.MEMBER)
    )


@BUTTONS.on("idone")
async def item_done(press: Press) -> None:
    """An action item is done."""
    item = await press.services.decisions.item_done(press.actor, press.int(0))
    await press.answer()
    await press.edit(views.item_done_ack(press.t, item))


@BUTTONS.on("fin")
async def finish(press: Press) -> None:
    """Close a consultation whose decision needs nothing more carried out."""
    consultation = await press.services.decisions.finish(press.actor, press.int(0))
    await _card(press, consultation.id)


async def cancelled(answer: Answer) -> None:
    await answer.context.services.consult.cancel(
        answer.actor, answer.int("consultation_id"), answer.text or ""
    )
    await answer.reply(views.cancelled_ack(answer.t))


WAITS = Waits(
    Wait("consult_say", said, photos=True),
    Wait("consult_decision", decided),
    Wait("consult_objection", objected),
    Wait("consult_cancel", cancelled),
)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("consult", consult_command, filters.ChatType.PRIVATE),
        CommandHandler("items", items_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
        WAITS.handler(i18n, user_data),
    ]
