"""The chair's forms, one card each: convening a consultation (from /consult, a request's admin
card or anew), putting a proposal, opening an owners' vote, adding an action item."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import GridContext
from bot.errors import InvalidInput
from bot.i18n import I18n, Translator
from bot.messages import OutMessage
from bot.models.consult import ConveneForm, ItemForm, ProposalForm, VoteForm, VoteMatter
from bot.services.consult import BACKGROUND, ITEM, MAX_FILES, OPTION, PROPOSAL, TITLE, Convening
from bot.services.owners_vote import QUESTION
from bot.views import consult as consult_views
from bot.views import consult_forms as views
from bot.views import votes as vote_views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import edit, reply
from handlers.forms import FormStore
from handlers.waits import Answer, Wait, Waits

__all__ = ["FORM_NAMES", "handlers", "start_convening"]

LOG = logging.getLogger(__name__)

CONVENE = FormStore("convene", ConveneForm)
PROPOSE = FormStore("propose", ProposalForm)
VOTE = FormStore("owners_vote", VoteForm)
ITEM_FORM = FormStore("action_item", ItemForm)
FORM_NAMES = frozenset(store.name for store in (CONVENE, PROPOSE, VOTE, ITEM_FORM))

BUTTONS: Buttons[None] = Buttons(views.FORMS)


# -- convening ---------------------------------------------------------------------------
async def start_convening(
    update: Update, context: GridContext, *, request_id: int | None = None
) -> None:
    """A new convene form (its compound chosen first when the chair has several)."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    compounds = await svc.consult.convening_compounds(actor)
    form = CONVENE.new(context, request_id=request_id, days=svc.config.consultation.close_days)
    if request_id is not None:
        request = await svc.dispatch.admin_request(actor, request_id)
        category = await svc.requests.category(request.category_id, fresh=True)
        form.compound_id = request.compound_id
        form.title = TITLE.accept(f"{category.label(language)} {request.number}")
        form.background = request.description
        CONVENE.save(context, form)
    elif len(compounds) == 1:
        form.compound_id = compounds[0].id
        CONVENE.save(context, form)
    else:
        message = views.convene_compounds(t, language, compounds, CONVENE.tag(form))
        await _send(update, context, message, new=True)
        return
    await _convene_card(update, context, form, new=True)


async def _convene_card(
    update: Update, context: GridContext, form: ConveneForm, *, new: bool = False
) -> None:
    actor = await context.actor(update)
    svc = context.services
    assert form.compound_id is not None
    parties = await svc.consult.invitable(actor, form.compound_id)
    if not form.chosen:  # every seat, until the chair leaves some out
        form.seat_ids = [h.seat.id for _p, hs in parties.parties for h in hs]
        form.chosen = True
        CONVENE.save(context, form)
    request = await svc.dispatch.admin_request(actor, form.request_id) if form.request_id else None
    language = actor.person.language or svc.i18n.default
    message = views.convene_card(
        context.t(actor), language, form, parties.compound, parties, request
    )
    await _send(update, context, message, new=new)


async def _send(update: Update, context: GridContext, message: Any, *, new: bool = False) -> None:
    """The card: a new message when a form starts, else in place of the card pressed."""
    if update.callback_query is not None and not new:
        await update.callback_query.answer()
        await edit(update.callback_query, message)
    else:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, context, message)


@BUTTONS.on("cvn")
async def convene_new(press: Press) -> None:
    """Convene a consultation as a new topic."""
    await start_convening(press.update, press.context)


@BUTTONS.on("cvr")
async def convene_request(press: Press) -> None:
    """Convene a consultation on a request (from its admin card)."""
    await start_convening(press.update, press.context, request_id=press.int(0))


@BUTTONS.on("cvc")
async def convene_compound(press: Press) -> None:
    form = CONVENE.of(press, 1)
    compounds = await press.services.consult.convening_compounds(press.actor)
    if press.int(0) not in {c.id for c in compounds}:
        raise StaleButton(press.cb)
    form.compound_id = press.int(0)
    CONVENE.save(press.context, form)
    await _convene_card(press.update, press.context, form)


@BUTTONS.on("cvs")
async def convene_seat(press: Press) -> None:
    """Leave a seat out, or take it back."""
    form = CONVENE.of(press, 1)
    seat_id = press.int(0)
    form.seat_ids = (
        [s for s in form.seat_ids if s != seat_id]
        if seat_id in form.seat_ids
        else [*form.seat_ids, seat_id]
    )
    CONVENE.save(press.context, form)
    await _convene_card(press.update, press.context, form)


@BUTTONS.on("cvk")
async def convene_confirm(press: Press) -> None:
    """Convene: the invitations go out."""
    form = CONVENE.of(press, 0)
    if not form.complete or form.compound_id is None:
        raise StaleButton(press.cb)
    svc = press.services
    convening = Convening(
        compound_id=form.compound_id,
        title=form.title or "",
        background=form.background or "",
        seat_ids=tuple(form.seat_ids),
        closes_at=svc.clock.now() + timedelta(days=form.days),
        files=tuple(form.files),
        request_id=form.request_id,
        source_key=f"convene:{press.actor.id}:{form.nonce}",
    )
    end = CONVENE.end(press.update, press.context, form)
    consultation, _new = await svc.consult.convene(press.actor, convening, end)
    await press.answer()
    view = await svc.consult.view(press.actor, consultation.id)
    await press.edit(
        consult_views.consultation_card(
            press.t, press.language, view, svc.config.tz, is_chair=True
        )
    )


# -- a proposal ----------------------------------------------------------------------------
async def _proposal_card(
    update: Update, context: GridContext, form: ProposalForm, *, new: bool = False
) -> None:
    actor = await context.actor(update)
    consultation = await context.services.consult.require_chair(
        actor, form.consultation_id, "proposal.add"
    )
    message = views.proposal_card(context.t(actor), form, consultation.title)
    await _send(update, context, message, new=new)


@BUTTONS.on("ppn")
async def proposal_new(press: Press) -> None:
    """A new proposal form (from the consultation's card)."""
    consultation = await press.services.consult.require_chair(
        press.actor, press.int(0), "proposal.add"
    )
    form = PROPOSE.new(press.context, consultation_id=consultation.id)
    await _proposal_card(press.update, press.context, form, new=True)


@BUTTONS.on("ppz")
async def proposal_plain(press: Press) -> None:
    """No options: the seats agree or not with the proposal itself."""
    form = PROPOSE.of(press, 0)
    form.options = []
    PROPOSE.save(press.context, form)
    await _proposal_card(press.update, press.context, form)


@BUTTONS.on("ppk")
async def proposal_confirm(press: Press) -> None:
    form = PROPOSE.of(press, 0)
    if not form.text:
        raise StaleButton(press.cb)
    svc = press.services
    closes = svc.clock.now() + timedelta(days=form.days) if form.days else None
    end = PROPOSE.end(press.update, press.context, form)
    await svc.seat_votes.propose(
        press.actor, form.consultation_id, form.text, form.options, closes, end
    )
    await press.answer()
    await press.edit(consult_views.proposal_sent(press.t))


# -- an owners' vote -------------------------------------------------------------------------
async def _vote_card(
    update: Update, context: GridContext, form: VoteForm, *, new: bool = False
) -> None:
    actor = await context.actor(update)
    svc = context.services
    consultation = await svc.consult.require_chair(actor, form.consultation_id, "vote.open")
    buildings, households, area = await svc.owners_vote.electorate(
        actor, form.consultation_id, form.building
    )
    message = views.vote_card(
        context.t(actor), form, consultation.title, buildings, households, area
    )
    await _send(update, context, message, new=new)


@BUTTONS.on("vtn")
async def vote_new(press: Press) -> None:
    consultation = await press.services.consult.require_chair(
        press.actor, press.int(0), "vote.open"
    )
    days = press.services.config.consultation.owners_vote_days
    form = VOTE.new(press.context, consultation_id=consultation.id, days=days)
    await _vote_card(press.update, press.context, form, new=True)


@BUTTONS.on("vtm")
async def vote_matter(press: Press) -> None:
    form = VOTE.of(press, 1)
    form.matter = press.choice(VoteMatter, 0)
    VOTE.save(press.context, form)
    await _vote_card(press.update, press.context, form)


@BUTTONS.on("vtb")
async def vote_building(press: Press) -> None:
    form = VOTE.of(press, 1)
    building = press.arg(0)
    form.building = None if building == "-" else building
    VOTE.save(press.context, form)
    await _vote_card(press.update, press.context, form)


@BUTTONS.on("vtk")
async def vote_confirm(press: Press) -> None:
    form = VOTE.of(press, 0)
    if not form.question:
        raise StaleButton(press.cb)
    svc = press.services
    end = VOTE.end(press.update, press.context, form)
    vote = await svc.owners_vote.open(
        press.actor,
        form.consultation_id,
        form.question,
        form.matter,
        svc.clock.now() + timedelta(days=form.days),
        end,
        building=form.building,
    )
    view = await svc.owners_vote.tally(press.actor, vote.id)
    await press.answer()
    await press.edit(vote_views.tally_message(press.t, press.language, view, svc.config.tz))


# -- an action item --------------------------------------------------------------------------
async def _item_card(
    update: Update, context: GridContext, form: ItemForm, *, new: bool = False
) -> None:
    actor = await context.actor(update)
    svc = context.services
    consultation = await svc.consult.require_chair(actor, form.consultation_id, "action.add")
    parties = await svc.decisions.assignees(actor, form.consultation_id)
    message = views.item_card(context.t(actor), form, consultation.title, parties)
    await _send(update, context, message, new=new)


@BUTTONS.on("itn")
async def item_new(press: Press) -> None:
    consultation = await press.services.consult.require_chair(
        press.actor, press.int(0), "action.add"
    )
    days = press.services.config.consultation.action_days
    form = ITEM_FORM.new(press.context, consultation_id=consultation.id, days=days)
    await _item_card(press.update, press.context, form, new=True)


@BUTTONS.on("ita", "itp")
async def item_assignee(press: Press) -> None:
    """A party, or one of its seat holders, carries it out."""
    form = ITEM_FORM.of(press, 1)
    if press.action == "ita":
        form.party_id, form.person_id = press.int(0), None
    else:
        form.party_id, form.person_id = None, press.int(0)
    ITEM_FORM.save(press.context, form)
    await _item_card(press.update, press.context, form)


@BUTTONS.on("itk")
async def item_confirm(press: Press) -> None:
    form = ITEM_FORM.of(press, 0)
    if not form.text:
        raise StaleButton(press.cb)
    svc = press.services
    end = ITEM_FORM.end(press.update, press.context, form)
    await svc.decisions.add_item(
        press.actor,
        form.consultation_id,
        form.text,
        party_id=form.party_id,
        person_id=form.person_id,
        due_at=svc.clock.now() + timedelta(days=form.days),
        end=end,
    )
    await press.answer()
    view = await svc.consult.view(press.actor, form.consultation_id)
    await press.edit(
        consult_views.consultation_card(
            press.t, press.language, view, svc.config.tz, is_chair=True
        )
    )


# -- what the cards share: typed fields, days, cancelling ------------------------------------
@dataclass(frozen=True)
class Kind:
    """One kind of card: its forms, how the card is drawn, the days it offers."""

    store: FormStore[Any]
    card: Callable[..., Awaitable[None]]
    days: tuple[int, ...]


@dataclass(frozen=True)
class Field:
    """A field typed next: its card, the prompt, and how the text is taken."""

    kind: str
    name: str
    prompt: Callable[[Translator], OutMessage]
    parse: Callable[[str], object]


def _options(text: str) -> list[str]:
    options = [OPTION.accept(line) for line in text.splitlines() if line.strip()]
    if not 2 <= len(options) <= 4:
        raise InvalidInput(consult_views.OPTIONS_COUNT)
    return options


KINDS = {
    "cv": Kind(CONVENE, _convene_card, views.CLOSE_DAYS),
    "pp": Kind(PROPOSE, _proposal_card, (0, *views.PROPOSAL_DAYS)),  # 0: with the consultation
    "vt": Kind(VOTE, _vote_card, views.VOTE_DAYS),
    "it": Kind(ITEM_FORM, _item_card, views.ITEM_DAYS),
}
FIELDS = {
    "cvt": Field("cv", "title", views.topic_prompt, TITLE.accept),
    "cvb": Field("cv", "background", views.background_prompt, BACKGROUND.accept),
    "ppt": Field("pp", "text", views.text_prompt, PROPOSAL.accept),
    "ppo": Field("pp", "options", views.options_prompt, _options),
    "vtq": Field("vt", "question", views.text_prompt, QUESTION.accept),
    "itt": Field("it", "text", views.text_prompt, ITEM.accept),
}
WITH_FILES = "cvb"  # the background takes photos and files too


@BUTTONS.on(*FIELDS)
async def ask(press: Press) -> None:
    """A field of a card: typed next."""
    field = FIELDS[press.action]
    KINDS[field.kind].store.of(press, 0)
    wait = "form_files" if press.action == WITH_FILES else "form_text"
    WAITS.start(press.context, wait, field=press.action)
    await press.answer()
    await press.reply(field.prompt(press.t))


async def typed(answer: Answer) -> None:
    """A typed field (or a photo or file of the background): on a fresh card."""
    key = str(answer.data.get("field"))
    field = FIELDS[key]
    kind = KINDS[field.kind]
    form = kind.store.load(answer.context)
    if form is None:
        return
    if answer.photo or answer.document:
        await _file(answer, form)
        return
    setattr(form, field.name, field.parse(answer.text or ""))
    kind.store.save(answer.context, form)
    await kind.card(answer.update, answer.context, form)


async def _file(answer: Answer, form: ConveneForm) -> None:
    if len(form.files) >= MAX_FILES:
        raise InvalidInput(consult_views.TOO_MANY_FILES, n=MAX_FILES)
    if answer.photo:
        form.files = [*form.files, (answer.photo, "photo", None)]
    elif answer.document:
        form.files = [*form.files, (answer.document[0], "document", answer.document[1])]
    if answer.text:
        form.background = BACKGROUND.accept(answer.text)
    CONVENE.save(answer.context, form)
    WAITS.start(answer.context, "form_files", field=WITH_FILES)  # more may follow
    await answer.reply(views.file_added(answer.t, len(form.files)))


@BUTTONS.on("cvd", "ppd", "vtd", "itd")
async def days(press: Press) -> None:
    """How long: the consultation, a proposal's vote, an owners' vote, an action item."""
    kind = KINDS[press.action[:2]]
    form = kind.store.of(press, 1)
    if press.int(0) not in kind.days:
        raise StaleButton(press.cb)
    form.days = press.int(0) or None
    kind.store.save(press.context, form)
    await kind.card(press.update, press.context, form)


@BUTTONS.on("cvx", "ppx", "vtx", "itx")
async def cancel(press: Press) -> None:
    store = KINDS[press.action[:2]].store
    store.of(press, 0)
    store.drop(press.context)
    await press.answer()
    await press.edit(views.form_cancelled(press.t))


WAITS = Waits(
    Wait("form_text", typed),
    Wait("form_files", typed, photos=True, documents=True),
)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [BUTTONS.handler(), WAITS.handler(i18n, user_data)]
