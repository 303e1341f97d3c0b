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

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import CallbackQueryHandler

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.messages import OutMessage
from handlers.common import Caller, answer_expired, edit, say_error

__all__ = ["Arguments", "Buttons", "Press", "StaleButton"]

R = TypeVar("R")
E = TypeVar("E", bound=Enum)
V = TypeVar("V")


class StaleButton(Exception):
    """The press carries data this version cannot act on: answered as an expired menu."""


class Arguments:
    """The arguments of a press's callback data, parsed: a missing or malformed one makes the
    button stale (answered as an expired menu)."""

    cb: cbdata.Callback | None

    def arg(self, index: int = 0, default: str | None = None) -> str:
        """Argument ``index`` as text (``default`` when missing; stale without a default)."""
        value = self.cb.arg(index) if self.cb is not None else None
        if value is None:
            if default is None:
                raise StaleButton(self.cb)
            return default
        return value

    def pick(self, values: Mapping[str, V], index: int = 0) -> V:
        """What argument ``index`` stands for in ``values``; stale if it is none of them."""
        try:
            return values[self.arg(index)]
        except KeyError:
            raise StaleButton(self.cb) from None

    def choice(self, kind: type[E], index: int = 0) -> E:
        """Argument ``index`` as a member of the enum ``kind``; stale if it is none of them."""
        try:
            return kind(self.arg(index))
        except ValueError:
            raise StaleButton(self.cb) from None

    # Last: in the class body below it, ``int`` would name this method, not the type.
    def int(self, index: int = 0) -> int:
        """Argument ``index`` as an int."""
        value = self.cb.int_arg(index) if self.cb is not None else None
        if value is None:
            raise StaleButton(self.cb)
        return value


@dataclass
class Press(Caller, Arguments):
    """One button press, parsed: who pressed, in which language, which action with what."""

    query: CallbackQuery
    cb: cbdata.Callback

    @property
    def action(self) -> str:
        return self.cb.action

    async def answer(self, text: str | None = None) -> None:
        """Answer the press (a toast with ``text``)."""
        await self.query.answer(text)

    async def edit(self, message: OutMessage) -> None:
        """Replace the message the button was on."""
        await edit(self.query, message)


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
        caller = await Caller.of(update, context)
        cb = cbdata.decode(query.data, self.feature)
        function = self._actions.get(cb.action) if cb is not None else None
        if cb is None or function is None:
            await answer_expired(query, caller.t)
            return None
        press = Press(**vars(caller), query=query, cb=cb)
        try:
            return await function(press)
        except StaleButton:
            await answer_expired(query, caller.t)
        except DomainError as err:
            await say_error(update, context, caller.t, err)
        return None
