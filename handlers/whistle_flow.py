"""吹哨: blowing the whistle on a request, a guided flow. The departments (several), which one
leads, what is asked of each, a note for all, the resident's contact shared or not, send.

It starts from 🔔 on an administrator's card of a request (``wf1:go:<request>``), from ➕ on a
whistle's board (more departments), or from 🔔 on a topic of the month
(``wf1:topic:<topic>``: one press turns the topic into the community's own difficult matter,
then these steps follow).
"""

from __future__ import annotations

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.messages import OutMessage
from bot.models.whistle import WhistleDraft, WhistleOptions, WhistleStep
from bot.views import topics as topic_views
from bot.views import whistle as views
from handlers.buttons import StaleButton
from handlers.wizard import Turn, Wizard

__all__ = ["FORM_KEY", "WHISTLE"]

FORM_KEY = "whistle"  # bot.services.whistle.FLOW

WHISTLE: Wizard[WhistleDraft] = Wizard(
    FORM_KEY,
    WhistleDraft,
    prefix=views.FLOW,
    starts=("go", "topic"),
    cancelled=views.cancelled,
    set_aside=views.set_aside,
)


async def _options(turn: Turn[WhistleDraft]) -> WhistleOptions:
    return await turn.services.whistles.options(turn.actor, turn.form.request_id)


@WHISTLE.start
async def begin(turn: Turn[WhistleDraft], _stored: WhistleDraft | None) -> WhistleDraft | None:
    """Begin on a request (its administrators only), or turn a topic of the month into the
    community's own difficult matter first."""
    svc = turn.services
    if turn.cb is not None and turn.cb.action == "topic":
        card = await svc.topics.convert(turn.actor, turn.int(0), "whistle")
        await turn.edit(topic_views.topic_card(turn.t, turn.language, card, svc.config.tz))
        ref = card.topic.converted_ref or ""
        if not ref.startswith("request:"):
            raise StaleButton(turn.cb)
        turn.form.request_id, turn.form.topic_id = int(ref.split(":", 1)[1]), card.topic.id
    else:
        turn.form.request_id = turn.int(0)
    options = await _options(turn)
    if not options.available():
        await turn.reply(views.no_departments(turn.t))
        return None
    return turn.form


@WHISTLE.prompt(WhistleStep.DEPARTMENTS)
async def ask_departments(turn: Turn[WhistleDraft]) -> OutMessage:
    """Which departments should act."""
    return views.pick_departments(turn.t, turn.language, await _options(turn), turn.form)


@WHISTLE.prompt(WhistleStep.LEAD)
async def ask_lead(turn: Turn[WhistleDraft]) -> OutMessage | str:
    """Which of them leads (none to pick when one is chosen, or a lead is on it already)."""
    options = await _options(turn)
    if not options.needs_lead:
        turn.form.choose_lead(None)
        return WhistleStep.ASK
    if len(turn.form.parts) == 1:
        turn.form.choose_lead(turn.form.parts[0].department_id)
        return WhistleStep.ASK
    return views.pick_lead(turn.t, turn.language, options, turn.form)


@WHISTLE.prompt(WhistleStep.ASK)
async def ask_what(turn: Turn[WhistleDraft]) -> OutMessage | str:
    """What the next department is asked (on to the note once each has its ask)."""
    part = turn.form.unasked
    if part is None:
        return WhistleStep.NOTE
    options = await _options(turn)
    department = next(d for d in options.departments if d.id == part.department_id)
    index = turn.form.parts.index(part) + 1
    return views.ask_prompt(
        turn.t, turn.language, department, index, len(turn.form.parts), same=index > 1
    )


WHISTLE.ask(WhistleStep.NOTE, views.note_prompt)


@WHISTLE.prompt(WhistleStep.SUMMARY)
async def ask_summary(turn: Turn[WhistleDraft]) -> OutMessage:
    """The whistle to check before it is sent."""
    return views.summary(turn.t, turn.language, await _options(turn), turn.form)


@WHISTLE.button(WhistleStep.DEPARTMENTS, "t")
async def toggle(turn: Turn[WhistleDraft]) -> None:
    """Tick or untick a department."""
    options = await _options(turn)
    if turn.int(0) not in {d.id for d in options.available()}:
        raise StaleButton(turn.cb)
    turn.form.toggle(turn.int(0))
    await turn.edit(views.pick_departments(turn.t, turn.language, options, turn.form))


@WHISTLE.button(WhistleStep.DEPARTMENTS, "nx")
async def chosen(turn: Turn[WhistleDraft]) -> WhistleStep:
    """The departments are chosen: on to the lead."""
    if not turn.form.parts:
        raise InvalidInput(N_("Choose at least one department."))
    await turn.close()
    return WhistleStep.LEAD


@WHISTLE.button(WhistleStep.LEAD, "ld")
async def lead(turn: Turn[WhistleDraft]) -> WhistleStep:
    """This department leads."""
    if turn.form.part(turn.int(0)) is None:
        raise StaleButton(turn.cb)
    turn.form.choose_lead(turn.int(0))
    await turn.close()
    return WhistleStep.ASK


@WHISTLE.text(WhistleStep.ASK)
async def asked(turn: Turn[WhistleDraft], text: str) -> WhistleStep:
    """What the department is asked to do."""
    turn.form.set_ask(text)
    return WhistleStep.ASK


@WHISTLE.button(WhistleStep.ASK, "same")
async def same(turn: Turn[WhistleDraft]) -> WhistleStep:
    """The same ask as the department before."""
    turn.form.same_ask()
    await turn.close()
    return WhistleStep.ASK


@WHISTLE.text(WhistleStep.NOTE)
async def note(turn: Turn[WhistleDraft], text: str) -> WhistleStep:
    """A note every department gets."""
    turn.form.set_note(text)
    return WhistleStep.SUMMARY


@WHISTLE.button(WhistleStep.NOTE, "sk")
async def no_note(turn: Turn[WhistleDraft]) -> WhistleStep:
    """No note."""
    await turn.close()
    return WhistleStep.SUMMARY


@WHISTLE.button(WhistleStep.SUMMARY, "ct")
async def share(turn: Turn[WhistleDraft]) -> None:
    """Share the resident's name and phone with the departments, or not."""
    turn.form.share_contact = not turn.form.share_contact
    await turn.edit(views.summary(turn.t, turn.language, await _options(turn), turn.form))


@WHISTLE.button(WhistleStep.SUMMARY, "ed")
async def change(turn: Turn[WhistleDraft]) -> WhistleStep:
    """Back to the departments (what was asked of the ones kept stays)."""
    await turn.close()
    return WhistleStep.DEPARTMENTS


@WHISTLE.finish(WhistleStep.SUMMARY, "ok")
async def send(turn: Turn[WhistleDraft]) -> None:
    """吹哨: every department gets its sub-order (with the end of this flow)."""
    svc = turn.services
    options = await _options(turn)
    _whistle, orders = await svc.whistles.blow(turn.actor, turn.form, turn.end())
    known = {d.id: d for d in options.departments}
    await turn.close()
    departments = [known[o.department_id] for o in orders if o.department_id in known]
    await turn.reply(views.sent(turn.t, turn.language, len(orders), departments))
