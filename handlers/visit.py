"""走访: /visit, a short guided flow to log a household visit."""

from __future__ import annotations

from bot.messages import OutMessage
from bot.models.visits import VisitForm, VisitStep
from bot.views import visits as views
from bot.views.common import esc
from handlers.buttons import StaleButton
from handlers.wizard import Turn, Wizard

__all__ = ["FORM_KEY", "VISIT"]

FORM_KEY = "visit"

VISIT: Wizard[VisitForm] = Wizard(
    FORM_KEY, VisitForm, prefix=views.VISIT, commands=("visit",), cancelled=views.cancelled
)


@VISIT.start
async def begin(turn: Turn[VisitForm], _stored: VisitForm | None) -> VisitForm:
    """Begin logging a visit (members only: the others are told why not)."""
    await turn.services.visits.compounds(turn.actor)
    return turn.form


@VISIT.prompt(VisitStep.COMPOUND)
async def ask_compound(turn: Turn[VisitForm]) -> OutMessage:
    """Ask which compound was visited (the member's own first)."""
    compounds = await turn.services.visits.compounds(turn.actor)
    return views.compound_prompt(turn.t, turn.language, compounds)


VISIT.ask(VisitStep.HOUSEHOLDS, views.households_prompt)
VISIT.ask(VisitStep.PEOPLE, views.people_prompt)
VISIT.ask(VisitStep.NOTE, views.note_prompt)
VISIT.ask(VisitStep.OPINION, views.opinion_prompt)


@VISIT.prompt(VisitStep.SUMMARY)
async def summary(turn: Turn[VisitForm]) -> OutMessage:
    """Show the visit to check before it is logged."""
    assert turn.form.compound_id is not None
    compound = await turn.services.org.unit(turn.form.compound_id)
    assert compound is not None
    return views.summary(turn.t, turn.language, turn.form, compound, turn.actor.roles)


@VISIT.button(VisitStep.COMPOUND, "c")
async def choose_compound(turn: Turn[VisitForm]) -> VisitStep:
    """The compound visited (one of the member's community)."""
    compounds = {u.id: u for u in await turn.services.visits.compounds(turn.actor)}
    compound = compounds.get(turn.int(0))
    if compound is None:
        raise StaleButton(turn.cb)
    await turn.close(OutMessage("✔ " + esc(compound.label(turn.language))))
    turn.form.compound_id = compound.id
    return VisitStep.HOUSEHOLDS


# What each typed step stores, and the step after it. A note and an opinion may be skipped.
_TYPED = {
    VisitStep.HOUSEHOLDS: (VisitForm.set_households, VisitStep.PEOPLE),
    VisitStep.PEOPLE: (VisitForm.set_people, VisitStep.NOTE),
    VisitStep.NOTE: (VisitForm.set_note, VisitStep.OPINION),
    VisitStep.OPINION: (VisitForm.set_opinion, VisitStep.SUMMARY),  # filed as an opinion
}


@VISIT.text(*_TYPED)
async def typed(turn: Turn[VisitForm], text: str) -> VisitStep:
    """A number of households or residents, a note or an opinion."""
    store, after = _TYPED[turn.form.step]
    store(turn.form, text)
    return after


@VISIT.skip(VisitStep.NOTE, VisitStep.OPINION)
async def skip(turn: Turn[VisitForm]) -> VisitStep:
    """No note, or no opinion."""
    return _TYPED[turn.form.step][1]


@VISIT.finish(VisitStep.SUMMARY, "ok")
async def confirm(turn: Turn[VisitForm]) -> None:
    """Log the visit (with the end of this flow)."""
    visit = await turn.services.visits.log(turn.actor, turn.form, turn.end())
    await turn.close()
    await turn.reply(views.logged(turn.t, visit, turn.actor.roles))
