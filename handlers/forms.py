"""A draft filled on one card: the form kept in ``user_data[name]`` with a nonce, every field set
by a button or typed (a :class:`~handlers.waits.Wait`), a fresh card after each typed answer,
and the durable end of the flow (:class:`~bot.models.FlowEnd`) passed to the service that
commits it. A button of a card whose form is gone, or of an older form, is answered as expired.
"""

from __future__ import annotations

import secrets
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError
from telegram import Update

from bot.context import GridContext
from bot.models import FlowEnd
from handlers.buttons import Press, StaleButton

__all__ = ["FormStore"]

M = TypeVar("M", bound=BaseModel)


class FormStore(Generic[M]):
    """The forms of one kind (``name`` is also its flow's name in ``bot.app.FLOWS``)."""

    def __init__(self, name: str, model: type[M]) -> None:
        self.name = name
        self.model = model

    def new(self, context: GridContext, **fields: object) -> M:
        form = self.model.model_validate({"nonce": secrets.token_hex(8), **fields})
        self.save(context, form)
        return form

    def load(self, context: GridContext) -> M | None:
        data = (context.user_data or {}).get(self.name)
        if not data:
            return None
        try:
            return self.model.model_validate(data)
        except ValidationError:
            return None

    def save(self, context: GridContext, form: M) -> None:
        assert context.user_data is not None
        data = form.model_dump(mode="json")
        data["touched_at"] = context.services.clock.now().isoformat()
        context.user_data[self.name] = data

    def drop(self, context: GridContext) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.name, None)

    @staticmethod
    def tag(form: BaseModel) -> str:
        """What a card's buttons carry to tell its form from a later one."""
        return str(getattr(form, "nonce", ""))[:6]

    def of(self, press: Press, index: int) -> M:
        """The form a card's button belongs to (argument ``index`` is its tag); stale
        otherwise."""
        form = self.load(press.context)
        if form is None or self.tag(form) != press.arg(index):
            raise StaleButton(press.cb)
        return form

    def end(self, update: Update, context: GridContext, form: M) -> FlowEnd:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None and context.user_data is not None
        nonce = str(getattr(form, "nonce", "")) or None
        return FlowEnd(
            name=self.name,
            key=(chat.id, user.id),
            user_id=user.id,
            user_data=context.user_data,
            nonce=nonce,
        )
