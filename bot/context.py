"""The typed callback context: handlers reach the services through ``context.services``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator
from bot.services.people import Actor, TelegramIdentity

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["BotData", "GridContext"]


class BotData:
    """The Application's ``bot_data``: holds the services, nothing else."""

    def __init__(self) -> None:
        self.services: Services | None = None


class GridContext(CallbackContext[ExtBot[None], dict, dict, BotData]):  # type: ignore[type-arg]
    """CallbackContext with typed access to the services."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not set up")
        return services

    async def actor(self, update: Update) -> Actor:
        """The person who sent ``update`` (created on first contact)."""
        user = update.effective_user
        if user is None:
            raise RuntimeError("update without a user")
        return await self.services.people.identify(
            TelegramIdentity(
                telegram_id=user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )
        )

    def t(self, actor: Actor | None) -> Translator:
        """The translator for the actor's language (the default when unset)."""
        return self.services.i18n.get(actor.person.language if actor else None)
