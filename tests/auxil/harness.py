"""Drive the real Application offline: the emulator, a fake clock and player helpers.

``harness.player("alice")`` gives a :class:`Player` who talks to the bot like a person does;
each action processes the resulting update through the real Application and then waits until
the outbox has delivered everything it queued.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auxil import stores
from telegram import Update

from bot.app import FLOWS, OFFLINE_TOKEN, GridApplication, build_application, services_of
from bot.clock import FakeClock, VirtualPacer
from bot.config import Config, load_config
from bot.emulator.core import Emulator, StoredMessage
from bot.emulator.inprocess import EmulatorRequest
from bot.services import Services
from handlers.wizard import Wizard

__all__ = ["Harness", "Player"]

EXAMPLE_ORG = Path(__file__).resolve().parents[2] / "examples" / "duanzhou.toml"


class Harness:
    """One emulated Telegram, one database, and the Application running on them."""

    def __init__(
        self, tmp_path: Path, *, flows: Sequence[Wizard[Any]] = FLOWS, **config: Any
    ) -> None:
        """``config``: settings over the defaults; ``flows``: the guided flows the bot runs."""
        self.tmp_path = tmp_path
        self.flows = flows
        self.clock = FakeClock()
        self.pacer = VirtualPacer()
        self.emulator = Emulator(clock=self.clock.now, monotonic=self.pacer.monotonic)
        settings: dict[str, Any] = {"storage": {"database": tmp_path / "gridbot.db"}}
        # No store given: a fresh one on the store the tests run on (made in start()).
        self._fresh_store = "storage" not in config
        settings.update(config)
        self.config: Config = load_config(None, **settings)
        self.app: GridApplication | None = None
        self._ids = itertools.count(1001)
        self.players: dict[str, Player] = {}

    @property
    def services(self) -> Services:
        assert self.app is not None, "harness not started"
        return services_of(self.app)

    @property
    def store_url(self) -> str:
        return self.config.storage.store_url

    async def start(self) -> None:
        """Build the Application and run its start-up as ``gridbot run`` would."""
        if self._fresh_store:
            self._fresh_store = False
            self.config.storage.url = await stores.fresh_store(self.tmp_path, "gridbot")
        self.app = build_application(
            self.config,
            clock=self.clock,
            pacer=self.pacer,
            request=EmulatorRequest(self.emulator),
            token=OFFLINE_TOKEN,
            flows=self.flows,
        )
        await self.app.initialize()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)
        await self.app.start()

    async def stop(self) -> None:
        """Shut the Application down cleanly."""
        if self.app is None:
            return
        app, self.app = self.app, None
        # The order of run_polling: stop, shut down (flushes persistence), post_shutdown.
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        """A new Application on the same database and the same emulated Telegram."""
        await self.stop()
        await self.start()

    async def import_org(self, path: Path = EXAMPLE_ORG) -> None:
        from bot.services.orgimport import OrgImporter

        await OrgImporter(self.services.db, self.clock).import_file(path)

    async def process(self, update: dict[str, Any]) -> None:
        """Hand one update to the Application and wait for the outbox to settle."""
        assert self.app is not None, "harness not started"
        await self.app.process_update(Update.de_json(update, self.app.bot))
        await self.settle()

    async def settle(self) -> None:
        """Wait until every queued outbox row has been delivered (or failed for good)."""
        sender = self.services.sender
        if sender is not None:
            await sender.wait_idle()

    def player(
        self,
        name: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "zh-hans",
        username: str | None = None,
    ) -> Player:
        if name in self.players:
            return self.players[name]
        uid = user_id if user_id is not None else next(self._ids)
        self.emulator.add_user(
            uid, name.capitalize(), username=username, language_code=language_code
        )
        player = Player(self, name, uid)
        self.players[name] = player
        return player


class Player:
    """A person in the emulated Telegram, chatting with the bot."""

    def __init__(self, harness: Harness, name: str, user_id: int) -> None:
        self.harness = harness
        self.name = name
        self.id = user_id

    @property
    def emulator(self) -> Emulator:
        return self.harness.emulator

    # -- acting ----------------------------------------------------------------------------
    async def send(self, text: str) -> None:
        await self.harness.process(self.emulator.user_message(self.id, text))

    async def command(self, text: str) -> None:
        if not text.startswith("/"):
            text = "/" + text
        await self.send(text)

    async def press(self, label: str, *, exact: bool = True) -> None:
        """Press the inline button ``label`` on the latest bot message that has it."""
        message, button = self.find_button(label, exact=exact)
        await self.harness.process(
            self.emulator.user_press(self.id, message.message_id, button["callback_data"])
        )

    async def press_data(self, data: str, message_id: int | None = None) -> None:
        """Send a callback with arbitrary data (a forged or stale button)."""
        if message_id is None:
            message_id = self.bot_messages()[-1].message_id
        await self.harness.process(self.emulator.user_press(self.id, message_id, data))

    async def tap(self, label: str) -> None:
        """Tap a reply-keyboard button: it sends its label as text."""
        if label not in self.keyboard():
            raise AssertionError(
                f"{self.name} has no keyboard button {label!r}: {self.keyboard()}"
            )
        await self.send(label)

    async def share_contact(self, phone: str = "+8613800138000") -> None:
        await self.harness.process(self.emulator.user_contact(self.id, phone))

    async def send_photo(
        self, content: bytes = b"\x89PNG fake photo", caption: str | None = None
    ) -> None:
        await self.harness.process(
            self.emulator.user_message(self.id, photo=content, caption=caption)
        )

    async def send_location(self, latitude: float, longitude: float) -> None:
        await self.harness.process(
            self.emulator.user_message(self.id, location=(latitude, longitude))
        )

    async def send_sticker(self) -> None:
        await self.harness.process(self.emulator.user_message(self.id, sticker=True))

    async def send_voice(self) -> None:
        await self.harness.process(self.emulator.user_message(self.id, voice=True))

    # -- looking ---------------------------------------------------------------------------
    def bot_messages(self) -> list[StoredMessage]:
        return self.emulator.bot_messages(self.id)

    def last(self) -> StoredMessage:
        messages = self.bot_messages()
        if not messages:
            raise AssertionError(f"{self.name} has no message from the bot")
        return messages[-1]

    def last_text(self) -> str:
        """The plain text of the bot's latest message, as the person reads it."""
        return self.last().text or ""

    def last_html(self) -> str:
        return self.last().html or self.last().text or ""

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.bot_messages()]

    def buttons(self, message: StoredMessage | None = None) -> list[str]:
        """Inline button labels of ``message`` (default: the latest bot message)."""
        message = message or self.last()
        return [b["text"] for b in message.inline_buttons]

    def keyboard(self) -> list[str]:
        """Reply-keyboard labels currently shown (from the latest message that set one)."""
        for message in reversed(self.bot_messages()):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return []
            if "keyboard" in markup:
                return [b["text"] for b in message.keyboard_buttons]
        return []

    def find_button(
        self, label: str, *, exact: bool = True
    ) -> tuple[StoredMessage, dict[str, Any]]:
        for message in reversed(self.bot_messages()):
            for button in message.inline_buttons:
                text = button["text"]
                if (text == label if exact else label in text) and "callback_data" in button:
                    return message, button
        raise AssertionError(f"{self.name} sees no button {label!r}")

    def commands(self) -> list[str]:
        """The command menu set for this person's chat."""
        return [c["command"] for c in self.emulator.commands.get(f"chat:{self.id}", [])]

    def last_answer(self) -> dict[str, Any] | None:
        """The answer to this person's latest button press (toast text)."""
        mine = [a for a in self.emulator.answered_callbacks.values() if a["chat_id"] == self.id]
        return mine[-1] if mine else None
