"""The chair's cards, four guided flows on the one scaffold (``handlers/wizard.py``):
convening a consultation (from /consult, a request's admin card or flag, or anew), putting a
proposal, opening an owners' vote, adding an action item.

Each flow's main step is its card (:mod:`bot.views.consult_forms`): a button per field takes
the chair to that field's step (typed next; the background takes photos and files too) and
back to a fresh card; the other buttons (seats, matter, building, who carries it out, the
days) change the card in place; ✅ Confirm calls the service with the flow's end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from bot.messages import OutMessage
from bot.models.consult import (
    ConveneForm,
    ConveneStep,
    ItemForm,
    ItemStep,
    ProposalForm,
    ProposalStep,
    VoteForm,
    VoteMatter,
    VoteStep,
)
from bot.models.forms import Form
from bot.services.consult import Convening
from bot.views import consult as consult_views
from bot.views import consult_forms as views
from bot.views import votes as vote_views
from handlers.wizard import Next, StaleButton, Turn, Wizard

__all__ = ["CONVENE", "ITEM", "PROPOSE", "VOTE"]

LOG = logging.getLogger(__name__)

F = TypeVar("F", bound=Form)


def _card(name: str, form: type[F], prefix: str, what: str, *starts: str) -> Wizard[F]:
    """A chair's card: started by its buttons (``<prefix>1:new:<id>`` ...), set aside with the
    words of ``what`` it was."""
    return Wizard(
        name,
        form,
        prefix=prefix,
        starts=starts or ("new",),
        set_aside=lambda t, minutes: views.set_aside(t, what, minutes),
    )


CONVENE = _card("convene", ConveneForm, views.CONVENE, views.CONVENE_NAME, "new", "req")
PROPOSE = _card("propose", ProposalForm, views.PROPOSE, views.PROPOSAL_NAME)
VOTE = _card("owners_vote", VoteForm, views.VOTE, views.VOTE_NAME)
ITEM = _card("action_item", ItemForm, views.ITEM, views.ITEM_NAME)


def _days(turn: Turn[Any], offered: tuple[int, ...]) -> int:
    """The days a card's button offers (argument 1, after the nonce); stale otherwise."""
    return turn.pick({str(n): n for n in offered}, 1)


# -- convening ---------------------------------------------------------------------------
async def _in_compound(turn: Turn[ConveneForm], compound_id: int) -> None:
    """The compound of the consultation: every seat of it invited, until the chair leaves
    some out."""
    parties = await turn.services.consult.invitable(turn.actor, compound_id)
    turn.form.compound_id = compound_id
    turn.form.seat_ids = [h.seat.id for _p, hs in parties.parties for h in hs]


@CONVENE.start
async def begin_convening(turn: Turn[ConveneForm], _stored: ConveneForm | None) -> ConveneForm:
    """A new card (the community's administrators and branch secretaries): on a request, its
    description as the background; otherwise its compound chosen first when there are
    several."""
    svc, form = turn.services, turn.form
    compounds = await svc.consult.convening_compounds(turn.actor)
    form.days = svc.config.consultation.close_days
    if turn.cb is not None and turn.cb.action == "req":
        request = await svc.dispatch.admin_request(turn.actor, turn.int(0))
        category = await svc.requests.category(request.category_id, fresh=True)
        form.request_id = request.id
        form.set_title(f"{category.label(turn.language)} {request.number}")
        form.background = request.description
        if request.compound_id is not None:
            await _in_compound(turn, request.compound_id)
    elif len(compounds) == 1:
        await _in_compound(turn, compounds[0].id)
    if form.compound_id is None:
        form.step = ConveneStep.COMPOUND
    return form


@CONVENE.prompt(ConveneStep.COMPOUND)
async def ask_compound(turn: Turn[ConveneForm]) -> OutMessage:
    """In which compound."""
    compounds = await turn.services.consult.convening_compounds(turn.actor)
    return views.convene_compounds(turn.t, turn.language, compounds)


@CONVENE.button(ConveneStep.COMPOUND, "in")
async def choose_compound(turn: Turn[ConveneForm]) -> ConveneStep:
    """This compound: on to the card."""
    compounds = await turn.services.consult.convening_compounds(turn.actor)
    compound = next((c for c in compounds if c.id == turn.int(0)), None)
    if compound is None:
        raise StaleButton(turn.cb)
    await turn.close()
    await _in_compound(turn, compound.id)
    return ConveneStep.CARD


@CONVENE.prompt(ConveneStep.CARD)
async def convene_card(turn: Turn[ConveneForm]) -> OutMessage:
    """The draft: topic, background, files, the seats invited, the days."""
    svc, form = turn.services, turn.form
    assert form.compound_id is not None
    parties = await svc.consult.invitable(turn.actor, form.compound_id)
    request = (
        await svc.dispatch.admin_request(turn.actor, form.request_id) if form.request_id else None
    )
    return views.convene_card(turn.t, turn.language, form, parties.compound, parties, request)


@CONVENE.photo(ConveneStep.BACKGROUND)
async def photo(turn: Turn[ConveneForm], file_id: str) -> Next:
    """A photo for the background (its caption, if any, is the background's text)."""
    turn.form.add_file(file_id, "photo")
    return await _file_added(turn)


@CONVENE.document(ConveneStep.BACKGROUND)
async def document(turn: Turn[ConveneForm], file: tuple[str, str | None]) -> Next:
    """A file for the background (a plan, a quotation)."""
    turn.form.add_file(file[0], "document", file[1])
    return await _file_added(turn)


async def _file_added(turn: Turn[ConveneForm]) -> Next:
    if turn.message.caption:
        turn.form.set_background(turn.message.caption)
    await turn.reply(views.file_added(turn.t, turn.form.nonce, len(turn.form.files)))
    return None  # more may follow


@CONVENE.button(ConveneStep.CARD, "seat", fresh=True)
async def toggle_seat(turn: Turn[ConveneForm]) -> None:
    """Leave a seat out, or take it back."""
    turn.form.toggle_seat(turn.int(1))
    await turn.edit(await convene_card(turn))


@CONVENE.button(ConveneStep.CARD, "days", fresh=True)
async def convene_days(turn: Turn[ConveneForm]) -> None:
    """How long the consultation runs."""
    turn.form.days = _days(turn, views.CLOSE_DAYS)
    await turn.edit(await convene_card(turn))


@CONVENE.finish(ConveneStep.CARD, "ok")
async def convene(turn: Turn[ConveneForm]) -> None:
    """Convene (with the end of this flow): the invitations go out; the card becomes the
    consultation's."""
    svc, form = turn.services, turn.form
    if not form.complete or form.compound_id is None:
        raise StaleButton(turn.cb)
    convening = Convening(
        compound_id=form.compound_id,
        title=form.title or "",
        background=form.background or "",
        seat_ids=tuple(form.seat_ids),
        closes_at=svc.clock.now() + timedelta(days=form.days),
        files=tuple(form.files),
        request_id=form.request_id,
        source_key=f"convene:{turn.actor.id}:{form.nonce}",
    )
    consultation, _new = await svc.consult.convene(turn.actor, convening, turn.end())
    view = await svc.consult.view(turn.actor, consultation.id)
    await turn.edit(
        consult_views.consultation_card(turn.t, turn.language, view, svc.config.tz, is_chair=True)
    )


# -- a proposal ----------------------------------------------------------------------------
@PROPOSE.start
async def begin_proposal(turn: Turn[ProposalForm], _stored: ProposalForm | None) -> ProposalForm:
    """A new proposal for the consultation whose card the button was on (its chair only)."""
    consultation = await turn.services.consult.require_chair(
        turn.actor, turn.int(0), "proposal.add"
    )
    turn.form.consultation_id = consultation.id
    return turn.form


@PROPOSE.prompt(ProposalStep.CARD)
async def proposal_card(turn: Turn[ProposalForm]) -> OutMessage:
    """The proposal, its options and how long the seats have."""
    consultation = await turn.services.consult.require_chair(
        turn.actor, turn.form.consultation_id, "proposal.add"
    )
    return views.proposal_card(turn.t, turn.form, consultation.title)


@PROPOSE.button(ProposalStep.CARD, "plain", fresh=True)
async def no_options(turn: Turn[ProposalForm]) -> None:
    """No options: the seats agree or not with the proposal itself."""
    turn.form.options = []
    await turn.edit(await proposal_card(turn))


@PROPOSE.button(ProposalStep.CARD, "days", fresh=True)
async def proposal_days(turn: Turn[ProposalForm]) -> None:
    """How long the seats have (0: until the consultation closes)."""
    turn.form.days = _days(turn, (0, *views.PROPOSAL_DAYS)) or None
    await turn.edit(await proposal_card(turn))


@PROPOSE.finish(ProposalStep.CARD, "ok")
async def propose(turn: Turn[ProposalForm]) -> None:
    """Put the proposal to the seats (with the end of this flow)."""
    svc, form = turn.services, turn.form
    if not form.text:
        raise StaleButton(turn.cb)
    closes = svc.clock.now() + timedelta(days=form.days) if form.days else None
    await svc.seat_votes.propose(
        turn.actor, form.consultation_id, form.text, form.options, closes, turn.end()
    )
    await turn.edit(consult_views.proposal_sent(turn.t))


# -- an owners' vote -------------------------------------------------------------------------
@VOTE.start
async def begin_vote(turn: Turn[VoteForm], _stored: VoteForm | None) -> VoteForm:
    """A new owners' vote of the consultation's compound (its chair only)."""
    consultation = await turn.services.consult.require_chair(turn.actor, turn.int(0), "vote.open")
    turn.form.consultation_id = consultation.id
    turn.form.days = turn.services.config.consultation.owners_vote_days
    return turn.form


async def _electorate(turn: Turn[VoteForm]) -> tuple[str, list[str], int, int]:
    """The consultation's title, the buildings, and the households and area that vote."""
    svc, form = turn.services, turn.form
    consultation = await svc.consult.require_chair(turn.actor, form.consultation_id, "vote.open")
    buildings, households, area = await svc.owners_vote.electorate(
        turn.actor, form.consultation_id, form.building
    )
    return consultation.title, buildings, households, area


@VOTE.prompt(VoteStep.CARD)
async def vote_card(turn: Turn[VoteForm]) -> OutMessage:
    """The question, the matter (its rule), who votes, the days."""
    title_, buildings, households, area = await _electorate(turn)
    return views.vote_card(turn.t, turn.form, title_, buildings, households, area)


@VOTE.button(VoteStep.CARD, "matter", fresh=True)
async def matter(turn: Turn[VoteForm]) -> None:
    """What kind of matter (it sets the rule of art. 278)."""
    turn.form.matter = turn.choice(VoteMatter, 1)
    await turn.edit(await vote_card(turn))


@VOTE.button(VoteStep.CARD, "bldg", fresh=True)
async def building(turn: Turn[VoteForm]) -> None:
    """The whole compound votes, or one building."""
    chosen = turn.arg(1)
    if chosen != "-":
        _title, buildings, _n, _area = await _electorate(turn)
        if chosen not in buildings:
            raise StaleButton(turn.cb)
    turn.form.building = None if chosen == "-" else chosen
    await turn.edit(await vote_card(turn))


@VOTE.button(VoteStep.CARD, "days", fresh=True)
async def vote_days(turn: Turn[VoteForm]) -> None:
    """How long the owners have."""
    turn.form.days = _days(turn, views.VOTE_DAYS)
    await turn.edit(await vote_card(turn))


@VOTE.finish(VoteStep.CARD, "ok")
async def open_vote(turn: Turn[VoteForm]) -> None:
    """Open the vote (with the end of this flow): every bound owner gets a ballot; the card
    becomes the live tally."""
    svc, form = turn.services, turn.form
    if not form.question:
        raise StaleButton(turn.cb)
    vote = await svc.owners_vote.open(
        turn.actor,
        form.consultation_id,
        form.question,
        form.matter,
        svc.clock.now() + timedelta(days=form.days),
        turn.end(),
        building=form.building,
    )
    view = await svc.owners_vote.tally(turn.actor, vote.id)
    await turn.edit(vote_views.tally_message(turn.t, turn.language, view, svc.config.tz))


# -- an action item --------------------------------------------------------------------------
@ITEM.start
async def begin_item(turn: Turn[ItemForm], _stored: ItemForm | None) -> ItemForm:
    """A new action item of the consultation's decision (its chair only)."""
    consultation = await turn.services.consult.require_chair(turn.actor, turn.int(0), "action.add")
    turn.form.consultation_id = consultation.id
    turn.form.days = turn.services.config.consultation.action_days
    return turn.form


@ITEM.prompt(ItemStep.CARD)
async def item_card(turn: Turn[ItemForm]) -> OutMessage:
    """What is to be done, by whom (a party, or one of its seat holders), by when."""
    svc, form = turn.services, turn.form
    consultation = await svc.consult.require_chair(turn.actor, form.consultation_id, "action.add")
    parties = await svc.decisions.assignees(turn.actor, form.consultation_id)
    return views.item_card(turn.t, form, consultation.title, parties)


@ITEM.button(ItemStep.CARD, "party", "person", fresh=True)
async def assignee(turn: Turn[ItemForm]) -> None:
    """A party carries it out (any of its seat holders), or one of them."""
    chosen = turn.int(1)
    parties = await turn.services.decisions.assignees(turn.actor, turn.form.consultation_id)
    if turn.cb is not None and turn.cb.action == "party":
        if chosen not in {p.id for p, _hs in parties.parties}:
            raise StaleButton(turn.cb)
        turn.form.party_id, turn.form.person_id = chosen, None
    else:
        if chosen not in {h.seat.person_id for _p, hs in parties.parties for h in hs}:
            raise StaleButton(turn.cb)
        turn.form.party_id, turn.form.person_id = None, chosen
    await turn.edit(await item_card(turn))


@ITEM.button(ItemStep.CARD, "days", fresh=True)
async def item_days(turn: Turn[ItemForm]) -> None:
    """The deadline, in days."""
    turn.form.days = _days(turn, views.ITEM_DAYS)
    await turn.edit(await item_card(turn))


@ITEM.finish(ItemStep.CARD, "ok")
async def add_item(turn: Turn[ItemForm]) -> None:
    """Add the item (with the end of this flow): whoever carries it out is told; the card
    becomes the consultation's."""
    svc, form = turn.services, turn.form
    if not form.complete or not form.text:
        raise StaleButton(turn.cb)
    await svc.decisions.add_item(
        turn.actor,
        form.consultation_id,
        form.text,
        party_id=form.party_id,
        person_id=form.person_id,
        due_at=svc.clock.now() + timedelta(days=form.days),
        end=turn.end(),
    )
    view = await svc.consult.view(turn.actor, form.consultation_id)
    await turn.edit(
        consult_views.consultation_card(turn.t, turn.language, view, svc.config.tz, is_chair=True)
    )


# -- every card's fields: its ✏ button, the step that takes the text, « Back -----------------
def _field(
    wizard: Wizard[Any],
    card: str,
    action: str,
    step: str,
    question: str,
    take: Callable[[Any, str], None],
) -> None:
    """A field of ``wizard``'s card: the button ``action`` goes to ``step``, which asks
    ``question``; the text typed there is taken by ``take(form, text)`` (InvalidInput: told,
    asked again) and a fresh card follows. « Back returns to the card, the field as it was."""

    async def go(turn: Turn[Any]) -> str:
        await turn.close()
        return step

    async def typed(turn: Turn[Any], text: str) -> str:
        take(turn.form, text)
        return card

    async def back(turn: Turn[Any]) -> str:
        await turn.close()
        return card

    wizard.button(card, action, fresh=True)(go)
    wizard.prompt(step)(
        lambda turn: views.field_prompt(turn.t, wizard.prefix, turn.form.nonce, question)
    )
    wizard.text(step)(typed)
    wizard.button(step, "back", fresh=True)(back)


_field(
    CONVENE,
    ConveneStep.CARD,
    "title",
    ConveneStep.TITLE,
    views.TOPIC_QUESTION,
    ConveneForm.set_title,
)
_field(
    CONVENE,
    ConveneStep.CARD,
    "bg",
    ConveneStep.BACKGROUND,
    views.BACKGROUND_QUESTION,
    ConveneForm.set_background,
)
_field(
    PROPOSE,
    ProposalStep.CARD,
    "text",
    ProposalStep.TEXT,
    views.PROPOSAL_QUESTION,
    ProposalForm.set_text,
)
_field(
    PROPOSE,
    ProposalStep.CARD,
    "opts",
    ProposalStep.OPTIONS,
    views.OPTIONS_QUESTION,
    ProposalForm.set_options,
)
_field(VOTE, VoteStep.CARD, "q", VoteStep.QUESTION, views.VOTE_QUESTION, VoteForm.set_question)
_field(ITEM, ItemStep.CARD, "text", ItemStep.TEXT, views.ITEM_QUESTION, ItemForm.set_text)
