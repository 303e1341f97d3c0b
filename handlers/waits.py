"""One free-form answer the bot waits for (a reason, a comment, a code, a message to pass on),
by table: each kind of wait has its own function, and the rules are written once.

A button starts a wait (:meth:`Waits.start`: ``user_data["awaiting"]``, with the time, so the
sweep drops it when idle); the next text (or photo, where the wait takes one) goes to the
wait's function. An answer that will not do (:class:`~bot.errors.InvalidInput`) is told and
the wait goes on; any other refusal stops it; a function that returns normally ends it.
``/cancel`` ends any wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n, Translator
from bot.messages import OutMessage
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.views.common import MAIN_MENU
from handlers.common import reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["Answer", "Wait", "Waits"]


@dataclass(frozen=True)
class Answer:
    """What the person sent, and what the wait was started with."""

    update: Update
    context: GridContext
    actor: Actor
    t: Translator
    language: str
    text: str | None
    photo: str | None
    data: Mapping[str, Any]
    document: tuple[str, str | None] | None = None  # (file id, file name)

    def int(self, key: str) -> int:
        return int(self.data.get(key, 0))

    async def reply(self, message: OutMessage) -> None:
        await reply(self.update, self.context, message)


Function = Callable[[Answer], Awaitable[None]]


@dataclass(frozen=True)
class Wait:
    kind: str
    function: Function
    photos: bool = False  # a photo is an answer too
    documents: bool = False  # and a file


class Waits:
    """The waits of one feature."""

    def __init__(self, *waits: Wait) -> None:
        self._waits = {w.kind: w for w in waits}

    @staticmethod
    def start(context: GridContext, kind: str, **data: object) -> None:
        """Wait for the person's next text (the wait of ``kind``, with ``data``)."""
        assert context.user_data is not None
        context.user_data[AWAITING_KEY] = {
            "kind": kind,
            "since": context.services.clock.now().isoformat(),
            **data,
        }

    def handler(self, i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> MessageHandler:  # type: ignore[type-arg]
        all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
        return MessageHandler(
            Awaiting(user_data, frozenset(self._waits))
            & filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & ~menu_labels(all_menu),
            self.dispatch,
        )

    async def dispatch(self, update: Update, context: GridContext) -> None:
        """Hand the answer to its wait's function."""
        assert update.message is not None and context.user_data is not None
        actor = await context.actor(update)
        t = context.t(actor)
        started = context.user_data.get(AWAITING_KEY) or {}
        data = dict(started)
        wait = self._waits[str(data.get("kind"))]
        message = update.message
        text = message.text or message.caption
        photo = message.photo[-1].file_id if message.photo and wait.photos else None
        document = (
            (message.document.file_id, message.document.file_name)
            if message.document is not None and wait.documents
            else None
        )
        if text is None and photo is None and document is None:
            hint = (
                t("Please send some text or a photo.")
                if wait.photos
                else t("Please send some text.")
            )
            await reply(update, context, OutMessage(hint))
            return
        language = actor.person.language or context.services.i18n.default
        answer = Answer(update, context, actor, t, language, text, photo, data, document)
        try:
            await wait.function(answer)
        except InvalidInput as err:  # this answer will not do; the next one may
            await say_error(update, context, t, err)
            return
        except DomainError as err:  # no answer can do any more: stop waiting
            context.user_data.pop(AWAITING_KEY, None)
            await say_error(update, context, t, err)
            return
        if context.user_data.get(AWAITING_KEY) is started:  # (a new wait may follow)
            context.user_data.pop(AWAITING_KEY, None)
