"""Guided flows on one scaffold: the intake, /join, /visit, /broadcast and those to come.

A flow is a :class:`Wizard`: a name (its ``ConversationHandler``'s, and where its form lives
in ``user_data``), a :class:`~bot.models.forms.Form` whose ``step`` is the flow's ``StrEnum``,
the prefix of its buttons' callback data and what starts it. Then, step by step, what it asks
and what it takes, and the service call at the end, which commits the flow's end with its
effect (``README.md``, "Guided flows", has a whole example)::

    NOTES = Wizard("notes", NoteForm, prefix="nt", commands=("note",))
    NOTES.ask(Step.NOTE, views.note_prompt)

    @NOTES.text(Step.NOTE)
    async def note(turn: Turn[NoteForm], text: str) -> Step:
        turn.form.set_text(text)  # InvalidInput: its reason is told, the step stays
        return Step.CONFIRM  # on to that step: its prompt is sent

    @NOTES.finish(Step.CONFIRM, "ok")  # its button: NOTES.data("ok", turn.form.nonce)
    async def save(turn: Turn[NoteForm]) -> None:
        note = await turn.services.notes.save(turn.actor, turn.form, turn.end())
        await turn.reply(views.saved(turn.t, note))

The scaffold does the rest, the same way in every flow:

- the form is loaded before each step and saved after it (with the time, for the idle rule);
  a step function returns the next step (whose prompt is sent), ``None`` to stay at the
  form's step (having shown what it needed itself), or :data:`DONE`;
- a :class:`~bot.errors.DomainError` is told and the step stays; a button of another step,
  of an old message or with malformed data is answered "this menu has expired" and the
  current step asked again (:class:`StaleButton` does the same from inside a step); any
  other kind of message gets the step's re-prompt; every press is answered;
- /cancel, the Cancel button (``<prefix>1:cancel``) and the Cancel label drop the form;
- the sweep sets a form idle for ``[requests] conversation_timeout_minutes`` aside with a
  message (:meth:`Wizard.set_aside`), and a step that finds its form gone says so;
- the effect and the end of the flow are one transaction: :meth:`Turn.end` is the
  :class:`~bot.models.FlowEnd` the service commits with ``tx.flows.finish``; the final button
  pressed again after the end gets :meth:`Wizard.again`'s answer, or "done already";
- at start-up a form already finished is dropped and a state without its form ended
  (``storage/repos/flows.py``, for every flow the app runs);
- :meth:`Wizard.handlers` builds the ``ConversationHandler``: one state per step, but the
  form's step is the truth (an answer or a press is taken by the step the form is at, so a
  state kept by an older version heals itself with the next message).
"""

from __future__ import annotations

import functools
import inspect
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from operator import or_
from typing import Any, Generic, TypeVar, cast

from pydantic import ValidationError
from telegram import CallbackQuery, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n, Translator
from bot.messages import Button, OutMessage
from bot.models import FlowEnd, Role
from bot.models.forms import Form
from bot.services.intake import AWAITING_KEY
from bot.views import forms as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Arguments, StaleButton
from handlers.common import Caller, alongside, answer_expired, close_button, edit, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["DONE", "Done", "StaleButton", "Turn", "Wizard"]

LOG = logging.getLogger(__name__)

F = TypeVar("F", bound=Form)
END = ConversationHandler.END


class Done:
    def __repr__(self) -> str:
        return "DONE"


DONE = Done()
"""What a step returns when the flow is over (its service call has ended it)."""

Next = str | Done | None
Shown = OutMessage | Sequence[OutMessage] | str
Prompt = Callable[["Turn[F]"], Shown | Awaitable[Shown]]
P = TypeVar("P", bound=Callable[..., Any])  # a step's function, kept as it is typed
Begin = Callable[["Turn[F]", F | None], Awaitable[F | None]]
Again = Callable[[Caller, str], Awaitable[OutMessage | None]]
Cancelled = Callable[[Translator, set[Role]], OutMessage]
SetAside = Callable[[Translator, int], OutMessage]
_Input = Callable[["Turn[F]", Any], Awaitable[Next]]
_Press = Callable[["Turn[F]"], Awaitable[Next]]


@dataclass
class Turn(Caller, Arguments, Generic[F]):
    """One answer in a flow: who, the form so far and, for a button, the press (its arguments
    through :meth:`int`, :meth:`arg`, :meth:`choice`)."""

    form: F
    wizard: Wizard[F]
    query: CallbackQuery | None = None
    cb: cbdata.Callback | None = None
    answered: bool = field(default=False, init=False)

    @property
    def message(self) -> Message:
        assert self.update.message is not None
        return self.update.message

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the press (a toast, or an alert, with ``text``)."""
        if self.query is not None and not self.answered:
            self.answered = True
            await self.query.answer(text, show_alert=alert)

    async def reply(self, message: OutMessage) -> Any:
        """Send ``message`` below; a press is answered at the same time."""
        return await alongside(self.answer(), super().reply(message))

    async def edit(self, message: OutMessage) -> None:
        """Replace the message the button was on (answering the press)."""
        assert self.query is not None
        await alongside(self.answer(), edit(self.query, message))

    async def close(self, replacement: OutMessage | None = None) -> None:
        """Answer the press and take the buttons off its message (or replace it)."""
        if self.query is not None:
            self.answered = True
            await close_button(self.query, replacement)

    async def reprompt(self) -> None:
        """Ask this step again: its re-prompt, or its prompt."""
        await self.wizard.reprompt(self)

    def end(self) -> FlowEnd:
        """The end of this flow, for the service call that commits the flow's effect to commit
        with it (``tx.flows.finish``). The key is python-telegram-bot's default one for a
        conversation: (chat id, user id)."""
        chat, user = self.update.effective_chat, self.update.effective_user
        assert chat is not None and user is not None and self.context.user_data is not None
        return FlowEnd(
            name=self.wizard.name,
            key=(chat.id, user.id),
            user_id=user.id,
            user_data=self.context.user_data,
            nonce=self.form.nonce,
        )


@dataclass(frozen=True)
class _Kind:
    """A kind of message a step may take: which messages, and what its function receives."""

    name: str
    value: Callable[[Message], Any]


_SKIP = _Kind("skip", lambda m: "")
_TEXT = _Kind("text", lambda m: m.text)
_PHOTO = _Kind("photo", lambda m: m.photo[-1].file_id)
_LOCATION = _Kind("location", lambda m: m.location)
_CONTACT = _Kind("contact", lambda m: m.contact)


class Wizard(Generic[F]):
    """One guided flow (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        form: type[F],
        *,
        prefix: str,
        commands: Sequence[str] = (),
        labels: Sequence[str] = (),
        starts: Sequence[str] = (),
        cancelled: Cancelled = views.cancelled,
        set_aside: SetAside | None = None,
    ) -> None:
        steps = form.model_fields["step"].annotation
        if not (isinstance(steps, type) and issubclass(steps, StrEnum)):
            raise TypeError(f"{form.__name__}.step must be a StrEnum")
        if not commands and set_aside is None:
            raise ValueError(f"{name}: without a command, say what set_aside tells")
        self.name = name
        self.form = form
        self.prefix = prefix
        self.commands = tuple(commands)
        self.labels = tuple(labels)
        self.starts = tuple(starts)
        self.steps: tuple[str, ...] = tuple(str(s) for s in steps)
        self._cancelled = cancelled
        self._set_aside = set_aside
        self._begin: Begin[F] | None = None
        self._again: Again | None = None
        self._prompts: dict[str, tuple[Prompt[F], Callable[[Translator], OutMessage] | None]] = {}
        self._inputs: dict[str, list[tuple[_Kind, _Input[F]]]] = {s: [] for s in self.steps}
        self._buttons: dict[str, dict[str, tuple[_Press[F], bool]]] = {s: {} for s in self.steps}
        self._final: set[str] = set()
        self._summary: str | None = None  # with review(): where a changed part returns
        self._filters: dict[_Kind, filters.BaseFilter] = {}  # set by handlers()

    # -- declaring the flow ----------------------------------------------------------------
    def data(self, action: str, *args: object) -> str:
        """The callback data of this flow's button ``action`` (``<prefix>1:<action>:...``)."""
        return cbdata.encode(self.prefix, action, *args)

    def cancel_row(self, t: Translator) -> tuple[Button, ...]:
        """A row with this flow's Cancel button."""
        return views.cancel_row(t, self.prefix)

    def start(self, begin: Begin[F]) -> Begin[F]:
        """``begin(turn, stored)``: the form to start with, after any checks. ``turn.form`` is
        a new form, ``stored`` the unfinished one (if any); started by a button of
        ``starts``, ``turn.int(0)`` ... are its arguments. None (having said why) or a
        DomainError does not start. Without it: the stored form, else the new one."""
        self._begin = begin
        return begin

    def prompt(
        self, step: str, *, reprompt: Callable[[Translator], OutMessage] | None = None
    ) -> Callable[[P], P]:
        """What ``step`` asks: a message (or several, or another step to go to instead),
        from a plain or an async function of the turn. ``reprompt`` answers the wrong kind of
        message there (the prompt again when not given)."""

        def register(prompt: P) -> P:
            self._prompts[self._known(step)] = (prompt, reprompt)
            return prompt

        return register

    def ask(
        self,
        step: str,
        view: Callable[[Translator], OutMessage],
        *,
        reprompt: Callable[[Translator], OutMessage] | None = None,
    ) -> None:
        """A step whose question is the same every time: ``view(t)``."""
        self.prompt(step, reprompt=reprompt)(lambda turn: view(turn.t))

    def text(self, *steps: str) -> Callable[[_Input[F]], _Input[F]]:
        """Typed text at ``steps``: ``function(turn, text)``."""
        return self._input(_TEXT, steps)

    def skip(self, *steps: str) -> Callable[[_Press[F]], _Press[F]]:
        """The Skip label at ``steps`` (it goes before any text function): ``function(turn)``."""

        def register(function: _Press[F]) -> _Press[F]:
            self._input(_SKIP, steps)(lambda turn, _none: function(turn))
            return function

        return register

    def photo(self, *steps: str) -> Callable[[_Input[F]], _Input[F]]:
        """A photo at ``steps``: ``function(turn, file_id)``."""
        return self._input(_PHOTO, steps)

    def location(self, *steps: str) -> Callable[[_Input[F]], _Input[F]]:
        """A shared location at ``steps``: ``function(turn, location)``."""
        return self._input(_LOCATION, steps)

    def contact(self, *steps: str) -> Callable[[_Input[F]], _Input[F]]:
        """The person's own phone number, shared with the contact button, at ``steps``:
        ``function(turn, phone)`` (someone else's contact gets the step's re-prompt)."""
        return self._input(_CONTACT, steps)

    def button(
        self, step: str, *actions: str, fresh: bool = False
    ) -> Callable[[_Press[F]], _Press[F]]:
        """Buttons ``<prefix>1:<action>[:args]`` at ``step``: ``function(turn)``. ``fresh``:
        only a button carrying the form's nonce as its first argument acts."""

        def register(function: _Press[F]) -> _Press[F]:
            for action in actions:
                self._buttons[self._known(step)][action] = (function, fresh)
            return function

        return register

    def finish(self, step: str, action: str) -> Callable[[_Press[F]], _Press[F]]:
        """The final button (``<prefix>1:<action>:<nonce>``): its function calls the service
        with :meth:`Turn.end` and tells the result; the flow is over when it returns.
        Pressed again after the end, it gets :meth:`again`'s answer (or "done already")."""

        def register(function: _Press[F]) -> _Press[F]:
            async def final(turn: Turn[F]) -> Next:
                await function(turn)
                return DONE

            final.__name__ = function.__name__
            self._final.add(action)
            self.button(step, action, fresh=True)(final)
            return function

        return register

    def again(self, answer: Again) -> Again:
        """The answer to the final button pressed after the end: ``answer(caller, nonce)``
        gives what the form made (None: not this form's)."""
        self._again = answer
        return answer

    def review(self, summary: str, menu: str, parts: Mapping[Any, str]) -> None:
        """Changing one part from the summary: its Edit button (``edit``) turns it into the
        step ``menu``, a button per part (``parts``: step -> its name) and one back; after the
        chosen part (:meth:`Form.revise` first) the flow comes straight back to ``summary``."""
        self._summary = self._known(summary)

        @self.prompt(menu)
        def ask_part(turn: Turn[F]) -> OutMessage:
            return views.edit_menu(turn.t, self.prefix, parts)

        @self.button(summary, "edit")
        async def edit_menu(turn: Turn[F]) -> Next:
            """Offer the parts to change, in place of the summary."""
            turn.form.step = menu
            await turn.edit(ask_part(turn))
            return None

        @self.button(menu, "goto", "sum")
        async def goto(turn: Turn[F]) -> Next:
            """Go to one part, or back to the summary."""
            await turn.close()
            part = turn.arg(0, "")
            if turn.cb is None or turn.cb.action != "goto" or part not in parts:
                return summary
            turn.form.revise(part)
            turn.form.editing = True
            return part

    def set_aside(self, t: Translator, minutes: int) -> OutMessage:
        """The message of a form the sweep set aside after ``minutes`` idle."""
        if self._set_aside is not None:
            return self._set_aside(t, minutes)
        return views.set_aside(t, f"/{self.commands[0]}", minutes)

    def _known(self, step: str) -> str:
        if str(step) not in self.steps:
            raise ValueError(f"{self.name}: no step {step!r}")
        return str(step)

    def _input(self, kind: _Kind, steps: Iterable[str]) -> Callable[[_Input[F]], _Input[F]]:
        def register(function: _Input[F]) -> _Input[F]:
            for step in steps:
                taken = self._inputs[self._known(step)]
                taken.append((kind, function))
                taken.sort(key=lambda entry: entry[0] is not _SKIP)  # Skip before any text
            return function

        return register

    # -- the form in user_data ---------------------------------------------------------------
    def _load(self, context: GridContext) -> F | None:
        data = (context.user_data or {}).get(self.name)
        if not data:
            return None
        try:
            return self.form.model_validate(data)
        except ValidationError:  # a form this version cannot read: gone, like an idle one
            LOG.warning("%s: a stored form could not be read and was dropped", self.name)
            self._drop(context)
            return None

    def _save(self, turn: Turn[F]) -> None:
        assert turn.context.user_data is not None
        turn.form.touched_at = turn.services.clock.now()
        turn.context.user_data[self.name] = turn.form.model_dump(mode="json")

    def _drop(self, context: GridContext) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.name, None)

    async def _turn(self, update: Update, context: GridContext) -> Turn[F] | None:
        """This update's turn; None when the form is gone (said so: it was set aside)."""
        caller = await Caller.of(update, context)
        query = update.callback_query
        form = self._load(context)
        if form is None:
            if query is not None:
                await answer_expired(query, caller.t)
            minutes = caller.services.config.requests.conversation_timeout_minutes
            await caller.reply(self.set_aside(caller.t, minutes))
            return None
        cb = cbdata.decode(query.data, self.prefix) if query is not None else None
        return Turn(**vars(caller), form=form, wizard=self, query=query, cb=cb)

    # -- the steps -------------------------------------------------------------------------
    async def show(self, turn: Turn[F]) -> object:
        """Save the form and send its step's prompt; the conversation's new state."""
        for _ in self.steps:  # a prompt may send on to another step (never in a circle)
            prompt, _reprompt = self._prompts[str(turn.form.step)]
            try:
                asked = prompt(turn)
                shown = cast(Shown, await asked if inspect.isawaitable(asked) else asked)
            except DomainError as err:  # the flow cannot go on (a right lost, a unit gone)
                self._drop(turn.context)
                await say_error(turn.update, turn.context, turn.t, err)
                return END
            if not isinstance(shown, str):
                break
            turn.form.step = shown
        if isinstance(shown, str):
            raise RuntimeError(f"{self.name}: the prompts send on to each other in a circle")
        self._save(turn)
        for message in [shown] if isinstance(shown, OutMessage) else shown:
            await turn.reply(message)
        return str(turn.form.step)

    async def reprompt(self, turn: Turn[F]) -> object:
        """Ask the turn's step again: its re-prompt, or its prompt; the new state."""
        _prompt, reprompt = self._prompts[str(turn.form.step)]
        if reprompt is None:
            return await self.show(turn)
        await turn.reply(reprompt(turn.t))
        return str(turn.form.step)

    async def _stale(self, turn: Turn[F]) -> object:
        if turn.query is not None:
            turn.answered = True
            await answer_expired(turn.query, turn.t)
        return await self.show(turn)

    async def _run(self, turn: Turn[F], step: Awaitable[Next]) -> object:
        """Run one step function and go where it says (from a part changed from the summary,
        back to the summary)."""
        here, revising = str(turn.form.step), turn.form.editing
        try:
            result = await step
        except StaleButton:  # the form as it was stored, its step asked again
            turn.form = self._load(turn.context) or turn.form
            return await self._stale(turn)
        except DomainError as err:  # told; the step stays, the form as it was stored
            turn.answered = True
            await say_error(turn.update, turn.context, turn.t, err)
            return here
        if isinstance(result, Done):
            self._drop(turn.context)  # already gone when the service ended the flow
            await turn.answer()
            return END
        if result is None:
            self._save(turn)
            await turn.answer()
            return str(turn.form.step)
        if revising and result != here and self._summary is not None:
            result, turn.form.editing = self._summary, False
        turn.form.step = result
        return await self.show(turn)

    async def _message(self, update: Update, context: GridContext) -> object:
        """A message: the form's step takes it if it is of a kind the step takes (its own
        contact, for a contact); anything else gets the step's re-prompt."""
        turn = await self._turn(update, context)
        if turn is None:
            return END
        for kind, function in self._inputs[str(turn.form.step)]:
            if self._filters[kind].check_update(update):
                value = kind.value(turn.message)
                if kind is _CONTACT and value.user_id != turn.actor.person.telegram_id:
                    break  # someone else's contact
                if kind is _CONTACT:
                    value = value.phone_number
                return await self._run(turn, function(turn, value))
        return await self.reprompt(turn)

    async def _pressed(self, update: Update, context: GridContext) -> object:
        """A button of the current step: its function, if it is this step's and fresh."""
        turn = await self._turn(update, context)
        if turn is None:
            return END
        found = self._buttons[str(turn.form.step)].get(turn.cb.action) if turn.cb else None
        if found is None:
            return await self._stale(turn)
        function, fresh = found
        if fresh and (not turn.form.nonce or turn.arg(0, "") != turn.form.nonce):
            return await self._stale(turn)
        return await self._run(turn, function(turn))

    async def _start(self, update: Update, context: GridContext) -> object:
        """Start the flow (a command, a menu label or a start button)."""
        caller = await Caller.of(update, context)
        query = update.callback_query
        cb = cbdata.decode(query.data, self.prefix) if query is not None else None
        new = self.form.model_validate({})
        turn = Turn(**vars(caller), form=new, wizard=self, query=query, cb=cb)
        stored = self._load(context)
        try:
            form = await self._begin(turn, stored) if self._begin else stored or turn.form
        except (DomainError, StaleButton) as err:
            if isinstance(err, DomainError):
                await say_error(update, context, turn.t, err)
            elif query is not None:
                await answer_expired(query, turn.t)
            form = None
        if form is None:
            self._drop(context)
            await turn.answer()
            return END
        if context.user_data is not None:  # the form takes the next texts, not an older wait
            context.user_data.pop(AWAITING_KEY, None)
        turn.form = form
        return await self.show(turn)

    async def _cancel(self, update: Update, context: GridContext) -> object:
        """Drop the form (/cancel, the Cancel button or label)."""
        caller = await Caller.of(update, context)
        self._drop(context)
        if context.user_data is not None:
            context.user_data.pop(AWAITING_KEY, None)
        message = self._cancelled(caller.t, caller.actor.roles)
        query = update.callback_query
        if query is None:
            await caller.reply(message)
        else:
            await alongside(close_button(query), caller.reply(message))
        return END

    async def _after_end(self, update: Update, context: GridContext) -> None:
        """The final button pressed once the flow is over (twice, or again after a restart
        lost the reply): what the form made, or "done already", or "expired"."""
        caller = await Caller.of(update, context)
        query = update.callback_query
        assert query is not None
        cb = cbdata.decode(query.data, self.prefix)
        nonce = (cb.arg(0) if cb else None) or ""
        shown = await self._again(caller, nonce) if self._again and nonce else None
        if shown is not None:
            await alongside(query.answer(), caller.reply(shown))
        elif await caller.services.forms.finished(caller.actor, self.name, nonce) is not None:
            await query.answer(caller.t(views.ALREADY_DONE))
        else:
            await answer_expired(query, caller.t)

    # -- the handlers ----------------------------------------------------------------------
    def handlers(self, i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
        """The ``ConversationHandler`` of this flow (and, with a final button, the handler of
        that button pressed after the end); ``user_data`` backs the "awaiting" filter."""
        missing = [s for s in self.steps if s not in self._prompts]
        if missing:
            raise ValueError(f"{self.name}: no prompt for {missing}")
        menu = menu_labels({s for label, _ in MAIN_MENU for s in i18n.all_translations(label)})
        free = ~Awaiting(user_data) & filters.ChatType.PRIVATE
        cancel_labels = menu_labels(i18n.all_translations(views.CANCEL))
        self._filters = {
            _SKIP: menu_labels(i18n.all_translations(views.SKIP)) & free,
            _TEXT: filters.TEXT & ~filters.COMMAND & ~menu & ~cancel_labels & free,
            _PHOTO: filters.PHOTO & free,
            _LOCATION: filters.LOCATION & free,
            _CONTACT: filters.CONTACT & free,
        }
        own = rf"^{self.prefix}{cbdata.VERSION}:"
        states: dict[object, list[BaseHandler[Update, GridContext, object]]] = {}
        for step in self.steps:
            handlers: list[BaseHandler[Update, GridContext, object]] = []
            if self._inputs[step]:
                taken = [self._filters[kind] for kind, _ in self._inputs[step]]
                handlers.append(MessageHandler(functools.reduce(or_, taken), self._message))
            if self._buttons[step]:
                actions = "|".join(self._buttons[step])
                handlers.append(CallbackQueryHandler(self._pressed, rf"{own}({actions})(:|$)"))
            states[step] = handlers
        entry: list[BaseHandler[Update, GridContext, object]] = [
            CommandHandler(c, self._start, filters.ChatType.PRIVATE) for c in self.commands
        ]
        if self.labels:
            starts = {s for label in self.labels for s in i18n.all_translations(label)}
            entry.append(
                MessageHandler(menu_labels(starts) & filters.ChatType.PRIVATE, self._start)
            )
        if self.starts:
            buttons = "|".join(self.starts)
            entry.append(CallbackQueryHandler(self._start, rf"{own}({buttons})(:|$)"))
        with warnings.catch_warnings():
            # Buttons are tracked per chat on purpose (per_message=False).
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            conversation: ConversationHandler[GridContext] = ConversationHandler(
                name=self.name,
                persistent=True,
                allow_reentry=True,
                entry_points=entry,
                states=states,
                fallbacks=[
                    CommandHandler("cancel", self._cancel),
                    CallbackQueryHandler(self._cancel, rf"{own}cancel(:|$)"),
                    MessageHandler(cancel_labels & free, self._cancel),
                    # Any other button of this flow is from another step or an old message;
                    # any other message is the wrong kind for this step.
                    CallbackQueryHandler(self._pressed, cbdata.pattern(self.prefix)),
                    MessageHandler(~filters.COMMAND & ~menu & free, self._message),
                ],
            )
        result: list[BaseHandler] = [conversation]  # type: ignore[type-arg]
        if self._final:
            finals = "|".join(sorted(self._final))
            result.append(CallbackQueryHandler(self._after_end, rf"{own}({finals})(:|$)"))
        return result
