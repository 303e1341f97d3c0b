"""Webhook mode: updates posted to the bot's own server, the secret token checked."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from auxil.harness import Harness

from bot.app import webhook_options


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_options_parse_and_refuse_bad_input() -> None:
    opts = webhook_options("https://bot.example.org/tg/hook", "0.0.0.0:8443", "s3cret")
    assert opts == {
        "listen": "0.0.0.0",
        "port": 8443,
        "url_path": "tg/hook",
        "webhook_url": "https://bot.example.org/tg/hook",
        "secret_token": "s3cret",
    }
    with pytest.raises(ValueError, match="HOST:PORT"):
        webhook_options("https://x.org/h", "8443", None)
    with pytest.raises(ValueError, match="http"):
        webhook_options("x.org/h", "127.0.0.1:1", None)


async def test_webhook_delivers_updates_only_with_the_secret(harness: Harness) -> None:
    app = harness.app
    assert app is not None and app.updater is not None
    port = free_port()
    opts = webhook_options("https://bot.example.org/hook", f"127.0.0.1:{port}", "s3cret")
    await app.updater.start_webhook(**opts)
    try:
        # setWebhook reached Telegram with the secret.
        assert harness.emulator.webhook == {
            "url": "https://bot.example.org/hook",
            "secret_token": "s3cret",
        }
        alice = harness.player("alice")
        update = harness.emulator.user_message(alice.id, "/start")
        body = json.dumps(update)
        url = f"http://127.0.0.1:{port}/hook"
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient() as client:
            refused = await client.post(
                url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "no"}
            )
            missing = await client.post(url, content=body, headers=headers)
            accepted = await client.post(
                url,
                content=body,
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            )
        assert refused.status_code == 403
        assert missing.status_code == 403
        assert accepted.status_code == 200
        for _ in range(500):  # the update goes through the Application's queue
            if alice.bot_messages():
                break
            await asyncio.sleep(0.01)
        assert alice.buttons() == ["中文", "English"]
        assert len(alice.bot_messages()) == 1  # the refused posts did nothing
    finally:
        await app.updater.stop()
