"""Buttons by table: each callback action of a feature has its own function.

A feature's inline buttons share a prefix (``ad1:q:open:-:0:0``, see :mod:`bot.cbdata`). A
:class:`Buttons` table maps each action to the function that handles it::

    BUTTONS = Buttons("ad")

    @BUTTONS.on("o")
    async def open_request(press: Press) -> None:
        '''Show one request of the queue.'''
        request = await press.services.dispatch.admin_request(press.actor, press.int(0))
        ...

and :meth:`Buttons.handler` gives the one ``CallbackQueryHandler`` that routes them. The
table answers what no function can: data that does not parse, an unknown action or a
malformed argument (:meth:`Press.int`, :meth:`Press.choice`) is an expired menu; a
:class:`~bot.errors.DomainError` is told as a toast. Inside a conversation, :meth:`handler`
takes the actions of one step, and an action returns the next state (``None`` keeps it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Generic, TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import CallbackQueryHandler

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.messages import OutMessage
from handlers.common import answer_expired, edit, reply, say_error

if TYPE_CHECKING:
    from bot.services import Services
    from bot.services.people import Actor

__all__ = ["Buttons", "Press", "StaleButton"]

R = TypeVar("R")
E = TypeVar("E", bound=Enum)


class StaleButton(Exception):
    """The press carries data this version cannot act on: answered as an expired menu."""


@dataclass(frozen=True)
class Press:
    """One button press, parsed: who pressed, in which language, which action with what."""

    update: Update
    context: GridContext
    query: CallbackQuery
    cb: cbdata.Callback
    actor: Actor
    t: Translator
    language: str

    @property
    def services(self) -> Services:
        return self.context.services

    @property
    def action(self) -> str:
        return self.cb.action

    async def answer(self, text: str | None = None) -> None:
        """Answer the press (a toast with ``text``)."""
        await self.query.answer(text)

    async def reply(self, message: OutMessage) -> None:
        """Send ``message`` below, as the direct reply."""
        await reply(self.update, self.context, message)

    async def edit(self, message: OutMessage) -> None:
        """Replace the message the button was on."""
        await edit(self.query, message)

    def int(self, index: int = 0) -> int:
        """Argument ``index`` as an int; a missing or malformed one makes the button stale."""
        value = self.cb.int_arg(index)
        if value is None:
            raise StaleButton(self.cb)
        return value

    def arg(self, index: int = 0, default: str | None = None) -> str:
        """Argument ``index`` as text (``default`` when missing; stale without a default)."""
        value = self.cb.arg(index)
        if value is None:
            if default is None:
                raise StaleButton(self.cb)
            return default
        return value

    def choice(self, kind: type[E], index: int = 0) -> E:
        """Argument ``index`` as a member of the enum ``kind``; stale if it is none of them."""
        try:
            return kind(self.arg(index))
        except ValueError:
            raise StaleButton(self.cb) from None


Action = Callable[[Press], Awaitable[R]]


class Buttons(Generic[R]):
    """The actions of one callback-data feature, each routed to its function."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        self._actions: dict[str, Action[R]] = {}

    def on(self, *actions: str) -> Callable[[Action[R]], Action[R]]:
        """Register the decorated function for ``actions``."""

        def register(function: Action[R]) -> Action[R]:
            for action in actions:
                if action in self._actions:
                    raise ValueError(f"{self.feature}: action {action!r} registered twice")
                self._actions[action] = function
            return function

        return register

    def handler(self, *actions: str) -> CallbackQueryHandler[GridContext, R | None]:
        """One handler for ``actions`` (every action of the feature, of any version, when
        none are named: an unknown one is answered as expired)."""
        if actions:
            unknown = set(actions) - set(self._actions)
            if unknown:
                raise ValueError(f"{self.feature}: no function for {sorted(unknown)}")
            names = "|".join(actions)
            pattern = rf"^{self.feature}{cbdata.VERSION}:({names})(:|$)"
        else:
            pattern = cbdata.pattern(self.feature)
        return CallbackQueryHandler(self.dispatch, pattern=pattern)

    async def dispatch(self, update: Update, context: GridContext) -> R | None:
        """Find the press's function in the table and run it."""
        query = update.callback_query
        assert query is not None
        actor = await context.actor(update)
        t = context.t(actor)
        cb = cbdata.decode(query.data, self.feature)
        function = self._actions.get(cb.action) if cb is not None else None
        if cb is None or function is None:
            await answer_expired(query, t)
            return None
        language = actor.person.language or context.services.i18n.default
        press = Press(update, context, query, cb, actor, t, language)
        try:
            return await function(press)
        except StaleButton:
            await answer_expired(query, t)
        except DomainError as err:
            await say_error(update, context, t, err)
        return None
