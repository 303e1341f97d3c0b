"""Secrets never in logs: the whole log of a start (long polling), a webhook start and network
faults, at DEBUG for the bot and every library it uses, holds neither the bot token nor the
webhook secret. The bot talks to the HTTP emulator through its real transport (aiohttp)."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest
from telegram import Update

from bot.app import build_application, webhook_options
from bot.config import load_config
from bot.emulator.core import Emulator, Fault
from bot.emulator.http import EmulatorServer
from bot.redact import MARK, redact

TOKEN = "987654321:AAHsecretTOKENvalue_abcdefghijklmnopq"  # shaped like a real one
SECRET = "webhook-secret-XYZ123"
LOGGERS = (
    "",
    "telegram",
    "httpx",
    "httpcore",
    "aiohttp",
    "apscheduler",
    "asyncio",
    "tornado",
    "aiosqlite",
    "bot",
    "handlers",
    "storage",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("did not happen in time")


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


async def test_neither_token_nor_webhook_secret_is_ever_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = Emulator()
    emulator.add_user(4242, "Alice")
    server = EmulatorServer(emulator, port=0)
    await server.start()
    config = load_config(
        None,
        bot={
            "token": TOKEN,
            "base_url": f"{server.url}/bot",
            "base_file_url": f"{server.url}/file/bot",
        },
        storage={"database": tmp_path / "gridbot.db"},
    )
    app = build_application(config)
    for name in LOGGERS:  # after the build: nothing may turn a library down again
        caplog.set_level(logging.DEBUG, logger=name)
    assert app.post_init is not None and app.updater is not None
    try:
        # A start with long polling, and an update answered.
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(timeout=1, allowed_updates=Update.ALL_TYPES)
        emulator.user_message(4242, "/help")
        await eventually(lambda: emulator.bot_messages(4242))
        # A network fault on a reply: the error handler logs it with its traceback.
        emulator.faults.append(Fault(chat_id=4242, times=5, timeout=True))
        emulator.user_message(4242, "/help")
        await eventually(lambda: any(r.exc_info for r in caplog.records))
        emulator.faults.clear()
        await app.updater.stop()

        # A webhook start with its secret token (set at Telegram, then served).
        port = free_port()
        options = webhook_options(f"http://127.0.0.1:{port}/hook", f"127.0.0.1:{port}", SECRET)
        await app.updater.start_webhook(**options, allowed_updates=Update.ALL_TYPES)
        assert emulator.webhook is not None and emulator.webhook["secret_token"] == SECRET
        emulator.user_message(4242, "/help")  # posted to the webhook with the secret header
        await eventually(lambda: len(emulator.bot_messages(4242)) >= 2)
        await app.updater.stop()

        # The network goes away under the long poll.
        await app.bot.delete_webhook()
        await app.updater.start_polling(timeout=1, allowed_updates=Update.ALL_TYPES)
        await eventually(lambda: server.polls >= 2)
        await server.stop()
        await eventually(
            lambda: any(
                "connect" in (r.getMessage() + (r.exc_text or "")).lower()
                for r in caplog.records
                if r.name.startswith("telegram.ext")
            )
        )
        await app.updater.stop()
        await app.stop()
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await server.stop()

    logged = everything_logged(caplog)
    assert len(caplog.records) > 100  # DEBUG of everything, really
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
    assert SECRET not in logged
    assert MARK in logged  # python-telegram-bot did log the URL and the webhook's parameters


def test_redact_cuts_registered_secrets_and_token_shapes() -> None:
    assert redact(f"GET https://api.telegram.org/bot{TOKEN}/getMe") == (
        f"GET https://api.telegram.org/bot{MARK}/getMe"
    )
    assert redact("12345678:" + "x" * 35) == MARK
    assert redact("request DZ-2026-000123 at 12:30:45") == "request DZ-2026-000123 at 12:30:45"
