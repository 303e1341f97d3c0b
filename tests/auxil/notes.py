"""A three-step flow on the scaffold alone: a note, how soon, confirm (kept with its end)."""

from __future__ import annotations

from enum import StrEnum

from bot.freetext import NOTE
from bot.messages import Button, OutMessage
from bot.models.forms import Form
from bot.views.common import esc
from handlers.wizard import Turn, Wizard


class Step(StrEnum):
    NOTE = "note"
    WHEN = "when"
    CONFIRM = "confirm"


class NoteForm(Form):
    step: Step = Step.NOTE
    text: str | None = None
    soon: bool | None = None


NOTES = Wizard("notes", NoteForm, prefix="nt", commands=("note",), starts=("new",))
SOON = (Button("soon", NOTES.data("when", "s")), Button("later", NOTES.data("when", "l")))
NOTES.ask(Step.NOTE, lambda t: OutMessage("1/3 Your note?", buttons=(NOTES.cancel_row(t),)))
NOTES.ask(Step.WHEN, lambda t: OutMessage("2/3 How soon?", buttons=(SOON,)))


@NOTES.prompt(Step.CONFIRM)
def ask_confirm(turn: Turn[NoteForm]) -> OutMessage:
    ok = Button("Leave it", NOTES.data("ok", turn.form.nonce))
    return OutMessage(f"3/3 {esc(turn.form.text)}, soon: {turn.form.soon}?", buttons=((ok,),))


@NOTES.text(Step.NOTE)
async def note(turn: Turn[NoteForm], text: str) -> Step:
    turn.form.text = NOTE.accept(text)
    return Step.WHEN


@NOTES.button(Step.WHEN, "when")
async def when(turn: Turn[NoteForm]) -> Step:
    turn.form.soon = turn.pick({"s": True, "l": False})  # any other: "this menu has expired"
    return Step.CONFIRM


@NOTES.finish(Step.CONFIRM, "ok")
async def leave(turn: Turn[NoteForm]) -> None:
    now, form = turn.services.clock.now(), turn.form.model_dump(mode="json")
    async with turn.services.db.transaction() as tx:  # the service call: note and end together
        entry = await tx.audit.record(
            actor_id=turn.actor.id, actor_label="", action="note", subject="", now=now, after=form
        )
        await tx.flows.finish(turn.end(), person_id=turn.actor.id, subject=str(entry), now=now)
    await turn.reply(OutMessage(f"Noted as #{entry}."))
