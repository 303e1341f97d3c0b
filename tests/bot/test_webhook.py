"""Webhook options from the command line (the server itself: tests/bot/test_runner.py)."""

from __future__ import annotations

import socket

import pytest

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
